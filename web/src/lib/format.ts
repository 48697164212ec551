/** Number formatting shared by every view. Pure. */

/** A ratio such as precision with `digits` decimals; "-" for -1 (Python's "nothing to measure") and non-finite values. */
export function formatScore(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value) || value < 0) return "-";
  return value.toFixed(digits);
}

/** A share in [0, 1] as a percentage, e.g. 0.3 -> "30.0%". */
export function formatPercent(share: number, digits = 1): string {
  if (!Number.isFinite(share)) return "-";
  return `${(share * 100).toFixed(digits)}%`;
}

/** An integer with an explicit sign, as Python's `{delta:+d}`: 10 -> "+10", 0 -> "+0", -3 -> "-3". */
export function formatSigned(value: number): string {
  const n = Math.trunc(value);
  return n < 0 ? `${n}` : `+${n}`;
}

/** A signed ratio delta, as Python's `{delta:+.3f}`. */
export function formatSignedScore(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return "-";
  const text = Math.abs(value).toFixed(digits);
  const isZero = Number(text) === 0;
  return `${value < 0 && !isZero ? "-" : "+"}${text}`;
}

/** An integer count with thousands separators (locale-independent: "12,345"). */
export function formatCount(value: number): string {
  const n = Math.round(value);
  const sign = n < 0 ? "-" : "";
  return sign + String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A confidence or IoU threshold: two decimals, more only when needed (0.5 -> "0.50", 0.125 -> "0.125"). */
export function formatThreshold(value: number): string {
  if (!Number.isFinite(value)) return "-";
  const rounded = Number(value.toFixed(4));
  const text = String(rounded);
  const decimals = text.includes(".") ? text.split(".")[1]!.length : 0;
  return rounded.toFixed(Math.max(2, decimals));
}
