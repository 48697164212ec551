import { Modal } from "@mantine/core";
import { useState, type KeyboardEvent, type ReactNode } from "react";

/** Zoom steps of the opened example's image (1 = the modal's width). */
export const ZOOM_STEPS = [1, 1.5, 2, 3] as const;
/** The image's width at zoom 1, in CSS pixels. */
export const EXAMPLE_IMAGE_WIDTH = 760;

export interface ExampleModalProps {
  opened: boolean;
  /** What the examples are (the selection's title), for the dialog's name. */
  title: string;
  /** 0-based index of the opened example on the page shown, and how many the page has (null: not on it, e.g. from a link). */
  position: number | null;
  count: number;
  onPrevious: () => void;
  onNext: () => void;
  onClose: () => void;
  /** The frame panel, at the width given. */
  children: (width: number) => ReactNode;
}

/**
 * An opened example in a modal dialog over the view: ← / → (or Previous / Next) step
 * through the examples of the page shown, + / - / 0 zoom, Esc or Close closes. Mantine's
 * modal traps focus while open and returns it to the thumbnail that opened it; the page
 * under it is not scrolled, so Close leaves the user where they were.
 */
export function ExampleModal({ opened, title, position, count, onPrevious, onNext, onClose, children }: ExampleModalProps) {
  const [zoomIndex, setZoomIndex] = useState(0);
  const zoom = ZOOM_STEPS[zoomIndex]!;
  const hasPrevious = position !== null && position > 0;
  const hasNext = position !== null && position < count - 1;
  const onKeyDown = (e: KeyboardEvent) => {
    // Keys typed into a field (a threshold, a select) are the field's.
    const target = e.target as HTMLElement;
    if (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA") return;
    if (e.key === "ArrowRight" && hasNext) onNext();
    else if (e.key === "ArrowLeft" && hasPrevious) onPrevious();
    else if (e.key === "+" || e.key === "=") setZoomIndex((k) => Math.min(ZOOM_STEPS.length - 1, k + 1));
    else if (e.key === "-") setZoomIndex((k) => Math.max(0, k - 1));
    else if (e.key === "0") setZoomIndex(0);
    else return;
    e.preventDefault();
  };
  return (
    <Modal opened={opened} onClose={onClose} withCloseButton={false} size={EXAMPLE_IMAGE_WIDTH + 64}
      centered={false} yOffset="4vh" returnFocus trapFocus keepMounted={false}
      aria-label={`Example: ${title}`} classNames={{ body: "example-modal-body" }}>
      <div className="example-modal" onKeyDown={onKeyDown}>
        <div className="example-modal-bar" role="toolbar" aria-label="Example navigation">
          <strong>{title}</strong>
          <span className="muted" data-testid="example-position">
            {position === null ? "not on the page shown" : `example ${position + 1} of ${count} on this page`}
          </span>
          <button type="button" onClick={onPrevious} disabled={!hasPrevious} aria-keyshortcuts="ArrowLeft">← Previous</button>
          <button type="button" onClick={onNext} disabled={!hasNext} aria-keyshortcuts="ArrowRight">Next →</button>
          <span className="zoom" role="group" aria-label="Zoom">
            <button type="button" aria-label="Zoom out" onClick={() => setZoomIndex((k) => Math.max(0, k - 1))} disabled={zoomIndex === 0}>−</button>
            <output aria-label="Zoom level">{Math.round(zoom * 100)}%</output>
            <button type="button" aria-label="Zoom in" onClick={() => setZoomIndex((k) => Math.min(ZOOM_STEPS.length - 1, k + 1))}
              disabled={zoomIndex === ZOOM_STEPS.length - 1}>+</button>
          </span>
          <span className="muted keys">← → step · + − zoom · Esc closes</span>
        </div>
        <div className="example-modal-frame">{children(Math.round(EXAMPLE_IMAGE_WIDTH * zoom))}</div>
      </div>
    </Modal>
  );
}
