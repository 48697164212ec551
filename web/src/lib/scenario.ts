/** Regression-test verdicts as the server answers them (`succeeds`); the app never derives one. Pure. */
import type { SegmentResultDict, ThresholdMetric, Thresholds } from "../api/types";
import { THRESHOLD_METRICS } from "../api/types";

/** "pending" while thresholds edited here have not come back from the server yet. */
export type Verdict = "pass" | "fail" | "none" | "pending";

/** The server's verdict (`succeeds`: true, false, or null without a threshold) as a word. */
export function verdictOf(succeeds: boolean | null): Verdict {
  if (succeeds === null) return "none";
  return succeeds ? "pass" : "fail";
}

export function thresholdsOf(result: SegmentResultDict): Thresholds {
  const out = {} as Thresholds;
  for (const m of THRESHOLD_METRICS) out[m] = result[m].threshold;
  return out;
}

/** The metrics whose threshold shown here differs from the one the result was computed at. */
export function pendingMetrics(result: SegmentResultDict, shown: Thresholds): Set<ThresholdMetric> {
  return new Set(THRESHOLD_METRICS.filter((m) => result[m].threshold !== shown[m]));
}

export const METRIC_TITLES: Record<ThresholdMetric, string> = {
  precision: "Precision",
  recall: "Recall",
  f1_score: "F1",
};

/** What each card metric is (its tooltip): the micro average over the segment's frames at the thresholds. */
export const METRIC_DEFINITIONS: Record<ThresholdMetric, string> = {
  precision: "Precision: TP / (TP + FP) over every class of the segment's frames (micro average), at the confidence and IoU thresholds",
  recall: "Recall: TP / (TP + FN) over every class of the segment's frames (micro average), at the confidence and IoU thresholds",
  f1_score: "F1: the harmonic mean of the precision and recall above",
};
