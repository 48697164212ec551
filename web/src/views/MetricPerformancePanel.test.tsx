// @vitest-environment jsdom
import { render as renderBare, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useCallback, useState, type ReactElement } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { MetricImportanceListOut, MetricPerformanceOut, ProjectOut } from "../api/types";
import { MetricPerformanceChart } from "../components/MetricPerformanceChart";
import { MetricRanking } from "../components/MetricRanking";
import type { AppState } from "../lib/urlState";
import { binQuery, binRange, correlationSign, formatValue, histogramBars, importanceShare } from "../lib/metricPerformance";
import { DATASET, installMockApi, projectOut, type Handler } from "../test/mockApi";
import { ThemeProvider } from "../theme";
import type { ViewContext } from "./context";
import { InsightsView } from "./InsightsView";

const render = (ui: ReactElement) => renderBare(ui, { wrapper: ThemeProvider });
afterEach(() => vi.unstubAllGlobals());

function context(project: ProjectOut = projectOut(), patch: Partial<ViewContext> = {}): ViewContext {
  return {
    project, dataset: DATASET, sets: ["adaptive-cc"], thresholds: { conf: 0.1, iou: 0.5, overrides: {} }, conf: 0.1, iou: 0.5,
    segment: "All Frames", selection: null, sort: "confidence-disagreement", page: 0,
    metricClass: null, shown: null, values: "absolute", shareOf: "row", frame: null, object: null, update: vi.fn(),
    insights: "by-metric", ...patch,
  } as ViewContext;
}

function StatefulInsights({ initial }: { initial: ViewContext }) {
  const [ctx, setCtx] = useState(initial);
  const update = useCallback((patch: Partial<AppState>) => setCtx((c) => ({ ...c, ...(patch as Partial<ViewContext>) })), []);
  return <InsightsView ctx={{ ...ctx, update }} />;
}

const association = (importance: number | null, spearman: number | null, reason: "too_few" | null = null) => ({
  n: reason ? 40 : 400, missing: 0, right: 200, importance, mutual_information: importance, pearson: spearman, spearman, reason,
});

const RANKING: MetricImportanceListOut = {
  inference_set: "adaptive-cc", segment: "All Frames", query: null, conf: 0.1, iou: 0.5,
  metrics: [
    { metric: "max_overlap", level: "object", source: "quality", description: "largest IoU with another box of the frame", ...association(0.42, -0.57) },
    { metric: "confidence", level: "prediction", source: "builtin", description: "the prediction's confidence", ...association(0.3, 0.41) },
    { metric: "tiny", level: "frame", source: "custom", description: "", ...association(null, null, "too_few") },
  ],
};

function performance(metric: string, label: string | null): MetricPerformanceOut {
  const rates = (predictions: number, tp: number, labels: number, fn: number) => ({
    predictions, tp, labels, fn, precision: predictions ? tp / predictions : null, fnr: labels ? fn / labels : null,
  });
  return {
    inference_set: "adaptive-cc", segment: "All Frames", query: null, conf: 0.1, iou: 0.5, label, metric, level: "object",
    source: "quality", task: "detection", settings: { bins: 3, histogram_bins: 2, importance_bins: 10, min_samples: 100 },
    missing: { predictions: 0, labels: 2 },
    overall: rates(30, 18, 24, 9),
    bins: [
      { low: 0, high: 0, ...rates(10, 9, 8, 1) },
      { low: 0.05, high: 0.2, ...rates(12, 6, 8, 3) },
      { low: 0.25, high: 0.9, ...rates(8, 3, 6, 5) },
    ],
    classes: [],
    histogram: {
      edges: [0, 0.45, 0.9],
      groups: [{ name: "all", tp: [15, 3], fp: [8, 4], detected: [12, 3], fn: [4, 5] }, { name: "val", tp: [1, 1], fp: [0, 1], detected: [1, 1], fn: [0, 2] }],
      classes: [],
    },
    importance: association(0.42, -0.57), precision_side: association(0.3, -0.5), recall_side: association(0.2, -0.4),
  };
}

const handler: Handler = ({ path, query, method }) => {
  if (path.endsWith("/metric-importance")) return { body: RANKING };
  if (path.endsWith("/metric-performance")) return { body: performance(query.get("metric")!, query.get("label")) };
  if (path.endsWith("/examples/segment") && method === "POST") {
    return { status: 201, body: { name: "overlapping", uuid: "u", type: "scenario", query: null, description: "", frame_count: 3, thresholds: {}, stale: null } };
  }
  return undefined;
};

describe("metricPerformance helpers", () => {
  it("bars, signs, ranges and a bin's exact examples query", () => {
    expect(importanceShare(0.4)).toBe(0.4);
    expect(importanceShare(null)).toBe(0);
    expect(importanceShare(1.5)).toBe(1);
    expect(correlationSign(-0.2)).toBe("−");
    expect(correlationSign(0.2)).toBe("+");
    expect(correlationSign(null)).toBe("");
    expect(formatValue(0.123456)).toBe("0.1235");
    expect(formatValue(1200)).toBe("1200");
    expect(binRange({ low: 0, high: 0 })).toBe("0");
    expect(binRange({ low: 0.05, high: 0.2 })).toBe("0.05 – 0.2");
    expect(binQuery("m", { low: 0.05, high: 0.2 })).toEqual({ metric: "m", metricMin: 0.05, metricMax: 0.2 });
    const { bars, tallest } = histogramBars(performance("m", null).histogram, { tp: [15, 3], fp: [8, 4], fn: [4, 5] });
    expect(bars.map((b) => b.total)).toEqual([27, 12]);
    expect(bars[1]).toMatchObject({ low: 0.45, high: 0.9 });
    expect(tallest).toBe(27);
  });
});

describe("MetricRanking and MetricPerformanceChart", () => {
  it("draw the server's numbers: ranked rows with the correlation's sign, the bins' table and the overall lines", async () => {
    const onSelect = vi.fn();
    render(<MetricRanking metrics={RANKING.metrics} selected="max_overlap" onSelect={onSelect} />);
    const rows = [...document.querySelectorAll("button.metric-row")].map((b) => b.getAttribute("data-metric"));
    expect(rows).toEqual(["max_overlap", "confidence", "tiny"]);
    expect(document.querySelector('[data-importance="max_overlap"]')).toHaveTextContent("0.420");
    expect(document.querySelector('[data-spearman="max_overlap"]')).toHaveTextContent("−0.57");
    expect(document.querySelector('[data-spearman="confidence"]')).toHaveTextContent("+0.41");
    expect(document.querySelector('[data-importance="tiny"]')).toHaveTextContent("–");
    expect(screen.getByRole("button", { name: /^tiny: no importance \(fewer than 100/ })).toBeInTheDocument();
    expect(document.querySelector('[data-metric="max_overlap"]')!.getAttribute("title")).toMatch(/^max_overlap \(object, quality\): largest IoU with another box of the frame\. Importance: /);
    expect(document.querySelector('[data-metric="tiny"]')!.getAttribute("title")).toBe("tiny (frame, custom). No importance: fewer than 100 objects with a value");
    const fill = document.querySelector('[data-metric="max_overlap"] .metric-fill') as HTMLElement;
    expect(fill.style.width).toBe("42%");
    await userEvent.setup().click(screen.getByRole("button", { name: /^confidence:/ }));
    expect(onSelect).toHaveBeenCalledWith("confidence");

    const onSelectBin = vi.fn();
    render(<MetricPerformanceChart answer={performance("max_overlap", null)} selectedBin={null} onSelectBin={onSelectBin} />);
    const table = screen.getByRole("table", { name: "Bins of max_overlap" });
    const second = within(table).getAllByRole("row")[2]!;
    expect(second.querySelector('[data-col="precision"]')).toHaveTextContent("0.500");
    expect(second.querySelector('[data-col="fnr"]')).toHaveTextContent("0.375");
    expect(table.querySelector('[data-bin="overall"] [data-col="precision"]')).toHaveTextContent("0.600");
    expect(screen.getByTestId("metric-missing")).toHaveTextContent("0 predictions, 2 labels");
    // The overall lines sit at their values on the 0-1 axis (y = 10 + (1 - v) * 170).
    expect(Number(document.querySelector('[data-overall="precision"]')!.getAttribute("y1"))).toBeCloseTo(10 + 0.4 * 170);
    expect(Number(document.querySelector('[data-overall="fnr"]')!.getAttribute("y1"))).toBeCloseTo(10 + 0.625 * 170);
    expect(Number(document.querySelector('[data-precision-point="0"]')!.getAttribute("cy"))).toBeCloseTo(10 + 0.1 * 170);
    await userEvent.setup().click(within(table).getByRole("button", { name: "0.05 – 0.2" }));
    expect(onSelectBin).toHaveBeenCalledWith(1);
  });
});

describe("MetricPerformancePanel (Insights, By metric)", () => {
  it("ranks the metrics, shows the most important one, lists a bin's exact objects and saves them as a segment", async () => {
    const user = userEvent.setup();
    const calls = installMockApi(handler);
    render(<StatefulInsights initial={context()} />);
    expect(await screen.findByRole("tab", { name: "By metric" })).toHaveAttribute("aria-selected", "true");
    expect(await screen.findByRole("heading", { name: "Performance by max_overlap" })).toBeInTheDocument();
    // The heading comes from the ranking; the performance request follows it (later under load).
    const asked = (await waitFor(() => {
      const call = calls.find((c) => c.path.endsWith("/metric-performance"));
      expect(call).toBeDefined();
      return call!;
    })).query;
    expect([asked.get("metric"), asked.get("bins"), asked.get("conf"), asked.get("iou")]).toEqual(["max_overlap", "10", "0.1", "0.5"]);
    expect(await screen.findByTestId("metric-importance-line")).toHaveTextContent("Importance 0.420");
    // A bin lists its objects: the metric with the bin's exact range.
    await user.click(await screen.findByRole("button", { name: "0.25 – 0.9" }));
    await waitFor(() => expect(calls.some((c) => c.path.endsWith("/examples"))).toBe(true));
    const examples = calls.find((c) => c.path.endsWith("/examples"))!.query;
    expect([examples.get("metric"), examples.get("min"), examples.get("max")]).toEqual(["max_overlap", "0.25", "0.9"]);
    // ... and saves them as a segment with the same question.
    await user.click(await screen.findByRole("button", { name: "Save frames as a segment…" }));
    await user.type(screen.getByLabelText("Name"), "overlapping");
    await user.click(screen.getByRole("button", { name: "Save segment" }));
    await waitFor(() => expect(calls.some((c) => c.path.endsWith("/examples/segment"))).toBe(true));
    const saved = calls.find((c) => c.path.endsWith("/examples/segment"))!;
    expect([saved.query.get("metric"), saved.query.get("min"), saved.query.get("max")]).toEqual(["max_overlap", "0.25", "0.9"]);
    expect(saved.body).toMatchObject({ name: "overlapping" });
    // Another metric, and one class alone.
    await user.click(screen.getByRole("button", { name: /^confidence:/ }));
    expect(await screen.findByRole("heading", { name: "Performance by confidence" })).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText("Class"), "circle");
    await waitFor(() => expect(calls.some((c) => c.path.endsWith("/metric-performance") && c.query.get("label") === "circle")).toBe(true));
    expect(await screen.findByRole("figure", { name: "Performance by confidence: circle" })).toBeInTheDocument();
  });

  it("a link naming a metric and a bin (metric=, bin=) shows that metric and lists that bin's objects at once", async () => {
    const calls = installMockApi(handler);
    render(<StatefulInsights initial={context(projectOut(), { byMetric: "confidence", metricBin: 1 })} />);
    expect(await screen.findByRole("heading", { name: "Performance by confidence" })).toBeInTheDocument();
    await waitFor(() => expect(calls.some((c) => c.path.endsWith("/examples"))).toBe(true));
    const examples = calls.find((c) => c.path.endsWith("/examples"))!.query;
    expect([examples.get("metric"), examples.get("min"), examples.get("max")]).toEqual(["confidence", "0.05", "0.2"]);
    expect(calls.find((c) => c.path.endsWith("/metric-performance"))!.query.get("metric")).toBe("confidence");
    expect(await screen.findByRole("button", { name: "0.05 – 0.2", pressed: true })).toBeInTheDocument();
  });
});
