import { describe, expect, it } from "vitest";
import shapes from "../fixtures/shapes_report.json";
import digits from "../fixtures/digits_report.json";
import type { ClassificationReportDict } from "../api/types";
import { averageRows, classRows, nextSort, sortRows } from "./report";

const report = shapes as unknown as ClassificationReportDict;

describe("report rows", () => {
  it("reads class rows in order, without averages or settings", () => {
    expect(classRows(report).map((r) => r.label)).toEqual(["circle", "square", "triangle", "cross"]);
    expect(averageRows(report).map((r) => r.name)).toEqual(["micro avg", "macro avg", "weighted avg"]);
    expect(classRows(digits as unknown as ClassificationReportDict)).toHaveLength(10);
  });
  it("sorts by a number, stable, descending", () => {
    const rows = [
      { label: "a", precision: 0.5, recall: 1, "f1-score": 0, support: 1, tp: 1, fp: 1, fn: 0, ap: -1 },
      { label: "b", precision: 0.9, recall: 1, "f1-score": 0, support: 1, tp: 1, fp: 1, fn: 0, ap: 0.3 },
      { label: "c", precision: 0.5, recall: 1, "f1-score": 0, support: 1, tp: 1, fp: 1, fn: 0, ap: 0.5 },
    ];
    expect(sortRows(rows, { column: "precision", direction: "descending" }).map((r) => r.label)).toEqual(["b", "a", "c"]);
    expect(sortRows(rows, { column: "precision", direction: "ascending" }).map((r) => r.label)).toEqual(["a", "c", "b"]);
    expect(sortRows(rows, { column: "ap", direction: "ascending" }).map((r) => r.label)).toEqual(["b", "c", "a"]);
    expect(sortRows(rows, { column: "label", direction: "descending" }).map((r) => r.label)).toEqual(["c", "b", "a"]);
    expect(sortRows(rows, null).map((r) => r.label)).toEqual(["a", "b", "c"]);
  });
  it("cycles sort on header clicks", () => {
    expect(nextSort(null, "recall")).toEqual({ column: "recall", direction: "descending" });
    expect(nextSort({ column: "recall", direction: "descending" }, "recall")).toEqual({ column: "recall", direction: "ascending" });
    expect(nextSort({ column: "recall", direction: "ascending" }, "recall")).toBeNull();
    expect(nextSort({ column: "recall", direction: "ascending" }, "label")).toEqual({ column: "label", direction: "ascending" });
  });
});
