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

/** A frame's thumbnail with the crop's box (for crops), `size` pixels wide. */
export function ElementThumbnail({ project, dataset, element, size = 160 }: { project: string; dataset: string; element: ProjectedElement; size?: number }) {
  const crop = element.source !== "frame";
  const key = JSON.stringify(["frame", project, dataset, element.frame_id, crop ? element.inference_set : null]);
  const detail = useApi(key, (signal) => api.frame(project, dataset, element.frame_id, element.inference_set ? [element.inference_set] : [], { signal }));
  const src = useImageSource(frameThumbnailUrl(project, dataset, element.frame_id, Math.min(1024, Math.max(64, size * 2))));
  const row = detail.data?.frame;
  const w = typeof row?.width === "number" ? row.width : null;
  const h = typeof row?.height === "number" ? row.height : null;
  const found = detail.dataKey === key ? cropBox(detail.data, element) : null;
  return (
    <div className="element-thumbnail" style={{ width: size, aspectRatio: w && h ? `${w} / ${h}` : "4 / 3" }}>
      <img src={src} alt="" />
      {found && w && h && (
        <svg viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" aria-hidden="true">
          <rect x={found.box[0]} y={found.box[1]} width={found.box[2]} height={found.box[3]} vectorEffect="non-scaling-stroke"
            data-element={element.id} className={element.source === "prediction" ? "prediction" : "label"} />
        </svg>
      )}
      {found && <span className="element-thumbnail-caption">{found.label}{found.confidence !== null ? ` ${found.confidence.toFixed(2)}` : ""}</span>}
    </div>
  );
}

/** The hover card: the element's thumbnail, what it is, and what its color says. */
export function PointPreview({ project, dataset, element, value, colorTitle, at }: {
  project: string;
  dataset: string;
  element: ProjectedElement | null;
  /** The point's color's meaning (its category or value). */
  value: string | null;
  colorTitle: string;
  /** Where the point is in the scatter (CSS pixels). */
  at: readonly [number, number];
}) {
  return (
    <div className="point-preview" role="tooltip" style={{ left: at[0] + 14, top: at[1] + 14 }}>
      {element ? (
        <>
          <ElementThumbnail project={project} dataset={dataset} element={element} size={180} />
          <p>{describeElement(element)}</p>
        </>
      ) : (
        <p className="muted">Loading…</p>
      )}
      {value !== null && <p><span className="muted">{colorTitle}:</span> <strong>{value}</strong></p>}
    </div>
  );
}
