/**
 * The Metrics view of a multi-label project (several classes per frame): the headline
 * numbers, the per-class report with its 2x2 counts and the four averages, each class's
 * 2x2 confusion matrix, and the frames behind any cell. Every number is the server's
 * (`/multilabel-metrics`, equal to scikit-learn's); the selection lives in the URL.
 */
import { memo, useCallback } from "react";
import { DefinitionsPanel, SegmentFilter, ShownSetToggle } from "../components/TaskPanels";
import { api, frameThumbnailUrl } from "../api/client";
import type { MultiLabelClassRow, MultiLabelMetricsOut } from "../api/types";
import { ErrorPanel, Loading } from "../components/Status";
import { useApi } from "../hooks/useApi";
import { useImageSource } from "../hooks/useImageSource";
import { formatScore } from "../lib/format";
import { MULTILABEL_CELLS, type MultiLabelCell } from "../lib/urlState";
import { ALL_FRAMES, type ViewContext } from "./context";
import { ThresholdPanel } from "./ThresholdPanel";

export const MULTILABEL_PAGE_SIZE = 12;

/** What each 2x2 cell is (rows: truth, columns: prediction, as scikit-learn lays them out). */
export const CELL_DEFINITIONS: Record<MultiLabelCell, string> = {
  tp: "TP: the class is true for the frame and predicted (score ≥ threshold)",
  fp: "FP: predicted, but the frame does not have the class",
  fn: "FN: the frame has the class, but its score is below the threshold",
  tn: "TN: neither true nor predicted",
};

/** The definitions beside the numbers (docs/metrics.md, "Multi-label classification"). */
export const DEFINITIONS: ReadonlyArray<[string, string]> = [
  ["Threshold", "a class is predicted for a frame when its score is ≥ the class's threshold (the Confidence slider; per-class overrides)"],
  ["Precision", "TP / (TP + FP) of the class's (frame, class) cells; 0 when nothing is predicted"],
  ["Recall", "TP / (TP + FN); 0 when no frame has the class"],
  ["F1", "harmonic mean of precision and recall"],
  ["Support", "frames that truly have the class"],
  ["AP", "average precision of the class's score ranking (no threshold)"],
  ["best F1", "the class's highest F1 over every threshold (one of its scores; the highest on a tie), and that threshold"],
  ["micro avg", "precision, recall, F1 of every (frame, class) cell pooled"],
  ["macro avg", "the mean of the classes' values"],
  ["weighted avg", "the classes' values weighted by support"],
  ["samples avg", "each frame's precision, recall, F1 over its own classes, averaged over frames"],
  ["Subset accuracy", "share of frames whose predicted set of classes is exactly their true set"],
  ["Hamming loss", "share of wrong (frame, class) cells: (FP + FN) / (frames × classes)"],
];

const AVERAGES = ["micro avg", "macro avg", "weighted avg", "samples avg"] as const;

/** The definition of a term of DEFINITIONS. */
export function definition(term: string): string {
  return DEFINITIONS.find(([t]) => t === term)?.[1] ?? "";
}

/** Per-class thresholds at each class's best F1 (classes without one keep theirs). */
export function bestOverrides(rows: readonly MultiLabelClassRow[]): Record<string, number> {
  return Object.fromEntries(rows.filter((r) => r.best).map((r) => [r.label, r.best!.threshold]));
}

/** A cell's count in a class row. */
export function cellCount(row: MultiLabelClassRow, cell: MultiLabelCell): number {
  return row[cell];
}

/** The share of a class's frames in a cell (what shades it), 0 for no frames. */
export function cellShare(row: MultiLabelClassRow, cell: MultiLabelCell): number {
  const total = row.tp + row.fp + row.fn + row.tn;
  return total > 0 ? row[cell] / total : 0;
}

export function MultiLabelView({ ctx }: { ctx: ViewContext }) {
  const { project, dataset, sets, conf, segment, update } = ctx;
  const set = ctx.shown !== null && sets.includes(ctx.shown) ? ctx.shown : sets[0]!;
  const query = ctx.query ?? undefined;
  const segmentParam = segment === ALL_FRAMES ? undefined : segment;
  const scope = { conf, segment: segmentParam, query };
  const metricsKey = JSON.stringify(["multilabel-metrics", project.name, dataset, set, conf, segment, query]);
  const metrics = useApi(metricsKey, (signal) => api.multilabelMetrics(project.name, dataset, set, scope, { signal }));
  const selection = ctx.selection?.kind === "multilabel" ? ctx.selection : null;
  const page = ctx.page;
  const examplesKey = selection
    ? JSON.stringify(["multilabel-examples", project.name, dataset, set, conf, segment, query, selection, page])
    : null;
  const examples = useApi(examplesKey, (signal) =>
    api.multilabelExamples(project.name, dataset, set, {
      ...scope, label: selection!.label, cell: selection!.cell, offset: page * MULTILABEL_PAGE_SIZE, limit: MULTILABEL_PAGE_SIZE,
    }, { signal }),
  );
  const choose = useCallback((label: string, cell: MultiLabelCell) => update({ selection: { kind: "multilabel", label, cell }, page: 0 }), [update]);
  const answer = metrics.data;
  const pending = metrics.dataKey !== metricsKey && metrics.error === null;
  return (
    <div className="metrics-view multilabel-view">
      <aside>
        <ThresholdPanel ctx={ctx} iouGrid={null} />
        <SegmentFilter segment={segment} allFrames={ALL_FRAMES} onShowAll={() => update({ segment: null })} />
        <DefinitionsPanel className="multilabel-definitions" definitions={DEFINITIONS} />
      </aside>
      <div className="metrics-main">
        <ShownSetToggle sets={sets} shown={set} onChoose={(s, k) => update({ shown: k === 0 ? null : s, selection: null })} />
        <Loading active={metrics.loading} label="Computing multi-label metrics" />
        {metrics.error !== null && <ErrorPanel error={metrics.error} onRetry={metrics.reload} title="Metrics could not be loaded" />}
        {answer && (
          <div className={pending ? "multilabel-board pending" : "multilabel-board"}>
            <Headline answer={answer} />
            <div className="panel report-panel">
              <p className="best-thresholds">
                <button type="button" onClick={() => update({ overrides: bestOverrides(answer.classes) })}
                  title="Set each class's threshold to the one with its best F1 (per-class overrides; the Thresholds panel resets them)">
                  Use each class&apos;s best-F1 threshold
                </button>{" "}
                <span className="muted">{definition("best F1")}</span>
              </p>
              <MultiLabelReport answer={answer} selected={selection} onSelect={choose} caption={`Multi-label report: ${set}`} />
            </div>
            <div className="panel">
              <ClassMatrices rows={answer.classes} selected={selection} onSelect={choose} />
            </div>
          </div>
        )}
        {selection && (
          <section className="multilabel-examples" aria-label="Examples">
            <h2>
              Frames in {selection.label}: {selection.cell.toUpperCase()}{" "}
              <span className="muted">{CELL_DEFINITIONS[selection.cell].split(": ")[1]}</span>
            </h2>
            <p className="muted">
              A frame is in one cell of every class's matrix, so the same frame can be listed under several classes.
              {selection.cell === "tp" || selection.cell === "fp" ? " Highest score first." : " Lowest score first."}
            </p>
            <p className="chips-legend" aria-label="Chips legend">
              Each frame&apos;s classes:
              <span className="chip chip-tp">TP <span className="chip-kind">true, predicted</span></span>
              <span className="chip chip-fp">FP <span className="chip-kind">predicted, not true</span></span>
              <span className="chip chip-fn">FN <span className="chip-kind">true, missed</span></span>
              <span className="chip chip-asked">bold: the class asked</span>
            </p>
            <Loading active={examples.loading} label="Loading examples" />
            {examples.error !== null && <ErrorPanel error={examples.error} onRetry={examples.reload} title="Examples could not be loaded" />}
            {examples.data && (
              <>
                <ul className="multilabel-example-list">
                  {examples.data.examples.map((e) => (
                    <MultiLabelExample key={e.frame_id} project={project.name} dataset={dataset} label={selection.label}
                      frameId={e.frame_id} truth={e.truth} predicted={e.predicted} score={e.score}
                      onOpen={() => update({ frame: e.frame_id, view: "frame" })} />
                  ))}
                </ul>
                <Pager total={examples.data.total} page={page} onPage={(next) => update({ page: next })} />
              </>
            )}
          </section>
        )}
      </div>
    </div>
  );
}

function Headline({ answer }: { answer: MultiLabelMetricsOut }) {
  const micro = answer.averages["micro avg"];
  const samples = answer.averages["samples avg"];
  const tiles: Array<[string, string, string]> = [
    ["Subset accuracy", formatScore(answer.subset_accuracy), definition("Subset accuracy")],
    ["Hamming loss", formatScore(answer.hamming_loss), definition("Hamming loss")],
    ["Micro F1", formatScore(micro["f1-score"]), definition("micro avg")],
    ["Samples F1", formatScore(samples["f1-score"]), definition("samples avg")],
    ["Mean AP", formatScore(answer.mean_average_precision), "the mean of the classes' AP"],
  ];
  return (
    <dl className="multilabel-headline" aria-label="Headline metrics">
      {tiles.map(([name, value, title]) => (
        <div key={name} className="panel" title={title}><dt>{name}</dt><dd>{value}</dd></div>
      ))}
      <div className="panel" title="frames evaluated (the segment and query's)"><dt>Frames</dt><dd>{answer.num_frames.toLocaleString()}</dd></div>
    </dl>
  );
}

type Selected = { label: string; cell: MultiLabelCell } | null;

const MultiLabelReport = memo(function MultiLabelReport({ answer, selected, onSelect, caption }: {
  answer: MultiLabelMetricsOut; selected: Selected; onSelect: (label: string, cell: MultiLabelCell) => void; caption: string;
}) {
  return (
    <table className="report-table multilabel-report">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">class</th>
          <th scope="col" className="num" title={definition("Threshold")}>threshold</th>
          <th scope="col" className="num" title={definition("Precision")}>precision</th>
          <th scope="col" className="num" title={definition("Recall")}>recall</th>
          <th scope="col" className="num" title={definition("F1")}>F1</th>
          <th scope="col" className="num" title={definition("Support")}>support</th>
          <th scope="col" className="num" title={definition("AP")}>AP</th>
          <th scope="col" className="num" title={definition("best F1")}>best F1 @</th>
          {MULTILABEL_CELLS.map((cell) => <th key={cell} scope="col" className="num" title={CELL_DEFINITIONS[cell]}>{cell.toUpperCase()}</th>)}
        </tr>
      </thead>
      <tbody>
        {answer.classes.map((row) => (
          <tr key={row.label} className={selected?.label === row.label ? "selected" : undefined}>
            <th scope="row">{row.label}</th>
            <td className="num">{row.threshold}</td>
            <td className="num">{formatScore(row.precision)}</td>
            <td className="num">{formatScore(row.recall)}</td>
            <td className="num">{formatScore(row["f1-score"])}</td>
            <td className="num">{row.support.toLocaleString()}</td>
            <td className="num">{formatScore(row.average_precision)}</td>
            <td className="num">{row.best ? `${formatScore(row.best["f1-score"])} @ ${row.best.threshold}` : "-"}</td>
            {MULTILABEL_CELLS.map((cell) => (
              <td key={cell} className="num">
                <button type="button" className="link" aria-pressed={selected?.label === row.label && selected.cell === cell}
                  aria-label={`${row.label} ${cell.toUpperCase()}: ${row[cell]} frames`} onClick={() => onSelect(row.label, cell)}>
                  {row[cell].toLocaleString()}
                </button>
              </td>
            ))}
          </tr>
        ))}
      </tbody>
      <tfoot>
        {AVERAGES.map((name) => {
          const row = answer.averages[name];
          return (
            <tr key={name}>
              <th scope="row" title={definition(name)}>{name}</th>
              <td />
              <td className="num">{formatScore(row.precision)}</td>
              <td className="num">{formatScore(row.recall)}</td>
              <td className="num">{formatScore(row["f1-score"])}</td>
              <td className="num">{row.support.toLocaleString()}</td>
              <td colSpan={6} />
            </tr>
          );
        })}
      </tfoot>
    </table>
  );
});

/** Each class's 2x2 matrix (rows truth, columns prediction), shaded by its share of the frames. */
const ClassMatrices = memo(function ClassMatrices({ rows, selected, onSelect }: {
  rows: readonly MultiLabelClassRow[]; selected: Selected; onSelect: (label: string, cell: MultiLabelCell) => void;
}) {
  const layout: MultiLabelCell[][] = [["tp", "fn"], ["fp", "tn"]];
  return (
    <section aria-label="Per-class confusion matrices">
      <h2 className="matrices-title">Per-class 2×2 confusion matrices</h2>
      <p className="muted matrices-legend">
        Rows: the frame has the class (yes / no). Columns: the class is predicted (yes / no). Green cells are right (TP, TN),
        red cells wrong (FN, FP); the deeper the shade, the larger the share of the class&apos;s frames. Every frame is in one
        cell of each matrix. Click a cell for its frames.
      </p>
      <div className="multilabel-matrices">
        {rows.map((row) => (
          <table key={row.label} className="two-by-two" aria-label={`${row.label} 2×2 matrix`}>
            <caption>{row.label} <span className="muted">≥ {row.threshold}</span></caption>
            <thead>
              <tr><td /><th scope="col">pred. yes</th><th scope="col">pred. no</th></tr>
            </thead>
            <tbody>
              {layout.map((cells, r) => (
                <tr key={r}>
                  <th scope="row">{r === 0 ? "true yes" : "true no"}</th>
                  {cells.map((cell) => {
                    const share = cellShare(row, cell);
                    const wrong = cell === "fp" || cell === "fn";
                    const pressed = selected?.label === row.label && selected.cell === cell;
                    return (
                      <td key={cell} className={wrong ? "wrong" : "right"} style={{ ["--share" as string]: share.toFixed(3) }}>
                        <button type="button" aria-pressed={pressed} title={CELL_DEFINITIONS[cell]}
                          aria-label={`${row.label} ${cell.toUpperCase()}: ${row[cell]} frames`} onClick={() => onSelect(row.label, cell)}>
                          <span className="cell-name">{cell.toUpperCase()}</span> {row[cell].toLocaleString()}
                        </button>
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      </div>
    </section>
  );
});

function MultiLabelExample({ project, dataset, label, frameId, truth, predicted, score, onOpen }: {
  project: string; dataset: string; label: string; frameId: string; truth: string[]; predicted: string[]; score: number; onOpen: () => void;
}) {
  const src = useImageSource(frameThumbnailUrl(project, dataset, frameId, 128));
  const all = [...new Set([...truth, ...predicted])];
  return (
    <li className="panel multilabel-example">
      <button type="button" className="thumb" onClick={onOpen} aria-label={`Open frame ${frameId}`}>
        {src ? <img src={src} alt="" width={96} height={96} loading="lazy" onError={(e) => { e.currentTarget.style.visibility = "hidden"; }} /> : null}
      </button>
      <div>
        <p className="frame-title"><strong>{frameId}</strong> <span className="muted">{label} score {score.toFixed(3)}</span></p>
        <ul className="class-chips" aria-label="Classes">
          {all.map((name) => {
            const inTruth = truth.includes(name);
            const inPredicted = predicted.includes(name);
            const kind = inTruth && inPredicted ? "tp" : inPredicted ? "fp" : "fn";
            return (
              <li key={name} className={`chip chip-${kind}${name === label ? " chip-asked" : ""}`} title={CELL_DEFINITIONS[kind]}>
                {name} <span className="chip-kind">{kind.toUpperCase()}</span>
              </li>
            );
          })}
          {all.length === 0 && <li className="muted">no class, none predicted</li>}
        </ul>
      </div>
    </li>
  );
}

function Pager({ total, page, onPage }: { total: number; page: number; onPage: (page: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / MULTILABEL_PAGE_SIZE));
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={page <= 0} onClick={() => onPage(page - 1)}>Previous</button>{" "}
      <span>Page {Math.min(page + 1, pages)} of {pages} ({total.toLocaleString()} frames)</span>{" "}
      <button type="button" disabled={page + 1 >= pages} onClick={() => onPage(page + 1)}>Next</button>
    </nav>
  );
}

/**
 * One frame of a multi-label project (the Frame view): the image and every class's score,
 * threshold, truth and prediction, and so the frame's cell of that class's matrix, as the
 * server answers them at the current thresholds (`/multilabel-frame`).
 */
export function MultiLabelFrame({ ctx, frameId, inferenceSet, imageUrl, width, onClose }: {
  ctx: ViewContext; frameId: string; inferenceSet: string | null; imageUrl: string; width?: number; onClose?: () => void;
}) {
  const { project, dataset, conf } = ctx;
  const key = inferenceSet ? JSON.stringify(["multilabel-frame", project.name, dataset, inferenceSet, frameId, conf]) : null;
  const answer = useApi(key, (signal) => api.multilabelFrame(project.name, dataset, inferenceSet!, frameId, conf, { signal }));
  const src = useImageSource(imageUrl);
  const shown = width === undefined ? 320 : Math.round(width * 0.4);
  return (
    <section className="frame-panel multilabel-frame" aria-label={`Frame ${frameId}`}>
      <header className="multilabel-frame-header">
        <h3>Frame {frameId}</h3>
        {onClose && <button type="button" onClick={onClose}>Close</button>}
      </header>
      <div className="multilabel-frame-body">
        <img src={src} alt={`Frame ${frameId}`} width={shown} className="classification-image" />
        <div>
          {answer.error !== null && <ErrorPanel error={answer.error} onRetry={answer.reload} title="The frame's classes could not be loaded" />}
          {answer.data && (
            <table className="report-table">
              <caption>Classes of {frameId}: {inferenceSet}</caption>
              <thead>
                <tr><th scope="col">class</th><th scope="col">true</th><th scope="col" className="num">score</th>
                  <th scope="col" className="num">threshold</th><th scope="col">predicted</th><th scope="col">cell</th></tr>
              </thead>
              <tbody>
                {answer.data.classes.filter((c) => c.truth || c.predicted || c.score > 0).map((c) => (
                  <tr key={c.label}>
                    <th scope="row">{c.label}</th>
                    <td>{c.truth ? "yes" : "no"}</td>
                    <td className="num">{c.score.toFixed(3)}</td>
                    <td className="num">{c.threshold}</td>
                    <td>{c.predicted ? "yes" : "no"}</td>
                    <td><span className={`chip chip-${c.cell}`} title={CELL_DEFINITIONS[c.cell]}>{c.cell.toUpperCase()}</span></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="muted">Classes the frame neither has nor scores above 0 are left out (each is a TN).</p>
        </div>
      </div>
    </section>
  );
}
