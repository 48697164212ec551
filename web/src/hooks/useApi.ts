import { useEffect, useRef, useState } from "react";
import { isAbort } from "../api/client";

export interface ApiState<T> {
  data: T | null;
  /** The key `data` was fetched for (it may be an older key's while loading). */
  dataKey: string | null;
  error: unknown;
  loading: boolean;
  /** Fetch again with the same key (e.g. after a write). */
  reload: () => void;
}

/**
 * Fetch whenever `key` changes (null: nothing to fetch). A new key aborts the request in
 * flight, so only the latest answer lands; the previous data stays shown while loading.
 */
export function useApi<T>(key: string | null, fetcher: (signal: AbortSignal) => Promise<T>): ApiState<T> {
  const [[data, dataKey], setEntry] = useState<[T | null, string | null]>([null, null]);
  const setData = (value: T | null, forKey: string | null) => setEntry([value, forKey]);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(key !== null);
  const [generation, setGeneration] = useState(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  useEffect(() => {
    if (key === null) {
      setData(null, null);
      setError(null);
      setLoading(false);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    fetcherRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value, key);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (controller.signal.aborted || isAbort(e)) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [key, generation]);
  return { data, dataKey, error, loading, reload: () => setGeneration((g) => g + 1) };
}

/**
 * `key` once `ready`, else the last key given while ready (null before that): a fetch
 * that waits for another to land without dropping what it shows meanwhile.
 */
export function useKeyWhenReady(ready: boolean, key: string | null): string | null {
  const last = useRef<string | null>(null);
  if (ready) last.current = key;
  return last.current;
}
