/**
 * Collection campaigns (issue 14, docs/campaigns.md): the words, keys and small rules of
 * the Campaigns tab. A campaign searches an unlabeled corpus for the elements nearest an
 * issue's; its candidates are reviewed (accepted / rejected) and the accepted list
 * exported. Pure; every number is the server's.
 */
import type { components } from "../api/schema";

type Schemas = components["schemas"];
export type Campaign = Schemas["CampaignOut"];
export type CampaignCreateBody = Schemas["CampaignCreate"];
export type CampaignUpdateBody = Schemas["CampaignUpdate"];
export type Candidate = Schemas["CandidateOut"];
export type CandidatesPage = Schemas["CandidatesPage"];
export type CandidateCounts = Schemas["CandidateCounts"];
export type CandidatesReviewed = Schemas["CandidatesReviewed"];
export type CampaignJob = Schemas["CampaignJobOut"];
export type CandidateStatus = Candidate["status"];
export type CampaignExportFormat = "csv" | "json";

/** Candidates per page of the gallery. */
export const CANDIDATES_PAGE_SIZE = 48;

export const CANDIDATE_STATUSES: ReadonlyArray<{ value: CandidateStatus; title: string; meaning: string }> = [
  { value: "pending", title: "Pending", meaning: "not reviewed yet" },
  { value: "accepted", title: "Accepted", meaning: "to label: like the seeds" },
  { value: "rejected", title: "Rejected", meaning: "not what the campaign collects" },
];

export function candidateStatusTitle(status: string): string {
  return CANDIDATE_STATUSES.find((s) => s.value === status)?.title ?? status;
}

/** The review keys of the gallery: a accept, r reject, u undo (pending), j / k next / previous. */
export type ReviewKeyAction = { kind: "review"; status: CandidateStatus } | { kind: "move"; step: 1 | -1 };
export function reviewKeyAction(key: string): ReviewKeyAction | null {
  switch (key) {
    case "a": return { kind: "review", status: "accepted" };
    case "r": return { kind: "review", status: "rejected" };
    case "u": return { kind: "review", status: "pending" };
    case "j": case "ArrowRight": return { kind: "move", step: 1 };
    case "k": case "ArrowLeft": return { kind: "move", step: -1 };
    default: return null;
  }
}

/** The focused card after a move, kept within the page (null stays null on an empty page). */
export function movedIndex(current: number | null, step: number, length: number): number | null {
  if (length === 0) return null;
  if (current === null) return step > 0 ? 0 : length - 1;
  return Math.min(length - 1, Math.max(0, current + step));
}

/**
 * The page after a review answered: the reviewed candidates replaced by the server's
 * records; with a status filter, those no longer of that status leave the page (the
 * total follows the server's counts).
 */
export function withReviewed(page: CandidatesPage, reviewed: CandidatesReviewed, filter: CandidateStatus | null): CandidatesPage {
  const byKey = new Map(reviewed.candidates.map((c) => [c.key, c]));
  const candidates = page.candidates
    .map((c) => byKey.get(c.key) ?? c)
    .filter((c) => filter === null || c.status === filter);
  return { ...page, candidates, counts: reviewed.counts, total: filter === null ? reviewed.counts.total : reviewed.counts[filter] };
}

/** A distance as the gallery shows it (the server's number, four decimals). */
export function formatDistance(distance: number | null): string {
  return distance === null ? "—" : distance.toFixed(4);
}

/** The run's progress as words: seeds searched of seeds, then stored. */
export function runProgress(job: CampaignJob | null, seeds: number): string {
  if (job === null) return "";
  if (job.state === "queued") return "Queued…";
  if (job.state === "failed") return `Failed: ${job.error ?? "unknown error"}`;
  if (job.state === "running") {
    const searched = Math.min(job.done, seeds);
    return job.total > 0 && job.done >= job.total - 1 && searched === seeds ? "Storing candidates…" : `Searching: seed ${searched} of ${seeds}`;
  }
  const r = job.result;
  return r ? `Done: ${r.found} candidates (${r.new} new, ${r.kept} reviews kept${r.dropped ? `, ${r.dropped} dropped` : ""})` : "Done";
}

/** Whether a job still runs (poll it again). */
export function jobRunning(job: CampaignJob | null): boolean {
  return job !== null && (job.state === "queued" || job.state === "running");
}

/** What a seed is, in words: "frame f1", "label l3 of frame f1", "prediction p2 (yolo) of frame f1". */
export function seedTitle(seed: Campaign["seeds"][number]): string {
  if (seed.source === "frame") return `frame ${seed.frame_id}`;
  const set = seed.inference_set ? ` (${seed.inference_set})` : "";
  return `${seed.source} ${seed.id}${set} of frame ${seed.frame_id}`;
}

/** The export's file name. */
export function exportFileName(campaign: string, status: CandidateStatus, format: CampaignExportFormat): string {
  const safe = campaign.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^_+|_+$/g, "") || "campaign";
  return `${safe}-${status}.${format}`;
}
