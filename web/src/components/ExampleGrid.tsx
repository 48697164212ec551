import type { Example, ExampleSort } from "../lib/examples";
import { classificationClasses, outcomeText, pageCount, sortsFor } from "../lib/examples";
import { formatScore } from "../lib/format";
import { AnnotatedImage } from "./AnnotatedImage";
import { BoxLegend } from "./FrameView";
import "./text.css";

export interface ExampleGridProps {
  /** The examples of the current page, already in `sort` order (the server orders them). */
  examples: readonly Example[];
  sort: ExampleSort;
  onSortChange: (sort: ExampleSort) => void;
  /** 0-based page, page size, and the total number of examples over all pages. */
  page: number;
  pageSize: number;
  total: number;
  onPageChange: (page: number) => void;
  /** Open an example (e.g. in a FrameView). */
  onOpen?: (example: Example) => void;
  classColors?: Readonly<Record<string, string>>;
  /** Thumbnail width in CSS pixels (default 180). */
  thumbnailWidth?: number;
  /** Heading text, e.g. "circle as square". */
  title?: string;
  /** Classification: no boxes, IoU or box-size sorts; captions name the true and predicted class. */
  task?: "detection" | "classification";
  /** Sorts by the dataset's metrics (lib/examples metricSorts), offered after the built-in ones. */
  metricSorts?: ReadonlyArray<{ value: ExampleSort; title: string }>;
}

/** Thumbnails of examples with their boxes and outcomes, a sort control and pagination. */
export function ExampleGrid({ examples, sort, onSortChange, page, pageSize, total, onPageChange, onOpen, classColors, thumbnailWidth = 180, title, task = "detection", metricSorts = [] }: ExampleGridProps) {
  const detection = task === "detection";
  const pages = pageCount(total, pageSize);
  const first = total === 0 ? 0 : page * pageSize + 1;
  const last = Math.min(total, (page + 1) * pageSize);
  return (
    <section className="example-grid" aria-label={title ?? "Examples"}>
      <div className="example-toolbar">
        {title && <h3>{title}</h3>}
        <label>
          Sort by{" "}
          <select value={sort} onChange={(e) => onSortChange(e.target.value as ExampleSort)}>
            {sortsFor(task).map((s) => <option key={s.value} value={s.value}>{s.title}</option>)}
            {metricSorts.length > 0 && (
              <optgroup label="Metrics">
                {metricSorts.map((s) => <option key={s.value} value={s.value}>{s.title}</option>)}
              </optgroup>
            )}
          </select>
        </label>
        <nav aria-label="Pages" className="pager">
          <button type="button" onClick={() => onPageChange(page - 1)} disabled={page <= 0}>Previous</button>
          <span aria-live="polite">
            {total === 0 ? "No examples" : `${first}–${last} of ${total}`} (page {page + 1} of {pages})
          </span>
          <button type="button" onClick={() => onPageChange(page + 1)} disabled={page >= pages - 1}>Next</button>
        </nav>
        {detection && <BoxLegend />}
      </div>
      <ul className="thumbnails">
        {examples.map((ex) => {
          const o = ex.object;
          const partnerKind = o.kind === "prediction" ? "ground_truth" : "prediction";
          return (
            <li key={`${ex.frame.frame_id}-${o.kind}-${o.id}`}>
              <figure>
                <button type="button" className="thumbnail" onClick={() => onOpen?.(ex)}
                  aria-label={`Open frame ${ex.frame.frame_id}: ${o.label} ${outcomeText(o)}`}>
                  {ex.frame.text !== undefined ? (
                    <span className="classification-text example-text" style={{ width: thumbnailWidth }}>{ex.frame.text}</span>
                  ) : (
                    <AnnotatedImage
                      frame={ex.frame}
                      width={thumbnailWidth}
                      emphasize={[{ kind: o.kind, id: o.id }, { kind: partnerKind, id: o.partner_id }]}
                      classColors={classColors}
                      alt=""
                      preferThumbnail
                    />
                  )}
                </button>
                {detection ? (
                  <figcaption>
                    <strong>{o.label}</strong> {outcomeText(o)}
                    <br />
                    <span className="muted">
                      conf {formatScore(o.confidence, 2)} · IoU {formatScore(o.iou, 2)} · area {Math.round(o.area)}
                    </span>
                  </figcaption>
                ) : (
                  <figcaption>
                    {(() => {
                      const { truth, predicted } = classificationClasses(o);
                      return <>true <strong>{truth ?? "none"}</strong> · predicted <strong>{predicted ?? "none"}</strong></>;
                    })()}
                    <br />
                    <span className="muted">{o.outcome} · conf {formatScore(o.confidence, 2)}</span>
                  </figcaption>
                )}
              </figure>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
