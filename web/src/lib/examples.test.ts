import { describe, expect, it } from "vitest";
import type { FrameObject } from "../api/types";
import { outcomeText, pageCount } from "./examples";

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
