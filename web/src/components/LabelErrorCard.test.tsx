import { describe, expect, it } from "vitest";
import type { FrameExample, FrameObject } from "../api/types";
import { zoomWindow } from "./LabelErrorCard";

function frame(boxes: Array<[number, number, number, number]>, width = 400, height = 300): FrameExample {
  const objects = boxes.map((box, k): FrameObject => ({
    kind: k === 0 ? "ground_truth" : "prediction", id: k + 1, frame_id: "f", label: "circle", confidence: null, area: box[2] * box[3], box,
    outcome: "" as FrameObject["outcome"], reason: "", partner_id: -1, partner_label: "", iou: NaN,
  }));
  return { frame_id: "f", image_url: "/x.png", width, height, objects };
}

describe("zoomWindow", () => {
  it("is a square around both objects, 1.8 times their larger side, in the corner away from them", () => {
    const view = zoomWindow(frame([[300, 200, 20, 10], [310, 205, 20, 20]]))!;
    expect(view.side).toBeCloseTo(30 * 1.8);
    expect(view.x + view.side / 2).toBeCloseTo(315);
    expect(view.y + view.side / 2).toBeCloseTo(212.5);
    // Near an edge the square moves inside the frame.
    const edge = zoomWindow(frame([[390, 290, 10, 10]]))!;
    expect([edge.x, edge.y, edge.side]).toEqual([400 - 24, 300 - 24, 24]);
    expect(view.corner).toBe("top-left");
    expect(zoomWindow(frame([[10, 10, 5, 5]]))!.corner).toBe("bottom-right");
  });

  it("has a least side for tiny objects, and is none when the objects fill a quarter of the frame or there are no boxes", () => {
    expect(zoomWindow(frame([[100, 100, 2, 3]]))!.side).toBe(24);
    expect(zoomWindow(frame([[0, 0, 150, 150]]))).toBeNull();
    expect(zoomWindow(frame([]))).toBeNull();
    expect(zoomWindow(frame([[0, 0, 0, 0]]))).toBeNull();
  });
});
