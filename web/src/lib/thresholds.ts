/** Threshold values: validation, snapping, per-class overrides. Pure. */
import type { Confidence } from "../api/types";

/** The grid value nearest to `value` (the first on ties); `value` itself when the grid is empty. */
export function snapToGrid(value: number, grid: readonly number[]): number {
  let best = value;
  let bestDistance = Infinity;
  for (const g of grid) {
    const d = Math.abs(g - value);
    if (d < bestDistance - 1e-12) {
      bestDistance = d;
      best = g;
    }
  }
  return best;
}

/** The grid's index nearest to `value` (0 when empty). */
export function gridIndex(value: number, grid: readonly number[]): number {
  const snapped = snapToGrid(value, grid);
  return Math.max(0, grid.indexOf(snapped));
}

export type Parsed = { ok: true; value: number | null } | { ok: false; error: string };

/**
 * A threshold typed by a user: a number in [0, 1]; blank means "no threshold" (null)
 * when `allowBlank`, else an error. Accepts ".8" and "0.8"; rejects "1.2", "abc", "-0.1".
 */
export function parseUnit(text: string, allowBlank = true): Parsed {
  const s = text.trim();
  if (s === "") return allowBlank ? { ok: true, value: null } : { ok: false, error: "enter a value from 0 to 1" };
  if (!/^[+]?(\d+\.?\d*|\.\d+)$/.test(s)) return { ok: false, error: "enter a number from 0 to 1" };
  const value = Number(s);
  if (!(value >= 0 && value <= 1)) return { ok: false, error: "must be between 0 and 1" };
  return { ok: true, value };
}

/** The confidence sent to the engine: one number when no class overrides it, else a full per-class map. */
export function effectiveConfidence(
  conf: number,
  overrides: Readonly<Record<string, number>>,
  classes: readonly string[],
): Confidence {
  const names = Object.keys(overrides).filter((k) => classes.includes(k));
  if (names.length === 0) return conf;
  const out: Record<string, number> = {};
  for (const c of classes) out[c] = overrides[c] ?? conf;
  return out;
}

/** The overrides with one class set (or removed when `value` is null). Returns a new object. */
export function withOverride(
  overrides: Readonly<Record<string, number>>,
  label: string,
  value: number | null,
): Record<string, number> {
  const out = { ...overrides };
  if (value === null) delete out[label];
  else out[label] = value;
  return out;
}

/** The IoU slider's range and step (the whole range the server matches; docs/metrics.md). */
export const IOU_MIN = 0.05;
export const IOU_MAX = 0.95;
export const IOU_STEP = 0.05;
/** Tick labels under the IoU slider. */
export const IOU_TICKS: readonly number[] = [0.05, 0.25, 0.5, 0.75, 0.95];

/**
 * An IoU to send: rounded to 4 decimals (a slider's float noise gone), and the kept grid's
 * own value when it is one of them (0.9 is the grid's 0.8999999999999999), so the server
 * answers from what it keeps.
 */
export function iouOf(value: number, grid: readonly number[]): number {
  const rounded = Math.round(value * 10000) / 10000;
  const kept = grid.find((g) => Math.abs(g - rounded) < 1e-6);
  return kept ?? rounded;
}

/** An IoU typed by a user: a number from IOU_MIN to IOU_MAX (blank is an error). */
export function parseIou(text: string): Parsed {
  const parsed = parseUnit(text, false);
  if (!parsed.ok || parsed.value === null) return parsed;
  if (parsed.value < IOU_MIN - 1e-12 || parsed.value > IOU_MAX + 1e-12) return { ok: false, error: `must be between ${IOU_MIN} and ${IOU_MAX}` };
  return parsed;
}
