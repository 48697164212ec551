/** Reading `ClassificationReport.to_dict()` into rows, and comparing them for sorting. Pure. */
import type { AverageName, AverageRow, ClassificationReportDict, ClassRow } from "../api/types";
import { AVERAGE_NAMES } from "../api/types";

const NOT_CLASSES = new Set<string>(["conf", "iou", "accuracy", ...AVERAGE_NAMES]);

export interface ReportRow extends ClassRow {
  label: string;
}

/** The per-class rows in the report's order. */
export function classRows(report: ClassificationReportDict): ReportRow[] {
  return Object.keys(report)
    .filter((k) => !NOT_CLASSES.has(k))
    .map((label) => ({ label, ...(report[label] as ClassRow) }));
}

export function averageRows(report: ClassificationReportDict): Array<{ name: AverageName } & AverageRow> {
  return AVERAGE_NAMES.filter((n) => report[n] !== undefined).map((name) => ({ name, ...report[name] }));
}

export type ReportColumn = "label" | "precision" | "recall" | "f1-score" | "support" | "tp" | "fp" | "fn" | "ap";
export type SortDirection = "ascending" | "descending";
export interface SortState {
  column: ReportColumn;
  direction: SortDirection;
}

/**
 * Compares two rows on a column in ascending order, for a table whose sorting reverses the
 * result when descending (TanStack Table's `sortingFn`): labels as text, numbers by value.
 * A missing value (an absent AP, or Python's -1) lands last in either direction, so it is
 * compared with `descending` in mind. Ties are 0: the table keeps the report's order.
 */
export function compareRows(a: ReportRow, b: ReportRow, column: ReportColumn, descending: boolean): number {
  if (column === "label") return a.label.localeCompare(b.label);
  const va = a[column];
  const vb = b[column];
  if (va === undefined || va < 0 || vb === undefined || vb < 0) {
    const ma = va === undefined || va < 0;
    const mb = vb === undefined || vb < 0;
    return ma === mb ? 0 : (ma ? 1 : -1) * (descending ? -1 : 1);
  }
  return va - vb;
}
