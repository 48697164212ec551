import { describe, expect, it } from "vitest";
import {
  categoricalLegend, categoryCounts, chooseModel, combineSelections, colorByOptions, vectorCount, decodePoints, DIM_ALPHA, filterByCategory, fitView, FULL_ALPHA, issueElementOf,
  legendTicks, NO_VALUE, panBy, PointGrid, pointInPolygon, pointStyle, rampColor, selectInBox, selectInPolygon, toData, toScreen,
  uniqueFrames, zoomAt, type PointColorsOut,
} from "./embedding";

/** Little-endian float32 pairs, written byte by byte as the server does. */
function pointsBuffer(pairs: Array<[number, number]>): ArrayBuffer {
  const view = new DataView(new ArrayBuffer(pairs.length * 8));
  pairs.forEach(([x, y], i) => {
    view.setFloat32(8 * i, x, true);
    view.setFloat32(8 * i + 4, y, true);
  });
  return view.buffer;
}

function colors(partial: Partial<PointColorsOut>): PointColorsOut {
  return { color_by: "outcome", type: "categorical", definition: "", categories: null, codes: null, values: null, min: null, max: null, in_scope: null, ...partial };
}

describe("decodePoints", () => {
  it("reads little-endian float32 pairs row-major", () => {
    const xy = decodePoints(pointsBuffer([[1.5, -2], [3.25, 1e6]]), 2);
    expect(Array.from(xy)).toEqual([1.5, -2, 3.25, 1e6]);
  });
  it("rejects a truncated answer and a count other than the projection's", () => {
    expect(() => decodePoints(new ArrayBuffer(12))).toThrow(/12 bytes/);
    expect(() => decodePoints(pointsBuffer([[0, 0]]), 2)).toThrow(/1 points, the projection 2/);
  });
  it("decodes an empty projection", () => {
    expect(decodePoints(new ArrayBuffer(0), 0).length).toBe(0);
  });
});

describe("view transform", () => {
  const bounds = { x: [0, 10] as [number, number], y: [-5, 5] as [number, number] };
  it("fits the bounds with a margin and maps data to screen and back", () => {
    const view = fitView(bounds, 520, 320, 10);
    expect(view.scale).toBeCloseTo(30); // min(500 / 10, 300 / 10)
    expect(toScreen(view, 520, 320, 5, 0)).toEqual([260, 160]);
    expect(toScreen(view, 520, 320, 5, 5)).toEqual([260, 10]); // y up
    const [x, y] = toData(view, 520, 320, 400, 40);
    expect(toScreen(view, 520, 320, x, y).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([400, 40]);
  });
  it("zooms about the pointer and pans by pixels", () => {
    const view = fitView(bounds, 400, 400, 0);
    const zoomed = zoomAt(view, 400, 400, 100, 300, 2);
    expect(zoomed.scale).toBeCloseTo(view.scale * 2);
    const before = toData(view, 400, 400, 100, 300);
    const after = toData(zoomed, 400, 400, 100, 300);
    expect(after[0]).toBeCloseTo(before[0]);
    expect(after[1]).toBeCloseTo(before[1]);
    const moved = panBy(view, 40, -20);
    const [sx, sy] = toScreen(moved, 400, 400, 5, 0);
    expect(sx).toBeCloseTo(240);
    expect(sy).toBeCloseTo(180);
  });
});

describe("lasso and box selection", () => {
  // A concave "C" shape: the notch (2, 2) is outside, the arms inside.
  const c: Array<[number, number]> = [[0, 0], [4, 0], [4, 1], [1, 1], [1, 3], [4, 3], [4, 4], [0, 4]];
  it("tests points against a concave polygon (even-odd)", () => {
    expect(pointInPolygon(0.5, 2, c)).toBe(true);
    expect(pointInPolygon(3, 0.5, c)).toBe(true);
    expect(pointInPolygon(2, 2, c)).toBe(false);
    expect(pointInPolygon(5, 2, c)).toBe(false);
    expect(pointInPolygon(-0.1, 2, c)).toBe(false);
  });
  it("agrees with a brute-force grid count of the polygon's area", () => {
    // The C's area is 16 - 3 * 2 = 10: count lattice cell centers inside.
    let inside = 0;
    for (let i = 0; i < 400; i++) for (let j = 0; j < 400; j++) if (pointInPolygon((i + 0.5) / 100, (j + 0.5) / 100, c)) inside++;
    expect(inside / 10_000).toBeCloseTo(10, 6);
  });
  it("selects the points inside, ascending, leaving out the points not selectable", () => {
    const xy = new Float32Array([0.5, 2, 2, 2, 3, 0.5, 9, 9, 3, 3.5]);
    expect(Array.from(selectInPolygon(xy, c))).toEqual([0, 2, 4]);
    expect(Array.from(selectInPolygon(xy, c, new Uint8Array([1, 1, 0, 1, 1])))).toEqual([0, 4]);
    expect(Array.from(selectInPolygon(xy, c.slice(0, 2)))).toEqual([]);
    expect(Array.from(selectInBox(xy, [1.5, 4], [3.5, 0]))).toEqual([1, 2, 4]);
  });
  it("combines a new shape's points with the selection", () => {
    const current = Uint32Array.from([1, 4, 9]);
    const found = Uint32Array.from([2, 4, 12]);
    expect(Array.from(combineSelections(current, found, "replace"))).toEqual([2, 4, 12]);
    expect(Array.from(combineSelections(current, found, "add"))).toEqual([1, 2, 4, 9, 12]);
    expect(Array.from(combineSelections(current, found, "remove"))).toEqual([1, 9]);
    expect(Array.from(combineSelections(null, found, "add"))).toEqual([2, 4, 12]);
    expect(Array.from(combineSelections(null, found, "remove"))).toEqual([]);
  });
  it("narrows a selection to some categories", () => {
    const selected = Uint32Array.from([0, 2, 3, 5]);
    const codes = [0, 1, 1, 2, 0, -1];
    expect(Array.from(filterByCategory(selected, codes, new Set([1, -1])))).toEqual([2, 5]);
  });
});

describe("PointGrid", () => {
  it("finds the same nearest point as a brute-force scan", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const n = 3000;
    const xy = new Float32Array(n * 2).map(() => random() * 100 - 50);
    const grid = new PointGrid(xy);
    for (let q = 0; q < 200; q++) {
      const x = random() * 110 - 55, y = random() * 110 - 55, r = random() * 4;
      let best = -1, bestD = r * r;
      for (let i = 0; i < n; i++) {
        const d = (xy[2 * i]! - x) ** 2 + (xy[2 * i + 1]! - y) ** 2;
        if (d <= bestD) { bestD = d; best = i; }
      }
      const found = grid.nearest(x, y, r);
      if (best === -1) expect(found).toBe(-1);
      else expect((xy[2 * found]! - x) ** 2 + (xy[2 * found + 1]! - y) ** 2).toBeCloseTo(bestD, 6);
    }
  });
  it("skips points not accepted", () => {
    const grid = new PointGrid(new Float32Array([0, 0, 1, 0]));
    expect(grid.nearest(0.1, 0, 2)).toBe(0);
    expect(grid.nearest(0.1, 0, 2, (i) => i !== 0)).toBe(1);
    expect(grid.nearest(10, 10, 1)).toBe(-1);
  });
});

describe("legends and point colors", () => {
  it("counts categories with no value last", () => {
    expect(categoryCounts([0, 1, 1, -1, 2], 3)).toEqual([1, 2, 1, 1]);
    expect(categoryCounts([0, 1, 1, -1, 2], 3, [1, 2, 3])).toEqual([0, 2, 0, 1]);
  });
  it("lists each category with its color and count, outcome colors fixed and class colors the project's", () => {
    const legend = categoricalLegend(colors({ categories: ["TP", "FP", "FN"], codes: [0, 0, 1, 2, -1] }));
    expect(legend.map((e) => [e.name, e.count])).toEqual([["TP", 2], ["FP", 1], ["FN", 1], [NO_VALUE, 1]]);
    expect(new Set(legend.map((e) => e.color)).size).toBe(4);
    const byClass = categoricalLegend(colors({ color_by: "class", categories: ["cat", "dog"], codes: [0, 1] }), { dog: "#123456" });
    expect(byClass.map((e) => e.color)[1]).toBe("#123456");
    expect(byClass.map((e) => e.name)).toEqual(["cat", "dog"]); // no "no value" row when every point has one
    const unused = categoricalLegend(colors({ categories: ["TP", "no errors", "FN only"], codes: [1, 2, 2] }));
    expect(unused.map((e) => e.name)).toEqual(["no errors", "FN only"]); // categories no point has are left out
  });
  it("ramps dark to light and ticks the range evenly", () => {
    const lightness = (t: number) => rampColor(t).reduce((a, b) => a + b, 0);
    expect(lightness(0)).toBeLessThan(lightness(0.5));
    expect(lightness(0.5)).toBeLessThan(lightness(1));
    expect(rampColor(-1)).toEqual(rampColor(0));
    // On the dark theme the low end is lighter (visible on the dark canvas); the high end is the same.
    expect(rampColor(0, "dark").reduce((a, b) => a + b, 0)).toBeGreaterThan(lightness(0) + 150);
    expect(rampColor(1, "dark")).toEqual(rampColor(1));
    expect(legendTicks(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(legendTicks(2, 2)).toEqual([2]);
  });
  it("hides toggled-off categories, dims out of scope, scales alpha by opacity", () => {
    const c = colors({ categories: ["TP", "FP"], codes: [0, 1, 0, -1], in_scope: [true, true, false, true] });
    const { rgba, selectable } = pointStyle(4, { colors: c, hidden: new Set([1]), opacity: [1, 1, 1, 0] });
    expect([rgba[3], rgba[7], rgba[11]]).toEqual([FULL_ALPHA, 0, DIM_ALPHA]);
    expect(rgba[15]).toBeGreaterThan(0);
    expect(rgba[15]).toBeLessThan(FULL_ALPHA / 4); // opacity 0 -> the least opacity
    expect(Array.from(selectable)).toEqual([1, 0, 0, 1]);
    const hidden = pointStyle(4, { colors: c, outOfScope: "hide" });
    expect(hidden.rgba[11]).toBe(0);
  });
  it("colors continuous values on the ramp, nulls gray", () => {
    const c = colors({ type: "continuous", color_by: "f1", values: [0, 1, null], min: 0, max: 1 });
    const { rgba } = pointStyle(3, { colors: c });
    expect(Array.from(rgba.slice(0, 3))).toEqual([...rampColor(0)]);
    expect(Array.from(rgba.slice(4, 7))).toEqual([...rampColor(1)]);
    expect(Array.from(rgba.slice(8, 11))).toEqual([0x86, 0x8e, 0x96]);
  });
});

describe("elements and options", () => {
  it("maps projected elements to issue elements and frames", () => {
    const frame = { index: 0, source: "frame" as const, inference_set: null, id: "f1", frame_id: "f1" };
    const crop = { index: 1, source: "prediction" as const, inference_set: "m", id: "p9", frame_id: "f1" };
    expect(issueElementOf("d", frame)).toEqual({ dataset: "d", frame_id: "f1", element_kind: "frame", element_id: null, inference_set: null });
    expect(issueElementOf("d", crop)).toEqual({ dataset: "d", frame_id: "f1", element_kind: "prediction", element_id: "p9", inference_set: "m" });
    expect(uniqueFrames([frame, crop, { ...frame, frame_id: "f2" }])).toEqual(["f1", "f2"]);
  });
  it("counts a model's vectors per kind and chooses a model with vectors of the kind shown", () => {
    const crops = { model: "crops", dimension: 8, frames: 0, labels: 5, predictions: { a: 3, b: 2 } };
    const frames = { model: "frames", dimension: 8, frames: 60, labels: 0, predictions: {} };
    expect([vectorCount(crops, "crop"), vectorCount(crops, "frame"), vectorCount(frames, "frame")]).toEqual([10, 0, 60]);
    expect(chooseModel([crops, frames], null, "frame")?.model).toBe("frames");
    expect(chooseModel([crops, frames], null, "crop")?.model).toBe("crops");
    expect(chooseModel([crops, frames], "crops", "frame")?.model).toBe("crops"); // asked for: kept (the view says it has no frames)
    expect(chooseModel([crops, frames], "gone", "crop")?.model).toBe("crops");
    expect(chooseModel([], null, "crop")).toBeNull();
  });
  it("offers metadata and the metrics of the points' level", () => {
    const metrics = [{ name: "sharpness", level: "frame" as const }, { name: "box_area", level: "label" as const }];
    const frame = colorByOptions("frame", ["frame_id", "weather"], metrics).map((o) => o.value);
    expect(frame).toContain("metadata:weather");
    expect(frame).not.toContain("metadata:frame_id");
    expect(frame).toContain("metric:sharpness");
    expect(frame).not.toContain("metric:box_area");
    expect(colorByOptions("crop", [], metrics).map((o) => o.value)).toContain("metric:box_area");
    // A corpus without inference sets: class, metadata and metrics only.
    expect(colorByOptions("frame", ["weather"], metrics, false).map((o) => o.value)).toEqual(["class", "metadata:weather", "metric:sharpness"]);
  });
});
