// @vitest-environment jsdom
import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { PointColorsOut } from "../lib/embedding";
import { EmbeddingScatterLegend } from "./EmbeddingScatterLegend";

const base: PointColorsOut = {
  color_by: "outcome", type: "categorical", definition: "a frame's outcome by its errors", categories: ["TP", "no errors", "FN only"],
  codes: [1, 1, 2, -1], values: null, min: null, max: null, in_scope: [true, false, true, true],
};

function legend(colors: PointColorsOut, extra: Partial<Parameters<typeof EmbeddingScatterLegend>[0]> = {}) {
  const onToggle = vi.fn();
  render(
    <EmbeddingScatterLegend colors={colors} title="Outcome" hidden={new Set([2])} onToggle={onToggle} onShowAll={() => {}}
      outOfScopeCount={1} outOfScope="dim" opacityByConfidence={false} scheme="light" {...extra} />,
  );
  return onToggle;
}

describe("EmbeddingScatterLegend", () => {
  it("lists the categories points have with counts, the definition and the out-of-scope rule", () => {
    const onToggle = legend(base);
    expect(screen.getByText("a frame's outcome by its errors")).toBeTruthy();
    const buttons = screen.getAllByRole("button", { pressed: undefined }).filter((b) => b.hasAttribute("aria-pressed"));
    expect(buttons.map((b) => b.textContent)).toEqual(["no errors2", "FN only1", "no value1"]);
    expect(buttons.map((b) => b.getAttribute("aria-pressed"))).toEqual(["true", "false", "true"]);
    fireEvent.click(buttons[1]!);
    expect(onToggle).toHaveBeenCalledWith(2);
    expect(screen.getByText(/1 points outside the segment \/ query: dimmed, never selected/)).toBeTruthy();
    expect(screen.getByRole("button", { name: "Show all" })).toBeTruthy();
  });

  it("draws the continuous ramp with its range, no-value toggle and opacity note", () => {
    legend({ ...base, type: "continuous", color_by: "f1", categories: null, codes: null, values: [0.2, null, 1], min: 0.2, max: 1 },
      { hidden: new Set(), opacityByConfidence: true, outOfScopeCount: 0 });
    expect(screen.getByRole("img", { name: "from 0.200 (dark) to 1.000 (light)" })).toBeTruthy();
    expect(screen.getByRole("button", { name: /no value/ }).textContent).toBe("no value1");
    expect(screen.getByText(/Opacity: confidence/)).toBeTruthy();
    expect(screen.queryByText(/outside the segment/)).toBeNull();
  });
});
