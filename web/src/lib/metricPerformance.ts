/**
 * Performance by metric (docs/insights.md): the definitions shown beside the numbers,
 * and the small pure steps that turn the server's answers into what is drawn. Every
 * number is the server's; nothing here computes a metric.
 */
import type { AssociationOut, HistogramOut, MetricBinOut } from "../api/types";

export const METRIC_DEFINITIONS = {
  importance:
    "how much knowing the metric's quantile bin tells about the model being right: mutual information between the bin and the outcome over the outcome's entropy, 0 (nothing) to 1 (decides it)",
  correlation:
    "Spearman's rank correlation with being right (1 a true positive, 0 a false positive or a missed label): + the larger the value, the more often right; − the larger, the worse",
  precision: "TP / (TP + FP) over the predictions whose value is in the bin",
  fnr: "false-negative rate: FN / (TP + FN) over the labels whose value is in the bin (1 − recall)",
  overall: "dashed: the overall precision and FNR at this operating point, for reference",
  bins: "quantile bins: objects ranked by value, equal counts where values do not tie; a tied value is one bin of its own",
  histogram: "the distribution: objects per equal-width bin of the value, true and false positive predictions and missed labels stacked",
} as const;

/** Why an association is null (the sample guard; docs/insights.md). */
export const NULL_REASONS: Record<NonNullable<AssociationOut["reason"]>, string> = {
  too_few: "fewer than 100 objects with a value",
  constant_outcome: "every object is right, or every one wrong",
  constant_metric: "every object has the same value",
};

/** The share of the importance bar (importance is in [0, 1]); 0 when null. */
export function importanceShare(importance: number | null | undefined): number {
  if (importance === null || importance === undefined || !Number.isFinite(importance)) return 0;
  return Math.min(1, Math.max(0, importance));
}

/** "+", "−" or "" (none, or null) for a correlation's sign. */
export function correlationSign(value: number | null | undefined): "+" | "−" | "" {
  if (value === null || value === undefined || !Number.isFinite(value) || value === 0) return "";
  return value > 0 ? "+" : "−";
}

/** A metric value short enough for an axis: 4 significant digits, integers as they are. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return "-";
  if (Number.isInteger(value)) return String(value);
  const text = value.toPrecision(4);
  return text.includes("e") ? text : String(Number(text));
}

/** A bin's range as the user reads it: "a – b", or one value when the bin holds one. */
export function binRange(bin: Pick<MetricBinOut, "low" | "high">): string {
  return bin.low === bin.high ? formatValue(bin.low) : `${formatValue(bin.low)} – ${formatValue(bin.high)}`;
}

/** The examples query listing one bin's objects: its exact [low, high] (bins never overlap). */
export function binQuery(metric: string, bin: Pick<MetricBinOut, "low" | "high">): { metric: string; metricMin: number; metricMax: number } {
  return { metric, metricMin: bin.low, metricMax: bin.high };
}

export interface StackedBar {
  low: number;
  high: number;
  tp: number;
  fp: number;
  fn: number;
  total: number;
}

/** One histogram group's bars (TP, FP predictions and missed labels stacked) and the tallest. */
export function histogramBars(histogram: HistogramOut, counts: { tp: number[]; fp: number[]; fn: number[] }): { bars: StackedBar[]; tallest: number } {
  const bars = histogram.edges.slice(0, -1).map((low, i) => {
    const tp = counts.tp[i] ?? 0;
    const fp = counts.fp[i] ?? 0;
    const fn = counts.fn[i] ?? 0;
    return { low, high: histogram.edges[i + 1]!, tp, fp, fn, total: tp + fp + fn };
  });
  return { bars, tallest: Math.max(1, ...bars.map((b) => b.total)) };
}
