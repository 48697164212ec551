/**
 * Insights' "Label errors": the label-error queue of the first inference set
 * (docs/insights.md#label-errors), highest score first, narrowed by kind, class (the
 * Insights class, `class=`) and review status; each candidate drawn on its frame with its
 * partner, and reviewed with buttons or keys (j/k or arrows move, c confirms, d dismisses,
 * i adds to the chosen issue, Enter opens the frame, Esc leaves). Reviews persist on the
 * server; the confirmed ones export as a COCO patch or CSV. Classification: the frames
 * whose label the class probabilities contradict (confident learning, `method=`), each
 * with its given and suggested class. Every number is the server's.
 */
import { useEffect, useRef, useState } from "react";
import { api, ApiError, frameImageUrl, frameThumbnailUrl } from "../api/client";
import type { FrameDetail, FrameExample, FrameObject, IssueOut, LabelErrorOut, LabelErrorReviewOut } from "../api/types";
import { BoxLegend } from "../components/FrameView";
import { LabelErrorCard, objectsText, reviewStatusOf } from "../components/LabelErrorCard";
import { ErrorPanel, Loading } from "../components/Status";
import { useApi } from "../hooks/useApi";
import { pageCount } from "../lib/examples";
import { formatScore } from "../lib/format";
import {
  CLASSIFICATION_METHODS, exportFileName, kindInfo, LABEL_ERROR_KINDS, type ClassificationMethod, moveSelection, nextStatus, REVIEW_FILTERS, REVIEW_KEYS, reviewKeyAction, statusWithIssue,
  type LabelErrorKind, type ReviewStatus,
} from "../lib/labelErrors";
import { THUMBNAIL_SIZE, webImageOf } from "./adapters";
import { ALL_FRAMES, classColors, classNames, type ViewContext } from "./context";
import { ExampleModal } from "./ExampleModal";
import { FramePanel } from "./FramePanel";
import "../components/labelErrors.css";

export const LABEL_ERRORS_PAGE_SIZE = 12;
/** The server's default: predictions from this confidence are evidence. */
export const EVIDENCE_CONF = 0.5;

/**
 * A candidate's frame with its two objects only (the suspect one and its partner, both
 * emphasized): labels solid, predictions dashed, as everywhere in the app.
 */
export function labelErrorFrame(project: string, dataset: string, set: string, detail: FrameDetail, entry: LabelErrorOut, boxes = true): FrameExample {
  const objects: FrameObject[] = [];
  const none = { outcome: "" as FrameObject["outcome"], reason: "" as const, partner_id: -1, partner_label: "", iou: NaN };
  const boxOf = (r: { x: number | null; y: number | null; width: number | null; height: number | null }): FrameObject["box"] =>
    [r.x ?? 0, r.y ?? 0, r.width ?? 0, r.height ?? 0];
  // The queue names objects by engine id (a table row) and by stored id (`source_*`), as the frame does.
  const label = !boxes || entry.source_label_id === null ? undefined : detail.labels.find((l) => l.label_id === entry.source_label_id);
  if (label) {
    const box = boxOf(label);
    objects.push({ ...none, kind: "ground_truth", id: 1, frame_id: label.frame_id, label: label.class_name, confidence: null, area: box[2] * box[3], box });
  }
  const prediction = !boxes || entry.source_prediction_id === null ? undefined
    : (detail.predictions[set] ?? []).find((p) => p.prediction_id === entry.source_prediction_id);
  if (prediction) {
    const box = boxOf(prediction);
    objects.push({ ...none, kind: "prediction", id: 2, frame_id: prediction.frame_id, label: prediction.class_name, confidence: prediction.confidence, area: box[2] * box[3], box });
  }
  const width = Number(detail.frame.width) || 0;
  const height = Number(detail.frame.height) || 0;
  const web = webImageOf(detail.frame.image_uri);
  const local = typeof detail.frame.image_uri === "string" && web === undefined;
  return {
    frame_id: entry.image_id, image_url: web ?? frameImageUrl(project, dataset, entry.image_id),
    width: width || 640, height: height || 480, objects,
    ...(width > 0 && height > 0 && local ? { thumbnail_url: frameThumbnailUrl(project, dataset, entry.image_id, THUMBNAIL_SIZE) } : {}),
  };
}

/** Save text as a file through a temporary link (the export is fetched with the API key). */
function download(text: string, name: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Whether a key belongs to a field or a control being typed into, not to the queue. */
function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return ["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName) || el.isContentEditable || el.closest('[role="tablist"], [role="dialog"]') !== null;
}

export function LabelErrorsPanel({ ctx }: { ctx: ViewContext }) {
  const { project, dataset, sets, segment, query } = ctx;
  const set = sets[0]!;
  const detection = project.task === "detection";
  const label = ctx.metricClass ?? null;
  // The kind, review status and page live in the URL (le_kind=, review=, le_page=), so a link or a reload restores them.
  const kind: LabelErrorKind | null = ctx.labelErrorKind ?? null;
  const status: ReviewStatus | "all" = ctx.review ?? "all";
  const page = ctx.labelErrorPage ?? 0;
  const setPage = (labelErrorPage: number) => ctx.update({ labelErrorPage });
  const [evidence, setEvidence] = useState(EVIDENCE_CONF);
  const [method, setMethod] = useState<ClassificationMethod>("self_confidence");
  const [selected, setSelected] = useState<number | null>(null);
  const [opened, setOpened] = useState<number | null>(null);
  // Reviews sent in this view, by candidate: shown at once, in place (the queue is not asked
  // again, so a reviewed candidate keeps its place while the user moves on).
  const [reviews, setReviews] = useState<Record<string, LabelErrorReviewOut | null>>({});
  // Candidates whose review is in flight: only that candidate waits, so a reviewer who moves on
  // and presses a key for the next one is never ignored.
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const [actionError, setActionError] = useState<unknown>(null);
  const [issue, setIssue] = useState<string | null>(null);
  const [newIssue, setNewIssue] = useState("");
  const [exporting, setExporting] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const scope = { segment: segment === ALL_FRAMES ? undefined : segment, query: query ?? undefined };
  const queueKey = JSON.stringify(["label-errors", project.name, dataset, set, scope, kind, label, status, detection ? evidence : method, page]);
  const queue = useApi(queueKey, (signal) =>
    api.labelErrors(project.name, dataset, set, {
      ...scope, kind: kind ?? undefined, label: label ?? undefined, status: status === "all" ? undefined : status,
      ...(detection ? { conf: evidence } : { method }),
      offset: page * LABEL_ERRORS_PAGE_SIZE, limit: LABEL_ERRORS_PAGE_SIZE,
    }, { signal }),
  );
  const issues = useApi(JSON.stringify(["issues", project.name]), (signal) => api.issues(project.name, { signal }));

  const fresh = queue.dataKey === queueKey ? queue.data : null;
  const entries: LabelErrorOut[] = (fresh?.label_errors ?? []).map((e) => (e.id in reviews ? { ...e, review: reviews[e.id]! } : e));
  const frameIds = [...new Set(entries.map((e) => e.image_id))];
  const framesKey = frameIds.length > 0 ? JSON.stringify(["label-error-frames", project.name, dataset, set, frameIds]) : null;
  // Each frame on its own: one that fails to load leaves its card without an image, not the page.
  const frames = useApi(framesKey, async (signal) => {
    const answers = await Promise.allSettled(frameIds.map((id) => api.frame(project.name, dataset, id, [set], { signal })));
    if (signal.aborted) throw new DOMException("aborted", "AbortError");
    return answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
  });
  const details = new Map((frames.dataKey === framesKey ? frames.data ?? [] : []).map((d) => [String(d.frame.frame_id), d]));
  const total = fresh?.total ?? 0;
  const pages = pageCount(total, LABEL_ERRORS_PAGE_SIZE);

  // A move past the page's end lands on the next page's first candidate (or the previous page's last: -1).
  useEffect(() => {
    if (selected === -1 && fresh) setSelected(fresh.label_errors.length > 0 ? fresh.label_errors.length - 1 : null);
  }, [selected, fresh]);

  const resetPage = () => { setPage(0); setSelected(null); };
  const leave = () => setSelected(null);

  const review = async (entry: LabelErrorOut, action: "confirm" | "dismiss" | "issue" | "reopen") => {
    const current = reviewStatusOf(entry);
    const body = action === "issue"
      ? { status: statusWithIssue(current), issue: issue!, note: entry.review?.note ?? "" }
      : { status: action === "reopen" ? "open" as const : nextStatus(current, action), note: entry.review?.note ?? "" };
    setBusy((b) => new Set(b).add(entry.id));
    setActionError(null);
    try {
      const answer = await api.reviewLabelError(project.name, dataset, set, entry.id, body);
      setReviews((r) => ({ ...r, [entry.id]: answer.status === "open" ? null : answer }));
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy((b) => { const next = new Set(b); next.delete(entry.id); return next; });
    }
  };

  const createIssue = async () => {
    const name = newIssue.trim();
    if (!name) return;
    setNotice(null);
    setActionError(null);
    try {
      const created: IssueOut = await api.createIssue(project.name, { name });
      setIssue(created.name);
      setNewIssue("");
      issues.reload();
    } catch (e) {
      setActionError(e);
    }
  };

  const exportConfirmed = async (format: "coco" | "csv") => {
    setExporting(true);
    setActionError(null);
    try {
      const text = await api.exportLabelErrors(project.name, dataset, set, format);
      download(text, exportFileName(set, format), format === "coco" ? "application/json" : "text/csv");
    } catch (e) {
      setActionError(e);
    } finally {
      setExporting(false);
    }
  };

  // Keyboard review, while this view is shown and no field, tab row or dialog has the key.
  const keyState = useRef({ entries, selected, page, pages, busy, issue, opened });
  keyState.current = { entries, selected, page, pages, busy, issue, opened };
  const reviewRef = useRef(review);
  reviewRef.current = review;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      // Enter on a focused button or link is that control's (it clicks it).
      if (e.key === "Enter" && (e.target as HTMLElement | null)?.closest?.("button, a")) return;
      const s = keyState.current;
      if (s.opened !== null) return;
      const action = reviewKeyAction(e.key);
      if (action === null) return;
      const entry = s.selected !== null && s.selected >= 0 ? s.entries[s.selected] : undefined;
      if (action === "next" || action === "previous") {
        const moved = moveSelection(s.selected, action === "next" ? 1 : -1, s.entries.length, s.page, s.pages);
        if (!moved) return;
        e.preventDefault();
        if (moved.page !== s.page) setPage(moved.page);
        setSelected(moved.index);
      } else if (action === "clear") {
        setSelected(null);
      } else if (entry && action === "open") {
        e.preventDefault();
        setOpened(s.selected);
      } else if (entry && !s.busy.has(entry.id) && (action === "confirm" || action === "dismiss")) {
        void reviewRef.current(entry, action);
      } else if (entry && !s.busy.has(entry.id) && action === "issue") {
        if (s.issue === null) setNotice("Choose or create an issue first: i adds the candidate to it.");
        else void reviewRef.current(entry, "issue");
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  // The selected candidate stays in view as the keys move it.
  useEffect(() => {
    if (selected === null || selected < 0) return;
    document.querySelector(`.label-error-list > li:nth-child(${selected + 1})`)?.scrollIntoView?.({ block: "nearest" });
  }, [selected, page]);

  const first = total === 0 ? 0 : page * LABEL_ERRORS_PAGE_SIZE + 1;
  const last = Math.min(total, (page + 1) * LABEL_ERRORS_PAGE_SIZE);
  const openedEntry = opened !== null ? entries[opened] : undefined;
  const colors = classColors(project);
  return (
    <section className="panel label-errors" aria-labelledby="label-errors-title">
      <div className="label-errors-head">
        <h2 id="label-errors-title">Label errors</h2>
        <span className="muted">
          {detection ? "Candidates that the label, not the model, is wrong, highest score first"
            : "Frames whose label the model's class probabilities contradict (confident learning), highest score first"}
        </span>
      </div>
      <div className="label-errors-controls" role="group" aria-label="Label-error filters">
        {detection && <label>
          Kind{" "}
          <select aria-label="Kind" value={kind ?? ""} onChange={(e) => { ctx.update({ labelErrorKind: (e.target.value || null) as LabelErrorKind | null }); leave(); }}>
            <option value="">All kinds{fresh ? ` (${Object.values(fresh.counts).reduce((a, b) => a + b, 0)})` : ""}</option>
            {LABEL_ERROR_KINDS.map((k) => (
              <option key={k.value} value={k.value}>{k.title}{fresh ? ` (${fresh.counts[k.value] ?? 0})` : ""}</option>
            ))}
          </select>
        </label>}
        {!detection && (
          <label title="The confident-learning score (docs/insights.md)">
            Score{" "}
            <select aria-label="Score method" value={method} onChange={(e) => { setMethod(e.target.value as ClassificationMethod); resetPage(); }}>
              {CLASSIFICATION_METHODS.map((m) => <option key={m.value} value={m.value}>{m.title}</option>)}
            </select>
          </label>
        )}
        <label>
          Class{" "}
          <select aria-label="Label-error class" value={label ?? ""} onChange={(e) => { ctx.update({ metricClass: e.target.value || null }); leave(); }}>
            <option value="">All classes</option>
            {classNames(project).map((name) => <option key={name} value={name}>{name}</option>)}
          </select>
        </label>
        <label>
          Review{" "}
          <select aria-label="Review status" value={status} onChange={(e) => { ctx.update({ review: e.target.value === "all" ? null : e.target.value as ReviewStatus }); leave(); }}>
            {REVIEW_FILTERS.map((f) => <option key={f.value} value={f.value}>{f.title}</option>)}
          </select>
        </label>
        {detection && <label title="Predictions from this confidence are evidence (the queue's conf=)">
          Evidence from confidence{" "}
          <input type="number" min={0} max={1} step={0.05} defaultValue={evidence} aria-label="Evidence confidence"
            onChange={(e) => { const v = Number(e.target.value); if (e.target.value.trim() !== "" && v >= 0 && v <= 1) { setEvidence(v); resetPage(); } }} />
        </label>}
        <span className="muted">{set}{segment !== ALL_FRAMES ? `, ${segment}` : ""}{query ? `, query ${query}` : ""}</span>
      </div>

      <div className="label-errors-controls" role="group" aria-label="Issue and export">
        <label>
          Issue{" "}
          <select aria-label="Issue" value={issue ?? ""} onChange={(e) => { setIssue(e.target.value || null); setNotice(null); }}>
            <option value="">(none chosen)</option>
            {/* The issue just created is chosen at once, before the list is asked again. */}
            {[...new Set([...(issues.data ?? []).map((i) => i.name), ...(issue ? [issue] : [])])].map((name) => <option key={name} value={name}>{name}</option>)}
          </select>
        </label>
        <form className="new-issue" onSubmit={(e) => { e.preventDefault(); void createIssue(); }}>
          <input type="text" aria-label="New issue name" placeholder="New issue name" value={newIssue} maxLength={200}
            onChange={(e) => setNewIssue(e.target.value)} />
          <button type="submit" disabled={newIssue.trim() === ""}>Create issue</button>
        </form>
        <span className="export-buttons" role="group" aria-label="Export confirmed label errors">
          Export confirmed:{" "}
          <button type="button" disabled={exporting} onClick={() => void exportConfirmed("coco")} title="A COCO patch: add, remove, change category, change box">COCO patch</button>
          <button type="button" disabled={exporting} onClick={() => void exportConfirmed("csv")} title="One row per confirmed candidate">CSV</button>
        </span>
      </div>

      {notice !== null && (
        <p className="notice" role="status" data-testid="label-errors-notice">
          {notice} <button type="button" className="link" onClick={() => setNotice(null)}>OK</button>
        </p>
      )}
      {actionError !== null && (
        <ErrorPanel error={actionError} title={actionError instanceof ApiError && actionError.status === 409 ? "That issue exists already" : "The action failed"}
          onRetry={() => setActionError(null)} />
      )}
      <Loading active={queue.loading} label="Ranking label errors" />
      {queue.error !== null && <ErrorPanel error={queue.error} onRetry={queue.reload} title="The label-error queue could not be loaded" />}

      <div className="label-errors-toolbar">
        <nav aria-label="Label-error pages" className="pager">
          <button type="button" onClick={() => { setPage(page - 1); setSelected(null); }} disabled={page <= 0}>Previous</button>
          <span aria-live="polite" data-testid="label-errors-range">
            {fresh ? (total === 0 ? "No candidates" : `${first}–${last} of ${total}`) : "…"} (page {page + 1} of {pages})
          </span>
          <button type="button" onClick={() => { setPage(page + 1); setSelected(null); }} disabled={page >= pages - 1}>Next</button>
        </nav>
        {detection ? (
          <>
            <BoxLegend />
            <span className="chart-legend">thick: the candidate's label and its partner prediction; inset: the candidate magnified; hover a score for its definition</span>
          </>
        ) : (
          <span className="chart-legend" data-testid="classification-legend">
            given: the frame's label; suggested: the class its probabilities favor; hover a score for its definition
          </span>
        )}
      </div>

      {fresh && total === 0 && <p className="empty-state">No candidate here: every confident prediction and every label is explained.</p>}
      <ul className={`label-error-list${detection ? "" : " classification"}`} aria-label="Label-error queue">
        {entries.map((entry, k) => {
          const detail = details.get(entry.image_id);
          return (
            <LabelErrorCard key={entry.id} entry={entry} rank={page * LABEL_ERRORS_PAGE_SIZE + k + 1}
              frame={detail ? labelErrorFrame(project.name, dataset, set, detail, entry, detection) : null}
              classification={detection ? null : method}
              selected={selected === k} busy={busy.has(entry.id)} issue={issue} classColors={colors}
              onSelect={() => setSelected(k)} onReview={(action) => void review(entry, action)} onOpen={() => setOpened(k)} />
          );
        })}
      </ul>

      <ul className="chart-legend review-legend" aria-label="Review states">
        <li><span className="state-swatch state-confirmed" aria-hidden="true" /> confirmed: the label is wrong</li>
        <li><span className="state-swatch state-dismissed" aria-hidden="true" /> dismissed: the label is right</li>
        <li><span className="state-swatch state-selected" aria-hidden="true" /> the candidate the keys act on</li>
      </ul>
      <dl className="review-keys" aria-label="Review keys">
        {REVIEW_KEYS.map(([key, what]) => <div key={key}><dt><kbd>{key}</kbd></dt><dd>{what}</dd></div>)}
      </dl>

      <ExampleModal opened={openedEntry !== undefined} title={openedEntry ? `${kindInfo(openedEntry.kind).title} (score ${formatScore(openedEntry.score, 3)}): ${objectsText(openedEntry, !detection)}` : ""}
        position={opened} count={entries.length}
        onPrevious={() => { const k = Math.max(0, (opened ?? 0) - 1); setOpened(k); setSelected(k); }}
        onNext={() => { const k = Math.min(entries.length - 1, (opened ?? 0) + 1); setOpened(k); setSelected(k); }}
        onClose={() => setOpened(null)}>
        {(width) => openedEntry !== undefined && (
          <FramePanel ctx={{ ...ctx, conf: evidence }} frameId={openedEntry.image_id} inferenceSet={set} onClose={() => setOpened(null)} width={width} />
        )}
      </ExampleModal>
    </section>
  );
}
