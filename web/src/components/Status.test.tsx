// @vitest-environment jsdom
import { act, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AnsweredAt, describeConf, Loading } from "./Status";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("AnsweredAt", () => {
  it("names the thresholds of the numbers shown, per class when overridden", () => {
    render(<AnsweredAt conf={0.3} iou={0.5} pending={false} />);
    expect(screen.getByTestId("answered-at")).toHaveTextContent("Numbers below at confidence 0.3, IoU 0.5");
    expect(describeConf({ a: 0.2, b: 0.4 })).toBe("per-class confidences");
  });

  it("says 'recomputing' (and dims, by class) only once the new numbers are slow", () => {
    const { rerender } = render(<AnsweredAt conf={0.3} iou={null} pending />);
    const line = screen.getByTestId("answered-at");
    expect(line).toHaveTextContent(/^Numbers below at confidence 0\.3$/);
    expect(line).not.toHaveClass("slow");
    act(() => vi.advanceTimersByTime(160));
    expect(line).toHaveTextContent("Numbers below at confidence 0.3 (recomputing for the new thresholds…)");
    expect(line).toHaveClass("slow");
    rerender(<AnsweredAt conf={0.45} iou={null} pending={false} />);
    expect(line).toHaveTextContent(/^Numbers below at confidence 0\.45$/);
    expect(line).not.toHaveClass("slow");
  });
});

describe("Loading", () => {
  it("shows nothing for a fast answer and a status after its delay", () => {
    const { rerender } = render(<Loading active label="Computing metrics" />);
    expect(screen.queryByRole("status")).toBeNull();
    act(() => vi.advanceTimersByTime(160));
    expect(screen.getByRole("status")).toHaveTextContent("Computing metrics…");
    rerender(<Loading active={false} label="Computing metrics" />);
    expect(screen.queryByRole("status")).toBeNull();
  });
});
