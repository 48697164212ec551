/**
 * Downsampling of curves for drawing: Largest-Triangle-Three-Buckets (Steinarsson 2013)
 * over the points in curve order, keeping the first and last points and any indices
 * the caller must keep (the operating point, the best-F1 point). Pure.
 */

export interface XY {
  x: number;
  y: number;
}

/** Indices (ascending) of at most about `threshold` points that keep the curve's shape. */
export function lttbIndices(points: readonly XY[], threshold: number, keep: readonly number[] = []): number[] {
  const n = points.length;
  const kept = new Set(keep.filter((k) => k >= 0 && k < n));
  if (threshold >= n || n <= 2) return range(n);
  const target = Math.max(3, Math.floor(threshold));
  const out: number[] = [0];
  const bucket = (n - 2) / (target - 2);
  let a = 0;
  for (let b = 0; b < target - 2; b++) {
    const start = Math.floor(b * bucket) + 1;
    const end = Math.min(Math.floor((b + 1) * bucket) + 1, n - 1);
    // The next bucket's average point.
    const nextStart = end;
    const nextEnd = Math.min(Math.floor((b + 2) * bucket) + 1, n);
    let avgX = 0;
    let avgY = 0;
    const count = Math.max(1, nextEnd - nextStart);
    for (let k = nextStart; k < nextEnd; k++) {
      avgX += points[k]!.x;
      avgY += points[k]!.y;
    }
    avgX /= count;
    avgY /= count;
    const pa = points[a]!;
    let bestArea = -1;
    let best = start;
    for (let k = start; k < end; k++) {
      const p = points[k]!;
      const area = Math.abs((pa.x - avgX) * (p.y - pa.y) - (pa.x - p.x) * (avgY - pa.y));
      if (area > bestArea) {
        bestArea = area;
        best = k;
      }
    }
    out.push(best);
    a = best;
  }
  out.push(n - 1);
  for (const k of kept) out.push(k);
  return Array.from(new Set(out)).sort((x, y) => x - y);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
