import { describe, expect, it } from "vitest";
import curves from "../fixtures/shapes_pr_curves.json";
import best from "../fixtures/shapes_best_thresholds.json";
import type { PRCurveDict } from "../api/types";
import { bestF1Index, f1, operatingPointIndex, pointAt } from "./pr";

const curve: PRCurveDict = {
  label: "x",
  thresholds: [0.9, 0.8, 0.8, 0.5, 0.2],
  precision: [1, 1, 0.67, 0.75, 0.6],
  recall: [0.25, 0.5, 0.5, 0.75, 0.75],
  ap: 0.7,
};

describe("pr", () => {
  it("f1 is the harmonic mean, 0 when both are 0", () => {
    expect(f1(1, 0.5)).toBeCloseTo(2 / 3);
    expect(f1(0, 0)).toBe(0);
  });
  it("the operating point keeps every score >= conf", () => {
    expect(operatingPointIndex(curve, 0.8)).toBe(2);
    expect(operatingPointIndex(curve, 0.85)).toBe(0);
    expect(operatingPointIndex(curve, 0.1)).toBe(4);
    expect(operatingPointIndex(curve, 0.95)).toBe(-1);
    expect(pointAt(curve, -1)).toBeNull();
    expect(pointAt(curve, 3)).toEqual({ recall: 0.75, precision: 0.75, threshold: 0.5, index: 3 });
  });
  it("best F1 takes the highest confidence on ties", () => {
    const tie: PRCurveDict = { ...curve, precision: [0.5, 0.5], recall: [0.5, 0.5], thresholds: [0.9, 0.1] };
    expect(bestF1Index(tie)).toBe(0);
    expect(bestF1Index({ ...curve, thresholds: [], precision: [], recall: [] })).toBe(-1);
  });
  it("agrees with Python's PRCurve.best() on the demo curves", () => {
    (curves as PRCurveDict[]).forEach((c, k) => {
      const i = bestF1Index(c);
      expect(c.thresholds[i]).toBeCloseTo(best[k]!.conf, 5);
      expect(f1(c.precision[i]!, c.recall[i]!)).toBeCloseTo(best[k]!["f1-score"], 5);
    });
  });
});
