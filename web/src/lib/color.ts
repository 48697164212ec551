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

/** Background for a share in [0, 1]: white at 0, darker with the share. */
export function shareColor(share: number): string {
  return rgb(mix(WHITE, SHARE_DARK, share));
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
 * Background for a compared cell: blue when `improved`, red when not, white when
 * unchanged (null); the intensity is |delta| / maxAbs (at least a visible tint).
 */
export function deltaColor(delta: number, improved: boolean | null, maxAbs: number): string {
  if (improved === null || delta === 0) return rgb(WHITE);
  const t = maxAbs > 0 ? Math.abs(delta) / maxAbs : 1;
  return rgb(mix(WHITE, improved ? GOOD : BAD, 0.15 + 0.85 * clamp01(t)));
}

/** A stable distinct color per class index (Tableau 10), used when a project gives none. */
const PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
];
export function classColor(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}
