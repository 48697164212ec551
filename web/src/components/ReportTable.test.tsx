// @vitest-environment jsdom
import { fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ClassificationReportDict } from "../api/types";
import digits from "../fixtures/digits_report.json";
import shapes from "../fixtures/shapes_report.json";
import { ReportTable, WINDOW_ROW_HEIGHT } from "./ReportTable";

const report = shapes as unknown as ClassificationReportDict;
const bodyLabels = () =>
  within(screen.getAllByRole("rowgroup")[1]!).getAllByRole("rowheader").map((h) => h.textContent);

describe("ReportTable", () => {
  it("shows each class's metrics, counts and AP, then the averages", () => {
    render(<ReportTable report={report} />);
    expect(screen.getAllByRole("columnheader").map((h) => h.textContent)).toEqual(
      ["Class", "Precision", "Recall", "F1", "Support", "TP", "FP", "FN", "AP"],
    );
    expect(bodyLabels()).toEqual(["circle", "square", "triangle", "cross"]);
    const circle = screen.getByRole("button", { name: "circle" }).closest("tr")!;
    expect(circle).toHaveTextContent("0.9470.6670.7832718190.663");
    expect(screen.getByRole("rowheader", { name: "micro avg" })).toBeInTheDocument();
    expect(screen.getByRole("rowheader", { name: "weighted avg" })).toBeInTheDocument();
  });

  it("sorts by a column on header click, marking aria-sort", async () => {
    const user = userEvent.setup();
    render(<ReportTable report={report} />);
    const header = screen.getByRole("button", { name: /^Precision/ });
    await user.click(header);
    expect(header.closest("th")).toHaveAttribute("aria-sort", "descending");
    expect(bodyLabels()).toEqual(["circle", "cross", "triangle", "square"]);
    await user.click(header);
    expect(header.closest("th")).toHaveAttribute("aria-sort", "ascending");
    expect(bodyLabels()).toEqual(["square", "triangle", "cross", "circle"]);
    await user.click(header);
    expect(header.closest("th")).toHaveAttribute("aria-sort", "none");
    expect(bodyLabels()).toEqual(["circle", "square", "triangle", "cross"]);
  });

  it("sorts stably, names A-Z first, a missing AP last either way; averages stay below, unsorted", async () => {
    const user = userEvent.setup();
    const row = (label: string, precision: number, ap: number) => ({ label, precision, recall: 1, "f1-score": 0, support: 1, tp: 1, fp: 1, fn: 0, ap });
    const avg = { precision: 0.5, recall: 1, "f1-score": 0, support: 3 };
    const small: ClassificationReportDict = {
      classes: [row("a", 0.5, -1), row("b", 0.9, 0.3), row("c", 0.5, 0.5)],
      averages: { "micro avg": avg, "macro avg": avg, "weighted avg": avg }, accuracy: null, conf: 0.5, iou: 0.5,
    };
    render(<ReportTable report={small} />);
    const footLabels = () => within(screen.getAllByRole("rowgroup")[2]!).getAllByRole("rowheader").map((h) => h.textContent);
    const click = (name: RegExp) => user.click(screen.getByRole("button", { name }));
    expect(screen.getByRole("button", { name: "a" }).closest("tr")!.lastElementChild).toHaveTextContent("-");
    await click(/^Precision/);
    expect(bodyLabels()).toEqual(["b", "a", "c"]);
    await click(/^Precision/);
    expect(bodyLabels()).toEqual(["a", "c", "b"]);
    await click(/^AP/);
    expect(screen.getByRole("columnheader", { name: /^AP/ })).toHaveAttribute("aria-sort", "descending");
    expect(screen.getByRole("columnheader", { name: /^Precision/ })).toHaveAttribute("aria-sort", "none");
    expect(bodyLabels()).toEqual(["c", "b", "a"]);
    await click(/^AP/);
    expect(bodyLabels()).toEqual(["b", "c", "a"]);
    await click(/^Class/);
    expect(screen.getByRole("columnheader", { name: /^Class/ })).toHaveAttribute("aria-sort", "ascending");
    expect(bodyLabels()).toEqual(["a", "b", "c"]);
    await click(/^Class/);
    expect(screen.getByRole("columnheader", { name: /^Class/ })).toHaveAttribute("aria-sort", "descending");
    expect(bodyLabels()).toEqual(["c", "b", "a"]);
    expect(footLabels()).toEqual(["micro avg", "macro avg", "weighted avg"]);
    await click(/^Class/);
    expect(screen.getByRole("columnheader", { name: /^Class/ })).toHaveAttribute("aria-sort", "none");
    expect(bodyLabels()).toEqual(["a", "b", "c"]);
  });

  it("starts from initialSort", () => {
    render(<ReportTable report={report} initialSort={{ column: "label", direction: "descending" }} />);
    expect(screen.getByRole("columnheader", { name: /^Class/ })).toHaveAttribute("aria-sort", "descending");
    expect(bodyLabels()).toEqual(["triangle", "square", "cross", "circle"]);
  });

  it("Enter on a row selects it", async () => {
    const user = userEvent.setup();
    const onSelect = vi.fn();
    render(<ReportTable report={report} onSelectLabel={onSelect} selectedLabel="circle" />);
    expect(screen.getByRole("button", { name: "circle" }).closest("tr")).toHaveClass("selected");
    expect(screen.getByRole("button", { name: "cross" })).toHaveAttribute("aria-pressed", "false");
    screen.getByRole("button", { name: "cross" }).focus();
    await user.keyboard("{Enter}");
    expect(onSelect).toHaveBeenLastCalledWith("cross");
  });

  it("selecting a row calls back; selecting it again clears", async () => {
    const user = userEvent.setup();
    const onSelect = vi.fn();
    const { rerender } = render(<ReportTable report={report} onSelectLabel={onSelect} />);
    await user.click(screen.getByRole("button", { name: "square" }));
    expect(onSelect).toHaveBeenLastCalledWith("square");
    rerender(<ReportTable report={report} onSelectLabel={onSelect} selectedLabel="square" />);
    expect(screen.getByRole("button", { name: "square" })).toHaveAttribute("aria-pressed", "true");
    await user.click(screen.getByRole("button", { name: "square" }));
    expect(onSelect).toHaveBeenLastCalledWith(null);
  });

  it("shows classes named like the report's keys as classes", () => {
    const names = ["accuracy", "conf", "iou", "micro avg", "macro avg", "weighted avg"];
    const avg = { precision: 1, recall: 1, "f1-score": 1, support: 6 };
    const odd: ClassificationReportDict = {
      classes: names.map((label, k) => ({ label, precision: 1, recall: 1, "f1-score": 1, support: 1, tp: k, fp: 0, fn: 0, ap: null })),
      averages: { "micro avg": avg, "macro avg": avg, "weighted avg": avg }, accuracy: 0.5, conf: 0.5, iou: null,
    };
    render(<ReportTable report={odd} />);
    expect(bodyLabels()).toEqual(names);
    expect(screen.getByRole("button", { name: "micro avg" }).closest("tr")).toHaveTextContent("micro avg1.0001.0001.0001300");
    const footLabels = within(screen.getAllByRole("rowgroup")[2]!).getAllByRole("rowheader").map((h) => h.textContent);
    expect(footLabels).toEqual(["accuracy", "micro avg", "macro avg", "weighted avg"]);
  });

  it("shows accuracy for classification", () => {
    render(<ReportTable report={digits as unknown as ClassificationReportDict} />);
    expect(bodyLabels()).toHaveLength(10);
    expect(screen.getByRole("rowheader", { name: "accuracy" })).toBeInTheDocument();
    expect(screen.getAllByRole("columnheader").map((h) => h.textContent)).not.toContain("AP");
  });

  it("with many classes, renders the rows in view of its scroll box (and a margin) only", () => {
    const row = { precision: 0.5, recall: 0.25, "f1-score": 1 / 3, support: 4, tp: 1, fp: 1, fn: 3, ap: null };
    const avg = { precision: 0.5, recall: 0.25, "f1-score": 1 / 3, support: 400 };
    const many: ClassificationReportDict = {
      classes: Array.from({ length: 100 }, (_, k) => ({ ...row, label: `c${String(k).padStart(3, "0")}`, tp: k })),
      averages: { "micro avg": avg, "macro avg": avg, "weighted avg": avg }, accuracy: null, conf: 0.5, iou: null,
    };
    const { container } = render(<ReportTable report={many} windowRows={20} />);
    const shown = () => bodyLabels();
    expect(screen.getByRole("table")).toHaveAttribute("aria-rowcount", String(100 + 1 + 3));
    expect(shown()).toEqual(Array.from({ length: 40 }, (_, k) => `c${String(k).padStart(3, "0")}`));
    const first = screen.getByRole("button", { name: "c000" }).closest("tr")!;
    expect(first).toHaveAttribute("aria-rowindex", "2");
    // Scrolled to row 50: rows 40..79 are rendered (a margin of 10 above it, 20 in view, 10 below).
    const box = container.querySelector(".report-window")!;
    box.scrollTop = 50 * WINDOW_ROW_HEIGHT;
    fireEvent.scroll(box);
    const labels = shown();
    expect(labels[0]).toBe("c040");
    expect(labels).toHaveLength(40);
    expect(screen.getByRole("button", { name: "c040" }).closest("tr")).toHaveAttribute("aria-rowindex", "42");
    // The spacers keep the scroll height: 40 rows above, 20 below.
    const spacers = container.querySelectorAll<HTMLElement>("tr.spacer");
    expect([...spacers].map((s) => s.style.height)).toEqual([`${40 * WINDOW_ROW_HEIGHT}px`, `${20 * WINDOW_ROW_HEIGHT}px`]);
    // Averages stay below, whatever is in view.
    expect(screen.getByRole("rowheader", { name: "micro avg" })).toBeInTheDocument();
  });

  it("renders every row of a report shorter than its box", () => {
    const { container } = render(<ReportTable report={report} windowRows={20} />);
    expect(container.querySelectorAll("tr.spacer")).toHaveLength(0);
    expect(bodyLabels()).toEqual(["circle", "square", "triangle", "cross"]);
  });
});
