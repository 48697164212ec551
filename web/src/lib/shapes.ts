/**
 * Object geometry beyond boxes, as the frames endpoint sends it (docs/store.md#geometry):
 * COCO compressed RLE masks, polygons, keypoints (x, y, v triples) and points. Pure: the
 * RLE decoder and the SVG path data the frame view draws.
 */

export type Shape = "box" | "mask" | "polygon" | "keypoints" | "polyline" | "point";

/** A COCO compressed RLE: runs down the columns (column-major), the first one background. */
export interface MaskRle {
  height: number;
  width: number;
  counts: string;
}

// A type alias, not an interface: it fits the API's `{[key: string]: unknown}` (examples).
export type ObjectGeometry = {
  shape: Shape;
  mask?: MaskRle | null;
  polygon?: number[][] | null;
  keypoints?: number[] | null;
  points?: number[] | null;
};

/** A class's keypoints: names in the order of the triples, skeleton as 1-based pairs. */
export interface KeypointSchema {
  names: string[];
  skeleton: number[][];
}

const SHAPES: readonly Shape[] = ["box", "mask", "polygon", "keypoints", "polyline", "point"];

/** The geometry of a label or prediction row (undefined for a box-only row). */
export function geometryOf(row: Readonly<Record<string, unknown>>): ObjectGeometry | undefined {
  const shape = row.shape;
  if (typeof shape !== "string" || shape === "box" || !(SHAPES as readonly string[]).includes(shape)) return undefined;
  return {
    shape: shape as Shape,
    mask: (row.mask as MaskRle | null | undefined) ?? null,
    polygon: (row.polygon as number[][] | null | undefined) ?? null,
    keypoints: (row.keypoints as number[] | null | undefined) ?? null,
    points: (row.points as number[] | null | undefined) ?? null,
  };
}

/** The run lengths of a COCO compressed counts string (pycocotools' rleFrString). */
export function decodeCounts(counts: string): number[] {
  const runs: number[] = [];
  let p = 0;
  while (p < counts.length) {
    let value = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= counts.length) throw new Error("RLE counts end inside a number");
      const c = counts.charCodeAt(p) - 48;
      if (c < 0 || c >= 64) throw new Error(`RLE counts character ${counts[p]} is not COCO's`);
      value += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p += 1;
      k += 1;
      if (!more && (c & 0x10) !== 0) value -= 2 ** (5 * k);
    }
    if (runs.length > 2) value += runs[runs.length - 2]!;
    runs.push(value);
  }
  return runs;
}

/** Foreground runs as [start, end) positions in column-major order. */
function foregroundRuns(rle: MaskRle): Array<[number, number]> {
  const runs = decodeCounts(rle.counts);
  const out: Array<[number, number]> = [];
  const total = rle.height * rle.width;
  let position = 0;
  runs.forEach((length, i) => {
    const end = Math.min(total, position + length);
    if (i % 2 === 1 && end > position) out.push([position, end]);
    position = end;
  });
  return out;
}

/** The mask as rows of pixels: `pixels[y * width + x]` is 1 on the object. */
export function decodeMask(rle: MaskRle): Uint8Array {
  const { height: h, width: w } = rle;
  const pixels = new Uint8Array(h * w);
  for (const [start, end] of foregroundRuns(rle)) {
    for (let p = start; p < end; p++) pixels[(p % h) * w + Math.floor(p / h)] = 1;
  }
  return pixels;
}

/** SVG path data filling the mask: one 1-pixel-wide rectangle per run within a column. */
export function maskFillPath(rle: MaskRle): string {
  const h = rle.height;
  const parts: string[] = [];
  for (const [start, end] of foregroundRuns(rle)) {
    let p = start;
    while (p < end) {
      const x = Math.floor(p / h);
      const y = p % h;
      const length = Math.min(end - p, h - y);
      parts.push(`M${x} ${y}h1v${length}h-1z`);
      p += length;
    }
  }
  return parts.join("");
}

/** SVG path data of the mask's outline: every pixel edge between object and background. */
export function maskOutlinePath(rle: MaskRle): string {
  const { height: h, width: w } = rle;
  const runs = foregroundRuns(rle);
  if (runs.length === 0) return "";
  const pixels = decodeMask(rle);
  const x0 = Math.floor(runs[0]![0] / h);
  const x1 = Math.floor((runs[runs.length - 1]![1] - 1) / h) + 1;
  const at = (x: number, y: number) => (x >= 0 && x < w && y >= 0 && y < h ? pixels[y * w + x]! : 0);
  const parts: string[] = [];
  // Horizontal edges on each row boundary y (between rows y - 1 and y), joined along x.
  for (let y = 0; y <= h; y++) {
    let from = -1;
    for (let x = x0; x <= x1; x++) {
      const edge = x < x1 && at(x, y - 1) !== at(x, y);
      if (edge && from < 0) from = x;
      if (!edge && from >= 0) {
        parts.push(`M${from} ${y}h${x - from}`);
        from = -1;
      }
    }
  }
  // Vertical edges on each column boundary x, joined along y.
  for (let x = x0; x <= x1; x++) {
    let from = -1;
    for (let y = 0; y <= h; y++) {
      const edge = y < h && at(x - 1, y) !== at(x, y);
      if (edge && from < 0) from = y;
      if (!edge && from >= 0) {
        parts.push(`M${x} ${from}v${y - from}`);
        from = -1;
      }
    }
  }
  return parts.join("");
}

/** "x1,y1 x2,y2 ..." of flat [x1, y1, x2, y2, ...] (an SVG polygon's or polyline's points). */
export function svgPoints(flat: readonly number[]): string {
  const pairs: string[] = [];
  for (let k = 0; k + 1 < flat.length; k += 2) pairs.push(`${flat[k]},${flat[k + 1]}`);
  return pairs.join(" ");
}

export interface Keypoint {
  x: number;
  y: number;
  /** 0 not labeled (not drawn), 1 labeled but not visible (hollow), 2 visible (filled). */
  v: number;
  name: string;
}

/** The keypoints of (x, y, v) triples, named by the class's schema (else "1", "2"...). */
export function keypointsOf(flat: readonly number[], schema?: KeypointSchema): Keypoint[] {
  const out: Keypoint[] = [];
  for (let k = 0; k + 2 < flat.length; k += 3) {
    const index = k / 3;
    out.push({ x: flat[k]!, y: flat[k + 1]!, v: flat[k + 2]!, name: schema?.names[index] ?? String(index + 1) });
  }
  return out;
}

/** The skeleton's limbs whose two keypoints are both labeled, as [x1, y1, x2, y2]. */
export function skeletonSegments(points: readonly Keypoint[], schema?: KeypointSchema): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  for (const limb of schema?.skeleton ?? []) {
    const a = points[limb[0]! - 1];
    const b = points[limb[1]! - 1];
    if (a && b && a.v > 0 && b.v > 0) out.push([a.x, a.y, b.x, b.y]);
  }
  return out;
}

/** The shapes among objects, in a fixed order (what a legend explains). */
export function shapesIn(geometries: ReadonlyArray<ObjectGeometry | undefined>): Shape[] {
  const present = new Set(geometries.map((g) => g?.shape).filter((s): s is Shape => s !== undefined));
  return SHAPES.filter((s) => s !== "box" && present.has(s));
}
