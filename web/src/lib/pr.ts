/** Precision-recall curve logic. Pure. Curves are Python's `PRCurve.to_dict()`: thresholds descending. */
import type { PRCurveDict } from "../api/types";

export function f1(precision: number, recall: number): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

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

/** The index with the highest F1; on ties the highest confidence (the first), as `PRCurve.best()`. -1 if empty. */
export function bestF1Index(curve: PRCurveDict): number {
  let best = -1;
  let bestF1 = -1;
  curve.precision.forEach((p, i) => {
    const value = f1(p, curve.recall[i]!);
    if (value > bestF1) {
      bestF1 = value;
      best = i;
    }
  });
  return best;
}

export interface CurvePoint {
  recall: number;
  precision: number;
  threshold: number;
  index: number;
}

export function pointAt(curve: PRCurveDict, index: number): CurvePoint | null {
  if (index < 0 || index >= curve.thresholds.length) return null;
  return {
    recall: curve.recall[index]!,
    precision: curve.precision[index]!,
    threshold: curve.thresholds[index]!,
    index,
  };
}
