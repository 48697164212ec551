import { useEffect } from "react";

/** The window event a segment's create, rename or delete sends, so every list of segments reloads. */
export const SEGMENTS_CHANGED = "shoal:segments-changed";

export function announceSegmentsChanged(): void {
  window.dispatchEvent(new Event(SEGMENTS_CHANGED));
}

/** Call `reload` whenever a segment was created, renamed or deleted in this tab. */
export function useSegmentsChanged(reload: () => void): void {
  useEffect(() => {
    window.addEventListener(SEGMENTS_CHANGED, reload);
    return () => window.removeEventListener(SEGMENTS_CHANGED, reload);
  }, [reload]);
}
