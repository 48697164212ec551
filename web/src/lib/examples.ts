/** Example objects for a confusion-matrix cell, and their orders. Pure. */
import type { FrameExample, FrameObject } from "../api/types";
import { BACKGROUND } from "../api/types";

export interface Example {
  frame: FrameExample;
  object: FrameObject;
}

/** How examples are ordered; each puts the most useful to review first. */
export type ExampleSort =
  | "confidence-disagreement" // high-confidence disagreements first (likely label errors)
  | "confidence-agreement" // low-confidence agreements first
  | "iou" // lowest IoU first (poor localization)
  | "area"; // smallest boxes first

export const EXAMPLE_SORTS: ReadonlyArray<{ value: ExampleSort; title: string }> = [
  { value: "confidence-disagreement", title: "High-confidence disagreements" },
  { value: "confidence-agreement", title: "Low-confidence agreements" },
  { value: "iou", title: "IoU" },
  { value: "area", title: "Box size" },
];

/** Every object of the frames as an example, frame by frame. */
export function examplesOf(frames: readonly FrameExample[]): Example[] {
  return frames.flatMap((frame) => frame.objects.map((object) => ({ frame, object })));
}

/** Whether an object is counted in cell (truth, predicted), as Python's `Outcomes.in_cell`. */
export function inCell(o: FrameObject, truth: string, predicted: string): boolean {
  const confused = o.reason === "class_confusion";
  const isPred = o.kind === "prediction";
  if (truth === BACKGROUND && predicted === BACKGROUND) return false;
  if (predicted === BACKGROUND) return !isPred && o.outcome === "FN" && !confused && o.label === truth;
  if (truth === BACKGROUND) return isPred && o.outcome === "FP" && !confused && o.label === predicted;
  if (truth === predicted) return isPred && o.outcome === "TP" && o.label === truth;
  return isPred && confused && o.label === predicted && o.partner_label === truth;
}

/** Whether an object agrees with the labels (a true positive). */
export function agrees(o: FrameObject): boolean {
  return o.outcome === "TP";
}

/**
 * Examples in the given order (stable; nothing is dropped, missing values sort last).
 * "confidence-disagreement": disagreements (FP, FN) before agreements, highest confidence
 * first; "confidence-agreement": agreements (TP) first, lowest confidence first; "iou" and
 * "area": ascending.
 */
export function sortExamples(examples: readonly Example[], sort: ExampleSort): Example[] {
  const conf = (e: Example): number => e.object.confidence ?? NaN;
  let group: (e: Example) => number = () => 0;
  let key: (e: Example) => number;
  let descending = false;
  switch (sort) {
    case "confidence-disagreement":
      group = (e) => (agrees(e.object) ? 1 : 0);
      key = conf;
      descending = true;
      break;
    case "confidence-agreement":
      group = (e) => (agrees(e.object) ? 0 : 1);
      key = conf;
      break;
    case "iou":
      key = (e) => e.object.iou;
      break;
    case "area":
      key = (e) => e.object.area;
      break;
  }
  return examples
    .map((e, index) => ({ e, index, g: group(e), v: key(e) }))
    .sort((a, b) => {
      if (a.g !== b.g) return a.g - b.g;
      const na = Number.isNaN(a.v);
      const nb = Number.isNaN(b.v);
      if (na || nb) return na === nb ? a.index - b.index : na ? 1 : -1;
      return (descending ? b.v - a.v : a.v - b.v) || a.index - b.index;
    })
    .map(({ e }) => e);
}

/** One page of items (0-based page). */
export function pageOf<T>(items: readonly T[], page: number, pageSize: number): T[] {
  const start = Math.max(0, page) * pageSize;
  return items.slice(start, start + pageSize);
}

export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, pageSize)));
}

/** Short description of an object's outcome: "FP · class_confusion (square)". */
export function outcomeText(o: FrameObject): string {
  const reason = o.reason ? ` · ${o.reason.replace("_", " ")}` : "";
  const partner = o.partner_label && o.partner_label !== o.label ? ` (${o.kind === "prediction" ? "truth" : "predicted"} ${o.partner_label})` : "";
  return `${o.outcome}${reason}${partner}`;
}
