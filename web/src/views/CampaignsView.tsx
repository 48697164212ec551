/**
 * Campaigns (issue 14, docs/campaigns.md): collect unlabeled data like an issue's failures.
 * The project's campaigns are listed with their counts; a new one is created from an issue
 * (CampaignCreateForm). A campaign's page runs it (a server job, its progress shown per
 * seed), shows its candidates nearest first as a gallery (thumbnail, distance to the
 * nearest seed, review) filtered by status, reviews them by buttons or keys (a accept,
 * r reject, u undo, j / k next / previous), and exports the accepted list (CSV, JSON).
 * The campaign opened lives in the URL (`campaign=`). Every number is the server's.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError, isAbort } from "../api/client";
import { CampaignCandidateCard, CampaignCandidatePreview, CampaignThumbnail } from "../components/CampaignCandidateCard";
import { CampaignCreateForm } from "../components/CampaignCreateForm";
import { ErrorPanel, Loading } from "../components/Status";
import { useApi } from "../hooks/useApi";
import {
  CANDIDATE_STATUSES, CANDIDATES_PAGE_SIZE, exportFileName, jobRunning, movedIndex, reviewKeyAction, runProgress, seedTitle, withReviewed,
  type CampaignExportFormat, type CampaignJob, type CandidatesPage, type CandidateStatus,
} from "../lib/campaigns";
import "../components/campaigns.css";

export interface CampaignsViewProps {
  project: string;
  /** The project's dataset names (a corpus is one of them). */
  datasets: readonly string[];
  /** The campaign opened (null: none). */
  campaign: string | null;
  /** An issue to start a new campaign from (the Issues page's "Collect more like these"); null: none. */
  issue?: string | null;
  onOpen: (campaign: string | null) => void;
}

const POLL_MS = 300;
/** Seed thumbnails shown above the candidates (the rest are listed under "All seeds"). */
const SEEDS_SHOWN = 16;

export function CampaignsView({ project, datasets, campaign, issue = null, onOpen }: CampaignsViewProps) {
  const list = useApi(JSON.stringify(["campaigns", project]), (signal) => api.campaigns(project, { signal }));
  const [creating, setCreating] = useState(issue !== null);
  const showForm = creating || (list.data !== null && list.data.length === 0);
  return (
    <div className="campaigns-view">
      <aside className="campaign-list" aria-label="Campaigns">
        <div className="campaign-list-head">
          <h2>Campaigns</h2>
          <button type="button" onClick={() => setCreating(true)} disabled={showForm}>New campaign</button>
        </div>
        <Loading active={list.loading && list.data === null} label="Loading campaigns" />
        {list.error !== null && <ErrorPanel error={list.error} onRetry={list.reload} title="The campaigns did not load" />}
        <ul>
          {list.data?.map((c) => (
            <li key={c.name}>
              <button type="button" className="campaign-link" aria-current={c.name === campaign || undefined} onClick={() => onOpen(c.name)}>
                <span className="campaign-link-name">{c.name}</span>
                <span className="muted">
                  {c.status === "closed" ? "closed · " : ""}{c.counts.accepted} accepted · {c.counts.pending} pending · {c.counts.rejected} rejected
                </span>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <section className="campaign-main">
        {showForm ? (
          <CampaignCreateForm key={issue ?? ""} project={project} datasets={datasets} issue={issue}
            onCreated={(created) => { setCreating(false); list.reload(); onOpen(created.name); }}
            onCancel={list.data && list.data.length > 0 ? () => setCreating(false) : undefined} />
        ) : campaign === null
          ? <p className="empty-state">Open a campaign, or create one from an issue: it searches a corpus of unlabeled data for the elements nearest the issue's, for you to accept or reject, and exports the accepted list to label.</p>
          : <CampaignPage key={`${project}/${campaign}`} project={project} name={campaign} onChanged={list.reload}
              onRenamed={(next) => { list.reload(); onOpen(next); }} />}
      </section>
    </div>
  );
}

interface CampaignPageProps {
  project: string;
  name: string;
  /** Counts or status changed: the list reloads. */
  onChanged: () => void;
  onRenamed: (name: string | null) => void;
}

function CampaignPage({ project, name, onChanged, onRenamed }: CampaignPageProps) {
  const about = useApi(JSON.stringify(["campaign", project, name]), (signal) => api.campaign(project, name, { signal }));
  const [filter, setFilter] = useState<CandidateStatus | null>(null);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<CandidatesPage | null>(null);
  const [pageError, setPageError] = useState<unknown>(null);
  const [generation, setGeneration] = useState(0);
  const [focus, setFocus] = useState<number | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [job, setJob] = useState<CampaignJob | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const cards = useRef<Array<HTMLLIElement | null>>([]);
  const campaign = about.data;

  // The page of candidates (again after a run, a filter or a page change).
  useEffect(() => {
    const controller = new AbortController();
    api.campaignCandidates(project, name, { status: filter, offset, limit: CANDIDATES_PAGE_SIZE }, { signal: controller.signal }).then(
      (answer) => { setPage(answer); setPageError(null); },
      (error: unknown) => { if (!isAbort(error)) setPageError(error); },
    );
    return () => controller.abort();
  }, [project, name, filter, offset, generation]);

  // A run started here or elsewhere on this server: follow it until it ends.
  useEffect(() => {
    const controller = new AbortController();
    api.campaignRun(project, name, { signal: controller.signal }).then(
      (found) => setJob(found),
      () => undefined, // 404: it never ran on this server
    );
    return () => controller.abort();
  }, [project, name]);
  useEffect(() => {
    if (!jobRunning(job)) return;
    const timer = window.setTimeout(() => {
      api.campaignRun(project, name).then((next) => {
        setJob(next);
        if (!jobRunning(next)) { about.reload(); onChanged(); setOffset(0); setGeneration((g) => g + 1); }
      }, (error: unknown) => setActionError(error instanceof ApiError ? error.detail : String(error)));
    }, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [job, project, name]);

  const run = async () => {
    setActionError(null);
    try {
      const started = await api.runCampaign(project, name);
      setJob(started);
      if (!jobRunning(started)) { about.reload(); onChanged(); setGeneration((g) => g + 1); }
    } catch (error) {
      setActionError(error instanceof ApiError ? error.detail : String(error));
    }
  };

  // Reviews: shown at once, then the server's record and counts (a refusal undoes it).
  // Several can be in flight (keys pressed quickly) and answer in any order: only the
  // answer to the latest review sent so far sets the counts, so an older answer arriving
  // last cannot put back counts from before the newer reviews.
  const reviewsSent = useRef(0);
  const countsFrom = useRef(0);
  const review = useCallback((keys: string[], status: CandidateStatus) => {
    if (keys.length === 0) return;
    setActionError(null);
    setPage((p) => p && { ...p, candidates: p.candidates.map((c) => (keys.includes(c.key) ? { ...c, status } : c)) });
    const sent = ++reviewsSent.current;
    api.reviewCandidates(project, name, { keys, status }).then(
      (reviewed) => {
        const newest = sent > countsFrom.current;
        if (newest) countsFrom.current = sent;
        setPage((p) => p && withReviewed(p, newest ? reviewed : { ...reviewed, counts: p.counts }, null));
        onChanged();
      },
      (error: unknown) => {
        setActionError(error instanceof ApiError ? error.detail : String(error));
        setGeneration((g) => g + 1);
      },
    );
  }, [project, name, onChanged]);

  const candidates = page?.candidates ?? [];
  const readOnly = campaign?.status === "closed";
  // Keys act on the focused card: a / r / u review it (and a / r move on), j / k move.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const target = e.target as HTMLElement | null;
      if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
      if (e.key === "Escape" && previewing) {
        setPreviewing(false);
        return;
      }
      if (e.key === "Enter" && candidates.length > 0 && !(target instanceof HTMLButtonElement)) {
        e.preventDefault();
        if (focus === null) setFocus(0);
        setPreviewing(true);
        return;
      }
      const action = reviewKeyAction(e.key);
      if (action === null || candidates.length === 0) return;
      e.preventDefault();
      if (action.kind === "move") {
        setFocus((f) => movedIndex(f, action.step, candidates.length));
        return;
      }
      if (readOnly) return;
      const at = focus ?? 0;
      const target_ = candidates[at];
      if (!target_) return;
      review([target_.key], action.status);
      if (action.status !== "pending") setFocus(movedIndex(at, 1, candidates.length));
      else setFocus(at);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [candidates, focus, readOnly, review, previewing]);
  useEffect(() => {
    if (focus !== null) cards.current[focus]?.scrollIntoView?.({ block: "nearest" });
  }, [focus]);
  useEffect(() => { setFocus(null); setPreviewing(false); }, [filter, offset]);

  const download = async (format: CampaignExportFormat) => {
    setActionError(null);
    try {
      const text = await api.exportCampaign(project, name, format, "accepted");
      const blob = new Blob([text], { type: format === "csv" ? "text/csv" : "application/json" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = exportFileName(name, "accepted", format);
      document.body.appendChild(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      setActionError(error instanceof ApiError ? error.detail : String(error));
    }
  };

  const setStatus = async (status: "open" | "closed") => {
    try {
      await api.updateCampaign(project, name, { status });
      about.reload();
      onChanged();
    } catch (error) {
      setActionError(error instanceof ApiError ? error.detail : String(error));
    }
  };

  const remove = async () => {
    if (!window.confirm(`Delete campaign ${name} and its reviews?`)) return;
    try {
      await api.deleteCampaign(project, name);
      onRenamed(null);
    } catch (error) {
      setActionError(error instanceof ApiError ? error.detail : String(error));
    }
  };

  if (about.error !== null) return <ErrorPanel error={about.error} onRetry={about.reload} title={`Campaign ${name} did not load`} />;
  if (!campaign) return <Loading active label="Loading the campaign" />;
  const counts = page?.counts ?? campaign.counts;
  const total = filter === null ? counts.total : counts[filter];
  const running = jobRunning(job);
  return (
    <div className="campaign-page">
      <header className="campaign-header">
        <h2>{campaign.name}{campaign.status === "closed" && <span className="muted"> (closed)</span>}</h2>
        <p className="muted campaign-about">
          {campaign.seeds.length} seeds{campaign.issue ? ` from issue ${campaign.issue}` : ""} · corpus <strong>{campaign.corpus}</strong> ·{" "}
          {campaign.kind}s by {campaign.embedding} ({campaign.metric}) · k {campaign.k} per {campaign.k_per === "seed" ? "seed" : "campaign"} ·{" "}
          {campaign.run_at ? `last run ${campaign.run_at.replace("T", " ").slice(0, 16)} UTC${campaign.exact === false ? " (through the index)" : ""}` : "not run yet"}
        </p>
        <ul className="campaign-seed-strip" aria-label="Seeds">
          {campaign.seeds.slice(0, SEEDS_SHOWN).map((s, i) => (
            <li key={i} title={`${seedTitle(s)} (${s.dataset})`}>
              <CampaignThumbnail project={project} dataset={s.dataset} frameId={s.frame_id} size={56} alt={`seed ${seedTitle(s)}`} />
            </li>
          ))}
        </ul>
        <details className="campaign-seeds">
          <summary>{campaign.seeds.length > SEEDS_SHOWN ? `All ${campaign.seeds.length} seeds` : "Seeds"}</summary>
          <ol>{campaign.seeds.map((s, i) => <li key={i}>{seedTitle(s)} <span className="muted">({s.dataset})</span></li>)}</ol>
        </details>
        <div className="campaign-actions">
          <button type="button" onClick={run} disabled={running || readOnly}>{campaign.run_at ? "Run again" : "Run"}</button>
          <button type="button" onClick={() => download("csv")} disabled={counts.accepted === 0}>Export accepted (CSV)</button>
          <button type="button" onClick={() => download("json")} disabled={counts.accepted === 0}>Export accepted (JSON)</button>
          <button type="button" onClick={() => setStatus(readOnly ? "open" : "closed")}>{readOnly ? "Reopen" : "Close"}</button>
          <button type="button" onClick={remove}>Delete</button>
        </div>
        {job && (
          <div className="campaign-progress" role="status" aria-live="polite">
            {running && <progress max={Math.max(job.total, 1)} value={job.done} aria-label="Run progress" />}
            <span data-testid="run-progress">{runProgress(job, campaign.seeds.length)}</span>
          </div>
        )}
        {campaign.stale && !running && (
          <p className="campaign-stale" role="status">The corpus changed since the last run: run again to search its new version (reviews of candidates found again are kept).</p>
        )}
        {actionError !== null && <p className="form-error" role="alert">{actionError}</p>}
      </header>
      <div className="campaign-filters" role="group" aria-label="Candidates shown">
        <button type="button" aria-pressed={filter === null} onClick={() => { setFilter(null); setOffset(0); }}>
          All <span className="count" data-testid="count-total">{counts.total}</span>
        </button>
        {CANDIDATE_STATUSES.map((s) => (
          <button key={s.value} type="button" aria-pressed={filter === s.value} title={s.meaning} className={`status-${s.value}`}
            onClick={() => { setFilter(s.value); setOffset(0); }}>
            {s.title} <span className="count" data-testid={`count-${s.value}`}>{counts[s.value]}</span>
          </button>
        ))}
        <span className="muted campaign-keys">Keys: <kbd>a</kbd> accept · <kbd>r</kbd> reject · <kbd>u</kbd> undo · <kbd>j</kbd>/<kbd>k</kbd> next/previous · <kbd>Enter</kbd> larger</span>
      </div>
      {pageError !== null && <ErrorPanel error={pageError} onRetry={() => setGeneration((g) => g + 1)} title="The candidates did not load" />}
      {page && candidates.length === 0 && (
        <p className="empty-state">{campaign.run_at ? "No candidates of this status." : "Run the campaign to find candidates."}</p>
      )}
      <ol className="campaign-gallery" aria-label="Candidates">
        {candidates.map((c, i) => (
          <CampaignCandidateCard key={c.key} ref={(el) => { cards.current[i] = el; }} project={project} campaign={campaign} candidate={c}
            focused={focus === i} onFocus={() => setFocus(i)} onOpen={() => { setFocus(i); setPreviewing(true); }}
            onReview={(status) => { setFocus(i); review([c.key], status); }} readOnly={readOnly} />
        ))}
      </ol>
      {previewing && focus !== null && candidates[focus] && (
        <CampaignCandidatePreview project={project} campaign={campaign} candidate={candidates[focus]!} readOnly={readOnly}
          onClose={() => setPreviewing(false)} onReview={(status) => review([candidates[focus]!.key], status)} />
      )}
      {total > CANDIDATES_PAGE_SIZE && (
        <nav className="campaign-pages" aria-label="Candidate pages">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - CANDIDATES_PAGE_SIZE))}>Previous</button>
          <span data-testid="candidates-range">{offset + 1}–{Math.min(offset + CANDIDATES_PAGE_SIZE, total)} of {total}</span>
          <button type="button" disabled={offset + CANDIDATES_PAGE_SIZE >= total} onClick={() => setOffset(offset + CANDIDATES_PAGE_SIZE)}>Next</button>
        </nav>
      )}
    </div>
  );
}

export default CampaignsView;
