import { describe, expect, it } from "vitest";
import {
  countByStatus, elementKey, elementTitle, exportFileName, filterByStatus, REVIEW_KEY_LEGEND, reviewAction, similarElement, similarSeeds,
  similarKey, stepIndex, verdictOf, type ElementIdentity,
} from "./issues";

const frame = (frame_id: string, dataset = "d"): ElementIdentity => ({ dataset, frame_id, element_kind: "frame", element_id: null, inference_set: null });
const label = (id: string, frame_id: string, dataset = "d"): ElementIdentity => ({ dataset, frame_id, element_kind: "label", element_id: id, inference_set: null });
const prediction = (id: string, frame_id: string, set: string): ElementIdentity => ({ dataset: "d", frame_id, element_kind: "prediction", element_id: id, inference_set: set });

describe("issue elements", () => {
  it("names each kind of element", () => {
    expect(elementTitle(frame("0003"))).toBe("frame 0003");
    expect(elementTitle({ ...frame("0003"), inference_set: "yolo" })).toBe("frame 0003 (yolo)");
    expect(elementTitle(label("L7", "0003"))).toBe("label L7 in frame 0003");
    expect(elementTitle(prediction("P2", "0003", "set-a"))).toBe("prediction P2 of set-a in frame 0003");
  });

  it("keys an element by what it is: same element same key, others differ", () => {
    expect(elementKey(frame("1"))).toBe(elementKey({ ...frame("1") }));
    const keys = [frame("1"), frame("1", "e"), label("1", "1"), prediction("1", "1", "a"), prediction("1", "1", "b"), label("2", "1")].map(elementKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("counts and filters by status", () => {
    const es = [{ status: "open" }, { status: "fixed" }, { status: "open" }, { status: "dismissed" }];
    expect(countByStatus(es)).toEqual({ open: 2, confirmed: 0, fixed: 1, dismissed: 1 });
    expect(filterByStatus(es, "open")).toHaveLength(2);
    expect(filterByStatus(es, null)).toEqual(es);
    expect(filterByStatus(es, "confirmed")).toEqual([]);
  });
});

describe("review keys", () => {
  it("maps j/k and arrows to moves, c f d o to statuses, n to the note and Esc to close; others are left alone", () => {
    expect(["j", "ArrowDown", "ArrowRight"].map(reviewAction)).toEqual(Array(3).fill({ kind: "move", step: 1 }));
    expect(["k", "ArrowUp", "ArrowLeft"].map(reviewAction)).toEqual(Array(3).fill({ kind: "move", step: -1 }));
    expect(["c", "f", "d", "o"].map((k) => reviewAction(k))).toEqual(
      ["confirmed", "fixed", "dismissed", "open"].map((status) => ({ kind: "status", status })),
    );
    expect(reviewAction("n")).toEqual({ kind: "note" });
    expect(reviewAction("Escape")).toEqual({ kind: "close" });
    expect(reviewAction("x")).toBeNull();
    expect(reviewAction("C")).toBeNull();
    // The legend names every key that acts.
    const legend = REVIEW_KEY_LEGEND.map(([k]) => k).join(" ");
    for (const key of ["j", "k", "c", "f", "d", "o", "n", "Esc"]) expect(legend).toContain(key);
  });

  it("steps within the elements and stops at either end", () => {
    expect(stepIndex(0, 1, 3)).toBe(1);
    expect(stepIndex(2, 1, 3)).toBe(2);
    expect(stepIndex(0, -1, 3)).toBe(0);
    expect(stepIndex(-1, 1, 3)).toBe(0);
    expect(stepIndex(0, 1, 0)).toBeNull();
  });
});

describe("export, compare, similar", () => {
  it("names the export files after the issue", () => {
    expect(exportFileName("white dogs", "csv")).toBe("white_dogs-elements.csv");
    expect(exportFileName("a/b", "json")).toBe("a_b-elements.json");
    expect(exportFileName("x", "coco")).toBe("x-coco.json");
    expect(exportFileName("///", "csv")).toBe("_-elements.csv");
  });

  it("calls a change better, worse or the same at the digits shown; unmeasured is none", () => {
    expect(verdictOf(0.1)).toBe("better");
    expect(verdictOf(-0.0006)).toBe("worse");
    expect(verdictOf(0.00004)).toBe("same");
    expect(verdictOf(-0.00004)).toBe("same");
    expect(verdictOf(null)).toBeNull();
    expect(verdictOf(Number.NaN)).toBeNull();
  });

  it("seeds a frame search with every element's frame and a crop search with the label and prediction crops, of one dataset", () => {
    const elements = [frame("1"), frame("1"), frame("2", "other"), label("L1", "3"), prediction("P1", "4", "a"), { ...frame("5"), inference_set: "a" }];
    expect(similarSeeds(elements, "d", "frame")).toEqual(["1", "3", "4", "5"]);
    expect(similarSeeds(elements, "d", "crop")).toEqual(["L1", "prediction/a/P1"]);
    expect(similarKey({ ...frame("5"), inference_set: "a" })).toBe("frame/a/5");
    // The search's keys read back: an inference set's frame vector, a prediction crop (its frame given).
    expect(similarElement("d", "frame", "frame/a/5", null)).toEqual({ ...frame("5"), inference_set: "a" });
    expect(similarElement("d", "crop", "prediction/a/P/7", "9")).toEqual(prediction("P/7", "9", "a"));
    expect(similarSeeds(elements, "other", "frame")).toEqual(["2"]);
    expect(similarElement("d", "frame", "7", null)).toEqual(frame("7"));
    expect(similarElement("d", "crop", "L9", "8")).toEqual(label("L9", "8"));
    expect(similarElement("d", "crop", "L9", null)).toBeNull();
  });
});
