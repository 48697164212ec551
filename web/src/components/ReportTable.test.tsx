// @vitest-environment jsdom
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ClassificationReportDict } from "../api/types";
import digits from "../fixtures/digits_report.json";
import shapes from "../fixtures/shapes_report.json";
import { ReportTable } from "./ReportTable";

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

  it("shows accuracy for classification", () => {
    render(<ReportTable report={digits as unknown as ClassificationReportDict} />);
    expect(bodyLabels()).toHaveLength(10);
    expect(screen.getByRole("rowheader", { name: "accuracy" })).toBeInTheDocument();
  });
});
