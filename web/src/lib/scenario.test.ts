import { describe, expect, it } from "vitest";
import regression from "../fixtures/shapes_regression.json";
import type { SegmentResultDict } from "../api/types";
import { overallVerdict, thresholdsOf, verdict } from "./scenario";

describe("verdicts", () => {
  it("score >= threshold passes, no threshold is none", () => {
    expect(verdict(0.8, 0.8)).toBe("pass");
    expect(verdict(0.79, 0.8)).toBe("fail");
    expect(verdict(0.1, null)).toBe("none");
  });
  it("agrees with Python's succeeds on every demo segment", () => {
    for (const results of Object.values(regression) as SegmentResultDict[][]) {
      for (const r of results) {
        for (const m of ["precision", "recall", "f1_score"] as const) {
          const expected = r[m].succeeds === null ? "none" : r[m].succeeds ? "pass" : "fail";
          expect(verdict(r[m].score, r[m].threshold)).toBe(expected);
        }
      }
    }
  });
  it("overall: fail if any fails, pass if all decided pass, none if none is set", () => {
    const r = (regression["adaptive-cc"] as SegmentResultDict[]).find((s) => s.segment_type === "regression_test")!;
    expect(overallVerdict(r)).toBe("pass");
    expect(overallVerdict(r, { precision: 0.99, recall: null, f1_score: null })).toBe("fail");
    expect(overallVerdict(r, { precision: null, recall: null, f1_score: null })).toBe("none");
    expect(thresholdsOf(r)).toEqual({ precision: 0.35, recall: 0.31, f1_score: 0.31 });
  });
});
