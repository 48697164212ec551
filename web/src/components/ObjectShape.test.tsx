// @vitest-environment jsdom
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { FrameDetail, FrameExample, FrameObject } from "../api/types";
import { exampleOf, frameOf } from "../views/adapters";
import { FrameView, overlapColumn } from "./FrameView";

const unknown = { outcome: "" as const, reason: "" as const, partner_id: -1, partner_label: "", iou: NaN, confidence: null, area: 0 };

function object(kind: FrameObject["kind"], id: number, label: string, geometry?: FrameObject["geometry"]): FrameObject {
  return { ...unknown, kind, id, frame_id: "f", label, box: [1, 1, 4, 4], ...(geometry ? { geometry } : {}) };
}

// pycocotools' counts of a 4 x 5 mask (rows 0/1/2/3: ..X.. / .XX.X / .X..X / ....X).
const MASK = { height: 4, width: 5, counts: "521061" };
const SCHEMA = { names: ["nose", "eye", "ear"], skeleton: [[1, 2], [2, 3], [1, 3]] };

const frame: FrameExample = {
  frame_id: "f", image_url: "data:,", width: 5, height: 4,
  keypointSchemas: { person: SCHEMA },
  objects: [
    object("ground_truth", 1, "cat", { shape: "mask", mask: MASK }),
    object("prediction", 2, "cat", { shape: "mask", mask: MASK }),
    object("ground_truth", 3, "dog", { shape: "polygon", polygon: [[0, 0, 4, 0, 4, 3]], mask: MASK }),
    object("ground_truth", 4, "person", { shape: "keypoints", keypoints: [1, 1, 2, 3, 1, 1, 0, 0, 0] }),
    object("prediction", 5, "person", { shape: "keypoints", keypoints: [1, 2, 2, 3, 2, 2, 4, 3, 2] }),
    object("ground_truth", 6, "lane", { shape: "polyline", points: [0, 3, 2, 1, 4, 0] }),
    object("prediction", 7, "tip", { shape: "point", points: [2, 2] }),
    object("ground_truth", 8, "box"),
  ],
};

describe("FrameView with shapes", () => {
  it("draws each shape with ground truth solid and predictions dashed", () => {
    const { container } = render(<FrameView frame={frame} />);
    const shape = (id: number) => container.querySelector(`g[data-id="${id}"]`)!;
    // Masks: a fill path of column runs and an outline; the prediction's fill lighter and outline dashed.
    expect(shape(1).querySelector('[data-layer="mask-fill"]')!.getAttribute("d")).toBe("M1 1h1v2h-1zM2 0h1v2h-1zM4 1h1v3h-1z");
    const gtOutline = shape(1).querySelector('[data-layer="mask-outline"]')!;
    const predOutline = shape(2).querySelector('[data-layer="mask-outline"]')!;
    expect(gtOutline.getAttribute("stroke-dasharray")).toBeNull();
    expect(predOutline.getAttribute("stroke-dasharray")).not.toBeNull();
    expect(Number(shape(2).querySelector('[data-layer="mask-fill"]')!.getAttribute("fill-opacity"))).toBeLessThan(
      Number(shape(1).querySelector('[data-layer="mask-fill"]')!.getAttribute("fill-opacity")),
    );
    // A polygon is drawn from its vertices, not its mask.
    expect(shape(3).querySelector("polygon")!.getAttribute("points")).toBe("0,0 4,0 4,3");
    expect(shape(3).querySelector('[data-layer="mask-fill"]')).toBeNull();
    // Keypoints: visible filled, hidden hollow, unlabeled not drawn; limbs only between labeled ones.
    expect(shape(4).querySelectorAll('[data-layer="keypoint-visible"]')).toHaveLength(1);
    expect(shape(4).querySelectorAll('[data-layer="keypoint-hidden"]')).toHaveLength(1);
    expect(shape(4).querySelectorAll('[data-layer="skeleton"]')).toHaveLength(1);
    expect(shape(5).querySelectorAll('[data-layer="skeleton"]')).toHaveLength(3);
    expect(shape(5).querySelector('[data-layer="skeleton"]')!.getAttribute("stroke-dasharray")).not.toBeNull();
    expect(shape(4).querySelector('[data-layer="keypoint-visible"] title')!.textContent).toBe("nose");
    expect(shape(6).querySelector("polyline")!.getAttribute("points")).toBe("0,3 2,1 4,0");
    expect(shape(7).querySelector("circle")!.getAttribute("fill")).toBe("none");
    // The box-only object keeps its rectangle; shaped ones draw none.
    expect(container.querySelectorAll("rect[data-kind]")).toHaveLength(1);
  });
  it("explains each shape present in a legend and lists shapes in the table", () => {
    render(<FrameView frame={frame} />);
    const legend = screen.getByRole("group", { name: "Shape legend" });
    expect(Array.from(legend.querySelectorAll("[data-shape]")).map((e) => e.getAttribute("data-shape"))).toEqual(["mask", "polygon", "keypoints", "polyline", "point"]);
    expect(legend).toHaveTextContent("hollow hidden");
    expect(screen.getByRole("columnheader", { name: "Shape" })).toBeInTheDocument();
    expect(screen.getAllByRole("row")[8]).toHaveTextContent("box");
  });
  it("has no shape legend for boxes only", () => {
    render(<FrameView frame={{ ...frame, objects: [object("ground_truth", 1, "cat")] }} />);
    expect(screen.queryByRole("group", { name: "Shape legend" })).toBeNull();
    expect(screen.queryByRole("columnheader", { name: "Shape" })).toBeNull();
  });
});

describe("frameOf", () => {
  it("carries the rows' geometry and the keypoint schemas", () => {
    const row = { frame_id: "f", class_name: "person", x: 1, y: 1, width: 2, height: 2 };
    const detail = {
      frame: { frame_id: "f", image_uri: null, width: 5, height: 4 },
      image_url: "/img",
      labels: [{ ...row, label_id: "1", shape: "keypoints", keypoints: [1, 1, 2], mask: null, polygon: null, points: null }, { ...row, label_id: "2" }],
      predictions: { m: [{ ...row, prediction_id: "9", confidence: 0.9, shape: "mask", mask: MASK, polygon: null, keypoints: null, points: null }] },
      keypoint_schemas: { person: { ...SCHEMA, sigmas: [0.1, 0.1, 0.1] } },
    } as unknown as FrameDetail;
    const built = frameOf(detail, "m", 0.5);
    expect(built.objects.map((o) => o.geometry?.shape)).toEqual(["keypoints", undefined, "mask"]);
    expect(built.keypointSchemas?.person?.names).toEqual(["nose", "eye", "ear"]);
  });
});

describe("exampleOf", () => {
  it("gives a gallery example its geometry", () => {
    const e = { kind: "prediction", id: 3, source_id: "9", frame_id: "f", label: "cat", confidence: 0.5, outcome: "TP", reason: "",
      partner_id: 1, partner_label: "cat", iou: 0.8, area: 5, box: [1, 0, 4, 4], geometry: { shape: "mask", mask: MASK, polygon: null, keypoints: null, points: null } };
    const { object } = exampleOf("p", "d", e);
    expect(object.geometry?.mask).toEqual(MASK);
    expect(exampleOf("p", "d", { ...e, geometry: null }).object.geometry).toBeUndefined();
  });
});

describe("overlapColumn", () => {
  it("names what the frame's set is matched on, in the store's order", () => {
    expect(overlapColumn([]).label).toBe("IoU");
    expect(overlapColumn(["keypoints"]).label).toBe("OKS");
    expect(overlapColumn(["point", "polyline"]).label).toBe("Similarity");
    expect(overlapColumn(["polygon", "keypoints"]).label).toBe("IoU");
    expect(overlapColumn(["mask"]).title).toMatch(/mask IoU/);
  });
});
