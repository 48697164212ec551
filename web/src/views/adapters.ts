/** Turning API answers into the components' shapes. Pure. */
import { frameImageUrl, frameThumbnailUrl } from "../api/client";
import type { Confidence, ExampleOut, FrameDetail, FrameExample, FrameObject, FrameRow, Outcome } from "../api/types";
import { metricSortOf, type Example, type ExampleSort } from "../lib/examples";
import { geometryOf, type ObjectGeometry } from "../lib/shapes";
import type { ExampleOrder } from "../api/client";

/** The server's `sort` and `order` for an example sort of the grid. */
export function serverSort(sort: ExampleSort): { sort: string; order: ExampleOrder } {
  const metric = metricSortOf(sort);
  if (metric !== null) return { sort: metric.name, order: metric.order };
  switch (sort) {
    case "confidence-disagreement":
      return { sort: "confidence", order: "desc" };
    case "confidence-agreement":
      return { sort: "confidence", order: "asc" };
    case "iou":
      return { sort: "iou", order: "asc" };
    case "area":
      return { sort: "area", order: "asc" };
    default:
      return { sort: "confidence", order: "desc" };
  }
}

const NO_BOX: [number, number, number, number] = [0, 0, 0, 0];

/** Thumbnails are asked for at this longest side (2x the grid's 180 CSS pixels). */
export const THUMBNAIL_SIZE = 360;

/** A query selecting these frames (docs/queries.md string literals). */
export function frameIdsQuery(ids: readonly string[]): string {
  const quote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")}'`;
  return `frame_id in (${ids.map(quote).join(", ")})`;
}

/**
 * A frame's image URI when it is an http(s) URL: the image endpoint only redirects there,
 * and loading it directly needs no API key (an API key cannot follow a redirect to another
 * origin, and `<img>` sends none).
 */
export function webImageOf(uri: unknown): string | undefined {
  return typeof uri === "string" && /^https?:\/\//i.test(uri) ? uri : undefined;
}

/**
 * One example of the examples endpoint as a grid example: its frame's image with the
 * object alone. With the frame's row (its recorded size), the grid loads the PNG
 * thumbnail and draws boxes in the recorded size; without it, the full image.
 */
export function exampleOf(project: string, dataset: string, e: ExampleOut, row?: FrameRow): Example {
  const { source_id: _source, box, geometry, ...record } = e;
  const object: FrameObject = { ...record, box: box?.length === 4 ? (box as FrameObject["box"]) : NO_BOX, ...withGeometry(geometry ?? {}) };
  const width = Number(row?.width) || 0;
  const height = Number(row?.height) || 0;
  const web = webImageOf(row?.image_uri);
  const local = typeof row?.image_uri === "string" && web === undefined;
  // Without a recorded size, 640 x 480 stands in until the image reports its natural size.
  const frame: FrameExample = {
    frame_id: e.frame_id, image_url: web ?? frameImageUrl(project, dataset, e.frame_id),
    width: width || 640, height: height || 480, objects: [object],
    ...(width > 0 && height > 0 && local ? { thumbnail_url: frameThumbnailUrl(project, dataset, e.frame_id, THUMBNAIL_SIZE) } : {}),
    ...(typeof row?.text === "string" && !row.image_uri ? { text: row.text } : {}),
  };
  return { frame, object };
}

function boxOf(row: { x: number | null; y: number | null; width: number | null; height: number | null }): [number, number, number, number] {
  return row.x === null || row.y === null || row.width === null || row.height === null ? NO_BOX : [row.x, row.y, row.width, row.height];
}

function thresholdOf(conf: Confidence, label: string): number {
  return typeof conf === "number" ? conf : (conf[label] ?? 0);
}

/**
 * A frame of the frames endpoint as a FrameView frame: its labels and the inference set's
 * predictions counted at `conf` (below it they are not evaluated). Outcomes come from
 * `known` examples (matched by stored id); objects without one show no outcome.
 */
export function frameOf(detail: FrameDetail, inferenceSet: string | null, conf: Confidence, known: readonly ExampleOut[] = []): FrameExample {
  const outcome = (kind: FrameObject["kind"], source: string) =>
    known.find((e) => e.kind === kind && e.source_id === source && e.frame_id === detail.frame.frame_id);
  const objects: FrameObject[] = [];
  // Not among the known examples: no outcome, IoU unknown (NaN shows "-").
  const unknown = { outcome: "" as Outcome, reason: "" as const, partner_id: -1, partner_label: "", iou: NaN };
  detail.labels.forEach((l, k) => {
    const box = boxOf(l);
    const e = outcome("ground_truth", l.label_id);
    objects.push({
      ...unknown, ...(e ? { outcome: e.outcome, reason: e.reason, partner_id: e.partner_id, partner_label: e.partner_label, iou: e.iou } : {}),
      kind: "ground_truth", id: k + 1, frame_id: l.frame_id, label: l.class_name, confidence: null, area: box[2] * box[3], box,
      ...withGeometry(l),
    });
  });
  const predictions = inferenceSet ? (detail.predictions[inferenceSet] ?? []) : [];
  predictions.forEach((p, k) => {
      if (p.confidence !== null && p.confidence < thresholdOf(conf, p.class_name)) return;
      const box = boxOf(p);
      const e = outcome("prediction", p.prediction_id);
      objects.push({
        ...unknown, ...(e ? { outcome: e.outcome, reason: e.reason, partner_id: e.partner_id, partner_label: e.partner_label, iou: e.iou } : {}),
        kind: "prediction", id: detail.labels.length + k + 1, frame_id: p.frame_id, label: p.class_name, confidence: p.confidence, area: box[2] * box[3], box,
        ...withGeometry(p),
      });
    });
  const schemas = detail.keypoint_schemas ?? {};
  return {
    frame_id: String(detail.frame.frame_id), image_url: webImageOf(detail.frame.image_uri) ?? detail.image_url, width: Number(detail.frame.width) || 640, height: Number(detail.frame.height) || 480, objects,
    ...(Object.keys(schemas).length > 0 ? { keypointSchemas: schemas } : {}),
  };
}

/** A row's geometry (masks, polygons, keypoints...) as a FrameObject field; nothing for a box. */
function withGeometry(row: object): { geometry?: ObjectGeometry } {
  const geometry = geometryOf(row as Record<string, unknown>);
  return geometry ? { geometry } : {};
}

/** The FrameView id `frameOf` gives the object with this stored id (undefined when not shown). */
export function objectIdOf(detail: FrameDetail, inferenceSet: string | null, kind: FrameObject["kind"], source: string | null): number | undefined {
  if (source === null) return undefined;
  if (kind === "ground_truth") {
    const k = detail.labels.findIndex((l) => l.label_id === source);
    return k < 0 ? undefined : k + 1;
  }
  const k = (inferenceSet ? (detail.predictions[inferenceSet] ?? []) : []).findIndex((p) => p.prediction_id === source);
  return k < 0 ? undefined : detail.labels.length + k + 1;
}
