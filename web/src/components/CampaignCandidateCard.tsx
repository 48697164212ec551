/**
 * One candidate of a campaign: its corpus frame's thumbnail (a crop candidate: its frame
 * with the crop's box drawn, as issue elements are), rank, distance to its nearest seed (and
 * that seed's thumbnail), its review, and Accept / Reject buttons. The focused card (the one
 * the keys act on) is outlined.
 */
import { forwardRef, useState } from "react";
import { api, frameImageUrl, frameThumbnailUrl } from "../api/client";
import { useApi } from "../hooks/useApi";
import { useImageSource } from "../hooks/useImageSource";
import { candidateStatusTitle, formatDistance, seedTitle, type Campaign, type Candidate, type CandidateStatus } from "../lib/campaigns";
import { IssueThumbnail } from "./IssueThumbnail";
import "./issues.css";

/** A frame's thumbnail from the API (the key sent when one is set); "no image" when it has none. */
export function CampaignThumbnail({ project, dataset, frameId, size, alt }: { project: string; dataset: string; frameId: string; size: number; alt: string }) {
  const src = useImageSource(frameThumbnailUrl(project, dataset, frameId, size));
  const [failed, setFailed] = useState(false);
  if (failed) return <div className="campaign-thumb campaign-thumb-missing" style={{ width: size, height: size }}>no image</div>;
  return src === undefined
    ? <div className="campaign-thumb" style={{ width: size, height: size }} aria-label={`${alt} (loading)`} />
    : <img className="campaign-thumb" src={src} width={size} height={size} alt={alt} loading="lazy" onError={() => setFailed(true)} />;
}

/** A crop candidate on its frame, the crop's box drawn (the frame's detail fetched). */
export function CropThumbnail({ project, corpus, candidate, size }: { project: string; corpus: string; candidate: Candidate; size: number }) {
  const sets = candidate.inference_set ? [candidate.inference_set] : [];
  const detail = useApi(JSON.stringify(["frame", project, corpus, candidate.frame_id, sets]), (signal) =>
    api.frame(project, corpus, candidate.frame_id, sets, { signal }));
  const element = {
    dataset: corpus, frame_id: candidate.frame_id, element_kind: candidate.source, element_id: candidate.id, inference_set: candidate.inference_set,
  };
  return <IssueThumbnail project={project} element={element} detail={detail.data} width={size} />;
}

/**
 * The focused candidate larger, over the page (Enter or a double click opens it; Esc, the
 * close button or a click outside closes it; the review keys keep working): the corpus
 * frame's image (a crop: its frame with the crop's box), its distance and nearest seed.
 */
export function CampaignCandidatePreview({ project, campaign, candidate, onClose, onReview, readOnly }: {
  project: string; campaign: Campaign; candidate: Candidate; onClose: () => void; onReview: (status: CandidateStatus) => void; readOnly: boolean;
}) {
  const src = useImageSource(frameImageUrl(project, campaign.corpus, candidate.frame_id));
  const seed = candidate.seed === null ? null : campaign.seeds[candidate.seed] ?? null;
  const title = candidate.source === "frame" ? `frame ${candidate.id}` : `${candidate.source} ${candidate.id} of frame ${candidate.frame_id}`;
  return (
    <div className="campaign-preview-backdrop" onClick={onClose}>
      <div role="dialog" aria-modal="true" aria-label={`Candidate ${title}`} className="campaign-preview" data-status={candidate.status} onClick={(e) => e.stopPropagation()}>
        <div className="campaign-preview-bar">
          <strong>{candidate.rank === null ? "—" : `#${candidate.rank}`} · {title}</strong>
          <span className={`candidate-status status-${candidate.status}`}>{candidateStatusTitle(candidate.status)}</span>
          <span>distance <strong>{formatDistance(candidate.distance)}</strong></span>
          <button type="button" className="accept" disabled={readOnly} aria-pressed={candidate.status === "accepted"} onClick={() => onReview(candidate.status === "accepted" ? "pending" : "accepted")}>Accept</button>
          <button type="button" className="reject" disabled={readOnly} aria-pressed={candidate.status === "rejected"} onClick={() => onReview(candidate.status === "rejected" ? "pending" : "rejected")}>Reject</button>
          <button type="button" onClick={onClose} aria-label="Close the preview">Close</button>
        </div>
        <div className="campaign-preview-images">
          <figure>
            {candidate.source === "frame"
              ? (src === undefined ? <div className="campaign-preview-image" aria-label="loading" /> : <img className="campaign-preview-image" src={src} alt={title} />)
              : <CropThumbnail project={project} corpus={campaign.corpus} candidate={candidate} size={640} />}
            <figcaption className="muted">candidate: {title} ({campaign.corpus})</figcaption>
          </figure>
          {seed && (
            <figure className="campaign-preview-seed">
              <CampaignThumbnail project={project} dataset={seed.dataset} frameId={seed.frame_id} size={320} alt={`nearest seed ${seedTitle(seed)}`} />
              <figcaption className="muted">nearest seed: {seedTitle(seed)} ({seed.dataset})</figcaption>
            </figure>
          )}
        </div>
      </div>
    </div>
  );
}

export interface CampaignCandidateCardProps {
  project: string;
  campaign: Campaign;
  candidate: Candidate;
  focused: boolean;
  onFocus: () => void;
  /** Open it larger (a double click). */
  onOpen?: () => void;
  onReview: (status: CandidateStatus) => void;
  /** Reviews are refused while the campaign is closed. */
  readOnly: boolean;
}

export const CampaignCandidateCard = forwardRef<HTMLLIElement, CampaignCandidateCardProps>(function CampaignCandidateCard(
  { project, campaign, candidate, focused, onFocus, onOpen, onReview, readOnly }, ref,
) {
  const seed = candidate.seed === null ? null : campaign.seeds[candidate.seed] ?? null;
  const what = candidate.source === "frame" ? `frame ${candidate.id}` : `${candidate.source} ${candidate.id}${candidate.inference_set ? ` (${candidate.inference_set})` : ""} of frame ${candidate.frame_id}`;
  return (
    <li ref={ref} className="campaign-card" data-key={candidate.key} data-status={candidate.status} data-focused={focused || undefined}
      aria-current={focused || undefined} onClick={onFocus} onDoubleClick={onOpen}>
      {candidate.source === "frame"
        ? <CampaignThumbnail project={project} dataset={campaign.corpus} frameId={candidate.frame_id} size={160} alt={what} />
        : <CropThumbnail project={project} corpus={campaign.corpus} candidate={candidate} size={160} />}
      <div className="campaign-card-body">
        <div className="campaign-card-head">
          <span className="rank">{candidate.rank === null ? "—" : `#${candidate.rank}`}</span>
          <span className={`candidate-status status-${candidate.status}`} data-testid="candidate-status">{candidateStatusTitle(candidate.status)}</span>
        </div>
        <div className="campaign-card-id" title={candidate.key}>{what}</div>
        <div className="campaign-card-distance" title={`${campaign.metric} distance to its nearest seed`}>
          distance <strong data-testid="candidate-distance">{formatDistance(candidate.distance)}</strong>
        </div>
        {seed && (
          <div className="campaign-card-seed" title={`nearest seed: ${seedTitle(seed)} (${seed.dataset})`}>
            <CampaignThumbnail project={project} dataset={seed.dataset} frameId={seed.frame_id} size={40} alt={`seed ${seedTitle(seed)}`} />
            <span className="muted">like {seedTitle(seed)}</span>
          </div>
        )}
        {candidate.note && <div className="campaign-card-note muted">“{candidate.note}”</div>}
        <div className="campaign-card-actions">
          <button type="button" disabled={readOnly} aria-pressed={candidate.status === "accepted"} className="accept"
            onClick={(e) => { e.stopPropagation(); onReview(candidate.status === "accepted" ? "pending" : "accepted"); }}
            title="Accept (a): label it">Accept</button>
          <button type="button" disabled={readOnly} aria-pressed={candidate.status === "rejected"} className="reject"
            onClick={(e) => { e.stopPropagation(); onReview(candidate.status === "rejected" ? "pending" : "rejected"); }}
            title="Reject (r): not what the campaign collects">Reject</button>
        </div>
      </div>
    </li>
  );
});
