import { memo, useCallback, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import {
  flexRender, getCoreRowModel, useReactTable, type PaginationState,
  type ColumnDef, type SortingState,
} from "@tanstack/react-table";
import type { ComparisonCellDict, ConfusionMatrixDict } from "../api/types";
import { BACKGROUND } from "../api/types";
import { useColorScheme } from "../hooks/useColorScheme";
import { deltaColor, shareColor, textColorOn, type Scheme } from "../lib/color";
import { formatPercent } from "../lib/format";
import { formatDelta } from "../lib/controls";
import {
  assertCellGrid, assertSameShape, cellHoverText, HIGHLIGHT_DEFINITIONS, highlightedCells, highlightedTotal, involves,
  isHighlighted, maxChange, normalize, rankedChanges, rankedEntries, type MatrixEntry, type MatrixHighlight,
  type Normalization,
} from "../lib/matrix";
import { MatrixHoverCard, type HoverTarget } from "./MatrixHoverCard";
import { ToggleGroup } from "./ToggleGroup";

/**
 * The server's comparison of two inference sets: the matrix's labels and every cell as
 * `/compare` answers them (`cells`, row-major: truth, then prediction), each with both
 * counts, the delta, whether it is better and its hover text.
 */
export interface MatrixComparison {
  labels: string[];
  cells: ComparisonCellDict[];
}

type Source =
  | { /** One inference set's matrix. */ matrix: ConfusionMatrixDict; comparison?: undefined }
  | { /** Delta mode: other - base, colored better (blue) / worse (red). */ comparison: MatrixComparison; matrix?: undefined };

export type ConfusionMatrixProps = Source & {
  /** Called with a cell's ground truth and prediction when it is clicked (or Enter/Space). */
  onSelectCell?: (truth: string, predicted: string) => void;
  /** The selected cell, outlined. */
  selectedCell?: readonly [string, string] | null;
  /** Called with the highlighted cells whenever FN / FP / Confused As / Confused From changes. */
  onHighlight?: (cells: Array<[string, string]>, highlight: MatrixHighlight) => void;
  /** Above this many classes (background excluded) the matrix is a filterable table. Default 25. */
  maxGridClasses?: number;
  /** Table form: the class filter (rows where truth or prediction is it). Controlled when given. */
  filterLabel?: string | null;
  onFilterLabelChange?: (label: string | null) => void;
  initialDisplay?: Display;
  initialNormalization?: Normalization;
  /** Absolute / Percentage, controlled when given (e.g. kept in the URL). */
  display?: Display;
  onDisplayChange?: (display: Display) => void;
  /** Row / Column / Value, controlled when given. */
  normalization?: Normalization;
  onNormalizationChange?: (normalization: Normalization) => void;
  /** The FN / FP / Confused button pressed, controlled when given. */
  highlight?: MatrixHighlight;
  /** Accessible caption. */
  caption?: string;
};

export type Display = "absolute" | "percentage";

const DISPLAY_OPTIONS = [
  { value: "absolute", label: "Absolute" },
  { value: "percentage", label: "Percentage" },
] as const;
const NORMALIZATION_OPTIONS = [
  { value: "row", label: "Row" },
  { value: "column", label: "Column" },
  { value: "value", label: "Value" },
] as const;

interface CellView {
  text: string;
  /** Background x background: why the cell holds no number (drawn hatched, never selected). */
  notApplicable?: string;
  /** The hover card's share line, e.g. "12 of 40 (30.0%)" (delta mode: the server's text). */
  title: string;
  background: string;
  count?: number;
  denominator?: number;
  delta?: ComparisonCellDict;
}

/** What a cell's share is taken of, in the hover card. */
/**
 * Why background x background holds nothing: it would be every place where there is
 * neither a ground-truth object nor a prediction, and such places are not counted (there
 * is no object to count, so the engine's matrix keeps 0 there).
 */
export const NOT_APPLICABLE_REASON =
  "Not applicable: background predicted as background would be every place with neither an object nor a prediction, which is never counted.";

/** Whether cell (i, j) is background x background (the last row and column when they are the background). */
function isBackgroundCorner(labels: readonly string[], i: number, j: number): boolean {
  return i === j && i === labels.length - 1 && labels[i] === BACKGROUND;
}
const NOT_APPLICABLE_CELL: CellView = { text: "", title: "not applicable", background: "", notApplicable: NOT_APPLICABLE_REASON };

const DENOMINATOR_NAMES: Record<Normalization, string> = {
  row: "its row's total (every ground truth of the class)",
  column: "its column's total (every prediction of the class)",
  value: "the whole matrix's total",
};

/**
 * The confusion matrix: rows ground truth, columns predictions, background last.
 * With `comparison`, each cell shows the server's delta (other - base), color and hover text.
 */
function ConfusionMatrixView(props: ConfusionMatrixProps) {
  const { onSelectCell, selectedCell = null, onHighlight, maxGridClasses = 25, caption } = props;
  const labels = props.matrix ? props.matrix.labels : props.comparison.labels;
  const counts = props.matrix?.matrix ?? null;
  const cells = props.comparison?.cells ?? null;
  const isDelta = cells !== null;
  const classes = useMemo(() => labels.filter((l) => l !== BACKGROUND), [labels]);
  // The same elements each render: React skips the three class lists when new counts arrive.
  const classOptions = useMemo(() => classes.map((c) => <option key={c} value={c}>{c}</option>), [classes]);

  const [ownDisplay, setOwnDisplay] = useState<Display>(props.initialDisplay ?? "absolute");
  const display = props.display ?? ownDisplay;
  const setDisplay = (d: Display) => {
    setOwnDisplay(d);
    props.onDisplayChange?.(d);
  };
  const [ownNormalization, setOwnNormalization] = useState<Normalization>(props.initialNormalization ?? "row");
  const normalization = props.normalization ?? ownNormalization;
  const setNormalization = (n: Normalization) => {
    setOwnNormalization(n);
    props.onNormalizationChange?.(n);
  };
  const [ownHighlight, setHighlightState] = useState<MatrixHighlight>({ kind: "none" });
  const highlight = props.highlight ?? ownHighlight;
  const [confusedAsChoice, setConfusedAsLabel] = useState(classes[0] ?? "");
  const [confusedFromChoice, setConfusedFromLabel] = useState(classes[0] ?? "");
  // A pressed button shows its own class (e.g. restored from a link).
  const confusedAsLabel = highlight.kind === "confusedAs" ? highlight.label : confusedAsChoice;
  const confusedFromLabel = highlight.kind === "confusedFrom" ? highlight.label : confusedFromChoice;
  const [ownFilter, setOwnFilter] = useState<string | null>(null);
  const filterLabel = props.filterLabel !== undefined ? props.filterLabel : ownFilter;
  const setFilter = (label: string | null) => {
    if (props.filterLabel === undefined) setOwnFilter(label);
    props.onFilterLabelChange?.(label);
  };

  const setHighlight = (h: MatrixHighlight) => {
    setHighlightState(h);
    onHighlight?.(highlightedCells(labels, h), h);
  };
  const toggleHighlight = (h: MatrixHighlight) => {
    const same =
      h.kind === highlight.kind && (!("label" in h) || ("label" in highlight && highlight.label === h.label));
    setHighlight(same ? { kind: "none" } : h);
  };
  const highlightCount = counts !== null && highlight.kind !== "none" ? highlightedTotal(labels, counts, highlight) : null;
  const hover = useRef<(target: HoverTarget | null) => void>(() => {});
  const registerHover = useCallback((set: (target: HoverTarget | null) => void) => {
    hover.current = set;
  }, []);

  // The scale follows the theme: on dark, nothing is dark and the largest cell the brightest.
  const scheme = useColorScheme();
  // One cell's text, hover and color, made on demand: the table form draws only a page
  // of a many-class matrix's thousands of cells.
  const cellAt = useMemo((): CellAt => {
    if (cells !== null) {
      // The server's cells as they are: its counts, delta, verdict and hover text.
      assertCellGrid(labels, cells);
      const maxAbs = maxChange(cells);
      const n = labels.length;
      return (i, j) => {
        if (isBackgroundCorner(labels, i, j)) return NOT_APPLICABLE_CELL;
        const d = cells[i * n + j]!;
        return { text: formatDelta(d.delta, false), title: d.text, background: deltaColor(d.delta, d.improved, maxAbs, scheme), delta: d };
      };
    }
    if (counts === null) throw new Error("ConfusionMatrix needs a matrix or a comparison");
    assertSameShape(labels, counts);
    const { share, denominator } = normalize(counts, normalization);
    const scaleMax = largestShare(share);
    return (i, j) => {
      if (isBackgroundCorner(labels, i, j)) return NOT_APPLICABLE_CELL;
      const count = counts[i]![j]!;
      const s = share[i]![j]!;
      return {
        text: display === "absolute" ? String(count) : formatPercent(s),
        title: cellHoverText(count, denominator[i]![j]!),
        // The scale runs to the largest cell shown, so Column and Value shares stay visible.
        background: shareColor(scaleMax > 0 ? s / scaleMax : 0, scheme),
        count,
        denominator: denominator[i]![j]!,
      };
    };
  }, [cells, labels, counts, normalization, display, scheme]);
  const legend = useMemo(() => {
    if (cells !== null) return { kind: "delta" as const, max: maxChange(cells) };
    if (counts === null) return null;
    const { share } = normalize(counts, normalization);
    return { kind: "share" as const, max: largestShare(share) };
  }, [cells, counts, normalization]);
  const hoverText = (i: number, j: number): HoverTarget => {
    const cell = cellAt(i, j);
    return {
      truth: labels[i]!, predicted: labels[j]!, count: cell.count, denominator: cell.denominator,
      share: cell.title, shareOf: DENOMINATOR_NAMES[normalization], delta: cell.delta,
      notApplicable: cell.notApplicable,
    };
  };

  const useTable = classes.length > maxGridClasses;
  const isSelected = (i: number, j: number) =>
    selectedCell !== null && selectedCell[0] === labels[i] && selectedCell[1] === labels[j];

  return (
    <section className="confusion-matrix" aria-label={caption ?? "Confusion matrix"}>
      <div className="matrix-toolbar">
        <div role="group" aria-label="Highlight" className="toggle-group">
          <button type="button" aria-pressed={highlight.kind === "fn"} onClick={() => toggleHighlight({ kind: "fn" })}
            title={HIGHLIGHT_DEFINITIONS.fn}>
            FN
          </button>
          <button type="button" aria-pressed={highlight.kind === "fp"} onClick={() => toggleHighlight({ kind: "fp" })}
            title={HIGHLIGHT_DEFINITIONS.fp}>
            FP
          </button>
          <button type="button" aria-pressed={highlight.kind === "confusedAs"}
            onClick={() => toggleHighlight({ kind: "confusedAs", label: confusedAsLabel })}
            title={HIGHLIGHT_DEFINITIONS.confusedAs}>
            Confused As
          </button>
          <select aria-label="Confused As class" value={confusedAsLabel}
            onChange={(e) => {
              setConfusedAsLabel(e.target.value);
              if (highlight.kind === "confusedAs") setHighlight({ kind: "confusedAs", label: e.target.value });
            }}>
            {classOptions}
          </select>
          <button type="button" aria-pressed={highlight.kind === "confusedFrom"}
            onClick={() => toggleHighlight({ kind: "confusedFrom", label: confusedFromLabel })}
            title={HIGHLIGHT_DEFINITIONS.confusedFrom}>
            Confused From
          </button>
          <select aria-label="Confused From class" value={confusedFromLabel}
            onChange={(e) => {
              setConfusedFromLabel(e.target.value);
              if (highlight.kind === "confusedFrom") setHighlight({ kind: "confusedFrom", label: e.target.value });
            }}>
            {classOptions}
          </select>
        </div>
        {!isDelta && (
          <>
            <ToggleGroup label="Cell values" options={DISPLAY_OPTIONS} value={display} onChange={setDisplay} />
            <ToggleGroup label="Share of" options={NORMALIZATION_OPTIONS} value={normalization} onChange={setNormalization} />
          </>
        )}
      </div>
      <p className="highlight-definition" aria-live="polite">
        {highlight.kind === "none"
          ? isDelta || !onHighlight
            ? "FN, FP, Confused As and Confused From outline cells (each button's tooltip defines its cells)."
            : "FN, FP, Confused As and Confused From outline cells and list exactly their objects below."
          : HIGHLIGHT_DEFINITIONS[highlight.kind].replace(/\bX\b/g, "label" in highlight ? highlight.label : "X")}
        {highlightCount !== null && (
          <> <strong data-testid="highlight-count">{highlightCount}</strong> in the outlined cells.</>
        )}
      </p>
      <details className="highlight-definitions">
        <summary>What each button outlines</summary>
        <ul>
          {(Object.keys(HIGHLIGHT_DEFINITIONS) as Array<keyof typeof HIGHLIGHT_DEFINITIONS>).map((k) => (
            <li key={k}>{HIGHLIGHT_DEFINITIONS[k]}</li>
          ))}
        </ul>
      </details>
      {legend && (
        <MatrixLegend legend={legend} display={display} normalization={normalization} scheme={scheme}
          notApplicable={!useTable && labels[labels.length - 1] === BACKGROUND} />
      )}
      {useTable ? (
        <MatrixTable
          labels={labels}
          classOptions={classOptions}
          counts={counts}
          cells={cells}
          cellAt={cellAt}
          highlight={highlight}
          filterLabel={filterLabel}
          onFilter={setFilter}
          isSelected={isSelected}
          onSelectCell={onSelectCell}
          caption={caption}
          hover={hover}
          hoverText={hoverText}
        />
      ) : (
        <MatrixGrid
          labels={labels}
          cellAt={cellAt}
          highlight={highlight}
          filterLabel={filterLabel}
          isSelected={isSelected}
          onSelectCell={onSelectCell}
          caption={caption}
          hover={hover}
          hoverText={hoverText}
        />
      )}
      <MatrixHoverCard register={registerHover} />
    </section>
  );
}

type CellAt = (i: number, j: number) => CellView;

interface GridProps {
  labels: string[];
  cellAt: CellAt;
  highlight: MatrixHighlight;
  /** Grid form: cells not involving this class are dimmed. */
  filterLabel: string | null;
  isSelected: (i: number, j: number) => boolean;
  onSelectCell?: (truth: string, predicted: string) => void;
  caption?: string;
  /** Shows (or with null hides) the hover card of a cell. */
  hover: { current: (target: HoverTarget | null) => void };
  hoverText: (i: number, j: number) => HoverTarget;
}

function MatrixGrid({ labels, cellAt, highlight, filterLabel, isSelected, onSelectCell, caption, hover, hoverText }: GridProps) {
  const n = labels.length;
  const cells = useMemo(() => labels.map((_, i) => labels.map((__, j) => cellAt(i, j))), [labels, cellAt]);
  // Roving focus: one cell is in the tab order; arrow keys move between cells.
  const [focus, setFocus] = useState<[number, number]>([0, 0]);
  const tableRef = useRef<HTMLTableElement>(null);
  const move = (e: KeyboardEvent, i: number, j: number) => {
    const step: Record<string, [number, number]> = {
      ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1],
    };
    let next: [number, number] | null = null;
    if (e.key in step) {
      const [di, dj] = step[e.key]!;
      next = [Math.min(n - 1, Math.max(0, i + di)), Math.min(n - 1, Math.max(0, j + dj))];
    } else if (e.key === "Home") next = [i, 0];
    else if (e.key === "End") next = [i, n - 1];
    if (next === null) return;
    e.preventDefault();
    setFocus(next);
    tableRef.current
      ?.querySelector<HTMLButtonElement>(`button[data-cell="${next[0]},${next[1]}"]`)
      ?.focus();
  };
  return (
    <div className="matrix-scroll">
      <table ref={tableRef} className="matrix-grid">
        <caption className="visually-hidden">
          {caption ?? "Confusion matrix"}: rows are ground truth, columns are predictions
        </caption>
        <thead>
          <tr>
            <th scope="col" className="corner">truth \ predicted</th>
            {labels.map((l) => (
              <th key={l} scope="col" className="col-label"><span>{l}</span></th>
            ))}
          </tr>
        </thead>
        <tbody>
          {labels.map((truth, i) => (
            <tr key={truth}>
              <th scope="row">{truth}</th>
              {labels.map((predicted, j) => {
                const cell = cells[i]![j]!;
                const lit = isHighlighted(labels, highlight, i, j);
                const selected = isSelected(i, j);
                const dimmed = filterLabel !== null && truth !== filterLabel && predicted !== filterLabel;
                const na = cell.notApplicable !== undefined;
                const classNames = ["cell", i === j ? "diagonal" : "", na ? "not-applicable" : "", lit ? "highlighted" : "", selected ? "selected" : "", dimmed ? "dimmed" : ""];
                return (
                  <td key={predicted} className={classNames.filter(Boolean).join(" ")} data-highlighted={lit || undefined}>
                    <button
                      type="button"
                      data-cell={`${i},${j}`}
                      tabIndex={focus[0] === i && focus[1] === j ? 0 : -1}
                      aria-label={`truth ${truth}, predicted ${predicted}: ${na ? cell.notApplicable : cell.title}`}
                      aria-pressed={na ? undefined : selected}
                      aria-disabled={na || undefined}
                      style={na ? undefined : { background: cell.background, color: textColorOn(cell.background) }}
                      onMouseEnter={(e) => hover.current({ ...hoverText(i, j), anchor: e.currentTarget })}
                      onMouseLeave={() => hover.current(null)}
                      onBlur={() => hover.current(null)}
                      onFocus={(e) => { setFocus([i, j]); hover.current({ ...hoverText(i, j), anchor: e.currentTarget }); }}
                      onKeyDown={(e) => move(e, i, j)}
                      onClick={na ? undefined : () => onSelectCell?.(truth, predicted)}
                    >
                      {cell.text}
                    </button>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface TableProps extends GridProps {
  /** `<option>`s of the classes, for the class filter. */
  classOptions: ReactNode;
  /** One inference set's counts, or */
  counts: number[][] | null;
  /** delta mode: the server's cells. */
  cells: ComparisonCellDict[] | null;
  filterLabel: string | null;
  onFilter: (label: string | null) => void;
}

/** A row of the table form: one cell of the matrix (in delta mode `count` is the other's). */
interface TableRow extends MatrixEntry {
  cell: CellView;
}

const COUNT_COLUMNS: ColumnDef<TableRow>[] = [
  { id: "truth", header: "Ground truth", accessorFn: (r) => r.truth },
  { id: "predicted", header: "Prediction", accessorFn: (r) => r.predicted },
  { id: "count", header: "Count", accessorFn: (r) => r.count },
  { id: "share", header: "Share", accessorFn: (r) => r.cell.title },
];
const DELTA_COLUMNS: ColumnDef<TableRow>[] = [
  { id: "truth", header: "Ground truth", accessorFn: (r) => r.truth },
  { id: "predicted", header: "Prediction", accessorFn: (r) => r.predicted },
  { id: "base", header: "Base", accessorFn: (r) => r.cell.delta!.base },
  { id: "other", header: "Other", accessorFn: (r) => r.cell.delta!.other },
  // Sorted by the size of the change, whichever its sign (rankedEntries).
  { id: "delta", header: "Delta", accessorFn: (r) => r.cell.delta!.delta, cell: ({ row }) => row.original.cell.text },
];
/** Rows of the table form a page: hundreds of classes make thousands of non-empty cells,
 * and rendering them all on every threshold change would cost far more than the query. */
export const MATRIX_TABLE_PAGE_SIZE = 50;
// What rankedEntries sorts by, for the headers' aria-sort.
const COUNT_SORTING: SortingState = [{ id: "count", desc: true }];
const DELTA_SORTING: SortingState = [{ id: "delta", desc: true }];

/**
 * The many-class form: one row per non-empty cell (delta mode: non-empty in either), filterable by
 * class, biggest first, a page at a time. Filtering, sorting and paging are plain array
 * work here (TanStack's row models would build a row object for each of thousands of
 * cells on every threshold move); TanStack Table renders the page and keeps the sort state.
 */
function MatrixTable(props: TableProps) {
  const { labels, classOptions, counts, cells, cellAt, highlight, filterLabel, onFilter, isSelected, onSelectCell, caption, hover, hoverText } = props;
  const isDelta = cells !== null;
  const ranked = useMemo(() => (cells !== null ? rankedChanges(labels, cells) : rankedEntries(labels, counts ?? [])), [labels, counts, cells]);
  const matching = useMemo(
    () => ranked.filter((e) => involves(e, filterLabel) && (highlight.kind === "none" || isHighlighted(labels, highlight, e.i, e.j))),
    [ranked, filterLabel, highlight, labels],
  );
  // A new filter starts on the first page.
  const filterKey = JSON.stringify([filterLabel, highlight]);
  const [page, setPage] = useState({ key: filterKey, index: 0 });
  const pageCount = Math.max(1, Math.ceil(matching.length / MATRIX_TABLE_PAGE_SIZE));
  const pageIndex = page.key === filterKey ? Math.min(page.index, pageCount - 1) : 0;
  const data = useMemo<TableRow[]>(
    () => matching
      .slice(pageIndex * MATRIX_TABLE_PAGE_SIZE, (pageIndex + 1) * MATRIX_TABLE_PAGE_SIZE)
      .map((e) => ({ ...e, cell: cellAt(e.i, e.j) })),
    [matching, pageIndex, cellAt],
  );
  const pagination: PaginationState = { pageIndex, pageSize: MATRIX_TABLE_PAGE_SIZE };

  const table = useReactTable({
    data,
    columns: isDelta ? DELTA_COLUMNS : COUNT_COLUMNS,
    state: { sorting: isDelta ? DELTA_SORTING : COUNT_SORTING, pagination },
    manualSorting: true,
    manualFiltering: true,
    manualPagination: true,
    rowCount: matching.length,
    onPaginationChange: (update) => {
      const next = typeof update === "function" ? update(pagination) : update;
      setPage({ key: filterKey, index: next.pageIndex });
    },
    getRowId: (r) => `${r.i},${r.j}`,
    getCoreRowModel: getCoreRowModel(),
  });
  const rows = table.getRowModel().rows;
  const columnCount = table.getVisibleLeafColumns().length;
  const first = matching.length === 0 ? 0 : pageIndex * MATRIX_TABLE_PAGE_SIZE + 1;
  const last = Math.min(matching.length, (pageIndex + 1) * MATRIX_TABLE_PAGE_SIZE);

  return (
    <div className="matrix-table">
      <label>
        Class{" "}
        <select value={filterLabel ?? ""} onChange={(e) => onFilter(e.target.value === "" ? null : e.target.value)}>
          <option value="">All classes</option>
          {classOptions}
        </select>
      </label>
      {matching.length > MATRIX_TABLE_PAGE_SIZE && (
        <nav aria-label="Cell pages" className="pager">
          <button type="button" onClick={() => table.previousPage()} disabled={!table.getCanPreviousPage()}>Previous</button>
          <span aria-live="polite">{`cells ${first}–${last} of ${matching.length}`}</span>
          <button type="button" onClick={() => table.nextPage()} disabled={!table.getCanNextPage()}>Next</button>
        </nav>
      )}
      <table>
        <caption className="visually-hidden">{caption ?? "Confusion matrix"} as a table</caption>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const sorted = header.column.getIsSorted();
                return (
                  <th key={header.id} scope="col"
                    aria-sort={sorted === "desc" ? "descending" : sorted === "asc" ? "ascending" : undefined}>
                    {flexRender(header.column.columnDef.header, header.getContext())}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {rows.map((row) => {
            const { truth, predicted, i, j, cell } = row.original;
            const selected = isSelected(i, j);
            const colored = { background: cell.background, color: textColorOn(cell.background) };
            return (
              <tr key={row.id} className={selected ? "selected" : undefined}>
                {row.getVisibleCells().map((c) => {
                  const content = flexRender(c.column.columnDef.cell, c.getContext());
                  switch (c.column.id) {
                    case "truth":
                      return (
                        <th key={c.id} scope="row">
                          <button type="button" aria-pressed={selected}
                            onMouseEnter={(e) => hover.current({ ...hoverText(i, j), anchor: e.currentTarget })}
                            onMouseLeave={() => hover.current(null)}
                            onFocus={(e) => hover.current({ ...hoverText(i, j), anchor: e.currentTarget })}
                            onBlur={() => hover.current(null)}
                            onClick={() => onSelectCell?.(truth, predicted)}>
                            {content}
                          </button>
                        </th>
                      );
                    case "share":
                      return <td key={c.id} style={colored}>{content}</td>;
                    case "delta":
                      return <td key={c.id} style={colored}>{content}</td>;
                    default:
                      return <td key={c.id}>{content}</td>;
                  }
                })}
              </tr>
            );
          })}
          {rows.length === 0 && (
            <tr>
              <td colSpan={columnCount}>No cells match.</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

/** The largest share of any cell but the background corner (what the color scale runs to). */
function largestShare(share: number[][]): number {
  let max = 0;
  const last = share.length - 1;
  share.forEach((row, i) => row.forEach((v, j) => {
    if (!(i === last && j === last)) max = Math.max(max, v);
  }));
  return max;
}

type Legend = { kind: "share"; max: number } | { kind: "delta"; max: number };

/**
 * The color scale as the cells use it: light theme white at 0 to the darkest at the largest
 * cell shown, dark theme the dark gray at 0 to the brightest (delta: red worse, blue better).
 */
function MatrixLegend({ legend, display, normalization, scheme, notApplicable }: {
  legend: Legend; display: Display; normalization: Normalization; scheme: Scheme;
  /** Whether the grid has the background corner, drawn hatched. */
  notApplicable: boolean;
}) {
  const hatched = notApplicable && (
    <span className="legend-not-applicable" title={NOT_APPLICABLE_REASON}>
      <span className="swatch-hatched" aria-hidden="true" /> not applicable (background × background: nothing is counted there)
    </span>
  );
  if (legend.kind === "delta") {
    return (
      <div className="matrix-legend" aria-label="Color scale">
        <span className="swatch-scale" aria-hidden="true"
          style={{ background: `linear-gradient(to right, ${deltaColor(1, false, 1, scheme)}, ${deltaColor(0, null, 1, scheme)}, ${deltaColor(1, true, 1, scheme)})` }} />
        <span>
          <span className="legend-bad">red: worse</span> · <span className="legend-good">blue: better</span> · {scheme === "dark" ? "gray" : "white"}: unchanged
          {" "}(on the diagonal more is better, off it more is worse; darkest at a change of {legend.max})
        </span>
        {hatched}
      </div>
    );
  }
  const of = normalization === "row" ? "of its row" : normalization === "column" ? "of its column" : "of the matrix";
  return (
    <div className="matrix-legend" aria-label="Color scale">
      <span>0%</span>
      <span className="swatch-scale" aria-hidden="true" style={{ background: `linear-gradient(to right, ${shareColor(0, scheme)}, ${shareColor(1, scheme)})` }} />
      <span data-testid="scale-max">{formatPercent(legend.max)}</span>
      <span className="muted">
        color: a cell's share {of}, {scheme === "dark" ? "brightest" : "darkest"} at the largest cell shown{display === "absolute" ? "; text: the count" : ""}
      </span>
      {hatched}
    </div>
  );
}

/** Memoized: a parent re-rendering with the same props (a threshold move before its numbers arrive) skips it. */
export const ConfusionMatrix = memo(ConfusionMatrixView);
