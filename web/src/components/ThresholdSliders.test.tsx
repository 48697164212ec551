// @vitest-environment jsdom
import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ThresholdSliders, type ThresholdValues } from "./ThresholdSliders";

const grid = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95];
const start: ThresholdValues = { conf: 0.3, iou: 0.5, overrides: {} };

function setup(value: ThresholdValues = start) {
  const onChange = vi.fn();
  render(
    <ThresholdSliders value={value} onChange={onChange} iouGrid={grid} defaults={{ conf: 0.1, iou: 0.5 }}
      classes={["circle", "square"]} debounceMs={300} />,
  );
  return onChange;
}

describe("ThresholdSliders", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("emits slider drags immediately", () => {
    const onChange = setup();
    fireEvent.change(screen.getByRole("slider", { name: "Confidence" }), { target: { value: "0.42" } });
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.42, iou: 0.5, overrides: {} });
    expect(screen.getByRole("textbox", { name: "Confidence value" })).toHaveValue("0.42");
  });

  it("IoU slider runs over the whole range and lands on the kept grid's own values", () => {
    const onChange = setup();
    const iou = screen.getByRole("slider", { name: "IoU" });
    expect(iou).toHaveAttribute("min", "0.05");
    expect(iou).toHaveAttribute("max", "0.95");
    fireEvent.change(iou, { target: { value: "0.75" } });
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.3, iou: 0.75, overrides: {} });
    expect(iou).toHaveAttribute("aria-valuetext", "0.75");
    fireEvent.change(iou, { target: { value: "0.9" } });
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.3, iou: 0.8999999999999999, overrides: {} });
    expect(screen.getByLabelText("IoU value")).toHaveValue("0.90");
    expect(screen.getByTestId("iou-note")).toHaveTextContent("on the kept grid");
    // Below and off the grid: sent as it is (the server matches it on demand).
    fireEvent.change(iou, { target: { value: "0.15" } });
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.3, iou: 0.15, overrides: {} });
    expect(screen.getByTestId("iou-note")).toHaveTextContent("matched on demand");
  });

  it("IoU value box takes any IoU in range (debounced) and refuses others", () => {
    vi.useFakeTimers();
    try {
      const onChange = setup();
      const box = screen.getByLabelText("IoU value");
      fireEvent.change(box, { target: { value: "0.33" } });
      vi.advanceTimersByTime(400);
      expect(onChange).toHaveBeenLastCalledWith({ conf: 0.3, iou: 0.33, overrides: {} });
      onChange.mockClear();
      fireEvent.change(box, { target: { value: "0.99" } });
      vi.advanceTimersByTime(400);
      expect(onChange).not.toHaveBeenCalled();
      expect(screen.getByRole("alert")).toHaveTextContent("between 0.05 and 0.95");
    } finally {
      vi.useRealTimers();
    }
  });

  it("without a grid yet, the IoU slider shows the value and still moves", () => {
    const onChange = vi.fn();
    render(<ThresholdSliders value={{ conf: 0.3, iou: 0.6, overrides: {} }} onChange={onChange} iouGrid={[]}
      defaults={{ conf: 0.1, iou: 0.5 }} classes={[]} />);
    const iou = screen.getByRole("slider", { name: "IoU" });
    expect(iou).toHaveAttribute("aria-valuetext", "0.60");
    expect(screen.getByLabelText("IoU value")).toHaveValue("0.60");
    fireEvent.change(iou, { target: { value: "0.65" } });
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.3, iou: 0.65, overrides: {} });
  });

  it("debounces typing: one emit after the pause, with the last value", () => {
    const onChange = setup();
    const box = screen.getByRole("textbox", { name: "Confidence value" });
    fireEvent.change(box, { target: { value: "0." } });
    fireEvent.change(box, { target: { value: "0.6" } });
    act(() => vi.advanceTimersByTime(200));
    fireEvent.change(box, { target: { value: "0.65" } });
    act(() => vi.advanceTimersByTime(299));
    expect(onChange).not.toHaveBeenCalled();
    act(() => vi.advanceTimersByTime(1));
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.65, iou: 0.5, overrides: {} });
  });

  it("keeps the typed text when the parent echoes the value back", () => {
    const onChange = vi.fn();
    const props = { onChange, iouGrid: grid, defaults: { conf: 0.1, iou: 0.5 }, classes: ["circle"] };
    const { rerender } = render(<ThresholdSliders value={start} {...props} />);
    const box = screen.getByRole("textbox", { name: "Confidence value" });
    fireEvent.change(box, { target: { value: "0.6" } });
    act(() => vi.advanceTimersByTime(300));
    rerender(<ThresholdSliders value={{ ...start, conf: 0.6 }} {...props} />);
    expect(box).toHaveValue("0.6");
    rerender(<ThresholdSliders value={{ ...start, conf: 0.25 }} {...props} />);
    expect(box).toHaveValue("0.25");
    expect(screen.getByRole("slider", { name: "Confidence" })).toHaveValue("0.25");
  });

  it("Enter flushes a pending typed value at once", () => {
    const onChange = setup();
    const box = screen.getByRole("textbox", { name: "Confidence value" });
    fireEvent.change(box, { target: { value: "0.7" } });
    fireEvent.keyDown(box, { key: "Enter" });
    expect(onChange).toHaveBeenCalledTimes(1);
    act(() => vi.advanceTimersByTime(1000));
    expect(onChange).toHaveBeenCalledTimes(1);
  });

  it("rejects values outside 0..1 without emitting", () => {
    const onChange = setup();
    const box = screen.getByRole("textbox", { name: "Confidence value" });
    fireEvent.change(box, { target: { value: "0.5" } });
    fireEvent.change(box, { target: { value: "1.5" } });
    act(() => vi.advanceTimersByTime(1000));
    expect(onChange).not.toHaveBeenCalled();
    expect(box).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByRole("alert")).toHaveTextContent("between 0 and 1");
  });

  it("a slider drag cancels a pending typed value", () => {
    const onChange = setup();
    fireEvent.change(screen.getByRole("textbox", { name: "Confidence value" }), { target: { value: "0.9" } });
    fireEvent.change(screen.getByRole("slider", { name: "Confidence" }), { target: { value: "0.2" } });
    act(() => vi.advanceTimersByTime(1000));
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.2, iou: 0.5, overrides: {} });
  });

  it("resets to the project defaults immediately", () => {
    const onChange = setup({ conf: 0.3, iou: 0.7, overrides: { square: 0.6 } });
    fireEvent.click(screen.getByRole("button", { name: "Reset to project defaults" }));
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.1, iou: 0.5, overrides: {} });
    expect(screen.getByRole("button", { name: "Reset to project defaults" })).toBeDisabled();
  });

  it("adds, edits (debounced) and removes per-class overrides", () => {
    const onChange = setup();
    fireEvent.change(screen.getByRole("combobox", { name: "Class to override" }), { target: { value: "square" } });
    fireEvent.click(screen.getByRole("button", { name: "Add override" }));
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.3, iou: 0.5, overrides: { square: 0.3 } });
    const box = screen.getByRole("textbox", { name: "square" });
    fireEvent.change(box, { target: { value: "0.55" } });
    expect(onChange).toHaveBeenCalledTimes(1);
    act(() => vi.advanceTimersByTime(300));
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.3, iou: 0.5, overrides: { square: 0.55 } });
    fireEvent.click(screen.getByRole("button", { name: "Remove square override" }));
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.3, iou: 0.5, overrides: {} });
    expect(screen.queryByRole("textbox", { name: "square" })).toBeNull();
  });

  it("adds, edits (debounced), rejects and removes per-class IoU overrides beside the confidence ones", () => {
    const onChange = vi.fn();
    const value: ThresholdValues = { conf: 0.3, iou: 0.6, overrides: { circle: 0.4 }, iouOverrides: {} };
    render(
      <ThresholdSliders value={value} onChange={onChange} iouGrid={grid} defaults={{ conf: 0.1, iou: 0.5 }}
        classes={["circle", "square"]} debounceMs={300} perClassIou />,
    );
    const editor = within(screen.getByTestId("overrides-iou"));
    expect(editor.getByRole("heading", { name: "Per-class IoU" })).toBeTruthy();
    fireEvent.change(editor.getByRole("combobox", { name: "Class for a per-class IoU" }), { target: { value: "circle" } });
    fireEvent.click(editor.getByRole("button", { name: "Add IoU override" }));
    // Starts at the IoU above; the confidence overrides are kept.
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.3, iou: 0.6, overrides: { circle: 0.4 }, iouOverrides: { circle: 0.6 } });
    const box = editor.getByRole("textbox", { name: "circle" });
    fireEvent.change(box, { target: { value: "0.75" } });
    expect(onChange).toHaveBeenCalledTimes(1);
    act(() => vi.advanceTimersByTime(300));
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.3, iou: 0.6, overrides: { circle: 0.4 }, iouOverrides: { circle: 0.75 } });
    // An IoU outside the slider's range is refused, not sent.
    fireEvent.change(box, { target: { value: "0" } });
    act(() => vi.advanceTimersByTime(1000));
    expect(onChange).toHaveBeenCalledTimes(2);
    expect(editor.getByRole("alert").textContent).toContain("between 0.05 and 0.95");
    fireEvent.click(editor.getByRole("button", { name: "Remove circle IoU override" }));
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.3, iou: 0.6, overrides: { circle: 0.4 }, iouOverrides: {} });
    // The confidence override is untouched by the IoU editor.
    expect(screen.getAllByRole("textbox", { name: "circle" })).toHaveLength(1);
  });

  it("resets per-class IoU overrides with the rest, and offers none without perClassIou", () => {
    const onChange = vi.fn();
    const value: ThresholdValues = { conf: 0.1, iou: 0.5, overrides: {}, iouOverrides: { square: 0.8 } };
    const { rerender } = render(
      <ThresholdSliders value={value} onChange={onChange} iouGrid={grid} defaults={{ conf: 0.1, iou: 0.5 }}
        classes={["circle", "square"]} perClassIou />,
    );
    fireEvent.click(screen.getByRole("button", { name: "Reset to project defaults" }));
    expect(onChange).toHaveBeenLastCalledWith({ conf: 0.1, iou: 0.5, overrides: {}, iouOverrides: {} });
    rerender(
      <ThresholdSliders value={start} onChange={onChange} iouGrid={grid} defaults={{ conf: 0.1, iou: 0.5 }}
        classes={["circle", "square"]} />,
    );
    expect(screen.queryByTestId("overrides-iou")).toBeNull();
  });
});
