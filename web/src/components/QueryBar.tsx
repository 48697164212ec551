/**
 * The query bar: a frames query (docs/queries.md) over frame metadata and labels that
 * narrows Metrics, Scenarios, Compare, Summary and the examples. Completion comes from
 * the server (`/query/completions`, columns with their types, classes, functions,
 * keywords); a query is checked by the server before it applies, so its "did you mean"
 * error shows inline and the views keep their numbers. It lives in the URL (`query=`) and
 * can be saved as a segment.
 */
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { api, ApiError } from "../api/client";
import type { SegmentCreate } from "../api/types";
import { useApi } from "../hooks/useApi";
import { announceSegmentsChanged } from "../hooks/useSegmentsChanged";
import { applyCompletion, completionsOf, wordAt, type Completion } from "../lib/controls";
import "../controls.css";

const SEGMENT_KINDS: ReadonlyArray<{ value: NonNullable<SegmentCreate["type"]>; title: string }> = [
  { value: "scenario", title: "Scenario" },
  { value: "regression_test", title: "Regression test" },
  { value: "split", title: "Split" },
];
/** Completions asked for at once (the server's lists are cut there). */
const COMPLETION_LIMIT = 50;

export interface QueryBarProps {
  project: string;
  dataset: string;
  /** The query applied (null: none). */
  value: string | null;
  onChange: (query: string | null) => void;
}

function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  return error instanceof Error ? error.message : String(error);
}

export function QueryBar({ project, dataset, value, onChange }: QueryBarProps) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [text, setText] = useState(value ?? "");
  const [caret, setCaret] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [frames, setFrames] = useState<number | null>(null);
  const [checking, setChecking] = useState(false);
  const [listOpen, setListOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [saving, setSaving] = useState(false);
  // The URL's query (a link, back/forward, another view clearing it) is the text shown.
  useEffect(() => {
    setText(value ?? "");
    setError(null);
  }, [value]);
  // How many frames the applied query selects (also how a link's bad query shows its error).
  useEffect(() => {
    if (!value) { setFrames(null); return; }
    const controller = new AbortController();
    api.frames(project, dataset, { query: value, limit: 1 }, { signal: controller.signal }).then(
      (page) => setFrames(page.total),
      (e: unknown) => { if (!controller.signal.aborted) setError(messageOf(e)); },
    );
    return () => controller.abort();
  }, [project, dataset, value]);

  const { word, start } = wordAt(text, caret);
  const completionsKey = listOpen && word ? JSON.stringify(["completions", project, dataset, word]) : null;
  const completions = useApi(completionsKey, (signal) => api.queryCompletions(project, dataset, word, COMPLETION_LIMIT, { signal }));
  const options: Completion[] = completionsKey && completions.dataKey === completionsKey && completions.data ? completionsOf(completions.data) : [];
  const shown = listOpen && options.length > 0;

  const apply = async (query: string) => {
    const trimmed = query.trim();
    setListOpen(false);
    if (!trimmed) { setError(null); onChange(null); return; }
    setChecking(true);
    try {
      // The server's compiler checks it (and answers "did you mean ..." for a misspelt name).
      const page = await api.frames(project, dataset, { query: trimmed, limit: 1 });
      setError(null);
      setFrames(page.total);
      onChange(trimmed);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setChecking(false);
    }
  };
  const choose = (option: Completion) => {
    const next = applyCompletion(text, start, word.length, option.insert);
    setText(next.text);
    setCaret(next.caret);
    setListOpen(false);
    // After React has rendered the new text, put the caret after the completion, unless
    // the user typed on meanwhile (a fast typist's keys would land back at the completion).
    requestAnimationFrame(() => {
      const box = input.current;
      if (box && box.value === next.text) box.setSelectionRange(next.caret, next.caret);
    });
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Escape") { setListOpen(false); return; }
    if (!shown) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      setActive((k) => (k + (e.key === "ArrowDown" ? 1 : -1) + options.length) % options.length);
    } else if (e.key === "Tab" || (e.key === "Enter" && listOpen)) {
      e.preventDefault();
      choose(options[Math.min(active, options.length - 1)]!);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void apply(text);
  };

  return (
    <div className="query-bar">
      <form role="search" aria-label="Frames query" onSubmit={submit}>
        <label htmlFor={`${id}-q`}>Query</label>
        <input ref={input} id={`${id}-q`} type="text" value={text} spellCheck={false} autoComplete="off"
          placeholder="e.g. width > 600 and has('circle') (Tab completes)"
          role="combobox" aria-expanded={shown} aria-controls={`${id}-list`} aria-autocomplete="list"
          aria-invalid={error !== null} aria-describedby={error ? `${id}-error` : undefined}
          aria-activedescendant={shown ? `${id}-opt-${Math.min(active, options.length - 1)}` : undefined}
          onChange={(e) => { setText(e.target.value); setCaret(e.target.selectionStart ?? e.target.value.length); setListOpen(true); setActive(0); }}
          onKeyDown={onKey} onBlur={() => setTimeout(() => setListOpen(false), 150)}
          onClick={(e) => setCaret(e.currentTarget.selectionStart ?? 0)} />
        {shown && (
          <ul id={`${id}-list`} role="listbox" aria-label="Completions" className="query-completions">
            {options.map((o, k) => (
              <li key={`${o.kind}:${o.insert}`} id={`${id}-opt-${k}`} role="option" aria-selected={k === active}
                onMouseDown={(e) => { e.preventDefault(); choose(o); }}>
                <span>{o.insert}</span><span className="kind">{o.kind}</span>
              </li>
            ))}
          </ul>
        )}
        <button type="submit" disabled={checking}>Apply</button>
        {value && <button type="button" onClick={() => { setText(""); void apply(""); }}>Clear</button>}
        {value && !error && <button type="button" aria-expanded={saving} onClick={() => setSaving(!saving)}>Save query as a segment…</button>}
      </form>
      {error && <p id={`${id}-error`} className="query-error" role="alert">{error}</p>}
      {value && !error && frames !== null && (
        <p className="query-status muted" aria-live="polite">Query applied to every view: {frames} frame{frames === 1 ? "" : "s"} match <code>{value}</code></p>
      )}
      {saving && value && <SaveQuery project={project} dataset={dataset} query={value} onDone={() => setSaving(false)} />}
    </div>
  );
}

/** The applied query saved as a query segment (its frames follow the data). */
function SaveQuery({ project, dataset, query, onDone }: { project: string; dataset: string; query: string; onDone: () => void }) {
  const id = useId();
  const [name, setName] = useState("");
  const [type, setType] = useState<NonNullable<SegmentCreate["type"]>>("scenario");
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api.createSegment(project, dataset, { name: name.trim(), type, query });
      announceSegmentsChanged();
      onDone();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <form className="form-row" aria-label="Save the query as a segment" onSubmit={(e) => void submit(e)}>
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} type="text" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
      <label htmlFor={`${id}-type`}>Type</label>
      <select id={`${id}-type`} value={type} onChange={(e) => setType(e.target.value as typeof type)}>
        {SEGMENT_KINDS.map((t) => <option key={t.value} value={t.value}>{t.title}</option>)}
      </select>
      <button type="submit" disabled={name.trim() === ""}>Save segment</button>
      <button type="button" onClick={onDone}>Cancel</button>
      {error && <span className="query-error" role="alert">{error}</span>}
    </form>
  );
}
