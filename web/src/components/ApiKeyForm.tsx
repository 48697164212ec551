import { useId, useState } from "react";
import type { ApiError } from "../api/client";

export interface ApiKeyFormProps {
  /** The 401 that asked for a key: its detail is shown. */
  error: ApiError;
  /** Whether a key was sent and refused. */
  rejected?: boolean;
  onSubmit: (key: string) => void;
}

/** "This server needs an API key": a password field; the key goes to `onSubmit` trimmed. */
export function ApiKeyForm({ error, rejected = false, onSubmit }: ApiKeyFormProps) {
  const [value, setValue] = useState("");
  const title = useId();
  const key = value.trim();
  return (
    <form className="api-key-form" aria-labelledby={title} onSubmit={(e) => {
      e.preventDefault();
      if (key) onSubmit(key);
    }}>
      <h2 id={title}>This server needs an API key</h2>
      <p role={rejected ? "alert" : undefined}>
        {rejected ? "The key was not accepted" : "The server answered"}: {error.detail}
      </p>
      <label>
        API key{" "}
        <input type="password" name="api-key" value={value} onChange={(e) => setValue(e.target.value)}
          autoComplete="off" spellCheck={false} autoFocus required />
      </label>{" "}
      <button type="submit" disabled={!key}>Use key</button>
      <p className="muted">
        The key is kept in this browser tab only (sessionStorage, until the tab is closed or the key
        forgotten) and sent as <code>Authorization: Bearer</code> with every request.
      </p>
    </form>
  );
}
