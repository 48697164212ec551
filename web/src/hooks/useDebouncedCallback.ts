import { useCallback, useEffect, useRef } from "react";

export interface Debounced<A extends unknown[]> {
  /** Call after `ms` without another call. */
  call: (...args: A) => void;
  /** Run a pending call now (e.g. on blur or Enter). */
  flush: () => void;
  /** Drop a pending call. */
  cancel: () => void;
}

/** A debounced version of `fn` (always the latest `fn`); pending calls are dropped on unmount. */
export function useDebouncedCallback<A extends unknown[]>(fn: (...args: A) => void, ms: number): Debounced<A> {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const pending = useRef<A | null>(null);

  const cancel = useCallback(() => {
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = null;
    pending.current = null;
  }, []);
  const flush = useCallback(() => {
    const args = pending.current;
    cancel();
    if (args !== null) fnRef.current(...args);
  }, [cancel]);
  const call = useCallback(
    (...args: A) => {
      if (timer.current !== null) clearTimeout(timer.current);
      pending.current = args;
      timer.current = setTimeout(flush, ms);
    },
    [flush, ms],
  );
  useEffect(() => cancel, [cancel]);
  return { call, flush, cancel };
}
