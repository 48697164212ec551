/**
 * Issues (issue 14): the project's issues, and one issue's page. The list filters by status
 * and creates issues (name, description, owner). An issue's page edits its description,
 * owner and status; lists its elements (frames or crops) with thumbnails, status and note,
 * filtered by status; reviews them in a popout with keys (IssueReviewDialog); finds similar
 * elements to add (IssueSimilar); exports the elements and imports fixed labels back, with
 * the inference sets compared before and after (IssueFixedLabels). The issue and the
 * element reviewed live in the URL (`issue=`, `element=`). Every number is the server's.
 */
import { useEffect, useRef, useState } from "react";
import { api, ApiError } from "../api/client";
import type { FrameDetail } from "../api/types";
import { IssueFixedLabels } from "../components/IssueFixedLabels";
import { IssueSimilar } from "../components/IssueSimilar";
import { elementObject, IssueThumbnail } from "../components/IssueThumbnail";
import { ErrorPanel, Loading } from "../components/Status";
import { useApi } from "../hooks/useApi";
import { pageCount } from "../lib/examples";
import {
  ELEMENT_STATUSES, elementStatusTitle, elementTitle, filterByStatus, ISSUE_STATUSES, issueStatusTitle,
  type ElementStatus, type Issue, type IssueElement, type IssueStatus,
} from "../lib/issues";
import { ALL_FRAMES, classColors, type ViewContext } from "./context";
import { IssueReviewDialog } from "./IssueReviewDialog";
import "../components/issues.css";

/** Elements per page of an issue's table. */
export const ELEMENTS_PAGE_SIZE = 20;

/** "2026-12-03 06:33" of an ISO-8601 UTC time (UTC, as stored). */
export function formatTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

export interface IssuesViewProps {
  ctx: ViewContext;
  /** The issue opened (null: the list) and the element reviewed (its position; null: none). */
  issue: string | null;
  element: number | null;
}

export function IssuesView({ ctx, issue, element }: IssuesViewProps) {
  return issue === null
    ? <IssueList ctx={ctx} />
    : <IssuePage key={`${ctx.project.name}/${issue}`} ctx={ctx} issue={issue} element={element} />;
}

/** A crop's class (and a prediction's confidence) as its frame has it, before the dataset's name. */
function objectText(detail: FrameDetail | undefined, e: IssueElement): string {
  const o = detail ? elementObject(detail, e) : undefined;
  if (!o) return "";
  return `${o.label}${o.confidence !== null ? ` ${o.confidence.toFixed(3)}` : ""} · `;
}

/** The element counts by status, as small labelled chips. */
export function StatusCounts({ counts }: { counts: Readonly<Record<string, number>> }) {
  return (
    <span className="status-counts">
      {ELEMENT_STATUSES.map((s) => (
        <span key={s.value} className={`element-status status-${s.value}`} title={`${s.title}: ${s.meaning}`} data-status={s.value}
          data-zero={(counts[s.value] ?? 0) === 0 || undefined}>
          {s.title.toLowerCase()} {counts[s.value] ?? 0}
        </span>
      ))}
    </span>
  );
}

// ------------------------------------------------------------------ the list
function IssueList({ ctx }: { ctx: ViewContext }) {
  const project = ctx.project.name;
  const issues = useApi(JSON.stringify(["issue-list", project]), (signal) => api.issueList(project, { signal }));
  const [status, setStatus] = useState<IssueStatus | "all">("all");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [owner, setOwner] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);
  const create = async () => {
    if (!name.trim()) return;
    setCreating(true);
    setError(null);
    try {
      const created = await api.newIssue(project, { name: name.trim(), description, owner: owner.trim() });
      ctx.update({ issue: created.name, issueElement: null });
    } catch (e) {
      setError(e);
    } finally {
      setCreating(false);
    }
  };
  const shown = (issues.data ?? []).filter((i) => status === "all" || i.status === status);
  return (
    <div className="issues-view">
      <section className="panel issues-list" aria-labelledby="issues-title">
        <div className="issues-head">
          <h2 id="issues-title">Issues</h2>
          <span className="muted">Frames and crops collected for review, relabeling and similar-data search</span>
          <label>
            Status{" "}
            <select aria-label="Issue status filter" value={status} onChange={(e) => setStatus(e.target.value as IssueStatus | "all")}>
              <option value="all">All ({issues.data?.length ?? 0})</option>
              {ISSUE_STATUSES.map((s) => (
                <option key={s.value} value={s.value}>{s.title} ({(issues.data ?? []).filter((i) => i.status === s.value).length})</option>
              ))}
            </select>
          </label>
        </div>
        <Loading active={issues.loading} label="Loading issues" />
        {issues.error !== null && <ErrorPanel error={issues.error} onRetry={issues.reload} title="Issues could not be loaded" />}
        {issues.data && issues.data.length === 0 && (
          <p className="empty-state">No issue yet: create one here, or add examples to one from a matrix cell (Metrics).</p>
        )}
        {shown.length > 0 && (
          <table className="issues-table">
            <caption className="visually-hidden">Issues of {project}</caption>
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Owner</th><th scope="col">Elements by status</th><th scope="col">Updated (UTC)</th></tr>
            </thead>
            <tbody>
              {shown.map((i) => (
                <tr key={i.uuid} data-issue={i.name}>
                  <th scope="row"><button type="button" className="link" onClick={() => ctx.update({ issue: i.name, issueElement: null })}>{i.name}</button></th>
                  <td><span className={`issue-status issue-${i.status}`}>{issueStatusTitle(i.status)}</span></td>
                  <td>{i.owner || <span className="muted">-</span>}</td>
                  <td><StatusCounts counts={i.counts} /></td>
                  <td className="num">{formatTime(i.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="panel issue-create" aria-labelledby="issue-create-title">
        <h3 id="issue-create-title">New issue</h3>
        <form onSubmit={(e) => { e.preventDefault(); void create(); }}>
          <label>Name <input type="text" aria-label="Issue name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} required /></label>
          <label>Owner <input type="text" aria-label="Owner" value={owner} maxLength={200} onChange={(e) => setOwner(e.target.value)} /></label>
          <label className="wide-field">Description <textarea aria-label="Description" value={description} rows={2} onChange={(e) => setDescription(e.target.value)} /></label>
          <button type="submit" disabled={creating || name.trim() === ""}>Create issue</button>
        </form>
        {error !== null && <ErrorPanel error={error} title={error instanceof ApiError && error.status === 409 ? "That issue exists already" : "The issue could not be created"} />}
      </section>
    </div>
  );
}

// ------------------------------------------------------------------ one issue
type Section = "elements" | "similar" | "fixed";
const SECTIONS: ReadonlyArray<{ value: Section; title: string }> = [
  { value: "elements", title: "Elements" },
  { value: "similar", title: "Similar elements" },
  { value: "fixed", title: "Export and fixed labels" },
];

/** A review sent in this view and not yet answered: what the element shows meanwhile. */
type Pending = Partial<Pick<IssueElement, "status" | "note">>;

function IssuePage({ ctx, issue, element }: { ctx: ViewContext; issue: string; element: number | null }) {
  const project = ctx.project.name;
  const loaded = useApi(JSON.stringify(["issue", project, issue]), (signal) => api.issue(project, issue, { signal }));
  const [section, setSection] = useState<Section>("elements");
  const [filter, setFilter] = useState<ElementStatus | null>(null);
  const [page, setPage] = useState(0);
  const [actionError, setActionError] = useState<unknown>(null);
  // Reviews: each changes its element at once; its write waits behind that element's earlier
  // writes (so the last key wins on the server too), and no key waits for an answer.
  const [pending, setPending] = useState<ReadonlyMap<number, Pending>>(new Map());
  const [busy, setBusy] = useState<ReadonlySet<number>>(new Set());
  const chains = useRef(new Map<number, Promise<unknown>>());
  // The elements the review dialog pages through, fixed when it opens (a reviewed element
  // stays in place even when the filter no longer lists it); null: every element.
  const [reviewOrder, setReviewOrder] = useState<readonly number[] | null>(null);

  // A review the server's answer holds (its writes settled) no longer needs its own copy, so
  // a later change made elsewhere shows; one still being written, or not yet in an answer, stays.
  useEffect(() => {
    const served = new Map((loaded.data?.elements ?? []).map((e) => [e.position, e]));
    const held = (position: number, change: Pending) => {
      const e = served.get(position);
      return e !== undefined && (change.status === undefined || change.status === e.status) && (change.note === undefined || change.note === e.note);
    };
    setPending((p) => {
      const kept = [...p].filter(([position, change]) => chains.current.has(position) || !held(position, change));
      return kept.length === p.size ? p : new Map(kept);
    });
  }, [loaded.data]);
  const data: Issue | null = loaded.data;
  const elements: IssueElement[] = (data?.elements ?? []).map((e) => (pending.has(e.position) ? { ...e, ...pending.get(e.position) } : e));
  const listed = filterByStatus(elements, filter);
  const pages = pageCount(listed.length, ELEMENTS_PAGE_SIZE);
  const pageElements = listed.slice(page * ELEMENTS_PAGE_SIZE, (page + 1) * ELEMENTS_PAGE_SIZE);
  useEffect(() => {
    if (page > 0 && page >= pages) setPage(Math.max(0, pages - 1));
  }, [page, pages]);

  // The page's frames, each on its own (one that fails leaves its thumbnail empty, not the page).
  const frameKeys = [...new Set(pageElements.map((e) => JSON.stringify([e.dataset, e.frame_id])))];
  const setsOf = (dataset: string, frameId: string) =>
    [...new Set(pageElements.filter((e) => e.dataset === dataset && e.frame_id === frameId && e.inference_set).map((e) => e.inference_set!))];
  const framesKey = frameKeys.length > 0 ? JSON.stringify(["issue-frames", project, frameKeys, pageElements.map((e) => e.inference_set)]) : null;
  const frames = useApi(framesKey, async (signal) => {
    const answers = await Promise.allSettled(frameKeys.map((k) => {
      const [dataset, frameId] = JSON.parse(k) as [string, string];
      return api.frame(project, dataset, frameId, setsOf(dataset, frameId), { signal }).then((d) => [k, d] as const);
    }));
    if (signal.aborted) throw new DOMException("aborted", "AbortError");
    return new Map(answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : [])));
  });
  const detailOf = (e: IssueElement): FrameDetail | undefined => frames.data?.get(JSON.stringify([e.dataset, e.frame_id]));

  const write = (el: IssueElement, change: Pending) => {
    const position = el.position;
    setPending((p) => new Map(p).set(position, { ...p.get(position), ...change }));
    setBusy((b) => new Set(b).add(position));
    setActionError(null);
    const previous = chains.current.get(position) ?? Promise.resolve();
    const next: Promise<unknown> = previous.then(() => api.updateIssueElement(project, issue, position, change)).catch((e: unknown) => {
      setActionError(e);
      // The server's value shows again.
      setPending((p) => { const m = new Map(p); m.delete(position); return m; });
    }).finally(() => {
      if (chains.current.get(position) !== next) return;
      chains.current.delete(position);
      setBusy((b) => { const s = new Set(b); s.delete(position); return s; });
      loaded.reload();
    });
    chains.current.set(position, next);
  };
  const remove = async (el: IssueElement) => {
    setActionError(null);
    try {
      await api.removeIssueElement(project, issue, el.position);
      loaded.reload();
    } catch (e) {
      setActionError(e);
    }
  };
  // The frames the header's segment and query bar select, added as frame elements.
  const scoped = ctx.segment !== ALL_FRAMES || Boolean(ctx.query);
  const scopeText = [ctx.segment !== ALL_FRAMES ? `segment ${ctx.segment}` : null, ctx.query ? `query ${ctx.query}` : null].filter(Boolean).join(" and ");
  const [addedNotice, setAddedNotice] = useState<string | null>(null);
  const addScoped = async () => {
    setActionError(null);
    try {
      const answer = await api.addIssueElementsFromQuery(project, issue, {
        dataset: ctx.dataset, segment: ctx.segment === ALL_FRAMES ? null : ctx.segment, query: ctx.query || null,
      });
      setAddedNotice(`Added ${answer.added} frames of ${ctx.dataset} (${scopeText})${answer.skipped > 0 ? `; ${answer.skipped} were in it already` : ""}.`);
      loaded.reload();
    } catch (e) {
      setActionError(e);
    }
  };
  const openReview = (position: number, order: readonly IssueElement[]) => {
    setReviewOrder(order.map((e) => e.position));
    ctx.update({ issueElement: position });
  };
  const reviewElements = reviewOrder === null ? elements
    : reviewOrder.flatMap((p) => elements.filter((e) => e.position === p));

  if (loaded.error !== null && !data) {
    return (
      <div className="issues-view">
        <p><button type="button" className="link" onClick={() => ctx.update({ issue: null, issueElement: null })}>← All issues</button></p>
        <ErrorPanel error={loaded.error} onRetry={loaded.reload} title={`Issue ${issue} could not be loaded`} />
      </div>
    );
  }
  if (!data) return <Loading active label={`Loading issue ${issue}`} />;
  const colors = classColors(ctx.project);
  return (
    <div className="issues-view">
      <p><button type="button" className="link" onClick={() => ctx.update({ issue: null, issueElement: null })}>← All issues</button></p>
      <IssueHeader ctx={ctx} issue={data} onSaved={loaded.reload} onError={setActionError} />
      {actionError !== null && <ErrorPanel error={actionError} title="The change was not saved" onRetry={() => setActionError(null)} />}
      <div role="tablist" aria-label="Issue sections" className="issue-tabs" onKeyDown={(e) => {
        // Arrows move between the tabs, as the app's views do.
        const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
        if (step === 0) return;
        const k = SECTIONS.findIndex((x) => x.value === section);
        const next = SECTIONS[(k + step + SECTIONS.length) % SECTIONS.length]!.value;
        setSection(next);
        document.getElementById(`issue-tab-${next}`)?.focus();
      }}>
        {SECTIONS.map((s) => (
          <button key={s.value} id={`issue-tab-${s.value}`} type="button" role="tab" aria-selected={section === s.value}
            aria-controls={`issue-panel-${s.value}`} tabIndex={section === s.value ? 0 : -1} onClick={() => setSection(s.value)}>{s.title}</button>
        ))}
      </div>
      <div id={`issue-panel-${section}`} role="tabpanel" aria-labelledby={`issue-tab-${section}`} className="panel issue-panel">
        {section === "elements" && (
          <>
            <div className="issue-elements-controls">
              <label>
                Show{" "}
                <select aria-label="Element status filter" value={filter ?? ""} onChange={(e) => { setFilter((e.target.value || null) as ElementStatus | null); setPage(0); }}>
                  <option value="">All ({data.elements.length})</option>
                  {ELEMENT_STATUSES.map((s) => <option key={s.value} value={s.value}>{s.title} ({data.counts[s.value] ?? 0})</option>)}
                </select>
              </label>
              <button type="button" disabled={listed.length === 0} onClick={() => openReview(listed[0]!.position, listed)}>
                Review {filter ? `${elementStatusTitle(filter).toLowerCase()} ` : ""}elements ({listed.length})
              </button>
              <nav aria-label="Element pages" className="pager">
                <button type="button" onClick={() => setPage(page - 1)} disabled={page <= 0}>Previous</button>
                <span aria-live="polite" data-testid="issue-elements-range">
                  {listed.length === 0 ? "No elements" : `${page * ELEMENTS_PAGE_SIZE + 1}–${Math.min(listed.length, (page + 1) * ELEMENTS_PAGE_SIZE)} of ${listed.length}`} (page {page + 1} of {pages})
                </span>
                <button type="button" onClick={() => setPage(page + 1)} disabled={page >= pages - 1}>Next</button>
              </nav>
              {busy.size > 0 && <span className="muted" role="status">saving {busy.size}…</span>}
              <button type="button" disabled={!scoped} onClick={() => void addScoped()}
                title={scoped ? `Add the frames of ${ctx.dataset} that the ${scopeText} select` : "Choose a segment or type a query (header) to add its frames"}>
                Add frames of the {scoped ? scopeText : "segment / query"}
              </button>
            </div>
            {addedNotice !== null && <p className="notice" role="status" data-testid="issue-added-notice">{addedNotice}</p>}
            {data.elements.length === 0 && (
              <p className="empty-state">No elements yet: add examples from a matrix cell (Metrics), or similar elements (Similar elements).</p>
            )}
            {pageElements.length > 0 && (
              <table className="issue-elements">
                <caption className="visually-hidden">Elements of issue {issue}</caption>
                <thead>
                  <tr>
                    <th scope="col">#</th><th scope="col">Element</th><th scope="col">What</th><th scope="col">Status</th>
                    <th scope="col">Note</th><th scope="col">Added (UTC)</th><th scope="col"><span className="visually-hidden">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  {pageElements.map((e) => (
                    <tr key={e.position} data-position={e.position} data-status={e.status}>
                      <td className="num">{e.position}</td>
                      <td>
                        <button type="button" className="thumbnail" aria-label={`Review ${elementTitle(e)}`} onClick={() => openReview(e.position, listed)}>
                          <IssueThumbnail project={project} element={e} detail={detailOf(e) ?? (frames.loading ? null : undefined)} classColors={colors} width={112} />
                        </button>
                      </td>
                      <td>
                        <span className="element-title">{elementTitle(e)}</span>
                        <br /><span className="muted">{objectText(detailOf(e), e)}{e.dataset}</span>
                      </td>
                      <td>
                        <select aria-label={`Status of ${elementTitle(e)}`} value={e.status} className={`element-status status-${e.status}`}
                          onChange={(ev) => write(e, { status: ev.target.value as ElementStatus })}>
                          {ELEMENT_STATUSES.map((s) => <option key={s.value} value={s.value}>{s.title}</option>)}
                        </select>
                        {busy.has(e.position) && <span className="muted"> saving…</span>}
                      </td>
                      <td><NoteField value={e.note} label={`Note of ${elementTitle(e)}`} onSave={(note) => write(e, { note })} /></td>
                      <td className="num">{formatTime(e.added_at)}</td>
                      <td><button type="button" onClick={() => void remove(e)} aria-label={`Remove ${elementTitle(e)}`}>Remove</button></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <ul className="chart-legend status-legend" aria-label="Element statuses">
              {ELEMENT_STATUSES.map((s) => (
                <li key={s.value}><span className={`element-status status-${s.value}`}>{s.title}</span> {s.meaning}</li>
              ))}
            </ul>
          </>
        )}
        {section === "similar" && <IssueSimilar ctx={ctx} issue={data} onAdded={loaded.reload} />}
        {section === "fixed" && <IssueFixedLabels ctx={ctx} issue={data} filter={filter} />}
      </div>
      <IssueReviewDialog ctx={ctx} issue={issue} elements={reviewElements} position={element} busy={busy}
        onShow={(position) => ctx.update({ issueElement: position })}
        onClose={() => { ctx.update({ issueElement: null }); setReviewOrder(null); }}
        onStatus={(el, status) => write(el, { status })} onNote={(el, note) => write(el, { note })} />
    </div>
  );
}

/** A note: typed freely, saved on Enter or when the field is left (if it changed). */
function NoteField({ value, label, onSave }: { value: string; label: string; onSave: (note: string) => void }) {
  const [text, setText] = useState(value);
  const sent = useRef<string | null>(null);
  useEffect(() => { setText(value); sent.current = null; }, [value]);
  const save = () => {
    if (text === value || text === sent.current) return;
    sent.current = text;
    onSave(text);
  };
  return (
    <input type="text" className="note-field" aria-label={label} value={text} maxLength={2000} placeholder="note"
      onChange={(e) => setText(e.target.value)} onBlur={save}
      onKeyDown={(e) => { if (e.key === "Enter") { e.preventDefault(); save(); } else if (e.key === "Escape") setText(value); }} />
  );
}

/** The issue's name, status, owner and description, edited and saved together. */
function IssueHeader({ ctx, issue, onSaved, onError }: { ctx: ViewContext; issue: Issue; onSaved: () => void; onError: (e: unknown) => void }) {
  const [status, setStatus] = useState<IssueStatus>(issue.status);
  const [owner, setOwner] = useState(issue.owner);
  const [description, setDescription] = useState(issue.description);
  const [saving, setSaving] = useState(false);
  // The server's values as last shown: a field follows a new one unless it was edited since
  // (reviews reload the issue while the description may be half typed).
  const shown = useRef({ status: issue.status, owner: issue.owner, description: issue.description });
  useEffect(() => {
    const was = shown.current;
    setStatus((v) => (v === was.status ? issue.status : v));
    setOwner((v) => (v === was.owner ? issue.owner : v));
    setDescription((v) => (v === was.description ? issue.description : v));
    shown.current = { status: issue.status, owner: issue.owner, description: issue.description };
  }, [issue.status, issue.owner, issue.description]);
  const changed = status !== issue.status || owner !== issue.owner || description !== issue.description;
  const save = async () => {
    setSaving(true);
    try {
      await api.updateIssue(ctx.project.name, issue.name, { status, owner, description });
      onSaved();
    } catch (e) {
      onError(e);
    } finally {
      setSaving(false);
    }
  };
  const remove = async () => {
    if (!window.confirm(`Delete issue ${issue.name} and its ${issue.elements.length} elements?`)) return;
    try {
      await api.deleteIssue(ctx.project.name, issue.name);
      ctx.update({ issue: null, issueElement: null });
    } catch (e) {
      onError(e);
    }
  };
  return (
    <section className="panel issue-header" aria-labelledby="issue-title">
      <div className="issue-title-row">
        <h2 id="issue-title">{issue.name}</h2>
        <StatusCounts counts={issue.counts} />
        <span className="muted">created {formatTime(issue.created_at)} · updated {formatTime(issue.updated_at)} (UTC)</span>
        <button type="button" onClick={() => ctx.update({ view: "campaigns", campaign: null, campaignIssue: issue.name })}
          title="A collection campaign: search unlabeled data for elements like this issue's (Campaigns tab)">Collect more like these…</button>
      </div>
      <form className="issue-edit" onSubmit={(e) => { e.preventDefault(); void save(); }}>
        <label>
          Status{" "}
          <select aria-label="Issue status" value={status} onChange={(e) => setStatus(e.target.value as IssueStatus)}>
            {ISSUE_STATUSES.map((s) => <option key={s.value} value={s.value}>{s.title}</option>)}
          </select>
        </label>
        <label>Owner <input type="text" aria-label="Issue owner" value={owner} maxLength={200} onChange={(e) => setOwner(e.target.value)} /></label>
        <label className="wide-field">
          Description <textarea aria-label="Issue description" value={description} rows={2} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <button type="submit" disabled={!changed || saving}>{saving ? "Saving…" : "Save"}</button>
        <button type="button" className="danger" onClick={() => void remove()}>Delete issue</button>
      </form>
    </section>
  );
}
