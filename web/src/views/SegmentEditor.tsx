import { useId, useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { SegmentCreate, SegmentOut, SegmentUpdate } from "../api/types";
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
  const [description, setDescription] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api.createSegment(ctx.project.name, ctx.dataset, { name: name.trim(), type, query: query.trim(), description: description.trim() });
      setName("");
      setQuery("");
      setDescription("");
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
      <div className="form-row">
        <label htmlFor={`${id}-description`}>Description</label>
        <textarea id={`${id}-description`} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={10000} rows={2} />
      </div>
      <p className="muted hint">Over the frames' metadata columns, as in docs/queries.md. Thresholds are set on the card once it exists.</p>
      <button type="submit" disabled={busy || name.trim() === "" || query.trim() === ""}>Create segment</button>
      {error !== null && <ErrorPanel error={error} title="The segment was not created" />}
    </form>
  );
}

/** Frame ids typed as a list: separated by commas, spaces or new lines. */
export function frameIdList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((t) => t.trim()).filter((t) => t !== ""))];
}

/**
 * Edit a segment's name, type and description (one PATCH with what changed), add or remove
 * frames of a list segment, or delete it (confirmed).
 */
export function SegmentActions({ ctx, segment, onRenamed, onDeleted }: {
  ctx: ViewContext; segment: SegmentOut; onRenamed: (name: string) => void; onDeleted: () => void;
}) {
  const id = useId();
  const [name, setName] = useState(segment.name);
  const [type, setType] = useState<string>(segment.type);
  const [description, setDescription] = useState(segment.description ?? "");
  const [framesText, setFramesText] = useState("");
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
  const changes: SegmentUpdate = {};
  if (name.trim() !== segment.name) changes.name = name.trim();
  if (type !== segment.type) changes.type = type as SegmentUpdate["type"];
  if (description.trim() !== (segment.description ?? "")) changes.description = description.trim();
  const save = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api.updateSegment(ctx.project.name, ctx.dataset, segment.name, changes);
      if (changes.name) {
        if (ctx.segment === segment.name) ctx.update({ segment: changes.name });
        onRenamed(changes.name);
      }
    });
  };
  const editFrames = (kind: "add_frames" | "remove_frames") => void run(async () => {
    await api.updateSegment(ctx.project.name, ctx.dataset, segment.name, { [kind]: frameIdList(framesText) });
    setFramesText("");
  });
  const remove = () => void run(async () => {
    await api.deleteSegment(ctx.project.name, ctx.dataset, segment.name);
    if (ctx.segment === segment.name) ctx.update({ segment: null });
    onDeleted();
  });
  const isList = segment.query === null || segment.query === undefined;
  return (
    <div className="segment-actions">
      <form className="segment-edit" onSubmit={save} aria-label="Edit segment">
        <div className="form-row">
          <label htmlFor={`${id}-rename`}>Name</label>
          <input id={`${id}-rename`} type="text" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
          <label htmlFor={`${id}-type`}>Type</label>
          <select id={`${id}-type`} value={type} onChange={(e) => setType(e.target.value)}>
            {SEGMENT_TYPES.map((t) => <option key={t.value} value={t.value}>{t.title}</option>)}
          </select>
        </div>
        <div className="form-row">
          <label htmlFor={`${id}-description`}>Description</label>
          <textarea id={`${id}-description`} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={10000} rows={2} />
        </div>
        <button type="submit" disabled={busy || Object.keys(changes).length === 0 || name.trim() === ""}>Save changes</button>
      </form>
      {isList && (
        <div className="form-row" role="group" aria-label="Frames of the segment">
          <label htmlFor={`${id}-frames`}>Frame ids</label>
          <input id={`${id}-frames`} type="text" value={framesText} onChange={(e) => setFramesText(e.target.value)}
            placeholder="e.g. 0003, 0007" className="query-input" />
          <button type="button" disabled={busy || frameIdList(framesText).length === 0} onClick={() => editFrames("add_frames")}>Add frames</button>
          <button type="button" disabled={busy || frameIdList(framesText).length === 0} onClick={() => editFrames("remove_frames")}>Remove frames</button>
        </div>
      )}
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
 * segment: the server's `POST .../examples/segment` with the same question, so the frames
 * are exactly those its examples endpoint lists.
 */
export function SaveAsSegment({ ctx, what, save }: {
  ctx: ViewContext; what: string; save: (body: { name: string; type: SegmentCreate["type"] & string }) => Promise<SegmentOut>;
}) {
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
      const created = await save({ name: name.trim(), type });
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
