import { describe, expect, it } from "vitest";
import type { FrameObject } from "../api/types";
import { classificationClasses, outcomeText, pageCount, sortFor, sortsFor } from "./examples";

const obj = (o: Partial<FrameObject>): FrameObject => ({
  kind: "prediction", id: 1, frame_id: "f", label: "cat", confidence: 0.5, outcome: "TP", reason: "",
  partner_id: -1, partner_label: "", iou: 0, area: 1, box: [0, 0, 1, 1], ...o,
});

describe("examples", () => {
  it("counts pages", () => {
    expect(pageCount(0, 10)).toBe(1);
    expect(pageCount(21, 10)).toBe(3);
  });
  it("describes outcomes", () => {
    expect(outcomeText(obj({}))).toBe("TP");
    expect(outcomeText(obj({ outcome: "FP", reason: "class_confusion", partner_label: "dog" }))).toBe("FP · class confusion (truth dog)");
  });
});

describe("classification examples", () => {
  it("have no IoU or box-size sorts; such a sort reads as the default", () => {
    expect(sortsFor("classification").map((s) => s.value)).toEqual(["confidence-disagreement", "confidence-agreement"]);
    expect(sortsFor("detection").map((s) => s.value)).toContain("iou");
    expect(sortFor("classification", "area")).toBe("confidence-disagreement");
    expect(sortFor("classification", "confidence-agreement")).toBe("confidence-agreement");
    expect(sortFor("detection", "iou")).toBe("iou");
  });

  it("name their true and predicted class from either side", () => {
    expect(classificationClasses(obj({ kind: "ground_truth", label: "2", partner_label: "1" }))).toEqual({ truth: "2", predicted: "1" });
    expect(classificationClasses(obj({ kind: "prediction", label: "1", partner_label: "2" }))).toEqual({ truth: "2", predicted: "1" });
    expect(classificationClasses(obj({ kind: "ground_truth", label: "2", partner_label: "" }))).toEqual({ truth: "2", predicted: null });
  });
});
