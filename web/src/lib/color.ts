/** Color scales. Pure: every function returns a CSS color string. */

type RGB = readonly [number, number, number];

const WHITE: RGB = [255, 255, 255];
/** The sequential scale's darkest color (a deep blue, readable with white text). */
const SHARE_DARK: RGB = [8, 69, 148];
/** Delta colors: blue is better, red is worse (the product's convention). */
const GOOD: RGB = [33, 102, 172];
const BAD: RGB = [178, 24, 43];

function clamp01(t: number): number {
  return Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
}

function mix(a: RGB, b: RGB, t: number): RGB {
  const u = clamp01(t);
  return [0, 1, 2].map((k) => Math.round(a[k]! + (b[k]! - a[k]!) * u)) as unknown as RGB;
}

export function rgb(c: RGB): string {
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** Parse "rgb(r, g, b)" or "#rrggbb". */
export function parseColor(color: string): RGB {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (hex) return [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16), parseInt(hex[3]!, 16)];
  const m = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(color);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  throw new Error(`unsupported color ${color}`);
}

/** Which theme a color is drawn on (the app's light/dark toggle). */
export type Scheme = "light" | "dark";

/**
 * The dark theme's scale runs the other way: from the dark panel's own gray (nothing) to
 * a saturated light blue (the largest cell), so a large share stands out, not a small one.
 */
const DARK_LOW: RGB = [37, 38, 43];
const DARK_HIGH: RGB = [77, 171, 247];
/** Delta colors on dark: the same blue and red, lighter so they read on the dark low end. */
const GOOD_ON_DARK: RGB = [92, 156, 230];
const BAD_ON_DARK: RGB = [230, 86, 104];

/** Background for a share in [0, 1]: light theme white at 0, darker with the share; dark theme the reverse. */
export function shareColor(share: number, scheme: Scheme = "light"): string {
  return rgb(scheme === "dark" ? mix(DARK_LOW, DARK_HIGH, share) : mix(WHITE, SHARE_DARK, share));
}

/** WCAG relative luminance of a color. */
export function luminance(color: string): number {
  const [r, g, b] = parseColor(color).map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as unknown as RGB;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Black or white text, whichever contrasts more with the background. */
export function textColorOn(background: string): "#000" | "#fff" {
  const l = luminance(background);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? "#000" : "#fff";
}

/**
 * Background for a compared cell: blue when `improved`, red when not, the scheme's
 * "nothing" color (white, or the dark gray) when unchanged (null); the intensity is
 * |delta| / maxAbs (at least a visible tint).
 */
export function deltaColor(delta: number, improved: boolean | null, maxAbs: number, scheme: Scheme = "light"): string {
  const unchanged = scheme === "dark" ? DARK_LOW : WHITE;
  if (improved === null || delta === 0) return rgb(unchanged);
  const t = maxAbs > 0 ? Math.abs(delta) / maxAbs : 1;
  const towards = scheme === "dark" ? (improved ? GOOD_ON_DARK : BAD_ON_DARK) : improved ? GOOD : BAD;
  return rgb(mix(unchanged, towards, 0.15 + 0.85 * clamp01(t)));
}

/** A stable distinct color per class index (Tableau 10), used when a project gives none. */
const PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
];
export function classColor(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}
