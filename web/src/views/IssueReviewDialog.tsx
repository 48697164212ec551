/**
 * The review popout of an issue: a dialog that pages through the issue's elements, each on
 * its frame with labels and predictions overlaid, and sets each one's status and note with
 * buttons or keys (j/k or arrows move, c confirms, f fixed, d dismisses, o reopens, n
 * writes a note, Esc closes). A write in flight never holds a key back: each key changes
 * the element at once and its write waits behind that element's earlier ones (IssuesView).
 */
import { Modal } from "@mantine/core";
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { describeConf } from "../components/Status";
import { IssueElementFrame } from "../components/IssueElementFrame";
import { elementFrame } from "../components/IssueThumbnail";
import { CandidateZoom } from "../components/LabelErrorCard";
import { api } from "../api/client";
import { useApi } from "../hooks/useApi";
import { ELEMENT_STATUSES, elementStatusTitle, elementTitle, REVIEW_KEY_LEGEND, reviewAction, stepIndex, type ElementStatus, type IssueElement } from "../lib/issues";
import { classColors, type ViewContext } from "./context";

/** The key of each status (lib/issues reviewAction). */
const STATUS_KEYS: Record<ElementStatus, string> = { open: "o", confirmed: "c", fixed: "f", dismissed: "d" };

/** The frame's width in the dialog, in CSS pixels (at most; less in a narrow window), and the side panel's. */
export const REVIEW_IMAGE_WIDTH = 720;
const SIDE_WIDTH = 300;

/** The frame's width that leaves the side panel (status, note, keys) beside it in a window this wide. */
export function reviewImageWidth(windowWidth: number): number {
  return Math.max(320, Math.min(REVIEW_IMAGE_WIDTH, windowWidth - SIDE_WIDTH - 120));
}

function useWindowWidth(): number {
  const [width, setWidth] = useState(() => (typeof window === "undefined" ? 1440 : window.innerWidth));
  useEffect(() => {
    const onResize = () => setWidth(window.innerWidth);
    window.addEventListener("resize", onResize);
    return () => window.removeEventListener("resize", onResize);
  }, []);
  return width;
}

export interface IssueReviewDialogProps {
  ctx: ViewContext;
  issue: string;
  /** The elements paged through, in order, with the reviews sent in this view applied. */
  elements: readonly IssueElement[];
  /** The `position` of the element shown (null: closed). */
  position: number | null;
  /** Elements whose writes are in flight, by position. */
  busy: ReadonlySet<number>;
  onShow: (position: number) => void;
  onClose: () => void;
  onStatus: (element: IssueElement, status: ElementStatus) => void;
  onNote: (element: IssueElement, note: string) => void;
}

export function IssueReviewDialog({ ctx, issue, elements, position, busy, onShow, onClose, onStatus, onNote }: IssueReviewDialogProps) {
  const index = position === null ? -1 : elements.findIndex((e) => e.position === position);
  const element = index >= 0 ? elements[index]! : null;
  const [note, setNote] = useState(element?.note ?? "");
  // Whether a status (key or button) moves on to the next element, as a reviewer going through a queue wants.
  const [advance, setAdvance] = useState(false);
  const noteRef = useRef<HTMLInputElement>(null);
  const bodyRef = useRef<HTMLDivElement>(null);
  // The note field shows the element's note whenever another element is shown.
  useEffect(() => setNote(element?.note ?? ""), [element?.position, element?.note]);
  // The keys go to the dialog: a button disabled under the focus (Next on the last element)
  // would drop it to the page, where the dialog's keys are not heard.
  useEffect(() => {
    if (element !== null && document.activeElement !== noteRef.current) bodyRef.current?.focus();
  }, [element?.position]);

  const move = (step: 1 | -1) => {
    const next = stepIndex(index, step, elements.length);
    if (next !== null && next !== index) onShow(elements[next]!.position);
  };
  // The note last sent for this element: Enter saves and leaves the field, whose blur must not send it again.
  const sent = useRef<string | null>(null);
  useEffect(() => { sent.current = null; }, [element?.position]);
  const saveNote = () => {
    if (!element || note === element.note || note === sent.current) return;
    sent.current = note;
    onNote(element, note);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target as HTMLElement;
    if (target === noteRef.current) {
      // The note field keeps its keys; Enter saves, Esc leaves it (the dialog stays open).
      if (e.key === "Enter") {
        e.preventDefault();
        saveNote();
        bodyRef.current?.focus();
      } else if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        setNote(element?.note ?? "");
        bodyRef.current?.focus();
      }
      return;
    }
    // A field being typed into keeps its keys (a checkbox or a button does not type).
    const typed = target.tagName === "TEXTAREA" || target.tagName === "SELECT"
      || (target.tagName === "INPUT" && !["checkbox", "radio", "button"].includes((target as HTMLInputElement).type));
    if (typed) return;
    const action = reviewAction(e.key);
    if (action === null) return;
    e.preventDefault();
    if (action.kind === "close") onClose();
    else if (action.kind === "move") move(action.step);
    else if (action.kind === "note") noteRef.current?.focus();
    else if (element) setStatus(action.status);
  };
  const setStatus = (status: ElementStatus) => {
    if (!element) return;
    onStatus(element, status);
    if (advance) move(1);
  };

  const title = element ? elementTitle(element) : "";
  const imageWidth = reviewImageWidth(useWindowWidth());
  return (
    <Modal opened={element !== null} onClose={onClose} withCloseButton={false} size={imageWidth + SIDE_WIDTH + 60}
      centered={false} yOffset="3vh" returnFocus trapFocus keepMounted={false} closeOnEscape={false}
      aria-label={`Review issue ${issue}`} classNames={{ body: "issue-review-body" }}>
      {element && (
        <div className="issue-review" onKeyDown={onKeyDown} ref={bodyRef} tabIndex={-1} data-autofocus data-position={element.position}>
          <div className="issue-review-bar" role="toolbar" aria-label="Review navigation">
            <strong>{issue}</strong>
            <span className="muted" data-testid="issue-review-position">element {index + 1} of {elements.length}</span>
            <button type="button" onClick={() => move(-1)} disabled={index <= 0} aria-keyshortcuts="k ArrowLeft">← Previous</button>
            <button type="button" onClick={() => move(1)} disabled={index >= elements.length - 1} aria-keyshortcuts="j ArrowRight">Next →</button>
            <button type="button" onClick={onClose} aria-keyshortcuts="Escape">Close</button>
            <label className="muted issue-review-advance">
              <input type="checkbox" checked={advance} onChange={(e) => setAdvance(e.target.checked)} /> next element after a status
            </label>
          </div>
          {/* Every element paged through, colored by status: where the review stands; a click shows that one. */}
          <ol className="issue-review-strip" aria-label="Elements by status">
            {elements.map((e, k) => (
              <li key={e.position}>
                <button type="button" className={`strip-cell status-${e.status}`} aria-current={k === index || undefined}
                  aria-label={`Element ${k + 1}: ${elementTitle(e)}, ${elementStatusTitle(e.status)}`} title={`${k + 1}. ${elementTitle(e)}: ${elementStatusTitle(e.status)}`}
                  onClick={() => onShow(e.position)} />
              </li>
            ))}
          </ol>
          <p className="muted issue-review-strip-legend">
            <span className="strip-cell status-open" aria-hidden="true" /> open <span className="strip-cell status-confirmed" aria-hidden="true" /> confirmed{" "}
            <span className="strip-cell status-fixed" aria-hidden="true" /> fixed <span className="strip-cell status-dismissed" aria-hidden="true" /> dismissed
            {" "}· outlined: the element shown
          </p>
          <div className="issue-review-main">
            <div className="issue-review-frame">
              <IssueElementFrame project={ctx.project.name} detection={ctx.project.task === "detection"} element={element}
                inferenceSet={element.dataset === ctx.dataset ? (ctx.sets[0] ?? null) : null} conf={ctx.conf} iou={ctx.iou}
                width={imageWidth} classColors={classColors(ctx.project)} />
            </div>
            <aside className="issue-review-side">
              <h3 data-testid="issue-review-title">{title}</h3>
              <ElementZoom ctx={ctx} element={element} />
              <p className="muted">dataset {element.dataset}</p>
              <p>
                Status: <strong data-testid="issue-review-status" className={`element-status status-${element.status}`}>{elementStatusTitle(element.status)}</strong>
                {busy.has(element.position) && <span className="muted" role="status"> saving…</span>}
              </p>
              <div className="issue-review-actions" role="group" aria-label="Set the status">
                {ELEMENT_STATUSES.map((s) => (
                  <button key={s.value} type="button" aria-pressed={element.status === s.value} title={`${s.title}: ${s.meaning}`}
                    aria-keyshortcuts={STATUS_KEYS[s.value]} onClick={() => setStatus(s.value)}>
                    {s.title} <kbd>{STATUS_KEYS[s.value]}</kbd>
                  </button>
                ))}
              </div>
              <label className="issue-review-note">
                Note{" "}
                <input ref={noteRef} type="text" aria-label="Note" value={note} maxLength={2000} placeholder="n: write a note, Enter saves"
                  onChange={(e) => setNote(e.target.value)} onBlur={saveNote} />
              </label>
              <dl className="review-keys issue-review-keys" aria-label="Review keys">
                {REVIEW_KEY_LEGEND.map(([key, what]) => <div key={key}><dt><kbd>{key}</kbd></dt><dd>{what}</dd></div>)}
              </dl>
              <p className="muted">Outcomes at {describeConf(ctx.conf)}; the element's object is drawn thicker.</p>
            </aside>
          </div>
        </div>
      )}
    </Modal>
  );
}

/** A crop element magnified: the square of its frame around it, its box drawn (nothing for a frame element). */
function ElementZoom({ ctx, element }: { ctx: ViewContext; element: IssueElement }) {
  const project = ctx.project.name;
  const crop = element.element_kind !== "frame";
  const set = element.element_kind === "prediction" ? element.inference_set : null;
  const detail = useApi(crop ? JSON.stringify(["issue-frame", project, element.dataset, element.frame_id, set]) : null, (signal) =>
    api.frame(project, element.dataset, element.frame_id, set ? [set] : [], { signal }),
  );
  if (!crop || !detail.data) return null;
  const frame = elementFrame(project, detail.data, element);
  if (frame.objects.length === 0) return null;
  return (
    <figure className="issue-review-zoom">
      <CandidateZoom frame={frame} classColors={classColors(ctx.project)} />
      <figcaption className="muted">{frame.objects[0]!.label}{frame.objects[0]!.confidence !== null ? ` · confidence ${frame.objects[0]!.confidence.toFixed(3)}` : ""}, magnified</figcaption>
    </figure>
  );
}
