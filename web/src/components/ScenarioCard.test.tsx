// @vitest-environment jsdom
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { SegmentResultDict } from "../api/types";
import regression from "../fixtures/shapes_regression.json";
import { ScenarioCard } from "./ScenarioCard";

const adaptive = regression["adaptive-cc"] as SegmentResultDict[];
const threshold = regression["threshold-cc"] as SegmentResultDict[];
const test = adaptive.find((r) => r.segment_name === "test regression")!;
const testBase = threshold.find((r) => r.segment_name === "test regression")!;
const allFrames = adaptive[0]!;

const scoreCell = (metric: string, k = 0) =>
  within(screen.getByRole("rowheader", { name: metric }).closest("tr")!).getAllByRole("cell")[k]!;

describe("ScenarioCard", () => {
  it("shows scores green when they pass and red when they fail", () => {
    render(<ScenarioCard result={test} compareResult={testBase} names={["adaptive-cc", "threshold-cc"]} />);
    expect(screen.getByRole("heading", { name: "test regression" })).toBeInTheDocument();
    expect(scoreCell("Precision", 0)).toHaveAttribute("data-verdict", "pass");
    expect(scoreCell("Precision", 0)).toHaveTextContent("(pass)");
    expect(scoreCell("Precision", 1)).toHaveAttribute("data-verdict", testBase.precision.succeeds ? "pass" : "fail");
    expect(screen.getByRole("columnheader", { name: "threshold-cc" })).toBeInTheDocument();
    expect(screen.getByRole("article")).toHaveClass("verdict-pass");
  });

  it("is neutral without thresholds", () => {
    render(<ScenarioCard result={allFrames} />);
    expect(scoreCell("F1")).toHaveAttribute("data-verdict", "none");
    expect(within(screen.getByRole("rowheader", { name: "F1" }).closest("tr")!).getByText("none")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Edit thresholds" })).toBeNull();
  });

  it("edits a threshold in place and emits all three", async () => {
    const user = userEvent.setup();
    const onChange = vi.fn();
    render(<ScenarioCard result={test} onChangeThresholds={onChange} />);
    await user.click(screen.getByRole("button", { name: "Edit thresholds" }));
    const box = screen.getByRole("textbox", { name: "Precision threshold" });
    await user.clear(box);
    await user.type(box, "0.99{Enter}");
    expect(onChange).toHaveBeenCalledWith({ precision: 0.99, recall: 0.31, f1_score: 0.31 });
    // No verdict of its own: pending until the server's result at the new threshold arrives.
    expect(scoreCell("Precision")).toHaveAttribute("data-verdict", "pending");
    expect(scoreCell("Recall")).toHaveAttribute("data-verdict", "pass");
    expect(screen.getByRole("article")).toHaveClass("verdict-pending");
    expect(screen.getByRole("article")).toHaveAttribute("aria-busy", "true");
  });

  it("shows the server's verdict once the result at the edited threshold arrives", async () => {
    const user = userEvent.setup();
    const { rerender } = render(<ScenarioCard result={test} onChangeThresholds={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: "Edit thresholds" }));
    const box = screen.getByRole("textbox", { name: "Precision threshold" });
    await user.clear(box);
    await user.type(box, "0.99{Enter}");
    const answered = { ...test, precision: { ...test.precision, threshold: 0.99, succeeds: false }, succeeds: false };
    rerender(<ScenarioCard result={answered} onChangeThresholds={vi.fn()} />);
    expect(scoreCell("Precision")).toHaveAttribute("data-verdict", "fail");
    expect(screen.getByRole("article")).toHaveClass("verdict-fail");
    expect(screen.getByRole("article")).toHaveAttribute("aria-busy", "false");
  });

  it("rejects values outside 0..1 and keeps the old threshold", async () => {
    const user = userEvent.setup();
    const onChange = vi.fn();
    render(<ScenarioCard result={test} onChangeThresholds={onChange} />);
    await user.click(screen.getByRole("button", { name: "Edit thresholds" }));
    const box = screen.getByRole("textbox", { name: "Recall threshold" });
    await user.clear(box);
    await user.type(box, "1.5");
    await user.tab();
    expect(onChange).not.toHaveBeenCalled();
    expect(box).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByRole("alert")).toHaveTextContent("between 0 and 1");
    await user.click(box);
    await user.keyboard("{Escape}");
    expect(box).toHaveValue("0.31");
  });

  it("a blank threshold removes it", async () => {
    const user = userEvent.setup();
    const onChange = vi.fn();
    render(<ScenarioCard result={test} onChangeThresholds={onChange} />);
    await user.click(screen.getByRole("button", { name: "Edit thresholds" }));
    await user.clear(screen.getByRole("textbox", { name: "F1 threshold" }));
    await user.tab();
    expect(onChange).toHaveBeenCalledWith({ precision: 0.35, recall: 0.31, f1_score: null });
    expect(scoreCell("F1")).toHaveAttribute("data-verdict", "pending");
  });

  it("follows new thresholds from the parent", () => {
    const { rerender } = render(<ScenarioCard result={test} />);
    expect(scoreCell("Precision")).toHaveAttribute("data-verdict", "pass");
    rerender(<ScenarioCard result={{ ...test, precision: { ...test.precision, threshold: 0.999, succeeds: false }, succeeds: false }} />);
    expect(scoreCell("Precision")).toHaveAttribute("data-verdict", "fail");
    expect(screen.getByRole("article")).toHaveClass("verdict-fail");
  });

  it("opens the segment's metrics from its title", async () => {
    const user = userEvent.setup();
    const onOpen = vi.fn();
    render(<ScenarioCard result={test} onOpen={onOpen} />);
    await user.click(screen.getByRole("button", { name: "test regression" }));
    expect(onOpen).toHaveBeenCalledWith("test regression");
  });
});
