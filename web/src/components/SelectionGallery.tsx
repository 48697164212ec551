/**
 * The elements selected in the embedding view, a page of thumbnails at a time (crops with
 * their box drawn). What each point is comes from the server a page at a time (`resolve`).
 */
import { useEffect, useState } from "react";
import { isAbort } from "../api/client";
import type { ProjectedElement } from "../lib/embedding";
import { formatCount } from "../lib/format";
import { describeElement, ElementThumbnail } from "./EmbeddingScatterPreview";

export const GALLERY_PAGE = 24;

export function SelectionGallery({ project, dataset, inferenceSet, indices, resolve, onOpenFrame, onClose }: {
  project: string;
  dataset: string;
  /** A frame's predictions drawn are this set's. */
  inferenceSet: string | null;
  indices: Uint32Array;
  resolve: (indices: ArrayLike<number>, signal: AbortSignal) => Promise<ProjectedElement[]>;
  onOpenFrame?: (frameId: string) => void;
  onClose: () => void;
}) {
  const [page, setPage] = useState(0);
  const [elements, setElements] = useState<ProjectedElement[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const pages = Math.max(1, Math.ceil(indices.length / GALLERY_PAGE));
  useEffect(() => setPage(0), [indices]);
  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    resolve(indices.subarray(page * GALLERY_PAGE, (page + 1) * GALLERY_PAGE), controller.signal).then(
      (found) => { if (!controller.signal.aborted) setElements(found); },
      (e: unknown) => { if (!isAbort(e) && !controller.signal.aborted) setError(String((e as Error).message ?? e)); },
    );
    return () => controller.abort();
  }, [indices, page, resolve]);
  const first = page * GALLERY_PAGE + 1;
  const last = Math.min(indices.length, (page + 1) * GALLERY_PAGE);
  return (
    <section className="selection-gallery" aria-label="Selected elements">
      <div className="example-toolbar">
        <h3>Selected elements</h3>
        <nav aria-label="Gallery pages" className="pager">
          <button type="button" onClick={() => setPage(page - 1)} disabled={page <= 0}>Previous</button>
          <span aria-live="polite">{indices.length === 0 ? "Nothing selected" : `${formatCount(first)}–${formatCount(last)} of ${formatCount(indices.length)}`} (page {page + 1} of {pages})</span>
          <button type="button" onClick={() => setPage(page + 1)} disabled={page >= pages - 1}>Next</button>
        </nav>
        <button type="button" onClick={onClose}>Close gallery</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      <ul className="thumbnails">
        {elements?.map((e) => (
          <li key={e.index}>
            <figure>
              <button type="button" className="thumbnail" onClick={() => onOpenFrame?.(e.frame_id)} aria-label={`Open ${describeElement(e)}`}>
                <ElementThumbnail project={project} dataset={dataset} element={e} inferenceSet={inferenceSet} size={150} />
              </button>
              <figcaption className="muted">{describeElement(e)}</figcaption>
            </figure>
          </li>
        ))}
      </ul>
    </section>
  );
}
