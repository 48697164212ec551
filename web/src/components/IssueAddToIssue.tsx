/**
 * "Add to issue" for a list of examples (Metrics' matrix-cell gallery): the objects of the
 * page shown, or of every page, go into a new issue or an existing one as crops (a ground
 * truth example is its label, a prediction example its prediction of the inference set).
 * Every page of a matrix cell is added by the server (POST .../elements/from-cell, the
 * objects the cell counts); of another list, page by page. One already in the issue is
 * skipped by the server, not repeated.
 */
import { useId, useState, type FormEvent } from "react";
import { api, type ExamplesQuery } from "../api/client";
import type { ExampleOut } from "../api/types";
import { useApi } from "../hooks/useApi";
import type { ElementIdentity } from "../lib/issues";
import { ErrorPanel } from "./Status";
import "./issues.css";

/** Examples asked per request when adding every page (the examples endpoint's largest page). */
export const EXAMPLES_PER_REQUEST = 1000;
/** The most examples one "add all" sends. */
export const MAX_ADDED = 20_000;

/** An example's object as an issue element (null: the object has no stored id). */
export function exampleElement(dataset: string, inferenceSet: string, e: Pick<ExampleOut, "kind" | "source_id" | "frame_id">): ElementIdentity | null {
  if (e.source_id === null || e.source_id === undefined) return null;
  return e.kind === "prediction"
    ? { dataset, frame_id: e.frame_id, element_kind: "prediction", element_id: e.source_id, inference_set: inferenceSet }
    : { dataset, frame_id: e.frame_id, element_kind: "label", element_id: e.source_id, inference_set: null };
}

export interface IssueAddToIssueProps {
  project: string;
  dataset: string;
  inferenceSet: string;
  /** What the examples are (e.g. "circle → square"): the new issue's suggested name. */
  what: string;
  /** The examples of the page shown, and the question behind every page (without offset / limit). */
  page: readonly ExampleOut[];
  total: number;
  query: Omit<ExamplesQuery, "offset" | "limit">;
  /** Open the issue (the Issues tab). */
  onOpenIssue: (issue: string) => void;
}

export function IssueAddToIssue({ project, dataset, inferenceSet, what, page, total, query, onOpenIssue }: IssueAddToIssueProps) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState("");
  const [name, setName] = useState(`${what} (${inferenceSet})`);
  const [scope, setScope] = useState<"page" | "all">("page");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<{ issue: string; added: number; skipped: number } | null>(null);
  const issues = useApi(open ? JSON.stringify(["issue-names", project]) : null, (signal) => api.issues(project, { signal }));

  const everyExample = async (): Promise<ExampleOut[]> => {
    const all: ExampleOut[] = [];
    for (let offset = 0; offset < Math.min(total, MAX_ADDED); offset += EXAMPLES_PER_REQUEST) {
      const answer = await api.examples(project, dataset, inferenceSet, { ...query, offset, limit: Math.min(EXAMPLES_PER_REQUEST, MAX_ADDED - offset) });
      all.push(...answer.examples);
      if (answer.examples.length === 0) break;
    }
    return all;
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      // A cell's every page: the server adds the objects the cell counts (one request, its own rule;
      // it takes one IoU and COCO's matching, so otherwise the listed examples are added).
      const oneIou = typeof query.iou !== "object" && query.protocol !== "labelbox";
      const cell = scope === "all" && query.truth !== undefined && query.predicted !== undefined && oneIou;
      const examples = scope === "page" ? [...page] : cell ? [] : await everyExample();
      const elements = examples.map((x) => exampleElement(dataset, inferenceSet, x)).filter((x): x is ElementIdentity => x !== null);
      let issue = target;
      if (issue === "") {
        const created = await api.newIssue(project, { name: name.trim(), description: `Examples of ${what} (${inferenceSet})` });
        issue = created.name;
      }
      const answer = cell
        ? await api.addIssueElementsFromCell(project, issue, {
          dataset, inference_set: inferenceSet, truth: query.truth!, predicted: query.predicted!, segment: query.segment ?? null, query: query.query || null,
        }, { conf: query.conf, iou: query.iou as number | undefined })
        : await api.addIssueElements(project, issue, elements);
      setDone({ issue, added: answer.added, skipped: answer.skipped });
      setOpen(false);
      setTarget(issue);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const names = [...new Set([...(issues.data ?? []).map((i) => i.name), ...(target ? [target] : [])])];
  return (
    <div className="add-to-issue">
      {!open && <button type="button" onClick={() => { setOpen(true); setDone(null); }}>Add to issue…</button>}
      {open && (
        <form className="add-to-issue" aria-label="Add to issue" onSubmit={(e) => void submit(e)}>
          <span className="muted">The objects of the examples listed ({what}), as crops, into</span>
          <label htmlFor={`${id}-issue`} className="visually-hidden">Issue</label>
          <select id={`${id}-issue`} value={target} onChange={(e) => setTarget(e.target.value)}>
            <option value="">New issue…</option>
            {names.map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
          {target === "" && (
            <input type="text" aria-label="New issue name" value={name} maxLength={200} required onChange={(e) => setName(e.target.value)} />
          )}
          <span role="radiogroup" aria-label="Which examples">
            <label><input type="radio" name={`${id}-scope`} checked={scope === "page"} onChange={() => setScope("page")} /> this page ({page.length})</label>{" "}
            <label><input type="radio" name={`${id}-scope`} checked={scope === "all"} onChange={() => setScope("all")} /> all pages ({Math.min(total, MAX_ADDED)})</label>
          </span>
          <button type="submit" disabled={busy || (target === "" && name.trim() === "")}>{busy ? "Adding…" : "Add"}</button>
          <button type="button" onClick={() => setOpen(false)}>Cancel</button>
        </form>
      )}
      {done && (
        <p className="notice" role="status" data-testid="add-to-issue-notice">
          Added {done.added} to {done.issue}{done.skipped > 0 ? ` (${done.skipped} already in it)` : ""}.{" "}
          <button type="button" className="link" onClick={() => onOpenIssue(done.issue)}>Open the issue</button>
        </p>
      )}
      {error !== null && <ErrorPanel error={error} title="The examples were not added" onRetry={() => setError(null)} />}
    </div>
  );
}
