/** Confusion-matrix logic: normalization with denominators, highlights, filtering, ranking. Pure. */
import type { ComparisonCellDict } from "../api/types";
import { formatPercent } from "./format";

/** What a cell's share is taken of: its row's total, its column's total, or the whole matrix ("value"). */
export type Normalization = "row" | "column" | "value";

export interface NormalizedMatrix {
  /** count / denominator, 0 where the denominator is 0 (as Python's `safe_divide`). */
  share: number[][];
  /** Each cell's denominator under the chosen normalization. */
  denominator: number[][];
}

export function rowTotals(matrix: number[][]): number[] {
  return matrix.map((row) => row.reduce((a, b) => a + b, 0));
}

export function columnTotals(matrix: number[][]): number[] {
  const n = matrix[0]?.length ?? 0;
  const totals = new Array<number>(n).fill(0);
  for (const row of matrix) row.forEach((v, j) => (totals[j] = totals[j]! + v));
  return totals;
}

export function normalize(matrix: number[][], by: Normalization): NormalizedMatrix {
  const rows = rowTotals(matrix);
  const cols = columnTotals(matrix);
  const all = rows.reduce((a, b) => a + b, 0);
  const denominator = matrix.map((row, i) =>
    row.map((_, j) => (by === "row" ? rows[i]! : by === "column" ? cols[j]! : all)),
  );
  const share = matrix.map((row, i) =>
    row.map((v, j) => {
      const d = denominator[i]![j]!;
      return d === 0 ? 0 : v / d;
    }),
  );
  return { share, denominator };
}

/** Hover text of a cell: "12 of 40 (30.0%)". */
export function cellHoverText(count: number, denominator: number): string {
  const share = denominator === 0 ? 0 : count / denominator;
  return `${count} of ${denominator} (${formatPercent(share)})`;
}

/**
 * The highlight filters of the matrix's buttons. Each outlines exactly the cells of the
 * objects the examples endpoint lists for it, so the outlined cells' sum is the list's total:
 * the semantics are decided here once (and shown under the buttons, HIGHLIGHT_DEFINITIONS).
 */
export type MatrixHighlight =
  | { kind: "none" }
  /** `outcome=FN`: every ground truth not matched to its own class (rows off the diagonal, background column included). */
  | { kind: "fn" }
  /** `outcome=FP`: every prediction not matched to its own class (columns off the diagonal, background row included). */
  | { kind: "fp" }
  /** `confused_as=X`: predictions of X whose ground truth is another class (column X, off the diagonal, no background). */
  | { kind: "confusedAs"; label: string }
  /** `confused_from=X`: predictions of another class whose ground truth is X (row X, off the diagonal, no background). */
  | { kind: "confusedFrom"; label: string };

/** What each button outlines and lists, in words (under the buttons and in their tooltips). */
export const HIGHLIGHT_DEFINITIONS: Record<Exclude<MatrixHighlight["kind"], "none">, string> = {
  fn: "False negatives: every ground truth not found as its own class: each row's cells off the diagonal, background column included.",
  fp: "False positives: every prediction that is not its ground truth's class: each column's cells off the diagonal, background row included.",
  confusedAs: "Confused As X: predictions of X whose ground truth is another class: column X without its diagonal and background cells.",
  confusedFrom: "Confused From X: ground truth of X predicted as another class: row X without its diagonal and background cells (the confused predictions are listed).",
};

/** Whether cell (i, j) of a matrix over `labels` (last = background) is highlighted. */
export function isHighlighted(labels: string[], highlight: MatrixHighlight, i: number, j: number): boolean {
  const bg = labels.length - 1;
  if (i === j) return false; // the diagonal is what was right (and background x background is always 0)
  switch (highlight.kind) {
    case "none":
      return false;
    case "fn":
      return i !== bg;
    case "fp":
      return j !== bg;
    case "confusedAs":
      return labels[j] === highlight.label && i !== bg;
    case "confusedFrom":
      return labels[i] === highlight.label && j !== bg;
  }
}

/** Every highlighted cell as [truth, predicted] pairs (what the examples below should show). */
export function highlightedCells(labels: string[], highlight: MatrixHighlight): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  labels.forEach((truth, i) =>
    labels.forEach((predicted, j) => {
      if (isHighlighted(labels, highlight, i, j)) out.push([truth, predicted]);
    }),
  );
  return out;
}

/** The sum of the highlighted cells' counts: the number of examples the button lists. */
export function highlightedTotal(labels: string[], matrix: number[][], highlight: MatrixHighlight): number {
  let total = 0;
  matrix.forEach((row, i) =>
    row.forEach((count, j) => {
      if (isHighlighted(labels, highlight, i, j)) total += count;
    }),
  );
  return total;
}

export interface MatrixEntry {
  truth: string;
  predicted: string;
  count: number;
  i: number;
  j: number;
}

/** A table-form row: a cell and what it is ranked by. */
export interface RankedEntry extends MatrixEntry {
  /** The count, or in a comparison the size of the change |delta|. */
  rank: number;
}

/** Biggest rank first; ties keep matrix order (rows, then columns). */
function byRank(entries: RankedEntry[]): RankedEntry[] {
  return entries.sort((a, b) => b.rank - a.rank); // stable
}

/** The table form's rows of one matrix: the non-empty cells, largest count first. */
export function rankedEntries(labels: string[], matrix: number[][]): RankedEntry[] {
  const out: RankedEntry[] = [];
  matrix.forEach((row, i) =>
    row.forEach((count, j) => {
      if (count !== 0) out.push({ truth: labels[i]!, predicted: labels[j]!, count, i, j, rank: count });
    }),
  );
  return byRank(out);
}

/**
 * The table form's rows of a comparison (`cells` as `/compare` answers them, row-major):
 * the cells non-empty in either inference set, `count` the other's, ranked by the size of
 * the server's delta whichever its sign.
 */
export function rankedChanges(labels: string[], cells: readonly ComparisonCellDict[]): RankedEntry[] {
  const n = labels.length;
  const out: RankedEntry[] = [];
  cells.forEach((c, k) => {
    if (c.base !== 0 || c.other !== 0) {
      out.push({ truth: c.truth, predicted: c.predicted, count: c.other, i: Math.floor(k / n), j: k % n, rank: Math.abs(c.delta) });
    }
  });
  return byRank(out);
}

/** Whether a cell's ground truth or prediction is `label` (every cell when `label` is null). */
export function involves(cell: { truth: string; predicted: string }, label: string | null): boolean {
  return label === null || cell.truth === label || cell.predicted === label;
}

/** The largest change of a comparison's cells, for scaling colors; at least 1. */
export function maxChange(cells: readonly ComparisonCellDict[]): number {
  let max = 1;
  for (const c of cells) max = Math.max(max, Math.abs(c.delta));
  return max;
}

/**
 * Check that a comparison's cells are the labels' grid, row-major (truth, then
 * prediction), as `/compare` answers them; throws with a clear message if not.
 */
export function assertCellGrid(labels: string[], cells: readonly ComparisonCellDict[]): void {
  const n = labels.length;
  if (cells.length !== n * n) throw new Error(`a comparison over ${n} labels needs ${n * n} cells, not ${cells.length}`);
  cells.forEach((c, k) => {
    const truth = labels[Math.floor(k / n)]!;
    const predicted = labels[k % n]!;
    if (c.truth !== truth || c.predicted !== predicted) {
      throw new Error(`comparison cell ${k} is (${c.truth}, ${c.predicted}), expected (${truth}, ${predicted})`);
    }
  });
}

/** Check two matrices are the same shape over the same labels; throws with a clear message if not. */
export function assertSameShape(labels: string[], ...matrices: number[][][]): void {
  for (const m of matrices) {
    if (m.length !== labels.length || m.some((row) => row.length !== labels.length)) {
      throw new Error(`confusion matrix is not ${labels.length} x ${labels.length} over its labels`);
    }
  }
}
