/** Confusion-matrix logic: normalization with denominators, highlights, filtering, deltas. Pure. */
import type { ComparisonCellDict } from "../api/types";
import { BACKGROUND } from "../api/types";
import { formatPercent, formatSigned } from "./format";

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

/** The highlight filters of the matrix's buttons. */
export type MatrixHighlight =
  | { kind: "none" }
  /** False negatives: the background column (ground truth nothing found). */
  | { kind: "fn" }
  /** False positives: the background row (predictions that found nothing). */
  | { kind: "fp" }
  /** A class's ground truth predicted as something else: its row, off the diagonal. */
  | { kind: "confusedAs"; label: string }
  /** Other classes' ground truth predicted as this class: its column, off the diagonal. */
  | { kind: "confusedFrom"; label: string };

/** Whether cell (i, j) of a matrix over `labels` (last = background) is highlighted. */
export function isHighlighted(labels: string[], highlight: MatrixHighlight, i: number, j: number): boolean {
  const bg = labels.length - 1;
  if (i === bg && j === bg) return false; // always 0, never a count of anything
  switch (highlight.kind) {
    case "none":
      return false;
    case "fn":
      return j === bg && i !== bg;
    case "fp":
      return i === bg && j !== bg;
    case "confusedAs":
      return labels[i] === highlight.label && i !== j;
    case "confusedFrom":
      return labels[j] === highlight.label && i !== j;
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

export interface MatrixEntry {
  truth: string;
  predicted: string;
  count: number;
  i: number;
  j: number;
}

/** A table-form row: a cell and what it is ranked by. */
export interface RankedEntry extends MatrixEntry {
  /** The count, or with `base` the size of the change |count - base|. */
  rank: number;
}

/**
 * The table form's rows, biggest first: the non-empty cells ranked by count, or, given the
 * `base` matrix (delta mode, `matrix` then being the other's), the cells non-empty in
 * either ranked by the size of their change. Ties keep matrix order (rows, then columns).
 */
export function rankedEntries(labels: string[], matrix: number[][], base: number[][] | null = null): RankedEntry[] {
  const out: RankedEntry[] = [];
  matrix.forEach((row, i) =>
    row.forEach((count, j) => {
      const was = base ? base[i]![j]! : 0;
      if (count !== 0 || was !== 0) {
        out.push({ truth: labels[i]!, predicted: labels[j]!, count, i, j, rank: base ? Math.abs(count - was) : count });
      }
    }),
  );
  return out.sort((a, b) => b.rank - a.rank); // stable: ties stay in matrix order
}

/** Whether a cell's ground truth or prediction is `label` (every cell when `label` is null). */
export function involves(cell: { truth: string; predicted: string }, label: string | null): boolean {
  return label === null || cell.truth === label || cell.predicted === label;
}

/** The largest off-diagonal cell (background included), for scaling colors; at least 1. */
export function maxCount(matrix: number[][]): number {
  let max = 1;
  for (const row of matrix) for (const v of row) max = Math.max(max, Math.abs(v));
  return max;
}

/**
 * One delta cell, exactly as Python's `Comparison.cell()`: on the diagonal (not
 * background) an increase is an improvement, off it a regression; unchanged is null.
 */
export function deltaCell(
  labels: string[],
  base: number[][],
  other: number[][],
  i: number,
  j: number,
): ComparisonCellDict {
  const truth = labels[i]!;
  const predicted = labels[j]!;
  const before = base[i]![j]!;
  const after = other[i]![j]!;
  const delta = after - before;
  const diagonal = i === j && truth !== BACKGROUND;
  const improved = delta === 0 ? null : delta > 0 === diagonal;
  const name = diagonal ? predicted : `${truth} as ${predicted}`;
  return {
    truth,
    predicted,
    base: before,
    other: after,
    delta,
    improved,
    text: `delta - ${name} ${formatSigned(delta)} (${before} -> ${after})`,
  };
}

/** Check two matrices are the same shape over the same labels; throws with a clear message if not. */
export function assertSameShape(labels: string[], ...matrices: number[][][]): void {
  for (const m of matrices) {
    if (m.length !== labels.length || m.some((row) => row.length !== labels.length)) {
      throw new Error(`confusion matrix is not ${labels.length} x ${labels.length} over its labels`);
    }
  }
}
