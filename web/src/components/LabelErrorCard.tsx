/**
 * One candidate of the label-error queue: its frame with the suspect object and its
 * partner drawn, its kind, score (the definition in a tooltip), classes and review, and
 * the review buttons. The numbers are the server's.
 */
import type { FrameExample, LabelErrorOut } from "../api/types";
import { formatScore } from "../lib/format";
import { CLASSIFICATION_METHODS, CLASSIFICATION_SUGGESTS, kindInfo, type ClassificationMethod, type ReviewStatus } from "../lib/labelErrors";
import { useImageSource } from "../hooks/useImageSource";
import { classColor } from "../lib/color";
import { AnnotatedImage } from "./AnnotatedImage";

export interface LabelErrorCardProps {
  entry: LabelErrorOut;
  /** 1-based rank in the queue as filtered. */
  rank: number;
  /** The frame with the candidate's objects (null: still loading, or it failed). */
  frame: FrameExample | null;
  selected: boolean;
  /** A review being sent for this candidate. */
  busy: boolean;
  /** The issue "Add to issue" collects into (null: none chosen). */
  issue: string | null;
  classColors?: Readonly<Record<string, string>>;
  onSelect: () => void;
  onReview: (action: "confirm" | "dismiss" | "issue" | "reopen") => void;
  onOpen: () => void;
  /** Classification: the frame's label against the suggested class, scored by this method. */
  classification?: ClassificationMethod | null;
}

export function reviewStatusOf(entry: LabelErrorOut): ReviewStatus {
  return entry.review?.status ?? "open";
}

const STATUS_TEXT: Record<ReviewStatus, string> = { open: "to review", confirmed: "confirmed label error", dismissed: "dismissed" };

/** What the candidate's two objects are, in its kind's words: "label circle · prediction square". */
export function objectsText(entry: LabelErrorOut, classification = false): string {
  if (classification) return `given ${entry.label} · suggested ${entry.partner_label ?? "-"}`;
  if (entry.kind === "missing") {
    return `prediction ${entry.label}${entry.partner_label ? ` · nearest label ${entry.partner_label}` : " · no label"}`;
  }
  return `label ${entry.label}${entry.partner_label ? ` · prediction ${entry.partner_label}` : ""}`;
}

/** The zoom shows a square this many times the candidate's larger side, at least this many pixels. */
const ZOOM_MARGIN = 1.8;
const ZOOM_MIN_SIDE = 24;

/**
 * The square of the frame around the candidate's objects (in image pixels), or null when
 * the objects already fill a quarter of the frame (the thumbnail shows them well enough).
 */
export function zoomWindow(frame: FrameExample): { x: number; y: number; side: number; corner: string } | null {
  const boxes = frame.objects.map((o) => o.box).filter((b) => b[2] > 0 && b[3] > 0);
  if (boxes.length === 0) return null;
  const x0 = Math.min(...boxes.map((b) => b[0]));
  const y0 = Math.min(...boxes.map((b) => b[1]));
  const x1 = Math.max(...boxes.map((b) => b[0] + b[2]));
  const y1 = Math.max(...boxes.map((b) => b[1] + b[3]));
  const side = Math.max(ZOOM_MIN_SIDE, Math.max(x1 - x0, y1 - y0) * ZOOM_MARGIN);
  if (side * side > 0.25 * frame.width * frame.height) return null;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  // The inset sits in the corner away from the candidate, so it never hides it.
  const corner = `${cy > frame.height / 2 ? "top" : "bottom"}-${cx > frame.width / 2 ? "left" : "right"}`;
  // Kept inside the frame, so the inset shows no empty band beyond its edge.
  const inside = (start: number, extent: number) => Math.min(Math.max(start, 0), Math.max(0, extent - side));
  return { x: inside(cx - side / 2, frame.width), y: inside(cy - side / 2, frame.height), side, corner };
}

/** A magnified inset of the candidate: the full image, cropped by the SVG's viewBox, with the same boxes. */
export function CandidateZoom({ frame, classColors = {} }: { frame: FrameExample; classColors?: Readonly<Record<string, string>> }) {
  const src = useImageSource(frame.image_url);
  const view = zoomWindow(frame);
  if (view === null) return null;
  const stroke = view.side / 60;
  return (
    <svg className={`candidate-zoom ${view.corner}`} viewBox={`${view.x} ${view.y} ${view.side} ${view.side}`} role="img" aria-label="The candidate, magnified">
      <rect x={view.x} y={view.y} width={view.side} height={view.side} className="zoom-backdrop" />
      {src && <image href={src} x={0} y={0} width={frame.width} height={frame.height} preserveAspectRatio="none" />}
      {frame.objects.map((o, k) => (
        <rect key={`${o.kind}-${o.id}`} data-kind={o.kind} x={o.box[0]} y={o.box[1]} width={o.box[2]} height={o.box[3]} fill="none"
          stroke={classColors[o.label] ?? classColor(k)} strokeWidth={stroke}
          strokeDasharray={o.kind === "prediction" ? `${stroke * 3} ${stroke * 1.5}` : undefined} />
      ))}
    </svg>
  );
}

/** The card's image fills its column (CSS); its boxes scale with it. */
export function LabelErrorCard({ entry, rank, frame, selected, busy, issue, classColors, onSelect, onReview, onOpen, classification = null }: LabelErrorCardProps) {
  const kind = kindInfo(entry.kind);
  const info = classification
    ? { title: kind.title, suggests: CLASSIFICATION_SUGGESTS, score: CLASSIFICATION_METHODS.find((m) => m.value === classification)!.score }
    : kind;
  const objects = objectsText(entry, classification !== null);
  const status = reviewStatusOf(entry);
  return (
    <li className="label-error-card" data-id={entry.id} data-status={status} data-selected={selected || undefined} aria-current={selected || undefined}
      onClick={onSelect}>
      <button type="button" className="thumbnail" onClick={(e) => { e.stopPropagation(); onSelect(); onOpen(); }}
        aria-label={`Open frame ${entry.image_id}: ${info.title}, ${objects}`}>
        {frame
          ? (
            <span className="label-error-image">
              <AnnotatedImage frame={frame} emphasize={frame.objects.map((o) => ({ kind: o.kind, id: o.id }))} classColors={classColors} alt="" preferThumbnail />
              <CandidateZoom frame={frame} classColors={classColors} />
            </span>
          )
          : <div className="label-error-placeholder" />}
      </button>
      <div className="label-error-text">
        <div className="label-error-head">
          <span className="rank">#{rank}</span>
          <span className={`kind-badge kind-${entry.kind}`} title={info.suggests}>{info.title}</span>
          <span className="label-error-score" data-testid="label-error-score" title={`Score: ${info.score}. Higher: the label is more likely wrong.`}>
            score <strong>{formatScore(entry.score, 3)}</strong>
          </span>
        </div>
        <div className="label-error-objects">{objects}</div>
        <div className="muted">frame {entry.image_id}</div>
        <div className={`review-state review-${status}`} data-testid="review-state">
          {STATUS_TEXT[status]}{entry.review?.issue ? ` · in issue ${entry.review.issue}` : ""}
        </div>
        <div className="label-error-actions" role="group" aria-label={`Review ${entry.id}`}>
          <button type="button" aria-pressed={status === "confirmed"} disabled={busy}
            onClick={(e) => { e.stopPropagation(); onSelect(); onReview(status === "confirmed" ? "reopen" : "confirm"); }}
            title="The label is wrong (c)">Confirm</button>
          <button type="button" aria-pressed={status === "dismissed"} disabled={busy}
            onClick={(e) => { e.stopPropagation(); onSelect(); onReview(status === "dismissed" ? "reopen" : "dismiss"); }}
            title="The label is right (d)">Dismiss</button>
          <button type="button" disabled={busy || issue === null}
            onClick={(e) => { e.stopPropagation(); onSelect(); onReview("issue"); }}
            title={issue === null ? "Choose or create an issue first" : `Collect this object in issue ${issue} (i)`}>Add to issue</button>
        </div>
      </div>
    </li>
  );
}
