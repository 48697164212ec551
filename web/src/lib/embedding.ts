/**
 * The embedding view's pure parts: the REST shapes of projections and their colors
 * (issue 14's contract), decoding the points' binary answer, the view's data <-> screen
 * transform, lasso and box selection, a grid for finding the point under the pointer,
 * and the colors and legends of the points. No DOM, no WebGL: tested in Node.
 */
import type { components } from "../api/schema";
import { classColor, parseColor, type Scheme } from "./color";

// ------------------------------------------------------------------ REST shapes (docs/api-server.md, "Embeddings")
type Schemas = components["schemas"];
export type EmbeddingKind = "frame" | "crop";
export type ProjectionMethod = "umap" | "pca";
export type ElementSource = "frame" | "label" | "prediction";
/** `GET .../embeddings`: one embedding model of the dataset and its vector counts. */
export type EmbeddingModelOut = Schemas["EmbeddingModelOut"];
/** `GET .../projection`: a stored, current projection (404 when missing or stale). */
export type ProjectionOut = Schemas["ProjectionOut"];
/** `POST .../projection/elements`: what the points at some indices are. */
export type ProjectedElement = Schemas["ProjectionElementOut"];
/** `GET .../projection/colors`: one value per point, in the projection's element order (codes -1: no value). */
export type PointColorsOut = Schemas["PointColorsOut"];
/** `POST .../projection`, `GET .../projection/job`: the job computing a projection. */
export type ProjectionJob = Schemas["ProjectionJobOut"];

/** The issue element an element of the projection is (IssueElementModel). */
export function issueElementOf(dataset: string, e: ProjectedElement): {
  dataset: string; frame_id: string; element_kind: ElementSource; element_id: string | null; inference_set: string | null;
} {
  return { dataset, frame_id: e.frame_id, element_kind: e.source, element_id: e.source === "frame" ? null : e.id, inference_set: e.inference_set };
}

/** How many vectors of a kind a model has (crops: label crops and every set's prediction crops). */
export function vectorCount(model: EmbeddingModelOut, kind: EmbeddingKind): number {
  return kind === "frame" ? model.frames : model.labels + Object.values(model.predictions).reduce((a, b) => a + b, 0);
}

/**
 * The model shown: the one asked for when the dataset has it, else the first with vectors
 * of `kind`, else the first (null: no models).
 */
export function chooseModel(models: readonly EmbeddingModelOut[], asked: string | null, kind: EmbeddingKind): EmbeddingModelOut | null {
  return models.find((m) => m.model === asked) ?? models.find((m) => vectorCount(m, kind) > 0) ?? models[0] ?? null;
}

/** The frames of some elements, once each, in the order first met. */
export function uniqueFrames(elements: readonly ProjectedElement[]): string[] {
  return [...new Set(elements.map((e) => e.frame_id))];
}

// ------------------------------------------------------------------ points
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * `GET .../projection/points`: n x 2 little-endian float32, row-major. The answer as
 * (x0, y0, x1, y1, ...); an answer whose length is not whole points, or not `expected`
 * points when given, is an error (a truncated download must not draw a wrong scatter).
 */
export function decodePoints(buffer: ArrayBuffer, expected?: number): Float32Array {
  if (buffer.byteLength % 8 !== 0) throw new Error(`the points answer has ${buffer.byteLength} bytes, not a whole number of 8-byte points`);
  const n = buffer.byteLength / 8;
  if (expected !== undefined && n !== expected) throw new Error(`the points answer has ${n} points, the projection ${expected}`);
  if (LITTLE_ENDIAN) return new Float32Array(buffer.slice(0));
  const view = new DataView(buffer);
  const out = new Float32Array(n * 2);
  for (let k = 0; k < n * 2; k++) out[k] = view.getFloat32(k * 4, true);
  return out;
}

// ------------------------------------------------------------------ view transform
/** What the canvas shows: the data point at its center and how many CSS pixels a data unit spans (y up). */
export interface ViewState {
  cx: number;
  cy: number;
  scale: number;
}

export type Bounds = ProjectionOut["bounds"];

/** The view that shows all of `bounds` inside a width x height canvas with `margin` pixels around. */
export function fitView(bounds: Bounds, width: number, height: number, margin = 24): ViewState {
  const [x0 = 0, x1 = 1] = bounds.x;
  const [y0 = 0, y1 = 1] = bounds.y;
  const w = Math.max(x1 - x0, 1e-9);
  const h = Math.max(y1 - y0, 1e-9);
  const scale = Math.min(Math.max(width - 2 * margin, 1) / w, Math.max(height - 2 * margin, 1) / h);
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, scale };
}

export function toScreen(view: ViewState, width: number, height: number, x: number, y: number): [number, number] {
  return [width / 2 + (x - view.cx) * view.scale, height / 2 - (y - view.cy) * view.scale];
}

export function toData(view: ViewState, width: number, height: number, sx: number, sy: number): [number, number] {
  return [view.cx + (sx - width / 2) / view.scale, view.cy - (sy - height / 2) / view.scale];
}

/** Zoom by `factor` keeping the data point under (sx, sy) where it is. */
export function zoomAt(view: ViewState, width: number, height: number, sx: number, sy: number, factor: number): ViewState {
  const [x, y] = toData(view, width, height, sx, sy);
  const scale = view.scale * factor;
  return { scale, cx: x - (sx - width / 2) / scale, cy: y + (sy - height / 2) / scale };
}

/** Move the view's content by (dx, dy) screen pixels. */
export function panBy(view: ViewState, dx: number, dy: number): ViewState {
  return { ...view, cx: view.cx - dx / view.scale, cy: view.cy + dy / view.scale };
}

// ------------------------------------------------------------------ selection
export type Point = readonly [number, number];

/** Whether (x, y) is inside the polygon (even-odd rule; a point on an edge may go either way). */
export function pointInPolygon(x: number, y: number, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * The indices of the points inside a lasso (data coordinates), ascending; `selectable`
 * (1 per point) leaves out the points not shown. Fewer than 3 vertices select nothing.
 */
export function selectInPolygon(xy: Float32Array, polygon: readonly Point[], selectable?: Uint8Array | null): Uint32Array {
  if (polygon.length < 3) return new Uint32Array(0);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const [x, y] of polygon) {
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  const out: number[] = [];
  const n = xy.length / 2;
  for (let i = 0; i < n; i++) {
    if (selectable && !selectable[i]) continue;
    const x = xy[2 * i]!, y = xy[2 * i + 1]!;
    if (x < x0 || x > x1 || y < y0 || y > y1) continue;
    if (pointInPolygon(x, y, polygon)) out.push(i);
  }
  return Uint32Array.from(out);
}

/** The indices of the points inside the box with corners (ax, ay) and (bx, by) (data coordinates), ascending. */
export function selectInBox(xy: Float32Array, a: Point, b: Point, selectable?: Uint8Array | null): Uint32Array {
  const x0 = Math.min(a[0], b[0]), x1 = Math.max(a[0], b[0]), y0 = Math.min(a[1], b[1]), y1 = Math.max(a[1], b[1]);
  const out: number[] = [];
  const n = xy.length / 2;
  for (let i = 0; i < n; i++) {
    if (selectable && !selectable[i]) continue;
    const x = xy[2 * i]!, y = xy[2 * i + 1]!;
    if (x >= x0 && x <= x1 && y >= y0 && y <= y1) out.push(i);
  }
  return Uint32Array.from(out);
}

/** How a new shape combines with the selection: replace it, add to it (Shift), take from it (Alt). */
export type SelectionCombine = "replace" | "add" | "remove";

/** Two ascending index lists combined, ascending. */
export function combineSelections(current: Uint32Array | null, found: Uint32Array, how: SelectionCombine): Uint32Array {
  if (how === "replace" || current === null) return how === "remove" ? new Uint32Array(0) : found;
  const taken = new Set(found);
  if (how === "remove") return current.filter((i) => !taken.has(i));
  const merged = Uint32Array.from(new Set([...current, ...found]));
  return merged.sort();
}

/** The selected indices whose category code is one of `keep` (ascending as given). */
export function filterByCategory(selected: Uint32Array, codes: ArrayLike<number>, keep: ReadonlySet<number>): Uint32Array {
  return selected.filter((i) => keep.has(codes[i] ?? -1));
}

/**
 * Points bucketed in a uniform grid over their bounds, for the point nearest the pointer
 * in O(points near it). Built once per projection (a counting sort: O(n)).
 */
export class PointGrid {
  private readonly xy: Float32Array;
  private readonly x0: number;
  private readonly y0: number;
  private readonly cell: number;
  private readonly cols: number;
  private readonly rows: number;
  private readonly starts: Uint32Array;
  private readonly order: Uint32Array;

  constructor(xy: Float32Array, perCell = 8) {
    this.xy = xy;
    const n = xy.length / 2;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = xy[2 * i]!, y = xy[2 * i + 1]!;
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    if (n === 0) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
    const w = Math.max(x1 - x0, 1e-9), h = Math.max(y1 - y0, 1e-9);
    const cellsWanted = Math.max(1, Math.min(4_000_000, Math.ceil(n / perCell)));
    this.cell = Math.sqrt((w * h) / cellsWanted) || Math.max(w, h);
    this.cols = Math.max(1, Math.ceil(w / this.cell) + 1);
    this.rows = Math.max(1, Math.ceil(h / this.cell) + 1);
    this.x0 = x0;
    this.y0 = y0;
    const cellOf = new Uint32Array(n);
    const counts = new Uint32Array(this.cols * this.rows + 1);
    for (let i = 0; i < n; i++) {
      const c = this.cellIndex(xy[2 * i]!, xy[2 * i + 1]!);
      cellOf[i] = c;
      counts[c + 1]!++;
    }
    for (let c = 1; c < counts.length; c++) counts[c]! += counts[c - 1]!;
    this.starts = counts.slice();
    this.order = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.order[counts[cellOf[i]!]!++] = i;
  }

  private cellIndex(x: number, y: number): number {
    const cx = Math.min(this.cols - 1, Math.max(0, Math.floor((x - this.x0) / this.cell)));
    const cy = Math.min(this.rows - 1, Math.max(0, Math.floor((y - this.y0) / this.cell)));
    return cy * this.cols + cx;
  }

  /** The point nearest (x, y) within `radius` (data units) that `accept` takes; -1 when none. */
  nearest(x: number, y: number, radius: number, accept?: (index: number) => boolean): number {
    const c0 = Math.max(0, Math.floor((x - radius - this.x0) / this.cell));
    const c1 = Math.min(this.cols - 1, Math.floor((x + radius - this.x0) / this.cell));
    const r0 = Math.max(0, Math.floor((y - radius - this.y0) / this.cell));
    const r1 = Math.min(this.rows - 1, Math.floor((y + radius - this.y0) / this.cell));
    let best = -1;
    let bestD = radius * radius;
    // A tiny radius over a huge grid still scans at most the cells it covers.
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.cols + c;
        for (let k = this.starts[cell]!; k < this.starts[cell + 1]!; k++) {
          const i = this.order[k]!;
          const dx = this.xy[2 * i]! - x, dy = this.xy[2 * i + 1]! - y;
          const d = dx * dx + dy * dy;
          if (d <= bestD && (!accept || accept(i))) {
            bestD = d;
            best = i;
          }
        }
      }
    }
    return best;
  }
}

// ------------------------------------------------------------------ colors and legends
type RGB = readonly [number, number, number];

/** Outcome and confusion colors: green right, orange false positives, purple misses, red wrong class. */
const NAMED_COLORS: Record<string, string> = {
  TP: "#2f9e44",
  FP: "#f08c00",
  FN: "#9c36b5",
  "no errors": "#2f9e44",
  "FP only": "#f08c00",
  "FN only": "#9c36b5",
  "FP and FN": "#e03131",
  "FP (background)": "#f08c00",
  "FP (localization)": "#fcc419",
  "FP (duplicate)": "#a9e34b",
  "FN (localization)": "#4dabf7",
  "FN (missed)": "#9c36b5",
  "wrong class": "#e03131",
  correct: "#2f9e44",
  "below threshold": "#9c36b5",
};
/** Points without a value (code -1, or a null value). */
export const NO_VALUE_COLOR = "#868e96";
export const NO_VALUE = "no value";

/** The color of each category: the project's class colors for classes, fixed outcome colors, else the palette. */
export function categoryColors(categories: readonly string[], colorBy: string, classColors: Readonly<Record<string, string>> = {}): string[] {
  return categories.map((name, k) => {
    if (colorBy === "class" && classColors[name]) return classColors[name]!;
    if ((colorBy === "outcome" || colorBy === "confusion") && NAMED_COLORS[name]) return NAMED_COLORS[name]!;
    return classColor(k);
  });
}

/**
 * The continuous ramp (viridis' stops, dark to light): colorblind-safe and ordered in
 * lightness. On the dark theme its darkest stops are lifted so that low values stay
 * visible on the dark canvas (viridis' first stop is 1.3:1 against it).
 */
const RAMPS: Record<Scheme, readonly RGB[]> = {
  light: [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]],
  dark: [[131, 76, 173], [84, 121, 194], [33, 160, 150], [94, 201, 98], [253, 231, 37]],
};

/** The ramp's color at t in [0, 1] (clamped). */
export function rampColor(t: number, scheme: Scheme = "light"): RGB {
  const ramp = RAMPS[scheme];
  const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const at = u * (ramp.length - 1);
  const k = Math.min(ramp.length - 2, Math.floor(at));
  const f = at - k;
  const a = ramp[k]!, b = ramp[k + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as unknown as RGB;
}

/** The ramp as a CSS gradient (the continuous legend's bar). */
export function rampGradient(scheme: Scheme = "light"): string {
  const ramp = RAMPS[scheme];
  return `linear-gradient(to right, ${ramp.map((c, k) => `rgb(${c.join(", ")}) ${(k / (ramp.length - 1)) * 100}%`).join(", ")})`;
}

/** Where a value lies on [min, max] (0.5 when the range is empty). */
export function rampPosition(value: number, min: number, max: number): number {
  return max > min ? (value - min) / (max - min) : 0.5;
}

/** `count` evenly spaced tick values from min to max (one when the range is empty). */
export function legendTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  return Array.from({ length: count }, (_, k) => min + ((max - min) * k) / (count - 1));
}

/** A tick's label: few decimals for small ranges, none for large ones. */
export function formatTick(value: number, min: number, max: number): string {
  const span = Math.abs(max - min);
  const digits = span === 0 ? 3 : span >= 100 ? 0 : span >= 10 ? 1 : span >= 1 ? 2 : 3;
  return value.toFixed(digits);
}

/** One row of a categorical legend. */
export interface LegendEntry {
  /** The category's code (-1: no value). */
  code: number;
  name: string;
  color: string;
  count: number;
}

/**
 * The categorical legend: every category some point has, with its count, then "no value"
 * when some point has none (a frame projection has no crop outcomes: those are left out).
 */
export function categoricalLegend(colors: Pick<PointColorsOut, "categories" | "codes" | "color_by">, classColors: Readonly<Record<string, string>> = {}): LegendEntry[] {
  const categories = colors.categories ?? [];
  const counts = categoryCounts(colors.codes ?? [], categories.length);
  const palette = categoryColors(categories, colors.color_by, classColors);
  const entries: LegendEntry[] = categories.map((name, code) => ({ code, name, color: palette[code]!, count: counts[code]! })).filter((e) => e.count > 0);
  if (counts[categories.length]! > 0) entries.push({ code: -1, name: NO_VALUE, color: NO_VALUE_COLOR, count: counts[categories.length]! });
  return entries;
}

/** Points per category code (the last slot: code -1, no value), over `indices` when given, else all. */
export function categoryCounts(codes: ArrayLike<number>, categories: number, indices?: ArrayLike<number>): number[] {
  const counts = new Array<number>(categories + 1).fill(0);
  const n = indices ? indices.length : codes.length;
  for (let k = 0; k < n; k++) {
    const code = codes[indices ? indices[k]! : k]!;
    counts[code >= 0 && code < categories ? code : categories]!++;
  }
  return counts;
}

/** How points outside the segment / query are drawn. */
export type OutOfScope = "dim" | "hide";

export interface PointStyle {
  colors: PointColorsOut;
  classColors?: Readonly<Record<string, string>>;
  /** Category codes toggled off in the legend (-1: no value). */
  hidden?: ReadonlySet<number>;
  outOfScope?: OutOfScope;
  /** Per-point opacity source in [0, 1] (e.g. confidence); null values are drawn opaque. */
  opacity?: ReadonlyArray<number | null> | null;
  /** The theme the points are drawn on (the continuous ramp's). */
  scheme?: Scheme;
}

/** Alpha of a point drawn in full, of a dimmed one (out of scope), and the least opacity by confidence. */
export const FULL_ALPHA = 220;
export const DIM_ALPHA = 28;
export const MIN_OPACITY = 0.15;

/**
 * Each point's RGBA (4 bytes a point, for the GPU) and whether it can be selected: a
 * category toggled off or a point outside the scope when hidden gets alpha 0 and is not
 * selectable; outside the scope when dimmed, a faint alpha and not selectable either (the
 * selection is of the points in scope); opacity scales alpha from MIN_OPACITY to 1.
 */
export function pointStyle(n: number, style: PointStyle): { rgba: Uint8Array; selectable: Uint8Array } {
  const { colors, hidden = new Set(), outOfScope = "dim", opacity = null, scheme = "light" } = style;
  const rgba = new Uint8Array(n * 4);
  const selectable = new Uint8Array(n);
  let colorOf: (i: number) => RGB | null;
  if (colors.type === "categorical") {
    const palette = categoryColors(colors.categories ?? [], colors.color_by, style.classColors).map(parseColor);
    const none = parseColor(NO_VALUE_COLOR);
    const codes = colors.codes ?? [];
    colorOf = (i) => {
      const code = codes[i] ?? -1;
      if (hidden.has(code >= 0 && code < palette.length ? code : -1)) return null;
      return code >= 0 && code < palette.length ? palette[code]! : none;
    };
  } else {
    const values = colors.values ?? [];
    const min = colors.min ?? 0, max = colors.max ?? 1;
    const none = parseColor(NO_VALUE_COLOR);
    colorOf = (i) => {
      const v = values[i];
      if (v === null || v === undefined || !Number.isFinite(v)) return hidden.has(-1) ? null : none;
      return rampColor(rampPosition(v, min, max), scheme);
    };
  }
  const scope = colors.in_scope;
  for (let i = 0; i < n; i++) {
    const c = colorOf(i);
    const inScope = !scope || scope[i] !== false;
    if (c === null || (!inScope && outOfScope === "hide")) continue;
    rgba[4 * i] = c[0];
    rgba[4 * i + 1] = c[1];
    rgba[4 * i + 2] = c[2];
    if (!inScope) {
      rgba[4 * i + 3] = DIM_ALPHA;
      continue;
    }
    const o = opacity?.[i];
    const f = o === null || o === undefined || !Number.isFinite(o) ? 1 : MIN_OPACITY + (1 - MIN_OPACITY) * Math.min(1, Math.max(0, o));
    rgba[4 * i + 3] = Math.max(1, Math.round(FULL_ALPHA * f));
    selectable[i] = 1;
  }
  return { rgba, selectable };
}

/** Short text for a continuous value. */
export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NO_VALUE;
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toFixed(3);
}

/** What a point's color says, for the hover card. */
export function describePoint(colors: PointColorsOut | null, index: number): string | null {
  if (!colors) return null;
  if (colors.type === "categorical") {
    const code = colors.codes?.[index] ?? -1;
    return code >= 0 ? colors.categories?.[code] ?? NO_VALUE : NO_VALUE;
  }
  return formatValue(colors.values?.[index]);
}

// ------------------------------------------------------------------ color-by options
export interface ColorByOption {
  value: string;
  title: string;
  group: "Model" | "Metadata" | "Metrics";
}

/** The contract's built-in color-bys, in the order offered. */
export const BUILTIN_COLOR_BY: readonly ColorByOption[] = [
  { value: "class", title: "Class", group: "Model" },
  { value: "outcome", title: "Outcome", group: "Model" },
  { value: "confusion", title: "Confusion type", group: "Model" },
  { value: "confidence", title: "Confidence", group: "Model" },
  { value: "precision", title: "Frame precision", group: "Model" },
  { value: "recall", title: "Frame recall", group: "Model" },
  { value: "f1", title: "Frame F1", group: "Model" },
];

/** Frame columns that are not metadata (the frames table's own). */
const FRAME_COLUMNS = new Set(["frame_id", "image_uri", "width", "height"]);

/**
 * Every color-by the view offers: the built-in ones (only `class` for a dataset without
 * inference sets), each metadata key (`metadata:<key>`) and each element metric of the
 * points' level or their frame's (`metric:<name>`), once.
 */
export function colorByOptions(
  kind: EmbeddingKind,
  metadataKeys: readonly string[],
  metrics: ReadonlyArray<{ name: string; level: "frame" | "label" | "prediction" }>,
  hasInferenceSets = true,
): ColorByOption[] {
  const levels = kind === "frame" ? new Set(["frame"]) : new Set(["frame", "label", "prediction"]);
  const metricNames = [...new Set(metrics.filter((m) => levels.has(m.level)).map((m) => m.name))];
  return [
    // Without an inference set nothing has an outcome, a confidence or a frame's precision.
    ...(hasInferenceSets ? BUILTIN_COLOR_BY : BUILTIN_COLOR_BY.filter((o) => o.value === "class")),
    ...metadataKeys.filter((k) => !FRAME_COLUMNS.has(k)).map((k) => ({ value: `metadata:${k}`, title: k, group: "Metadata" as const })),
    ...metricNames.map((m) => ({ value: `metric:${m}`, title: m, group: "Metrics" as const })),
  ];
}
