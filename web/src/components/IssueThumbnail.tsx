/**
 * An issue element drawn small: its frame's thumbnail (the frame thumbnail route), and for a
 * crop (a label or a prediction) that object's box, through AnnotatedImage (labels solid,
 * predictions dashed, as everywhere in the app).
 */
import { frameImageUrl, frameThumbnailUrl } from "../api/client";
import type { FrameDetail, FrameExample, FrameObject } from "../api/types";
import { elementTitle, type ElementIdentity } from "../lib/issues";
import { THUMBNAIL_SIZE, webImageOf } from "../views/adapters";
import { AnnotatedImage } from "./AnnotatedImage";
import { CandidateZoom } from "./LabelErrorCard";
import "./labelErrors.css";

const NONE = { outcome: "" as FrameObject["outcome"], reason: "" as const, partner_id: -1, partner_label: "", iou: NaN };

/** The object of a crop element in its frame (undefined: a frame element, or not found). */
export function elementObject(detail: FrameDetail, e: ElementIdentity, id = 1): FrameObject | undefined {
  const box = (r: { x: number | null; y: number | null; width: number | null; height: number | null }): FrameObject["box"] =>
    [r.x ?? 0, r.y ?? 0, r.width ?? 0, r.height ?? 0];
  if (e.element_kind === "label") {
    const l = detail.labels.find((x) => x.label_id === e.element_id);
    if (!l) return undefined;
    const b = box(l);
    return { ...NONE, kind: "ground_truth", id, frame_id: l.frame_id, label: l.class_name, confidence: null, area: b[2] * b[3], box: b };
  }
  if (e.element_kind === "prediction" && e.inference_set) {
    const p = (detail.predictions[e.inference_set] ?? []).find((x) => x.prediction_id === e.element_id);
    if (!p) return undefined;
    const b = box(p);
    return { ...NONE, kind: "prediction", id, frame_id: p.frame_id, label: p.class_name, confidence: p.confidence, area: b[2] * b[3], box: b };
  }
  return undefined;
}

/**
 * The element's frame for AnnotatedImage: the thumbnail when the frame's image is local and
 * its size recorded (boxes stay in the recorded size), and the element's own object only.
 */
export function elementFrame(project: string, detail: FrameDetail, e: ElementIdentity): FrameExample {
  const width = Number(detail.frame.width) || 0;
  const height = Number(detail.frame.height) || 0;
  const web = webImageOf(detail.frame.image_uri);
  const local = typeof detail.frame.image_uri === "string" && web === undefined;
  const object = elementObject(detail, e);
  return {
    frame_id: e.frame_id, image_url: web ?? frameImageUrl(project, e.dataset, e.frame_id),
    width: width || 640, height: height || 480, objects: object ? [object] : [],
    ...(width > 0 && height > 0 && local ? { thumbnail_url: frameThumbnailUrl(project, e.dataset, e.frame_id, THUMBNAIL_SIZE) } : {}),
  };
}

export interface IssueThumbnailProps {
  project: string;
  element: ElementIdentity;
  /** The element's frame (null: not loaded yet, or it failed). */
  detail: FrameDetail | null | undefined;
  width?: number;
  classColors?: Readonly<Record<string, string>>;
}

export function IssueThumbnail({ project, element, detail, width = 120, classColors }: IssueThumbnailProps) {
  if (!detail) return <div className="issue-thumb-placeholder" style={{ width, height: Math.round(width * 0.75) }} aria-label={`${elementTitle(element)} (loading)`} />;
  const frame = elementFrame(project, detail, element);
  const missing = element.element_kind !== "frame" && frame.objects.length === 0;
  return (
    <div className="issue-thumb" data-missing={missing || undefined}>
      {/* A small crop is magnified in an inset (the label-error cards' zoom), so it can be seen. */}
      <span className="label-error-image" style={{ width }}>
        <AnnotatedImage frame={frame} width={width} emphasize={frame.objects.map((o) => ({ kind: o.kind, id: o.id }))}
          classColors={classColors} alt={elementTitle(element)} preferThumbnail />
        <CandidateZoom frame={frame} classColors={classColors} />
      </span>
      {missing && <span className="muted issue-thumb-note">not in the frame's current version</span>}
    </div>
  );
}
