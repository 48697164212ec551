import { useCallback, useEffect, useRef, useState } from "react";
import { datasetPath, isAbort, request } from "../api/client";
import type { components } from "../api/schema";
import "./qualityProgress.css";

/** `GET .../datasets/{d}/quality`: the dataset's latest quality job and whether metrics are stored. */
export type QualityState = components["schemas"]["QualityOut"];

const ACTIVE = new Set(["queued", "running"]);

export function qualityPath(project: string, dataset: string): string {
  return `${datasetPath(project, dataset)}/quality`;
}

/** "120 of 300 images" (or "waiting to start" while queued, "counting images" before the total is known). */
export function describeProgress(state: Pick<QualityState, "state" | "done" | "total">): string {
  if (state.state === "queued") return "waiting to start";
  if (state.total <= 0) return "counting images";
  return `${state.done.toLocaleString("en-US")} of ${state.total.toLocaleString("en-US")} images`;
}

/**
 * Where quality metrics are used: tells whether they are being computed (a progress bar,
 * polled every `pollMs`), offers to compute them when the dataset has none, names the
 * frames whose image could not be read, and calls `onComputed` when a job it watched
 * ends, so the metrics around it can be fetched again. Nothing is shown once metrics
 * are stored and no job has anything to say.
 */
export function QualityProgress({ project, dataset, onComputed, pollMs = 1000 }: {
  project: string;
  dataset: string;
  onComputed?: () => void;
  pollMs?: number;
}) {
  const [state, setState] = useState<QualityState | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  const watched = useRef(false); // a job was started or seen queued or running here
  const shownFor = useRef<string | null>(null);
  const onComputedRef = useRef(onComputed);
  onComputedRef.current = onComputed;

  // Fetch now, then again every pollMs while a job is active.
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const key = JSON.stringify([project, dataset]);
    if (shownFor.current !== key) {
      // Another dataset: nothing of the last one's job applies.
      shownFor.current = key;
      watched.current = false;
      setState(null);
    }
    setError(null);
    const poll = async () => {
      try {
        const next = await request<QualityState>("GET", qualityPath(project, dataset), undefined, { signal: controller.signal });
        setState(next);
        if (ACTIVE.has(next.state)) {
          watched.current = true;
          timer = setTimeout(poll, pollMs);
        } else if (watched.current) {
          watched.current = false;
          if (next.state === "done") onComputedRef.current?.();
        }
      } catch (e) {
        if (!isAbort(e)) setError(e);
      }
    };
    void poll();
    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
    // `starting` flips after a POST: polling starts again from the new job.
  }, [project, dataset, pollMs, starting]);

  const start = useCallback(async () => {
    try {
      setError(null);
      const started = await request<QualityState>("POST", qualityPath(project, dataset));
      watched.current = true; // even if it ends before the next poll sees it running
      setState(started);
      setStarting((s) => !s);
    } catch (e) {
      if (!isAbort(e)) setError(e);
    }
  }, [project, dataset]);

  if (error) {
    return (
      <div className="quality-progress" role="alert">
        Quality metrics: {error instanceof Error ? error.message : String(error)}{" "}
        <button type="button" onClick={() => void start()}>Retry</button>
      </div>
    );
  }
  if (state === null) return null;
  if (ACTIVE.has(state.state)) {
    return (
      <div className="quality-progress" role="status" aria-live="polite" data-testid="quality-progress">
        <span>Computing quality metrics: {describeProgress(state)}</span>
        <progress aria-label="Quality metrics" value={state.total > 0 ? state.done : undefined} max={state.total > 0 ? state.total : undefined} />
      </div>
    );
  }
  if (state.state === "failed") {
    return (
      <div className="quality-progress" role="alert" data-testid="quality-progress">
        Computing quality metrics failed: {state.error}{" "}
        <button type="button" onClick={() => void start()}>Try again</button>
      </div>
    );
  }
  if (!state.computed) {
    return (
      <div className="quality-progress" data-testid="quality-progress">
        Quality metrics (brightness, sharpness, box size…) are not computed for this dataset.{" "}
        <button type="button" onClick={() => void start()}>Compute them</button>
      </div>
    );
  }
  const warnings = state.warning_count ?? 0;
  const notes = state.notes ?? [];
  if (state.state === "done" && (warnings > 0 || notes.length > 0)) {
    const unread = warnings > 0 ? `${warnings.toLocaleString("en-US")} ${warnings === 1 ? "image was" : "images were"} not read` : "some images were not read";
    return (
      <details className="quality-progress" data-testid="quality-progress">
        <summary>Quality metrics computed; {unread} (their pixel metrics are empty)</summary>
        <ul>
          {notes.map((note) => <li key={note}>{note}</li>)}
          {state.warnings.map((w) => (
            <li key={w.frame_id}><code>{w.frame_id}</code>: {w.message}</li>
          ))}
          {warnings > state.warnings.length && <li>… and {(warnings - state.warnings.length).toLocaleString("en-US")} more</li>}
        </ul>
      </details>
    );
  }
  return null;
}
