/**
 * One candidate of the label-error queue: its frame with the suspect object and its
 * partner drawn, its kind, score (the definition in a tooltip), classes and review, and
 * the review buttons. The numbers are the server's.
 */
import type { FrameExample, LabelErrorOut } from "../api/types";
import { formatScore } from "../lib/format";
import { CLASSIFICATION_METHODS, CLASSIFICATION_SUGGESTS, kindInfo, type ClassificationMethod, type ReviewStatus } from "../lib/labelErrors";
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
          ? <AnnotatedImage frame={frame} emphasize={frame.objects.map((o) => ({ kind: o.kind, id: o.id }))} classColors={classColors} alt="" preferThumbnail />
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
