import { describe, expect, it } from "vitest";
import shapes from "../fixtures/shapes_report.json";
import digits from "../fixtures/digits_report.json";
import type { ClassificationReportDict } from "../api/types";
import { averageRows, classRows, compareRows } from "./report";

const report = shapes as unknown as ClassificationReportDict;

describe("report rows", () => {
  it("reads class rows in order, and the averages", () => {
    expect(classRows(report).map((r) => r.label)).toEqual(["circle", "square", "triangle", "cross"]);
    expect(averageRows(report).map((r) => r.name)).toEqual(["micro avg", "macro avg", "weighted avg"]);
    expect(classRows(digits as unknown as ClassificationReportDict)).toHaveLength(10);
  });
  it("compares rows on a column in ascending order; a missing AP lands last either way", () => {
    const row = (label: string, precision: number, ap: number | null = null) =>
      ({ label, precision, recall: 1, "f1-score": 0, support: 1, tp: 1, fp: 1, fn: 0, ap });
    const [a, b, c, d] = [row("a", 0.5, -1), row("b", 0.9, 0.3), row("c", 0.5, 0.5), row("d", 0.5)];
    expect(compareRows(a, b, "precision", false)).toBeLessThan(0);
    expect(compareRows(b, a, "precision", true)).toBeGreaterThan(0);
    expect(compareRows(a, c, "precision", false)).toBe(0);
    expect(compareRows(b, c, "ap", false)).toBeLessThan(0);
    // Missing (-1 or null) after present when ascending; before it when descending, as the
    // table then reverses the result.
    expect(compareRows(a, b, "ap", false)).toBeGreaterThan(0);
    expect(compareRows(a, b, "ap", true)).toBeLessThan(0);
    expect(compareRows(b, d, "ap", false)).toBeLessThan(0);
    expect(compareRows(a, d, "ap", false)).toBe(0);
    expect(compareRows(a, d, "ap", true)).toBe(0);
    expect(compareRows(c, b, "label", false)).toBeGreaterThan(0);
    expect(compareRows(c, b, "label", true)).toBeGreaterThan(0);
  });
  it("a class may be named like any key of the report", () => {
    const row = (label: string) => ({ label, precision: 1, recall: 1, "f1-score": 1, support: 1, tp: 1, fp: 0, fn: 0, ap: null });
    const names = ["accuracy", "conf", "iou", "micro avg", "macro avg", "weighted avg", "classes", "averages"];
    const avg = { precision: 1, recall: 1, "f1-score": 1, support: 8 };
    const odd: ClassificationReportDict = {
      classes: names.map(row), averages: { "micro avg": avg, "macro avg": avg }, accuracy: 1, conf: 0.5, iou: null,
    };
    expect(classRows(odd).map((r) => r.label)).toEqual(names);
    expect(averageRows(odd).map((r) => r.name)).toEqual(["micro avg", "macro avg"]);
  });
});
