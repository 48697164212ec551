/** Regression-test verdicts, exactly as Python's `MetricCheck.succeeds`. Pure. */
import type { SegmentResultDict, ThresholdMetric, Thresholds } from "../api/types";
import { THRESHOLD_METRICS } from "../api/types";

export type Verdict = "pass" | "fail" | "none";

/** "none" without a threshold; else pass when score >= threshold. */
export function verdict(score: number, threshold: number | null | undefined): Verdict {
  if (threshold === null || threshold === undefined) return "none";
  return score >= threshold ? "pass" : "fail";
}

/** The segment's verdict: fail if any thresholded metric fails, pass if all pass, none if none is set. */
export function overallVerdict(result: SegmentResultDict, thresholds?: Thresholds): Verdict {
  const verdicts = THRESHOLD_METRICS.map((m) => verdict(result[m].score, thresholds ? thresholds[m] : result[m].threshold));
  const decided = verdicts.filter((v) => v !== "none");
  if (decided.length === 0) return "none";
  return decided.every((v) => v === "pass") ? "pass" : "fail";
}

export function thresholdsOf(result: SegmentResultDict): Thresholds {
  const out = {} as Thresholds;
  for (const m of THRESHOLD_METRICS) out[m] = result[m].threshold;
  return out;
}

export const METRIC_TITLES: Record<ThresholdMetric, string> = {
  precision: "Precision",
  recall: "Recall",
  f1_score: "F1",
};
