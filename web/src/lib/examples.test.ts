import { describe, expect, it } from "vitest";
import fixture from "../fixtures/shapes_frames.json";
import matrix from "../fixtures/shapes_matrix.json";
import type { FrameExample, FrameObject } from "../api/types";
import { examplesOf, inCell, outcomeText, pageCount, pageOf, sortExamples } from "./examples";

const frames = fixture.frames as FrameExample[];
const all = examplesOf(frames);

const obj = (o: Partial<FrameObject>): FrameObject => ({
  kind: "prediction", id: 1, frame_id: "f", label: "cat", confidence: 0.5, outcome: "TP", reason: "",
  partner_id: -1, partner_label: "", iou: 0, area: 1, box: [0, 0, 1, 1], ...o,
});

describe("examples", () => {
  it("flattens frames into examples", () => {
    expect(all.length).toBe(frames.reduce((n, f) => n + f.objects.length, 0));
  });
  it("inCell follows Outcomes.in_cell", () => {
    expect(inCell(obj({}), "cat", "cat")).toBe(true);
    expect(inCell(obj({ kind: "ground_truth", confidence: null }), "cat", "cat")).toBe(false);
    expect(inCell(obj({ outcome: "FP", reason: "class_confusion", partner_label: "dog" }), "dog", "cat")).toBe(true);
    expect(inCell(obj({ outcome: "FP", reason: "background" }), "background", "cat")).toBe(true);
    expect(inCell(obj({ outcome: "FP", reason: "class_confusion" }), "background", "cat")).toBe(false);
    expect(inCell(obj({ kind: "ground_truth", outcome: "FN", reason: "missed" }), "cat", "background")).toBe(true);
    expect(inCell(obj({}), "background", "background")).toBe(false);
  });
  it("per cell, the demo frames' predictions add up to at most the matrix", () => {
    const labels = matrix.labels;
    labels.forEach((t, i) =>
      labels.forEach((p, j) => {
        const n = all.filter((e) => inCell(e.object, t, p)).length;
        expect(n).toBeLessThanOrEqual(matrix.matrix[i]![j]!);
      }),
    );
  });
  it("sorts disagreements first by confidence, highest first; agreements first, lowest first", () => {
    const xs = [obj({ outcome: "FP", confidence: 0.2 }), obj({ outcome: "TP", confidence: 0.99 }),
      obj({ outcome: "FP", confidence: 0.9 }), obj({ kind: "ground_truth", outcome: "FN", confidence: null })];
    const ex = xs.map((object) => ({ frame: frames[0]!, object }));
    expect(sortExamples(ex, "confidence-disagreement").map((e) => e.object.confidence)).toEqual([0.9, 0.2, null, 0.99]);
    expect(sortExamples(ex, "confidence-agreement").map((e) => e.object.confidence)).toEqual([0.99, 0.2, 0.9, null]);
    expect(sortExamples(ex, "area")).toHaveLength(4);
  });
  it("sorts by IoU and area ascending, stable", () => {
    const s = sortExamples(all, "iou");
    for (let k = 1; k < s.length; k++) expect(s[k]!.object.iou).toBeGreaterThanOrEqual(s[k - 1]!.object.iou);
    const a = sortExamples(all, "area");
    for (let k = 1; k < a.length; k++) expect(a[k]!.object.area).toBeGreaterThanOrEqual(a[k - 1]!.object.area);
  });
  it("pages", () => {
    expect(pageOf([1, 2, 3, 4, 5], 1, 2)).toEqual([3, 4]);
    expect(pageOf([1, 2, 3], 5, 2)).toEqual([]);
    expect(pageCount(0, 10)).toBe(1);
    expect(pageCount(21, 10)).toBe(3);
  });
  it("describes outcomes", () => {
    expect(outcomeText(obj({}))).toBe("TP");
    expect(outcomeText(obj({ outcome: "FP", reason: "class_confusion", partner_label: "dog" }))).toBe("FP · class confusion (truth dog)");
  });
});
