import { describe, expect, it } from "vitest";
import regression from "../fixtures/shapes_regression.json";
import type { SegmentResultDict } from "../api/types";
import { pendingMetrics, thresholdsOf, verdictOf } from "./scenario";

const segments = Object.values(regression).flat() as SegmentResultDict[];

describe("verdicts", () => {
  it("are the server's succeeds as words", () => {
    expect(verdictOf(true)).toBe("pass");
    expect(verdictOf(false)).toBe("fail");
    expect(verdictOf(null)).toBe("none");
  });
  it("the demo segments carry a verdict per metric and per segment", () => {
    const words = new Set(segments.map((r) => verdictOf(r.succeeds)));
    expect(words.has("pass") && words.has("none")).toBe(true);
    for (const r of segments) for (const m of ["precision", "recall", "f1_score"] as const) expect(r[m]).toHaveProperty("succeeds");
  });
  it("a threshold shown that the result was not computed at is pending", () => {
    const r = segments.find((s) => s.segment_type === "regression_test")!;
    expect(thresholdsOf(r)).toEqual({ precision: 0.35, recall: 0.31, f1_score: 0.31 });
    expect(pendingMetrics(r, thresholdsOf(r)).size).toBe(0);
    expect([...pendingMetrics(r, { precision: 0.99, recall: 0.31, f1_score: null })]).toEqual(["precision", "f1_score"]);
  });
});
