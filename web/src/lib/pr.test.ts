import { describe, expect, it } from "vitest";
import curves from "../fixtures/shapes_pr_curves.json";
import best from "../fixtures/shapes_best_thresholds.json";
import type { PRCurveDict } from "../api/types";
import { bestIndex, isPooledCurve, operatingPointIndex, pointAt, pooledCurve } from "./pr";

const curve: PRCurveDict = {
  label: "x",
  thresholds: [0.9, 0.8, 0.7, 0.5, 0.2],
  precision: [1, 1, 0.67, 0.75, 0.6],
  recall: [0.25, 0.5, 0.5, 0.75, 0.75],
  f1: [0.4, 0.667, 0.572, 0.75, 0.667],
  best: { label: "x", conf: 0.5, "f1-score": 0.75, precision: 0.75, recall: 0.75 },
  ap: 0.7,
};

describe("pr", () => {
  it("the operating point keeps every score >= conf", () => {
    expect(operatingPointIndex(curve, 0.8)).toBe(1);
    expect(operatingPointIndex(curve, 0.85)).toBe(0);
    expect(operatingPointIndex(curve, 0.1)).toBe(4);
    expect(operatingPointIndex(curve, 0.95)).toBe(-1);
    expect(pointAt(curve, -1)).toBeNull();
    expect(pointAt(curve, 3)).toEqual({ recall: 0.75, precision: 0.75, f1: 0.75, threshold: 0.5, index: 3 });
  });
  it("the best point is the server's, found among the points", () => {
    expect(bestIndex(curve)).toBe(3);
    expect(bestIndex({ ...curve, thresholds: [], precision: [], recall: [], f1: [] })).toBe(-1);
  });
  it("the demo curves' best points are Python's best thresholds", () => {
    (curves as PRCurveDict[]).forEach((c, k) => {
      const i = bestIndex(c);
      expect(c.thresholds[i]).toBeCloseTo(best[k]!.conf, 5);
      expect(c.f1[i]).toBeCloseTo(best[k]!["f1-score"], 5);
      expect(c.best["f1-score"]).toBe(Math.max(...c.f1));
    });
  });
});

describe("pooled curves", () => {
  it("names detection's 'all' and classification's 'micro avg' as the pooled curve", () => {
    expect(isPooledCurve("all")).toBe(true);
    expect(isPooledCurve("micro avg")).toBe(true);
    expect(isPooledCurve("cat")).toBe(false);
    expect(pooledCurve([{ label: "0" }, { label: "micro avg" }])?.label).toBe("micro avg");
    expect(pooledCurve([{ label: "0" }, { label: "1" }])).toBeUndefined();
  });
});
