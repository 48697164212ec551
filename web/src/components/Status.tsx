import { useEffect, useState } from "react";
import { ApiError } from "../api/client";

/** A readable error panel: the server's detail and what is at fault. */
export function ErrorPanel({ error, onRetry, title = "Something went wrong" }: { error: unknown; onRetry?: () => void; title?: string }) {
  const api = error instanceof ApiError ? error : null;
  const message = api ? api.detail : error instanceof Error ? error.message : String(error);
  return (
    <div role="alert" className="error-panel">
      <strong>{title}</strong>
      <p>{message}</p>
      {api && (
        <p className="muted">
          {api.status > 0 ? `HTTP ${api.status} · ` : ""}{api.error}{api.where ? ` · at ${api.where}` : ""}
        </p>
      )}
      {onRetry && <button type="button" onClick={onRetry}>Retry</button>}
    </div>
  );
}

/**
 * `active`, once it has lasted `delayMs`: pending state shows only for answers slow
 * enough to notice (no flicker, and no repaint at all for fast ones).
 */
export function useDelayedFlag(active: boolean, delayMs: number): boolean {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (!active) {
      setShown(false);
      return;
    }
    const t = setTimeout(() => setShown(true), delayMs);
    return () => clearTimeout(t);
  }, [active, delayMs]);
  return active && shown;
}

/** A progress indicator, shown only when loading lasts longer than `delayMs` (no flicker for fast answers). */
export function Loading({ active, label = "Loading", delayMs = 150 }: { active: boolean; label?: string; delayMs?: number }) {
  const shown = useDelayedFlag(active, delayMs);
  if (!shown) return null;
  return (
    <div className="loading" role="status" aria-live="polite">
      <progress aria-label={label} /> {label}…
    </div>
  );
}

/** "confidence 0.3" or "per-class confidences". */
export function describeConf(conf: number | Record<string, number> | null | undefined): string {
  if (typeof conf === "number") return `confidence ${conf}`;
  return conf ? "per-class confidences" : "the default confidence";
}

/**
 * The thresholds the numbers shown were computed at (the answer's own `conf` and `iou`),
 * and whether newer ones are on their way: a view never pairs a slider's new value with
 * numbers of the old one. One line, always there, so nothing moves when it changes.
 */
/** The IoU as said beside the confidence: the number, or "per-class IoUs". */
export function describeIou(iou: number | Record<string, number>): string {
  return typeof iou === "number" ? `IoU ${iou}` : "per-class IoUs";
}

export function AnsweredAt({ conf, iou, pending }: { conf: number | Record<string, number>; iou: number | Record<string, number> | null | undefined; pending: boolean }) {
  // Said, and the older numbers dimmed (CSS), only once the new ones are slow to come:
  // a fast answer repaints nothing but its numbers.
  const slow = useDelayedFlag(pending, 150);
  return (
    <p className={slow ? "answered-at slow" : "answered-at"} data-testid="answered-at" aria-live="polite">
      Numbers below at {describeConf(conf)}{iou !== null && iou !== undefined ? `, ${describeIou(iou)}` : ""}
      {slow ? " (recomputing for the new thresholds…)" : ""}
    </p>
  );
}
