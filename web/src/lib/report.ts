/** Reading `ClassificationReport.to_dict()` into rows, and sorting them. Pure. */
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

/** Rows sorted by a column (stable; labels compare as text; a missing AP sorts last). */
export function sortRows(rows: readonly ReportRow[], sort: SortState | null): ReportRow[] {
  const out = [...rows];
  if (sort === null) return out;
  const sign = sort.direction === "ascending" ? 1 : -1;
  const { column } = sort;
  return out
    .map((row, index) => ({ row, index }))
    .sort((a, b) => {
      if (column === "label") return sign * a.row.label.localeCompare(b.row.label) || a.index - b.index;
      const va = a.row[column];
      const vb = b.row[column];
      const ma = va === undefined || va < 0;
      const mb = vb === undefined || vb < 0;
      if (ma || mb) return ma === mb ? a.index - b.index : ma ? 1 : -1;
      return sign * (va - vb) || a.index - b.index;
    })
    .map(({ row }) => row);
}

/** Next sort on clicking a column header: descending first for numbers, ascending for names; a third click clears. */
export function nextSort(current: SortState | null, column: ReportColumn): SortState | null {
  const first: SortDirection = column === "label" ? "ascending" : "descending";
  if (current === null || current.column !== column) return { column, direction: first };
  if (current.direction === first) return { column, direction: first === "ascending" ? "descending" : "ascending" };
  return null;
}
