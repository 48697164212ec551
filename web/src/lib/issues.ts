/**
 * Issues (issue 14): the words, keys and small rules of the Issues tab and its review
 * dialog. An element is a frame, or a label or prediction crop in a frame, with a review
 * status and a note; an issue collects elements. Pure; every number is the server's.
 */

import type { BeforeAfterOut, BeforeAfterPairOut, IssueCreate, IssueElementOut, IssueElementsAdded, IssueOut, IssueUpdate } from "../api/types";

export type IssueStatus = "open" | "in_progress" | "resolved";
export type ElementStatus = "open" | "confirmed" | "fixed" | "dismissed";
export type ElementKind = "frame" | "label" | "prediction";
export type ExportFormat = "csv" | "json" | "coco";

export const ISSUE_STATUSES: ReadonlyArray<{ value: IssueStatus; title: string }> = [
  { value: "open", title: "Open" },
  { value: "in_progress", title: "In progress" },
  { value: "resolved", title: "Resolved" },
];

/** Each element status, with what it means (the legend's words). */
export const ELEMENT_STATUSES: ReadonlyArray<{ value: ElementStatus; title: string; meaning: string }> = [
  { value: "open", title: "Open", meaning: "not reviewed yet" },
  { value: "confirmed", title: "Confirmed", meaning: "the failure is real" },
  { value: "fixed", title: "Fixed", meaning: "its label was corrected" },
  { value: "dismissed", title: "Dismissed", meaning: "not a failure after all" },
];

export function issueStatusTitle(status: string): string {
  return ISSUE_STATUSES.find((s) => s.value === status)?.title ?? status;
}

export function elementStatusTitle(status: string): string {
  return ELEMENT_STATUSES.find((s) => s.value === status)?.title ?? status;
}

/** The fields of an element that say which one it is (IssueElementOut / IssueElementIn). */
export interface ElementIdentity {
  dataset: string;
  frame_id: string;
  element_kind: ElementKind;
  element_id: string | null;
  inference_set: string | null;
}

/** An element of an issue (IssueElementOut): its place in the issue (stable), review status and note. */
export type IssueElement = IssueElementOut;
/** An issue (IssueOut) with its elements and their counts by status. */
export type Issue = IssueOut;
export type IssueCreateBody = IssueCreate;
export type IssueUpdateBody = Pick<IssueUpdate, "description" | "owner" | "status">;
export type ElementsAdded = IssueElementsAdded;

/** One string per element, equal for the same element (frames have no element id). */
export function elementKey(e: ElementIdentity): string {
  return JSON.stringify([e.dataset, e.element_kind, e.inference_set ?? null, e.element_kind === "frame" ? e.frame_id : e.element_id]);
}

/** What an element is, in words: "frame 0003", "label L7 in frame 0003", "prediction P2 of set-a in frame 0003". */
export function elementTitle(e: ElementIdentity): string {
  if (e.element_kind === "frame") return e.inference_set ? `frame ${e.frame_id} (${e.inference_set})` : `frame ${e.frame_id}`;
  const of = e.element_kind === "prediction" && e.inference_set ? ` of ${e.inference_set}` : "";
  return `${e.element_kind} ${e.element_id ?? "?"}${of} in frame ${e.frame_id}`;
}

/** How many elements have each status (all four present, zero when none). */
export function countByStatus(elements: ReadonlyArray<{ status: string }>): Record<ElementStatus, number> {
  const counts: Record<ElementStatus, number> = { open: 0, confirmed: 0, fixed: 0, dismissed: 0 };
  for (const e of elements) if (e.status in counts) counts[e.status as ElementStatus] += 1;
  return counts;
}

/** The elements with a status (null: all), in the issue's order. */
export function filterByStatus<T extends { status: string }>(elements: readonly T[], status: ElementStatus | null): T[] {
  return status === null ? [...elements] : elements.filter((e) => e.status === status);
}

// ------------------------------------------------------------------ review keys
/** What a key does in the review dialog (null: nothing, the key is left alone). */
export type ReviewAction =
  | { kind: "move"; step: 1 | -1 }
  | { kind: "status"; status: ElementStatus }
  | { kind: "note" }
  | { kind: "close" };

export function reviewAction(key: string): ReviewAction | null {
  switch (key) {
    case "j":
    case "ArrowDown":
    case "ArrowRight":
      return { kind: "move", step: 1 };
    case "k":
    case "ArrowUp":
    case "ArrowLeft":
      return { kind: "move", step: -1 };
    case "c":
      return { kind: "status", status: "confirmed" };
    case "f":
      return { kind: "status", status: "fixed" };
    case "d":
      return { kind: "status", status: "dismissed" };
    case "o":
      return { kind: "status", status: "open" };
    case "n":
      return { kind: "note" };
    case "Escape":
      return { kind: "close" };
    default:
      return null;
  }
}

/** The keys, as the dialog's legend lists them. */
export const REVIEW_KEY_LEGEND: ReadonlyArray<[string, string]> = [
  ["j / → / ↓", "next element"],
  ["k / ← / ↑", "previous element"],
  ["c", "confirm (the failure is real)"],
  ["f", "fixed (its label was corrected)"],
  ["d", "dismiss (not a failure)"],
  ["o", "reopen"],
  ["n", "write a note (Enter saves, Esc leaves the note)"],
  ["Esc", "close"],
];

/** The position a step lands on among `count` elements: it stops at either end (null: none). */
export function stepIndex(index: number, step: 1 | -1, count: number): number | null {
  if (count === 0) return null;
  return Math.min(count - 1, Math.max(0, index + step));
}

// ------------------------------------------------------------------ export, import, compare
/** The export's file name: `<issue>-elements.csv`, `.json`, or `-coco.json`. */
export function exportFileName(issue: string, format: ExportFormat): string {
  const safe = issue.replace(/[^A-Za-z0-9._-]+/g, "_") || "issue";
  return format === "coco" ? `${safe}-coco.json` : `${safe}-elements.${format}`;
}

export const EXPORT_TYPES: Record<ExportFormat, string> = { csv: "text/csv", json: "application/json", coco: "application/json" };

/** Whether a change (the server's delta, after − before) is better, worse, or none at the digits shown; null: not measured. */
export type Verdict = "better" | "worse" | "same";
export function verdictOf(delta: number | null | undefined, digits = 3): Verdict | null {
  if (delta === null || delta === undefined || !Number.isFinite(delta)) return null;
  const shown = Number(delta.toFixed(digits));
  return shown > 0 ? "better" : shown < 0 ? "worse" : "same";
}

/** The issue's before / after comparison, and one inference set's scores before and after with their deltas. */
export type BeforeAfter = BeforeAfterOut;
export type ScoresBeforeAfter = BeforeAfterPairOut;

/** The scores the comparison shows, in order, each defined. */
export const BEFORE_AFTER_SCORES: ReadonlyArray<{ key: "mean_ap" | "precision" | "recall" | "f1_score"; title: string; definition: string }> = [
  { key: "mean_ap", title: "mAP", definition: "mean over classes of the average precision at the IoU threshold" },
  { key: "precision", title: "Precision", definition: "TP / (TP + FP) at the confidence and IoU thresholds" },
  { key: "recall", title: "Recall", definition: "TP / (TP + FN) at the confidence and IoU thresholds" },
  { key: "f1_score", title: "F1", definition: "the harmonic mean of precision and recall" },
];

// ------------------------------------------------------------------ similar elements
/** What the similar search looks for: frames (frame embeddings) or label crops (crop embeddings). */
export type SimilarKind = "frame" | "crop";

/**
 * A dataset's element as the similar search names it: a plain id (a frame id, or a label
 * id for crops) for the dataset's own vectors, `prediction/<set>/<id>` for a prediction
 * crop and `frame/<set>/<frame id>` for a frame vector an inference set uploaded (set
 * names never hold "/").
 */
export function similarKey(e: ElementIdentity): string {
  if (e.element_kind === "prediction") return `prediction/${e.inference_set ?? ""}/${e.element_id ?? ""}`;
  if (e.element_kind === "label") return e.element_id ?? "";
  return e.inference_set ? `frame/${e.inference_set}/${e.frame_id}` : e.frame_id;
}

/**
 * The similar search's seeds for an issue's elements of one dataset: a frame search starts
 * from the frames of every element (a crop's too), a crop search from the label and
 * prediction crops. The seeds never come back, so the issue's own frames (or crops) are
 * left out of the answer.
 */
export function similarSeeds(elements: readonly ElementIdentity[], dataset: string, kind: SimilarKind): string[] {
  const ids = elements
    .filter((e) => e.dataset === dataset && (kind === "frame" || (e.element_kind !== "frame" && e.element_id !== null)))
    .map((e) => (kind === "frame" ? e.frame_id : similarKey(e)));
  return [...new Set(ids)];
}

/** A similar search's result as an issue element (a crop's frame must be known: null when it is not). */
export function similarElement(dataset: string, kind: SimilarKind, id: string, frameId: string | null): ElementIdentity | null {
  const keyed = /^(prediction|frame)\/([^/]*)\/(.*)$/s.exec(id);
  if (kind === "frame") {
    // An inference set's frame vector, or the dataset's own.
    if (keyed?.[1] === "frame") return { dataset, frame_id: keyed[3]!, element_kind: "frame", element_id: null, inference_set: keyed[2]! };
    return { dataset, frame_id: frameId ?? id, element_kind: "frame", element_id: null, inference_set: null };
  }
  if (frameId === null) return null;
  if (keyed?.[1] === "prediction") return { dataset, frame_id: frameId, element_kind: "prediction", element_id: keyed[3]!, inference_set: keyed[2]! };
  return { dataset, frame_id: frameId, element_kind: "label", element_id: id, inference_set: null };
}
