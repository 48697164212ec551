// @vitest-environment jsdom
import { act, fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { PRCurveDict } from "../api/types";
import curves from "../fixtures/shapes_pr_curves.json";
import { formatScore, formatThreshold } from "../lib/format";
import { PRCurve } from "./PRCurve";

const all = curves as PRCurveDict[];

describe("PRCurve", () => {
  it("draws the overall curve first with its AP", () => {
    render(<PRCurve curves={all} />);
    expect(screen.getByRole("img")).toHaveAccessibleName(/Precision-recall curve for all, AP@IoU 0\.50 \d\.\d{3}/);
    expect(screen.getByTestId("curve").getAttribute("d")).toMatch(/^M/);
    expect(screen.getByRole("combobox", { name: "Metric class" })).toHaveValue("all");
    expect(screen.getByTestId("curve").getAttribute("data-points")).toBe(String(all[0]!.recall.length));
    // The AP is named by its IoU (not COCO's AP@[.5:.95]) and defined in its tooltip.
    expect(screen.getByTestId("pr-caption")).toHaveTextContent(/^All classes: AP@IoU 0\.50 \d\.\d{3} · best F1/);
    expect(screen.getByText("AP@IoU 0.50")).toHaveAttribute("title", expect.stringContaining("not COCO's AP@[.5:.95]"));
  });

  it("offers classification's pooled 'micro avg' curve as all classes, drawn first", () => {
    // Classification answers its per-class curves then "micro avg" (no iou).
    const classification = [...all.slice(1), { ...all[0]!, label: "micro avg", iou: null }] as PRCurveDict[];
    render(<PRCurve curves={classification} />);
    const selector = screen.getByRole("combobox", { name: "Metric class" });
    expect(selector).toHaveValue("micro avg");
    expect(screen.getByRole("option", { name: "all classes" })).toHaveValue("micro avg");
    expect(screen.getByTestId("pr-caption")).toHaveTextContent(/^All classes: AP \d\.\d{3}/);
  });

  it("has recall and precision axes with ticks at 0, 0.2, ..., 1", () => {
    render(<PRCurve curves={all} />);
    const svg = screen.getByRole("img");
    const texts = Array.from(svg.querySelectorAll("text")).map((t) => t.textContent);
    for (const t of ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]) expect(texts.filter((x) => x === t)).toHaveLength(2);
    expect(texts).toContain("Recall");
    expect(texts).toContain("Precision");
  });

  it("hovering shows the nearest point in the tooltip", async () => {
    const { container } = render(<PRCurve curves={all} />);
    // The plot spans x 44..348 at the default width 360: recall 0.5 is at 196.
    fireEvent.mouseMove(container.querySelector(".recharts-wrapper")!, { clientX: 196, clientY: 100 });
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    const c = all[0]!;
    const nearest = c.recall.reduce((best, r) => (Math.abs(r - 0.5) < Math.abs(best - 0.5) ? r : best), c.recall[0]!);
    expect(document.querySelector(".pr-tooltip")).toHaveTextContent(`recall ${formatScore(nearest)}`);
  });

  it("arrow keys move the tooltip over the points: confidence, precision, recall and F1", async () => {
    const user = userEvent.setup();
    render(<PRCurve curves={all} />);
    screen.getByRole("img").focus();
    await user.keyboard("{ArrowRight}");
    const tip = document.querySelector(".pr-tooltip")!;
    const c = all[0]!;
    const confidence = tip.textContent!.match(/^confidence (\S+?)precision/)![1];
    const i = c.thresholds.findIndex((t) => formatThreshold(t) === confidence);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(tip.textContent).toBe(
      `confidence ${confidence}precision ${formatScore(c.precision[i]!)}recall ${formatScore(c.recall[i]!)}` +
        `F1 ${formatScore(c.f1[i]!)}`,
    );
  });

  it("marks the operating point and the best-F1 point", () => {
    render(<PRCurve curves={all} conf={0.5} />);
    expect(screen.getByTestId("operating-point").textContent).toMatch(/^operating point at confidence 0\.\d+/);
    expect(screen.getByTestId("best-point").textContent).toMatch(/^best F1 at confidence/);
  });

  it("moves the operating point at once when conf changes (no animation)", () => {
    const { rerender } = render(<PRCurve curves={all} conf={0.5} />);
    const before = screen.getByTestId("operating-point");
    const [cx, title] = [before.getAttribute("cx"), before.textContent];
    rerender(<PRCurve curves={all} conf={0.2} />);
    const after = screen.getByTestId("operating-point");
    expect(after.getAttribute("cx")).not.toBe(cx);
    expect(after.textContent).not.toBe(title);
    expect(after.textContent).toMatch(/^operating point at confidence 0\.[0-2]\d*/);
  });

  it("marks the report's precision and recall when given (exact on a downsampled curve)", () => {
    // A curve cut down to its ends: looking conf up on it would land on a far point.
    const c = all[0]!;
    const last = c.thresholds.length - 1;
    const cut: PRCurveDict = { ...c, thresholds: [c.thresholds[0]!, c.thresholds[last]!], precision: [c.precision[0]!, c.precision[last]!], recall: [c.recall[0]!, c.recall[last]!], f1: [c.f1[0]!, c.f1[last]!] };
    const { rerender } = render(<PRCurve curves={[cut]} conf={0.5} />);
    const guessed = screen.getByTestId("operating-point").getAttribute("cx");
    rerender(<PRCurve curves={[cut]} conf={0.5} operatingPoint={{ precision: 0.75, recall: 0.5, f1: 0.6 }} />);
    const marked = screen.getByTestId("operating-point");
    expect(marked.textContent).toBe(`operating point at confidence ${formatThreshold(0.5)}: precision 0.750, recall 0.500, F1 ${formatScore(0.6)}`);
    // Recall 0.5 is at x 196 (the plot spans 44..348 at the default width).
    expect(Number(marked.getAttribute("cx"))).toBeCloseTo(196, 0);
    expect(marked.getAttribute("cx")).not.toBe(guessed);
    expect(document.querySelector("figcaption")).toHaveTextContent(`at confidence ${formatThreshold(0.5)}: P 0.750, R 0.500`);
  });

  it("a one-vs-rest classification curve marks the report's point and says it is another family", () => {
    // Classification (no IoU): at 0.10 the one-vs-rest curve reads P 0.5, R 1; the arg-max report reads P 0.9, R 0.8.
    const ovr: PRCurveDict = {
      label: "0", thresholds: [0.9, 0.5, 0.1], precision: [1, 0.8, 0.5], recall: [0.4, 0.8, 1], f1: [0.571, 0.8, 0.667],
      best: { label: "0", conf: 0.5, "f1-score": 0.8, precision: 0.8, recall: 0.8 }, ap: 0.9, iou: null,
    };
    const { rerender } = render(<PRCurve curves={[ovr]} conf={0.1} operatingPoint={{ precision: 0.9, recall: 0.8, f1: 0.847 }} />);
    const caption = screen.getByTestId("pr-caption");
    expect(caption).toHaveTextContent("report at confidence 0.10: P 0.900, R 0.800");
    expect(caption).toHaveTextContent("The curve is one-vs-rest");
    expect(screen.getByRole("list", { name: "Legend" })).toHaveTextContent("one-vs-rest curve: every frame ranked by its score for 0");
    // The report's point on its own curve (an operating curve): no family note.
    rerender(<PRCurve curves={[ovr]} conf={0.1} operatingPoint={{ precision: 0.5, recall: 1, f1: 0.667 }} />);
    expect(screen.getByTestId("pr-caption")).not.toHaveTextContent("one-vs-rest");
    expect(screen.getByTestId("pr-caption")).toHaveTextContent("at confidence 0.10: P 0.500, R 1.000");
  });

  it("the legend names the operating point, the best-F1 point and the threshold lines", () => {
    render(<PRCurve curves={all} conf={0.5} thresholds={{ precision: 0.8, recall: 0.6 }} />);
    const legend = screen.getByRole("list", { name: "Legend" });
    expect(legend).toHaveTextContent("operating point: the report's row at confidence 0.50");
    expect(legend).toHaveTextContent("best-F1 point of the curve");
    expect(legend).toHaveTextContent("segment's precision threshold 0.80 and recall threshold 0.60");
  });

  it("omits the operating point when no prediction is kept", () => {
    render(<PRCurve curves={all} conf={1.01} />);
    expect(screen.queryByTestId("operating-point")).toBeNull();
  });

  it("draws dotted threshold lines where set", () => {
    const { rerender } = render(<PRCurve curves={all} thresholds={{ precision: 0.8, recall: null }} />);
    const line = screen.getByTestId("precision-threshold");
    expect(line).toHaveClass("threshold");
    expect(line).toHaveAttribute("stroke-dasharray");
    expect(line.textContent).toBe("precision threshold 0.80");
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
    await user.selectOptions(screen.getByRole("combobox", { name: "Metric class" }), "square");
    expect(onSelect).toHaveBeenCalledWith("square");
    expect(screen.getByRole("img")).toHaveAccessibleName(/for square/);
  });

  it("downsamples long curves but keeps the marked points", () => {
    const n = 20000;
    const thresholds = Array.from({ length: n }, (_, i) => 1 - i / n);
    const recall = Array.from({ length: n }, (_, i) => i / n);
    const precision = Array.from({ length: n }, (_, i) => 1 - 0.5 * (i / n) ** 2);
    // What the server sends beside the points (the test's own oracle for the F1 column).
    const f1 = precision.map((p, i) => (p + recall[i]! === 0 ? 0 : (2 * p * recall[i]!) / (p + recall[i]!)));
    const b = f1.indexOf(Math.max(...f1));
    const long: PRCurveDict = {
      label: "big", thresholds, recall, precision, f1, ap: 0.8,
      best: { label: "big", conf: thresholds[b]!, "f1-score": f1[b]!, precision: precision[b]!, recall: recall[b]! },
    };
    render(<PRCurve curves={[long]} conf={0.3} maxPoints={500} />);
    const points = Number(screen.getByTestId("curve").getAttribute("data-points"));
    expect(points).toBeLessThanOrEqual(502);
    expect(points).toBeGreaterThan(400);
    expect(screen.getByTestId("operating-point")).toBeInTheDocument();
    expect(screen.getByTestId("best-point").textContent).toContain(`F1 ${formatScore(f1[b]!)}`);
    expect(screen.queryByRole("combobox")).toBeNull();
  });

  it("says so when there is no curve", () => {
    render(<PRCurve curves={[]} />);
    expect(screen.getByText("No precision-recall curve.")).toBeInTheDocument();
  });
});
