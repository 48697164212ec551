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

/** A progress indicator, shown only when loading lasts longer than `delayMs` (no flicker for fast answers). */
export function Loading({ active, label = "Loading", delayMs = 150 }: { active: boolean; label?: string; delayMs?: number }) {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (!active) {
      setShown(false);
      return;
    }
    const t = setTimeout(() => setShown(true), delayMs);
    return () => clearTimeout(t);
  }, [active, delayMs]);
  if (!active || !shown) return null;
  return (
    <div className="loading" role="status" aria-live="polite">
      <progress aria-label={label} /> {label}…
    </div>
  );
}
