/**
 * What a point of the embedding scatter is: the frame's thumbnail, and for a crop (a
 * label or a prediction) its box drawn on it. Used by the hover card and the selection's
 * gallery.
 */
import { api, frameThumbnailUrl } from "../api/client";
import type { LabelRow, PredictionRow } from "../api/types";
import { useApi } from "../hooks/useApi";
import { useImageSource } from "../hooks/useImageSource";
import type { ProjectedElement } from "../lib/embedding";

/** The box of a crop in its frame's pixels, with its class (null: a frame, or not found). */
export function cropBox(detail: { labels: LabelRow[]; predictions: Record<string, PredictionRow[]> } | null, element: ProjectedElement): { box: [number, number, number, number]; label: string; confidence: number | null } | null {
  if (!detail || element.source === "frame") return null;
  const row = element.source === "label"
    ? detail.labels.find((l) => l.label_id === element.id)
    : (detail.predictions[element.inference_set ?? ""] ?? []).find((p) => p.prediction_id === element.id);
  if (!row || row.x === null || row.y === null || row.width === null || row.height === null) return null;
  return { box: [row.x, row.y, row.width, row.height], label: row.class_name, confidence: "confidence" in row ? (row as PredictionRow).confidence : null };
}

export function describeElement(e: ProjectedElement): string {
  if (e.source === "frame") return e.inference_set ? `frame ${e.frame_id} (${e.inference_set})` : `frame ${e.frame_id}`;
  return e.source === "label" ? `label ${e.id} in frame ${e.frame_id}` : `prediction ${e.id} of ${e.inference_set} in frame ${e.frame_id}`;
}

/** A box drawn on a thumbnail: ground truth solid, predictions dashed; the crop itself emphasized. */
interface DrawnBox {
  key: string;
  box: [number, number, number, number];
  kind: "label" | "prediction";
  emphasized: boolean;
}

/** The boxes of a thumbnail: a crop's own box; for a frame, its labels and `inferenceSet`'s predictions. */
function boxesOf(detail: { labels: LabelRow[]; predictions: Record<string, PredictionRow[]> }, element: ProjectedElement, inferenceSet: string | null): DrawnBox[] {
  const drawn = (row: LabelRow | PredictionRow, kind: DrawnBox["kind"], emphasized: boolean): DrawnBox | null =>
    row.x === null || row.y === null || row.width === null || row.height === null ? null
      : { key: `${kind}-${"label_id" in row ? row.label_id : row.prediction_id}`, box: [row.x, row.y, row.width, row.height], kind, emphasized };
  if (element.source !== "frame") {
    const crop = cropBox(detail, element);
    return crop ? [{ key: element.id, box: crop.box, kind: element.source, emphasized: true }] : [];
  }
  const set = element.inference_set ?? inferenceSet;
  return [
    ...detail.labels.map((l) => drawn(l, "label", false)),
    ...(set ? detail.predictions[set] ?? [] : []).map((p) => drawn(p, "prediction", false)),
  ].filter((b): b is DrawnBox => b !== null);
}

/**
 * A frame's thumbnail, `size` pixels wide, with the crop's box (for a crop) or the frame's
 * labels (solid) and the predictions of `inferenceSet` (dashed) for a frame.
 */
export function ElementThumbnail({ project, dataset, element, inferenceSet = null, size = 160 }: {
  project: string; dataset: string; element: ProjectedElement; inferenceSet?: string | null; size?: number;
}) {
  const set = element.inference_set ?? (element.source === "frame" ? inferenceSet : null);
  const key = JSON.stringify(["frame", project, dataset, element.frame_id, set]);
  const detail = useApi(key, (signal) => api.frame(project, dataset, element.frame_id, set ? [set] : [], { signal }));
  const src = useImageSource(frameThumbnailUrl(project, dataset, element.frame_id, Math.min(1024, Math.max(64, size * 2))));
  const row = detail.data?.frame;
  const w = typeof row?.width === "number" ? row.width : null;
  const h = typeof row?.height === "number" ? row.height : null;
  const current = detail.data && detail.dataKey === key ? detail.data : null;
  const boxes = current ? boxesOf(current, element, inferenceSet) : [];
  const crop = current ? cropBox(current, element) : null;
  return (
    <div className="element-thumbnail" style={{ width: size, aspectRatio: w && h ? `${w} / ${h}` : "4 / 3" }}>
      <img src={src} alt="" />
      {w && h && boxes.length > 0 && (
        <svg viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" aria-hidden="true">
          {boxes.map((b) => (
            <rect key={b.key} x={b.box[0]} y={b.box[1]} width={b.box[2]} height={b.box[3]} vectorEffect="non-scaling-stroke"
              className={`${b.kind}${b.emphasized ? " emphasized" : ""}`} />
          ))}
        </svg>
      )}
      {crop && <span className="element-thumbnail-caption">{crop.label}{crop.confidence !== null ? ` ${crop.confidence.toFixed(2)}` : ""}</span>}
    </div>
  );
}

/** The hover card: the element's thumbnail, what it is, and what its color says. */
export function PointPreview({ project, dataset, inferenceSet, element, value, colorTitle, at, area }: {
  project: string;
  dataset: string;
  /** A frame's predictions drawn are this set's. */
  inferenceSet: string | null;
  element: ProjectedElement | null;
  /** The point's color's meaning (its category or value). */
  value: string | null;
  colorTitle: string;
  /** Where the point is in the scatter, and the scatter's size (CSS pixels): the card opens away from the edges. */
  at: readonly [number, number];
  area: readonly [number, number];
}) {
  const left = at[0] > area[0] / 2;
  const up = at[1] > area[1] / 2;
  const style = {
    ...(left ? { right: area[0] - at[0] + 14 } : { left: at[0] + 14 }),
    ...(up ? { bottom: area[1] - at[1] + 14 } : { top: at[1] + 14 }),
  };
  return (
    <div className="point-preview" role="tooltip" style={style}>
      {element ? (
        <>
          <ElementThumbnail project={project} dataset={dataset} element={element} inferenceSet={inferenceSet} size={180} />
          <p>{describeElement(element)}</p>
        </>
      ) : (
        <p className="muted">Loading…</p>
      )}
      {value !== null && <p><span className="muted">{colorTitle}:</span> <strong>{value}</strong></p>}
    </div>
  );
}
