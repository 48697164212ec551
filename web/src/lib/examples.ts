/** Examples (objects of frames, as the examples endpoint lists them), their orders and pages. Pure. */
import type { FrameExample, FrameObject } from "../api/types";

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

/** The sorts that mean something for a task: classification has no boxes, so no IoU or box size. */
export function sortsFor(task: "detection" | "classification"): ReadonlyArray<{ value: ExampleSort; title: string }> {
  return task === "detection" ? EXAMPLE_SORTS : EXAMPLE_SORTS.filter((s) => s.value !== "iou" && s.value !== "area");
}

/** A sort the task has (an IoU or box-size sort from a link falls back to the default for classification). */
export function sortFor(task: "detection" | "classification", sort: ExampleSort): ExampleSort {
  return sortsFor(task).some((s) => s.value === sort) ? sort : "confidence-disagreement";
}

/** A classification example's classes: its truth and the prediction (the object's partner holds the other). */
export function classificationClasses(o: FrameObject): { truth: string | null; predicted: string | null } {
  const partner = o.partner_label || null;
  return o.kind === "ground_truth" ? { truth: o.label, predicted: partner } : { truth: partner, predicted: o.label };
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
