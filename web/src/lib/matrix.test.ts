import { describe, expect, it } from "vitest";
import compare from "../fixtures/shapes_compare.json";
import type { ComparisonCellDict } from "../api/types";
import {
  assertCellGrid, assertSameShape, cellHoverText, columnTotals, highlightedCells, highlightedTotal, isHighlighted,
  involves, maxChange, rankedChanges, rankedEntries, normalize, rowTotals,
} from "./matrix";

const labels = ["cat", "dog", "background"];
const m = [
  [12, 3, 25],
  [2, 30, 8],
  [5, 1, 0],
];

describe("normalize", () => {
  it("row: shares of each row's total, with the row total as denominator", () => {
    const { share, denominator } = normalize(m, "row");
    expect(denominator[0]).toEqual([40, 40, 40]);
    expect(share[0]![0]).toBeCloseTo(0.3);
    expect(share[2]![1]).toBeCloseTo(1 / 6);
    share.forEach((row) => expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1));
  });
  it("column: shares of each column's total", () => {
    const { share, denominator } = normalize(m, "column");
    expect(denominator.map((r) => r[0])).toEqual([19, 19, 19]);
    expect(denominator[1]![2]).toBe(33);
    expect(share[0]![0]).toBeCloseTo(12 / 19);
  });
  it("value: shares of the whole matrix", () => {
    const { share, denominator } = normalize(m, "value");
    expect(denominator[1]![1]).toBe(86);
    expect(share.flat().reduce((a, b) => a + b, 0)).toBeCloseTo(1);
  });
  it("gives 0 where the denominator is 0, as safe_divide", () => {
    const z = [
      [0, 0],
      [0, 0],
    ];
    expect(normalize(z, "row").share).toEqual(z);
    expect(normalize(z, "value").share).toEqual(z);
  });
  it("totals rows and columns", () => {
    expect(rowTotals(m)).toEqual([40, 40, 6]);
    expect(columnTotals(m)).toEqual([19, 34, 33]);
    expect(columnTotals([])).toEqual([]);
  });
});

describe("cellHoverText", () => {
  it("reads count of denominator with the share", () => {
    expect(cellHoverText(12, 40)).toBe("12 of 40 (30.0%)");
    expect(cellHoverText(0, 0)).toBe("0 of 0 (0.0%)");
  });
});

describe("highlights", () => {
  it("FN is every row's off-diagonal (background column included), FP every column's, never the corner", () => {
    expect(highlightedCells(labels, { kind: "fn" })).toEqual([
      ["cat", "dog"],
      ["cat", "background"],
      ["dog", "cat"],
      ["dog", "background"],
    ]);
    expect(highlightedCells(labels, { kind: "fp" })).toEqual([
      ["cat", "dog"],
      ["dog", "cat"],
      ["background", "cat"],
      ["background", "dog"],
    ]);
  });
  it("Confused As X is column X off the diagonal and background, Confused From X row X's", () => {
    expect(highlightedCells(labels, { kind: "confusedAs", label: "cat" })).toEqual([["dog", "cat"]]);
    expect(highlightedCells(labels, { kind: "confusedFrom", label: "dog" })).toEqual([["dog", "cat"]]);
    expect(highlightedCells(labels, { kind: "confusedFrom", label: "cat" })).toEqual([["cat", "dog"]]);
  });
  it("the highlighted total is the outlined cells' sum: what the examples endpoint lists", () => {
    // outcome=FN: 3 + 25 + 2 + 8 ground truth not found as their class; outcome=FP: 3 + 2 + 5 + 1.
    expect(highlightedTotal(labels, m, { kind: "fn" })).toBe(38);
    expect(highlightedTotal(labels, m, { kind: "fp" })).toBe(11);
    expect(highlightedTotal(labels, m, { kind: "confusedAs", label: "cat" })).toBe(2);
    expect(highlightedTotal(labels, m, { kind: "confusedFrom", label: "cat" })).toBe(3);
    expect(highlightedTotal(labels, m, { kind: "none" })).toBe(0);
  });
  it("none highlights nothing", () => {
    expect(isHighlighted(labels, { kind: "none" }, 0, 1)).toBe(false);
    expect(highlightedCells(labels, { kind: "none" })).toEqual([]);
  });
});

describe("rankedEntries", () => {
  it("lists the non-empty cells, largest count first, ties in matrix order", () => {
    const tied = [[12, 3, 25], [2, 30, 3], [5, 1, 0]];
    expect(rankedEntries(labels, tied).map((r) => [r.truth, r.predicted, r.count, r.i, r.j])).toEqual([
      ["dog", "dog", 30, 1, 1],
      ["cat", "background", 25, 0, 2],
      ["cat", "cat", 12, 0, 0],
      ["background", "cat", 5, 2, 0],
      ["cat", "dog", 3, 0, 1],
      ["dog", "background", 3, 1, 2],
      ["dog", "cat", 2, 1, 0],
      ["background", "dog", 1, 2, 1],
    ]);
  });
  it("a comparison's cells: those non-empty in either, by the size of the server's delta", () => {
    const base = [[10, 0, 20], [0, 30, 8], [9, 1, 0]];
    const other = [[12, 0, 25], [0, 30, 0], [5, 0, 0]];
    const cells = labels.flatMap((truth, i) => labels.map((predicted, j) => ({
      truth, predicted, base: base[i]![j]!, other: other[i]![j]!, delta: other[i]![j]! - base[i]![j]!, improved: null, text: "",
    })));
    expect(rankedChanges(labels, cells).map((r) => [r.truth, r.predicted, r.count, r.rank])).toEqual([
      ["dog", "background", 0, 8],
      ["cat", "background", 25, 5],
      ["background", "cat", 5, 4],
      ["cat", "cat", 12, 2],
      ["background", "dog", 0, 1],
      ["dog", "dog", 30, 0],
    ]);
  });
  it("a class involves the cells where it is the truth or the prediction", () => {
    const dog = rankedEntries(labels, m).filter((e) => involves(e, "dog"));
    expect(dog.map((r) => [r.truth, r.predicted])).toEqual([
      ["dog", "dog"], ["dog", "background"], ["cat", "dog"], ["dog", "cat"], ["background", "dog"],
    ]);
    expect(rankedEntries(labels, m).filter((e) => involves(e, null))).toHaveLength(8);
  });
  it("the largest change is at least 1", () => {
    const cell = (delta: number) => ({ truth: "a", predicted: "a", base: 0, other: delta, delta, improved: null, text: "" });
    expect(maxChange([cell(0)])).toBe(1);
    expect(maxChange([cell(0), cell(-7), cell(3)])).toBe(7);
  });
});

describe("shapes", () => {
  it("a matrix is labels x labels", () => {
    expect(() => assertSameShape(labels, m)).not.toThrow();
    expect(() => assertSameShape(labels, [[1]])).toThrow(/3 x 3/);
  });
  it("a comparison's cells are the labels' grid, row-major, as the demo comparison's", () => {
    const { labels: l } = compare.confusion_matrix;
    expect(() => assertCellGrid(l, compare.cells as ComparisonCellDict[])).not.toThrow();
    expect(() => assertCellGrid(l, (compare.cells as ComparisonCellDict[]).slice().reverse())).toThrow(/expected/);
  });
});
