import { useMemo, useState } from "react";
import type { ClassificationReportDict } from "../api/types";
import { formatCount, formatScore } from "../lib/format";
import { averageRows, classRows, nextSort, sortRows, type ReportColumn, type SortState } from "../lib/report";

export interface ReportTableProps {
  /** `ClassificationReport.to_dict()`. */
  report: ClassificationReportDict;
  /** The selected class (its row is marked); the parent filters the matrix with it. */
  selectedLabel?: string | null;
  /** Called with a class when its row is chosen, and null when the selected row is chosen again. */
  onSelectLabel?: (label: string | null) => void;
  /** Decimals for ratios (default 3). */
  digits?: number;
  initialSort?: SortState | null;
  caption?: string;
}

const COLUMNS: ReadonlyArray<{ key: ReportColumn; title: string; numeric: boolean }> = [
  { key: "label", title: "Class", numeric: false },
  { key: "precision", title: "Precision", numeric: true },
  { key: "recall", title: "Recall", numeric: true },
  { key: "f1-score", title: "F1", numeric: true },
  { key: "support", title: "Support", numeric: true },
  { key: "tp", title: "TP", numeric: true },
  { key: "fp", title: "FP", numeric: true },
  { key: "fn", title: "FN", numeric: true },
  { key: "ap", title: "AP", numeric: true },
];

/** The classification report: per-class rows (sortable, selectable) and the average rows. */
export function ReportTable({ report, selectedLabel = null, onSelectLabel, digits = 3, initialSort = null, caption }: ReportTableProps) {
  const [sort, setSort] = useState<SortState | null>(initialSort);
  const rows = useMemo(() => classRows(report), [report]);
  const sorted = useMemo(() => sortRows(rows, sort), [rows, sort]);
  const hasAp = rows.some((r) => r.ap !== undefined);
  const columns = COLUMNS.filter((c) => c.key !== "ap" || hasAp);
  const averages = averageRows(report);

  return (
    <table className="report-table">
      <caption>{caption ?? "Classification report"}</caption>
      <thead>
        <tr>
          {columns.map((c) => {
            const direction = sort?.column === c.key ? sort.direction : undefined;
            return (
              <th key={c.key} scope="col" aria-sort={direction ?? "none"} className={c.numeric ? "num" : undefined}>
                <button type="button" onClick={() => setSort(nextSort(sort, c.key))}>
                  {c.title}
                  <span aria-hidden="true">{direction === "ascending" ? " ▲" : direction === "descending" ? " ▼" : ""}</span>
                </button>
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {sorted.map((r) => {
          const selected = r.label === selectedLabel;
          return (
            <tr key={r.label} className={selected ? "selected" : undefined}>
              <th scope="row">
                <button type="button" aria-pressed={selected} onClick={() => onSelectLabel?.(selected ? null : r.label)}>
                  {r.label}
                </button>
              </th>
              <td className="num">{formatScore(r.precision, digits)}</td>
              <td className="num">{formatScore(r.recall, digits)}</td>
              <td className="num">{formatScore(r["f1-score"], digits)}</td>
              <td className="num">{formatCount(r.support)}</td>
              <td className="num">{formatCount(r.tp)}</td>
              <td className="num">{formatCount(r.fp)}</td>
              <td className="num">{formatCount(r.fn)}</td>
              {hasAp && <td className="num">{formatScore(r.ap, digits)}</td>}
            </tr>
          );
        })}
      </tbody>
      <tfoot>
        {report.accuracy !== undefined && (
          <tr>
            <th scope="row">accuracy</th>
            <td className="num" colSpan={3}>{formatScore(report.accuracy, digits)}</td>
            <td className="num">{formatCount(averages[0]?.support ?? 0)}</td>
            <td colSpan={columns.length - 5} />
          </tr>
        )}
        {averages.map((a) => (
          <tr key={a.name}>
            <th scope="row">{a.name}</th>
            <td className="num">{formatScore(a.precision, digits)}</td>
            <td className="num">{formatScore(a.recall, digits)}</td>
            <td className="num">{formatScore(a["f1-score"], digits)}</td>
            <td className="num">{formatCount(a.support)}</td>
            <td colSpan={columns.length - 5} />
          </tr>
        ))}
      </tfoot>
    </table>
  );
}
