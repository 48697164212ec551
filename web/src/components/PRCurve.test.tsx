// @vitest-environment jsdom
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { PRCurveDict } from "../api/types";
import curves from "../fixtures/shapes_pr_curves.json";
import { PRCurve } from "./PRCurve";

const all = curves as PRCurveDict[];

describe("PRCurve", () => {
  it("draws the overall curve first with its AP", () => {
    render(<PRCurve curves={all} />);
    expect(screen.getByRole("img")).toHaveAccessibleName(/Precision-recall curve for all, AP \d\.\d{3}/);
    expect(screen.getByTestId("curve").getAttribute("d")).toMatch(/^M/);
    expect(screen.getByRole("combobox", { name: "Curve" })).toHaveValue("all");
  });

  it("marks the operating point and the best-F1 point", () => {
    render(<PRCurve curves={all} conf={0.5} />);
    expect(screen.getByTestId("operating-point").textContent).toMatch(/^operating point at confidence 0\.\d+/);
    expect(screen.getByTestId("best-point").textContent).toMatch(/^best F1 at confidence/);
  });

  it("omits the operating point when no prediction is kept", () => {
    render(<PRCurve curves={all} conf={1.01} />);
    expect(screen.queryByTestId("operating-point")).toBeNull();
  });

  it("draws dotted threshold lines where set", () => {
    const { rerender } = render(<PRCurve curves={all} thresholds={{ precision: 0.8, recall: null }} />);
    const line = screen.getByTestId("precision-threshold");
    expect(line).toHaveClass("threshold");
    expect(line.getAttribute("y1")).toBe(line.getAttribute("y2"));
    expect(screen.queryByTestId("recall-threshold")).toBeNull();
    rerender(<PRCurve curves={all} thresholds={{ precision: 0.8, recall: 0.5 }} width={300} />);
    const r = screen.getByTestId("recall-threshold");
    expect(Number(r.getAttribute("x1"))).toBeCloseTo(44 + 0.5 * (300 - 56));
  });

  it("switches curves per class", async () => {
    const user = userEvent.setup();
    const onSelect = vi.fn();
    render(<PRCurve curves={all} onSelectLabel={onSelect} />);
    await user.selectOptions(screen.getByRole("combobox", { name: "Curve" }), "square");
    expect(onSelect).toHaveBeenCalledWith("square");
    expect(screen.getByRole("img")).toHaveAccessibleName(/for square/);
  });

  it("downsamples long curves but keeps the marked points", () => {
    const n = 20000;
    const long: PRCurveDict = {
      label: "big",
      thresholds: Array.from({ length: n }, (_, i) => 1 - i / n),
      recall: Array.from({ length: n }, (_, i) => i / n),
      precision: Array.from({ length: n }, (_, i) => 1 - 0.5 * (i / n) ** 2),
      ap: 0.8,
    };
    render(<PRCurve curves={[long]} conf={0.3} maxPoints={500} />);
    const points = Number(screen.getByTestId("curve").getAttribute("data-points"));
    expect(points).toBeLessThanOrEqual(502);
    expect(points).toBeGreaterThan(400);
    expect(screen.getByTestId("operating-point")).toBeInTheDocument();
    expect(screen.queryByRole("combobox")).toBeNull();
  });

  it("says so when there is no curve", () => {
    render(<PRCurve curves={[]} />);
    expect(screen.getByText("No precision-recall curve.")).toBeInTheDocument();
  });
});
