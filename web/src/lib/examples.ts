/** Examples (objects of frames, as the examples endpoint lists them), their orders and pages. Pure. */
import type { FrameExample, FrameObject } from "../api/types";

export interface Example {
  frame: FrameExample;
  object: FrameObject;
}

/** How examples are ordered; each puts the most useful to review first. */
export type BuiltinSort =
  | "confidence-disagreement" // high-confidence disagreements first (likely label errors)
  | "confidence-agreement" // low-confidence agreements first
  | "iou" // lowest IoU first (poor localization)
  | "area"; // smallest boxes first

/** Or by an element metric (docs/quality.md): `metric:brightness:asc` lists the lowest first. */
export type MetricSort = `metric:${string}:${"asc" | "desc"}`;
export type ExampleSort = BuiltinSort | MetricSort;

const METRIC_SORT = /^metric:([A-Za-z][A-Za-z0-9_.]*):(asc|desc)$/;

/** A metric sort's metric and order; null for a built-in sort. */
export function metricSortOf(sort: string): { name: string; order: "asc" | "desc" } | null {
  const found = METRIC_SORT.exec(sort);
  return found ? { name: found[1]!, order: found[2] as "asc" | "desc" } : null;
}

/** A metric of the dataset as GET .../element-metrics lists it. */
export interface SortableMetric {
  name: string;
  level: string;
  type: string;
  inference_set: string | null;
}

/**
 * The sort options of a dataset's metrics for one inference set's examples: numbers and
 * bools (text has no order), the set's own prediction metrics, each name once, lowest and
 * highest first.
 */
export function metricSorts(metrics: readonly SortableMetric[], inferenceSet: string): ReadonlyArray<{ value: ExampleSort; title: string }> {
  const names = [...new Set(
    metrics
      .filter((m) => m.type !== "string" && (m.level !== "prediction" || m.inference_set === inferenceSet))
      .map((m) => m.name),
  )].sort();
  return names.flatMap((name) => [
    { value: `metric:${name}:asc` as MetricSort, title: `${name}, lowest first` },
    { value: `metric:${name}:desc` as MetricSort, title: `${name}, highest first` },
  ]);
}

export const EXAMPLE_SORTS: ReadonlyArray<{ value: BuiltinSort; title: string }> = [
  { value: "confidence-disagreement", title: "High-confidence disagreements" },
  { value: "confidence-agreement", title: "Low-confidence agreements" },
  { value: "iou", title: "IoU" },
  { value: "area", title: "Box size" },
];

/** The sorts that mean something for a task: classification has no boxes, so no IoU or box size. */
export function sortsFor(task: "detection" | "classification"): ReadonlyArray<{ value: BuiltinSort; title: string }> {
  return task === "detection" ? EXAMPLE_SORTS : EXAMPLE_SORTS.filter((s) => s.value !== "iou" && s.value !== "area");
}

/** A sort the task has (an IoU or box-size sort from a link falls back to the default for classification; a metric sort stays). */
export function sortFor(task: "detection" | "classification", sort: ExampleSort): ExampleSort {
  return metricSortOf(sort) !== null || sortsFor(task).some((s) => s.value === sort) ? sort : "confidence-disagreement";
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
