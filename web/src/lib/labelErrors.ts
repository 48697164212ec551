/**
 * The label-error queue's words and keys (docs/insights.md#label-errors): what each kind
 * of candidate is, how its score is defined, and which key does what while reviewing.
 * Pure; the numbers are the server's.
 */

export type LabelErrorKind = "missing" | "spurious" | "wrong_class" | "loose_box";
export type ReviewStatus = "open" | "confirmed" | "dismissed";

/** Each kind: its name, what the candidate suggests, and its score's definition. */
export const LABEL_ERROR_KINDS: ReadonlyArray<{ value: LabelErrorKind; title: string; suggests: string; score: string }> = [
  {
    value: "missing",
    title: "Missing label",
    suggests: "a confident prediction overlaps no label of any class: the object may lack a label",
    score: "the prediction's confidence × (1 − its largest IoU with any label)",
  },
  {
    value: "spurious",
    title: "Spurious label",
    suggests: "no prediction explains this label while the model finds its class elsewhere: the label may be wrong",
    score: "R_class × R_image × (1 − w): the recall of its class on its other labels, the recall on the other labels of its frame, w the highest confidence of a prediction of its class on it (IoU ≥ the foreground IoU) below the evidence confidence",
  },
  {
    value: "wrong_class",
    title: "Wrong class",
    suggests: "a confident prediction of another class covers this label at IoU ≥ the foreground IoU: its class may be wrong",
    score: "the partner prediction's confidence",
  },
  {
    value: "loose_box",
    title: "Loose box",
    suggests: "a confident prediction of its class overlaps this label only between the background and foreground IoU: its box may be loose",
    score: "the partner prediction's confidence",
  },
];

export function kindInfo(kind: LabelErrorKind) {
  return LABEL_ERROR_KINDS.find((k) => k.value === kind)!;
}

/** Classification's scores (confident learning; `method=`), each defined. */
export type ClassificationMethod = "self_confidence" | "normalized_margin";
export const CLASSIFICATION_METHODS: ReadonlyArray<{ value: ClassificationMethod; title: string; score: string }> = [
  { value: "self_confidence", title: "Self-confidence", score: "1 − p(given class): one minus the probability the model gives the frame's label" },
  { value: "normalized_margin", title: "Normalized margin", score: "1 − (p(given class) − the largest other p + 1) / 2" },
];

/** What a classification candidate suggests. */
export const CLASSIFICATION_SUGGESTS =
  "the model is confident in another class (at or above that class's threshold, its mean probability on the frames labelled with it): the label may be wrong";

export const REVIEW_FILTERS: ReadonlyArray<{ value: ReviewStatus | "all"; title: string }> = [
  { value: "all", title: "All" },
  { value: "open", title: "To review" },
  { value: "confirmed", title: "Confirmed" },
  { value: "dismissed", title: "Dismissed" },
];

/** What a key does in the queue (null: nothing, the key is left to the page). */
export type ReviewKeyAction = "next" | "previous" | "confirm" | "dismiss" | "issue" | "open" | "clear";

export function reviewKeyAction(key: string): ReviewKeyAction | null {
  switch (key) {
    case "j":
    case "ArrowDown":
      return "next";
    case "k":
    case "ArrowUp":
      return "previous";
    case "c":
      return "confirm";
    case "d":
      return "dismiss";
    case "i":
      return "issue";
    case "Enter":
    case "o":
      return "open";
    case "Escape":
      return "clear";
    default:
      return null;
  }
}

/** The keys, as the view lists them. */
export const REVIEW_KEYS: ReadonlyArray<[string, string]> = [
  ["j / ↓", "next"],
  ["k / ↑", "previous"],
  ["c", "confirm as a label error"],
  ["d", "dismiss (the label is right)"],
  ["i", "add to the chosen issue"],
  ["Enter / o", "open the frame"],
  ["Esc", "leave the candidate"],
];

/**
 * Where a move from `index` (null: none selected) lands on a page of `count` candidates,
 * and whether it crosses to the next or previous page: past the last candidate is the
 * next page's first, before the first the previous page's last.
 */
export function moveSelection(
  index: number | null, step: 1 | -1, count: number, page: number, pages: number,
): { index: number; page: number } | null {
  if (count === 0) return null;
  if (index === null) return { index: step === 1 ? 0 : count - 1, page };
  const next = index + step;
  if (next >= 0 && next < count) return { index: next, page };
  if (step === 1 && page < pages - 1) return { index: 0, page: page + 1 };
  if (step === -1 && page > 0) return { index: -1, page: page - 1 };
  return { index, page };
}

/** The review a key or button sends: confirm / dismiss toggle back to open when already so. */
export function nextStatus(current: ReviewStatus, action: "confirm" | "dismiss"): ReviewStatus {
  const wanted: ReviewStatus = action === "confirm" ? "confirmed" : "dismissed";
  return current === wanted ? "open" : wanted;
}

/** The status a candidate added to an issue keeps: an open one is confirmed (an issue tracks a label error). */
export function statusWithIssue(current: ReviewStatus): ReviewStatus {
  return current === "open" ? "confirmed" : current;
}

/** The export's file name: `<inference set>-label-errors.json` (COCO patch) or `.csv`. */
export function exportFileName(inferenceSet: string, format: "coco" | "csv"): string {
  const safe = inferenceSet.replace(/[^A-Za-z0-9._-]+/g, "_");
  return `${safe}-label-errors${format === "coco" ? ".json" : ".csv"}`;
}
