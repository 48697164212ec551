/** Reading `ClassificationReport.to_dict()` (classes as records) into rows, and comparing them for sorting. Pure. */
import type { AverageName, AverageRow, ClassificationReportDict, ClassRow } from "../api/types";
import { AVERAGE_NAMES } from "../api/types";

/** A class's row: its label with its counts and ratios (`ap` null or -1: none). */
export type ReportRow = ClassRow;

/** The per-class rows in the report's order. */
export function classRows(report: ClassificationReportDict): ReportRow[] {
  return report.classes;
}

/** The averages the report has, micro, macro, weighted. */
export function averageRows(report: ClassificationReportDict): Array<{ name: AverageName } & AverageRow> {
  return AVERAGE_NAMES.flatMap((name) => {
    const row = report.averages[name];
    return row ? [{ name, ...row }] : [];
  });
}

export type ReportColumn = "label" | "precision" | "recall" | "f1-score" | "support" | "tp" | "fp" | "fn" | "ap";

/** The report's columns in the order tables show them; `ratio`: a score in [0, 1] (else a count). */
export const REPORT_COLUMNS: ReadonlyArray<{ key: ReportColumn; title: string; ratio: boolean }> = [
  { key: "label", title: "Class", ratio: false },
  { key: "precision", title: "Precision", ratio: true },
  { key: "recall", title: "Recall", ratio: true },
  { key: "f1-score", title: "F1", ratio: true },
  { key: "support", title: "Support", ratio: false },
  { key: "tp", title: "TP", ratio: false },
  { key: "fp", title: "FP", ratio: false },
  { key: "fn", title: "FN", ratio: false },
  { key: "ap", title: "AP", ratio: true },
];
/**
 * What a report column means, for its header's tooltip: every metric shown carries its
 * definition. `iou` is the report's IoU (detection), null for classification.
 */
export function columnDefinition(key: ReportColumn, iou: number | null): string {
  const matched = iou === null ? "" : ` (a prediction counts when its IoU with a ground truth of its class is >= ${iou})`;
  switch (key) {
    case "label":
      return "The class";
    case "precision":
      return `Precision: TP / (TP + FP) of the predictions kept at the confidence threshold${matched}`;
    case "recall":
      return `Recall: TP / (TP + FN) of the ground truth, at the confidence threshold${matched}`;
    case "f1-score":
      return "F1: the harmonic mean of precision and recall, 2PR / (P + R)";
    case "support":
      return "Support: the number of ground truth objects of the class";
    case "tp":
      return "True positives: predictions matched to a ground truth of their class";
    case "fp":
      return "False positives: predictions not matched to a ground truth of their class";
    case "fn":
      return "False negatives: ground truth not matched by a prediction of its class";
    case "ap":
      return iou === null
        ? "AP: average precision of the class's one-vs-rest PR curve over every score (scikit-learn's average_precision_score)"
        : `AP@${iou}: average precision of the class's PR curve at IoU ${iou} over every confidence (not COCO's AP@[.5:.95] in the sidebar)`;
  }
}

export type SortDirection = "ascending" | "descending";
export interface SortState {
  column: ReportColumn;
  direction: SortDirection;
}

/**
 * Compares two rows on a column in ascending order, for a table whose sorting reverses the
 * result when descending (TanStack Table's `sortingFn`): labels as text, numbers by value.
 * A missing value (no AP, or Python's -1) lands last in either direction, so it is
 * compared with `descending` in mind. Ties are 0: the table keeps the report's order.
 */
export function compareRows(a: ReportRow, b: ReportRow, column: ReportColumn, descending: boolean): number {
  if (column === "label") return a.label.localeCompare(b.label);
  const va = a[column];
  const vb = b[column];
  const ma = va === null || va < 0;
  const mb = vb === null || vb < 0;
  if (ma || mb) return ma === mb ? 0 : (ma ? 1 : -1) * (descending ? -1 : 1);
  return va - vb;
}
