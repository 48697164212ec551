/**
 * Precision-recall curve lookups. Pure. Curves are Python's `PRCurve.to_dict()`: thresholds
 * descending, each point's F1 and the best-F1 point as the server computed them.
 */
import type { PRCurveDict } from "../api/types";

/**
 * The point of keeping every prediction scored at or above `conf`: the last index whose
 * threshold is >= conf (thresholds are descending), or -1 when none is (nothing kept).
 */
export function operatingPointIndex(curve: PRCurveDict, conf: number): number {
  const t = curve.thresholds;
  let lo = 0;
  let hi = t.length; // first index with t[i] < conf
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid]! >= conf) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The index of the server's best-F1 point (`PRCurve.best()`); -1 for an empty curve. */
export function bestIndex(curve: PRCurveDict): number {
  return curve.thresholds.length === 0 ? -1 : curve.thresholds.indexOf(curve.best.conf);
}

export interface CurvePoint {
  recall: number;
  precision: number;
  f1: number;
  threshold: number;
  index: number;
}

export function pointAt(curve: PRCurveDict, index: number): CurvePoint | null {
  if (index < 0 || index >= curve.thresholds.length) return null;
  return {
    recall: curve.recall[index]!,
    precision: curve.precision[index]!,
    f1: curve.f1[index]!,
    threshold: curve.thresholds[index]!,
    index,
  };
}

/** The pooled (micro-averaged) curve's label: detection's "all", classification's "micro avg". */
export const POOLED_CURVE_LABELS: readonly string[] = ["all", "micro avg"];

export function isPooledCurve(label: string): boolean {
  return POOLED_CURVE_LABELS.includes(label);
}

/** The pooled curve among a set's curves, if the server sent one. */
export function pooledCurve<T extends { label: string }>(curves: readonly T[]): T | undefined {
  return curves.find((c) => isPooledCurve(c.label));
}
