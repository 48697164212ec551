import { useId, useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { SegmentCreate, SegmentOut } from "../api/types";
import { ErrorPanel } from "../components/Status";
import { announceSegmentsChanged } from "../hooks/useSegmentsChanged";
import type { ViewContext } from "./context";

export const SEGMENT_TYPES: ReadonlyArray<{ value: SegmentCreate["type"] & string; title: string }> = [
  { value: "scenario", title: "Scenario" },
  { value: "regression_test", title: "Regression test" },
  { value: "split", title: "Split" },
];

/**
 * A new segment from a query over the frames' metadata (docs/queries.md), POSTed to the
 * server; a query the server refuses shows its message (with its "did you mean").
 */
export function NewSegmentForm({ ctx, onCreated }: { ctx: ViewContext; onCreated: (segment: SegmentOut) => void }) {
  const id = useId();
  const [name, setName] = useState("");
  const [type, setType] = useState<SegmentCreate["type"] & string>("scenario");
  const [query, setQuery] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api.createSegment(ctx.project.name, ctx.dataset, { name: name.trim(), type, query: query.trim() });
      setName("");
      setQuery("");
      announceSegmentsChanged();
      onCreated(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="panel new-segment" aria-label="New segment" onSubmit={(e) => void submit(e)}>
      <h2>New segment from a query</h2>
      <div className="form-row">
        <label htmlFor={`${id}-name`}>Name</label>
        <input id={`${id}-name`} type="text" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
      </div>
      <div className="form-row">
        <label htmlFor={`${id}-type`}>Type</label>
        <select id={`${id}-type`} value={type} onChange={(e) => setType(e.target.value as typeof type)}>
          {SEGMENT_TYPES.map((t) => <option key={t.value} value={t.value}>{t.title}</option>)}
        </select>
      </div>
      <div className="form-row">
        <label htmlFor={`${id}-query`}>Query</label>
        <input id={`${id}-query`} type="text" value={query} onChange={(e) => setQuery(e.target.value)} required maxLength={4000}
          placeholder="e.g. occlusion = true and num_shapes >= 3" className="query-input" />
      </div>
      <p className="muted hint">Over the frames' metadata columns, as in docs/queries.md. Thresholds are set on the card once it exists.</p>
      <button type="submit" disabled={busy || name.trim() === "" || query.trim() === ""}>Create segment</button>
      {error !== null && <ErrorPanel error={error} title="The segment was not created" />}
    </form>
  );
}

/**
 * Rename or delete a segment (the API's PATCH name and DELETE). Its type is fixed when it is
 * created, and the API keeps no description: both are shown as they are.
 */
export function SegmentActions({ ctx, segment, onRenamed, onDeleted }: {
  ctx: ViewContext; segment: SegmentOut; onRenamed: (name: string) => void; onDeleted: () => void;
}) {
  const id = useId();
  const [name, setName] = useState(segment.name);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      announceSegmentsChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const rename = (e: FormEvent) => {
    e.preventDefault();
    const next = name.trim();
    void run(async () => {
      await api.updateSegment(ctx.project.name, ctx.dataset, segment.name, { name: next });
      if (ctx.segment === segment.name) ctx.update({ segment: next });
      onRenamed(next);
    });
  };
  const remove = () => void run(async () => {
    await api.deleteSegment(ctx.project.name, ctx.dataset, segment.name);
    if (ctx.segment === segment.name) ctx.update({ segment: null });
    onDeleted();
  });
  return (
    <div className="segment-actions">
      <form className="form-row" onSubmit={rename} aria-label="Rename segment">
        <label htmlFor={`${id}-rename`}>Name</label>
        <input id={`${id}-rename`} type="text" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
        <button type="submit" disabled={busy || name.trim() === "" || name.trim() === segment.name}>Rename</button>
      </form>
      {confirming ? (
        <div className="form-row" role="group" aria-label="Confirm delete">
          <span>Delete segment {segment.name}? Its frames stay in the dataset.</span>
          <button type="button" className="danger" disabled={busy} onClick={remove}>Delete {segment.name}</button>
          <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
        </div>
      ) : (
        <button type="button" className="danger" onClick={() => setConfirming(true)}>Delete segment…</button>
      )}
      {error !== null && <ErrorPanel error={error} title="The segment was not changed" />}
    </div>
  );
}

/**
 * Save the frames of the examples listed (every page, not only the one shown) as a new
 * segment: a list of frames, POSTed with their ids. `frameIds` pages through the examples
 * endpoint with the same question.
 */
export function SaveAsSegment({ ctx, what, frameIds }: { ctx: ViewContext; what: string; frameIds: () => Promise<string[]> }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [type, setType] = useState<SegmentCreate["type"] & string>("scenario");
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<SegmentOut | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const frames = await frameIds();
      const created = await api.createSegment(ctx.project.name, ctx.dataset, { name: name.trim(), type, frames });
      setSaved(created);
      setOpen(false);
      setName("");
      announceSegmentsChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="save-as-segment">
      {!open && (
        <button type="button" onClick={() => { setOpen(true); setSaved(null); }}>Save frames as a segment…</button>
      )}
      {open && (
        <form className="form-row" aria-label="Save as segment" onSubmit={(e) => void submit(e)}>
          <span className="muted">The frames of every example listed ({what}; all pages):</span>
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} type="text" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
          <label htmlFor={`${id}-type`}>Type</label>
          <select id={`${id}-type`} value={type} onChange={(e) => setType(e.target.value as typeof type)}>
            {SEGMENT_TYPES.map((t) => <option key={t.value} value={t.value}>{t.title}</option>)}
          </select>
          <button type="submit" disabled={busy || name.trim() === ""}>Save segment</button>
          <button type="button" onClick={() => setOpen(false)}>Cancel</button>
        </form>
      )}
      {saved && (
        <p role="status" className="muted">
          Saved segment <strong>{saved.name}</strong> ({saved.frame_count} frames).{" "}
          <button type="button" className="link" onClick={() => ctx.update({ segment: saved.name })}>Show its metrics</button>
        </p>
      )}
      {error !== null && <ErrorPanel error={error} title="The segment was not saved" />}
    </div>
  );
}
