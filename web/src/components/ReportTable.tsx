import { memo, useMemo, useState, type CSSProperties } from "react";
import {
  flexRender, getCoreRowModel, getSortedRowModel, useReactTable,
  type ColumnDef, type RowSelectionState, type SortingState,
} from "@tanstack/react-table";
import type { ClassificationReportDict } from "../api/types";
import { formatCount, formatScore } from "../lib/format";
import { averageRows, classRows, columnDefinition, compareRows, REPORT_COLUMNS, type ReportRow, type SortState } from "../lib/report";

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
  /**
   * Many classes: the table scrolls in a box about this many rows high and renders only
   * the rows in view (and a margin), so that a threshold move updates a few dozen rows,
   * not hundreds. Rows carry `aria-rowindex`, the table `aria-rowcount`.
   */
  windowRows?: number;
}

/** A body row's height in windowed mode (CSS `.report-window tbody tr`). */
export const WINDOW_ROW_HEIGHT = 22;
/** Rows rendered beyond the visible ones on each side, so fast scrolling shows no gap. */
const WINDOW_MARGIN = 10;

const toSorting = (s: SortState | null): SortingState => (s ? [{ id: s.column, desc: s.direction === "descending" }] : []);

/**
 * Column definitions for TanStack Table. They read the current sort direction because a
 * missing AP stays last whichever way the column sorts (`compareRows`).
 */
function columnsFor(descending: boolean, digits: number, iou: number | null): ColumnDef<ReportRow>[] {
  return REPORT_COLUMNS.map(({ key, title, ratio }) => ({
    id: key,
    accessorFn: (r: ReportRow) => (key === "label" ? r.label : r[key]),
    header: () => <abbr title={columnDefinition(key, iou)}>{title}</abbr>,
    // Names sort A-Z first, numbers largest first; a third click turns sorting off.
    sortDescFirst: key !== "label",
    sortingFn: (a, b) => compareRows(a.original, b.original, key, descending),
    cell: ({ row }) => {
      const r = row.original;
      if (key === "label") return r.label;
      return ratio ? formatScore(r[key], digits) : formatCount(r[key] ?? 0);
    },
  }));
}

/** The classification report: per-class rows (sortable, selectable) and the average rows. */
function ReportTableView({ report, selectedLabel = null, onSelectLabel, digits = 3, initialSort = null, caption, windowRows }: ReportTableProps) {
  const [scrollTop, setScrollTop] = useState(0);
  const [sorting, setSorting] = useState<SortingState>(() => toSorting(initialSort));
  const rows = useMemo(() => classRows(report), [report]);
  const hasAp = rows.some((r) => r.ap !== null);
  const descending = sorting[0]?.desc ?? false;
  const iou = typeof report.iou === "number" ? report.iou : null;
  const columns = useMemo(() => columnsFor(descending, digits, iou), [descending, digits, iou]);
  const rowSelection: RowSelectionState = selectedLabel === null ? {} : { [selectedLabel]: true };

  const table = useReactTable({
    data: rows,
    columns,
    state: { sorting, rowSelection, columnVisibility: { ap: hasAp } },
    onSortingChange: setSorting,
    getRowId: (r) => r.label,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    enableMultiSort: false,
    enableMultiRowSelection: false,
  });
  const columnCount = table.getVisibleLeafColumns().length;
  const averages = averageRows(report);
  const bodyRows = table.getRowModel().rows;
  // The box stays whenever windowRows is given (a filter that shortens the report must not
  // remount the table); short reports simply render every row.
  const windowed = windowRows !== undefined;
  const first = windowed ? Math.max(0, Math.floor(scrollTop / WINDOW_ROW_HEIGHT) - WINDOW_MARGIN) : 0;
  const last = windowed ? Math.min(bodyRows.length, first + (windowRows ?? 0) + 2 * WINDOW_MARGIN) : bodyRows.length;
  const spacer = (rows: number): CSSProperties => ({ height: rows * WINDOW_ROW_HEIGHT });

  const tableElement = (
    <table className="report-table" aria-rowcount={bodyRows.length + 1 + (report.accuracy !== null ? 1 : 0) + averages.length}>
      <caption>{caption ?? "Classification report"}</caption>
      <thead>
        {table.getHeaderGroups().map((group) => (
          <tr key={group.id}>
            {group.headers.map((header) => {
              const direction = header.column.getIsSorted();
              return (
                <th key={header.id} scope="col" className={header.column.id === "label" ? undefined : "num"}
                  aria-sort={direction === "asc" ? "ascending" : direction === "desc" ? "descending" : "none"}>
                  <button type="button" onClick={header.column.getToggleSortingHandler()}>
                    {flexRender(header.column.columnDef.header, header.getContext())}
                    <span aria-hidden="true">{direction === "asc" ? " ▲" : direction === "desc" ? " ▼" : ""}</span>
                  </button>
                </th>
              );
            })}
          </tr>
        ))}
      </thead>
      <tbody>
        {first > 0 && <tr className="spacer" aria-hidden="true" style={spacer(first)}><td colSpan={columnCount} /></tr>}
        {bodyRows.slice(first, last).map((row, k) => {
          const selected = row.getIsSelected();
          return (
            <tr key={row.id} className={selected ? "selected" : undefined} aria-rowindex={first + k + 2}>
              {row.getVisibleCells().map((cell) =>
                cell.column.id === "label" ? (
                  <th key={cell.id} scope="row">
                    <button type="button" aria-pressed={selected} onClick={() => onSelectLabel?.(selected ? null : row.id)}>
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </button>
                  </th>
                ) : (
                  <td key={cell.id} className="num">{flexRender(cell.column.columnDef.cell, cell.getContext())}</td>
                ),
              )}
            </tr>
          );
        })}
        {last < bodyRows.length && (
          <tr className="spacer" aria-hidden="true" style={spacer(bodyRows.length - last)}><td colSpan={columnCount} /></tr>
        )}
      </tbody>
      <tfoot>
        {report.accuracy !== null && (
          <tr>
            <th scope="row">accuracy</th>
            <td className="num" colSpan={3}>{formatScore(report.accuracy, digits)}</td>
            <td className="num">{formatCount(averages[0]?.support ?? 0)}</td>
            <td colSpan={columnCount - 5} />
          </tr>
        )}
        {averages.map((a) => (
          <tr key={a.name}>
            <th scope="row">{a.name}</th>
            <td className="num">{formatScore(a.precision, digits)}</td>
            <td className="num">{formatScore(a.recall, digits)}</td>
            <td className="num">{formatScore(a["f1-score"], digits)}</td>
            <td className="num">{formatCount(a.support)}</td>
            <td colSpan={columnCount - 5} />
          </tr>
        ))}
      </tfoot>
    </table>
  );
  if (!windowed) return tableElement;
  return (
    <div className="report-window" style={{ maxHeight: ((windowRows ?? 0) + 3) * WINDOW_ROW_HEIGHT }}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
      {tableElement}
    </div>
  );
}

/** Memoized: a parent re-rendering with the same props (a threshold move before its numbers arrive) skips it. */
export const ReportTable = memo(ReportTableView);
