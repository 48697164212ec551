import { useEffect, useRef, useState } from "react";
import { isAbort } from "../api/client";

export interface ApiState<T> {
  data: T | null;
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
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(key !== null);
  const [generation, setGeneration] = useState(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  useEffect(() => {
    if (key === null) {
      setData(null);
      setError(null);
      setLoading(false);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    fetcherRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
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
  return { data, error, loading, reload: () => setGeneration((g) => g + 1) };
}
