import { lazy, Suspense, useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { SegmentFilter } from "../components/TaskPanels";
import { api, type ExamplesQuery } from "../api/client";
import { BACKGROUND, COCO_STAT_DEFINITIONS, COCO_STAT_NAMES, IOU_TYPE_NAMES, KEYPOINT_STAT_DEFINITIONS, KEYPOINT_STAT_NAMES, type ClassificationReportDict } from "../api/types";
import { ConfusionMatrix } from "../components/ConfusionMatrix";
import { ExampleGrid } from "../components/ExampleGrid";
import { IssueAddToIssue } from "../components/IssueAddToIssue";
import { PerClassAP } from "../components/PerClassAP";
import { ReportTable } from "../components/ReportTable";
import { AnsweredAt, describeConf, describeIou, ErrorPanel, Loading } from "../components/Status";
import { useApi, useKeyWhenReady } from "../hooks/useApi";
import { pageCount, sortFor, type Example } from "../lib/examples";
import { useMetricSorts } from "../hooks/useMetricSorts";
import { formatScore } from "../lib/format";
import type { MatrixHighlight, Normalization } from "../lib/matrix";
import { isPooledCurve, pooledCurve } from "../lib/pr";
import type { CellValues, ExampleSelection, MatchingProtocol } from "../lib/urlState";
import { exampleOf, frameIdsQuery, serverSort } from "./adapters";
import { ALL_FRAMES, classColors, classNames, type ViewContext } from "./context";
import { ExampleModal } from "./ExampleModal";
import { SaveAsSegment } from "./SegmentEditor";
import { FramePanel } from "./FramePanel";
import { ThresholdPanel } from "./ThresholdPanel";

// The chart library is most of the app's JavaScript: it loads beside the first numbers
// rather than before them.
const PRCurve = lazy(() => import("../components/PRCurve").then((m) => ({ default: m.PRCurve })));

export const PAGE_SIZE = 12;

/** Points per PR curve asked of the server (detection), about two per pixel of the chart. */
export const CURVE_POINTS = 600;
/** Above this many classes the report gets a class filter (the matrix becomes a table). */
export const MAX_GRID_CLASSES = 25;
/** Above that, the report scrolls in a box of about this many rows (rendering those only). */
export const REPORT_WINDOW_ROWS = 20;

/** The report with only the classes whose name contains `text` (averages kept). */
export function filterReport(report: ClassificationReportDict, text: string): ClassificationReportDict {
  const needle = text.trim().toLowerCase();
  if (!needle) return report;
  return { ...report, classes: report.classes.filter((c) => c.label.toLowerCase().includes(needle)) };
}

export type { ExampleSelection };

/**
 * The precision, recall and F1 of a detection report's row (`micro avg` for all classes): the
 * exact operating point of that class's PR curve (each curve point is a report, see
 * docs/metrics.md). Null when the row is missing.
 */
export function reportPoint(report: ClassificationReportDict | null | undefined, label: string | null): { precision: number; recall: number; f1: number } | null {
  const row = label === null ? report?.averages["micro avg"] : report?.classes.find((c) => c.label === label);
  if (!row) return null;
  return { precision: row.precision, recall: row.recall, f1: row["f1-score"] };
}

/** Whether a selection (from the URL) names classes of the project; others are dropped. */
export function selectionFits(s: ExampleSelection, classes: readonly string[]): boolean {
  switch (s.kind) {
    case "cell":
      return [s.truth, s.predicted].every((c) => c === BACKGROUND || classes.includes(c));
    case "confused_as":
    case "confused_from":
      return classes.includes(s.label);
    case "multilabel":
    case "ner":
      return false; // a multi-label or NER project's (MultiLabelView, NerView)
    default:
      return true;
  }
}

function selectionQuery(s: ExampleSelection): Partial<ExamplesQuery> {
  switch (s.kind) {
    case "cell":
      return { truth: s.truth, predicted: s.predicted };
    case "fn":
      return { outcome: "FN" };
    case "fp":
      return { outcome: "FP" };
    case "confused_as":
      return { confused_as: s.label };
    case "confused_from":
      return { confused_from: s.label };
    case "multilabel":
    case "ner":
      return {};
  }
}

function selectionTitle(s: ExampleSelection): string {
  switch (s.kind) {
    case "cell":
      return `${s.truth} → ${s.predicted}`;
    case "fn":
      return "False negatives";
    case "fp":
      return "False positives";
    case "confused_as":
      return `Confused as ${s.label}`;
    case "confused_from":
      return `Confused from ${s.label}`;
    case "multilabel":
      return `${s.label}: ${s.cell.toUpperCase()}`;
    case "ner":
      return s.entityType ?? "Sentences";
  }
}

/** The matrix button a selection presses (a cell's selection presses none). */
export function highlightOf(selection: ExampleSelection | null): MatrixHighlight {
  switch (selection?.kind) {
    case "fn":
    case "fp":
      return { kind: selection.kind };
    case "confused_as":
      return { kind: "confusedAs", label: selection.label };
    case "confused_from":
      return { kind: "confusedFrom", label: selection.label };
    default:
      return { kind: "none" };
  }
}

/**
 * The confidence an answer was computed at for one curve: the answer's own (`conf` it
 * echoes), so a caption never pairs a slider's new value with numbers of the old one.
 * null: per-class confidences that differ, for all classes.
 */
export function answeredConf(conf: number | Record<string, number> | null | undefined, label: string | null): number | null {
  if (typeof conf === "number") return conf;
  if (!conf) return null;
  if (label !== null) return conf[label] ?? null;
  const values = [...new Set(Object.values(conf))];
  return values.length === 1 ? values[0]! : null;
}

/** What "7:3" of an opened example in the URL is: its kind and engine id. */
export function objectKey(e: { kind: string; id: number | string }): string {
  return `${e.kind}:${e.id}`;
}

function selectionOf(highlight: MatrixHighlight): ExampleSelection | null {
  switch (highlight.kind) {
    case "fn":
    case "fp":
      return { kind: highlight.kind };
    case "confusedAs":
      return { kind: "confused_as", label: highlight.label };
    case "confusedFrom":
      return { kind: "confused_from", label: highlight.label };
    default:
      return null;
  }
}

export function MetricsView({ ctx }: { ctx: ViewContext }) {
  const { project, dataset, sets, conf, segment, page } = ctx;
  // The metrics and examples routes match each class at its own IoU when overridden.
  const iou = ctx.matchIou ?? ctx.iou;
  // Detection's matching rule (Labelbox's is read from the same kept matching).
  const protocol = project.task === "detection" && ctx.protocol === "labelbox" ? "labelbox" : undefined;
  const detection = project.task === "detection";
  // Classification has no IoU or box-size sort: such a sort from a link reads as the default.
  const sort = sortFor(detection ? "detection" : "classification", ctx.sort);
  const classes = classNames(project);
  const colors = classColors(project);
  // What is shown lives in the URL (AppState), so a link restores it; names this project
  // does not have read as the defaults.
  const set = ctx.shown !== null && sets.includes(ctx.shown) ? ctx.shown : sets[0]!;
  const label = ctx.metricClass !== null && classes.includes(ctx.metricClass) ? ctx.metricClass : null;
  const { update } = ctx;
  const setLabel = useCallback((next: string | null) => update({ metricClass: next }), [update]);
  // The selection, sort and page live in the URL (AppState); one naming unknown classes is dropped.
  const fits = ctx.selection !== null && selectionFits(ctx.selection, classes);
  const selection = fits ? ctx.selection : null;
  useEffect(() => {
    if (ctx.selection !== null && !fits) update({ selection: null });
  }, [ctx.selection, fits, update]);
  const setPage = (next: number) => update({ page: next });
  const [classFilter, setClassFilter] = useState("");
  const segmentParam = segment === ALL_FRAMES ? undefined : segment;
  // The frames every request is about: the segment's, narrowed by the query bar's query.
  const query = ctx.query ?? undefined;
  const scope = { segment: segmentParam, query };

  // Report and matrix follow the thresholds, curves only the IoU and segment, the COCO
  // summary (every IoU of its grid) only the segment.
  const metricsKey = JSON.stringify(["metrics", project.name, dataset, sets, conf, iou, segment, query, protocol]);
  const metrics = useApi(metricsKey, (signal) =>
    api.metrics(project.name, dataset, { inferenceSets: sets, conf, iou: detection ? iou : undefined, ...scope, protocol, include: ["report", "confusion_matrix"] }, { signal }),
  );
  // Curves and COCO wait for the numbers: computing every class's curve at a new IoU
  // beside the report would delay the report that a slider move is waiting for.
  const numbersIn = metrics.dataKey === metricsKey || metrics.error !== null;
  const curvesKey = useKeyWhenReady(numbersIn, JSON.stringify(["curves", project.name, dataset, sets, detection ? iou : null, segment, query, protocol]));
  const curves = useApi(curvesKey, (signal) =>
    api.metrics(project.name, dataset, {
      inferenceSets: sets, iou: detection ? iou : undefined, ...scope, protocol, include: ["pr_curves"],
      // A detection curve has a point per distinct confidence (380k pooled on the M
      // benchmark); the chart draws a few hundred, and the report marks the exact point.
      curvePoints: detection ? CURVE_POINTS : undefined,
    }, { signal }),
  );
  const cocoKey = useKeyWhenReady(numbersIn, detection ? JSON.stringify(["coco", project.name, dataset, sets, segment, query]) : null);
  const coco = useApi(cocoKey, (signal) =>
    api.metrics(project.name, dataset, { inferenceSets: sets, ...scope, include: ["coco_summary"] }, { signal }),
  );
  const examplesKey = selection
    ? JSON.stringify(["examples", project.name, dataset, set, conf, iou, segment, query, protocol, selection, sort, page])
    : null;
  const examples = useApi(examplesKey, (signal) =>
    api.examples(project.name, dataset, set, {
      conf, iou: detection ? iou : undefined, ...scope, protocol, ...selectionQuery(selection!), ...serverSort(sort),
      offset: page * PAGE_SIZE, limit: PAGE_SIZE,
    }, { signal }),
  );

  // The page's frames' recorded sizes, so the grid can load thumbnails (boxes are in image pixels).
  const pageIds = examples.data ? [...new Set(examples.data.examples.map((e) => e.frame_id))] : [];
  const rowsKey = pageIds.length > 0 ? JSON.stringify(["rows", project.name, dataset, pageIds]) : null;
  const rows = useApi(rowsKey, (signal) =>
    api.frames(project.name, dataset, { query: frameIdsQuery(pageIds), limit: Math.min(1000, pageIds.length) }, { signal }),
  );
  const rowOf = (id: string) => rows.data?.frames.find((f) => f.frame_id === id);
  // Draw the grid once the sizes are known (or cannot be), so no full image loads first.
  const rowsReady = rowsKey === null || rows.dataKey === rowsKey || rows.error !== null;
  // Until then, the last page drawn stays (the grid does not blink on a page change).
  const drawn = useRef<{ examples: Example[]; total: number } | null>(null);
  if (examples.data && rowsReady) {
    drawn.current = { examples: examples.data.examples.map((e) => exampleOf(project.name, dataset, e, rowOf(e.frame_id))), total: examples.data.total };
  }
  if (!selection) drawn.current = null;
  const grid = drawn.current;

  const result = metrics.data?.results.find((r) => r.inference_set === set) ?? null;
  const curveResult = curves.data?.results.find((r) => r.inference_set === set) ?? null;
  const cocoResult = coco.data?.results.find((r) => r.inference_set === set);
  const cocoSummary = cocoResult?.coco_summary ?? null;
  // Either protocol's statistics by name (boxes' and masks' 12, keypoints' 10).
  const cocoValues = cocoSummary as Readonly<Record<string, number | null | undefined>> | null;
  const iouType = cocoResult?.iou_type ?? null;
  const report = useMemo(() => (result?.report ? filterReport(result.report, classFilter) : null), [result, classFilter]);
  const segments = useApi(JSON.stringify(["segments", project.name, dataset]), (signal) => api.segments(project.name, dataset, { signal }));
  // The examples may also sort by the dataset's metrics (quality and custom).
  const sortsByMetric = useMetricSorts(project.name, dataset, set);
  const segmentThresholds = segments.data?.find((s) => s.name === segment)?.thresholds;
  const choose = useCallback((next: ExampleSelection | null) => {
    update({ selection: next, page: 0, frame: null, object: null });
    drawn.current = null;
  }, [update]);
  // The opened example (frame and object in the URL): found on the page shown, or, from a
  // link, the frame alone until its outcomes arrive.
  const openFrame = ctx.frame;
  const open = openFrame === null ? null
    : (examples.data?.examples.find((e) => objectKey(e) === ctx.object && e.frame_id === openFrame) ?? null);
  // "Save frames as a segment": the server saves the frames of every example of this question.
  const saveListed = (body: { name: string; type: "split" | "regression_test" | "scenario" }) =>
    api.segmentFromExamples(project.name, dataset, set, {
      conf, iou: detection ? iou : undefined, ...scope, protocol, ...selectionQuery(selection!),
    }, body);
  // The page's examples in order, for the modal's previous / next.
  const pageExamples = examples.data?.examples ?? [];
  const openIndex = open === null ? -1 : pageExamples.indexOf(open);
  const step = (by: number) => {
    const next = pageExamples[openIndex + by];
    if (next) update({ frame: next.frame_id, object: objectKey(next) });
  };
  const closeExample = useCallback(() => update({ frame: null, object: null }), [update]);
  const setDisplay = useCallback((values: CellValues) => update({ values }), [update]);
  const setNormalization = useCallback((shareOf: Normalization) => update({ shareOf }), [update]);
  const matrixHighlight = useMemo(() => highlightOf(selection), [JSON.stringify(selection)]);
  // Stable props, so the report, the matrix and the curve (memoized) skip the render that
  // a threshold move causes before its numbers arrive.
  const selectCell = useCallback((truth: string, predicted: string) => choose({ kind: "cell", truth, predicted }), [choose]);
  const highlight = useCallback((_: unknown, h: MatrixHighlight) => choose(selectionOf(h)), [choose]);
  const selectCurve = useCallback((l: string) => setLabel(isPooledCurve(l) ? null : l), [setLabel]);
  const selectedCell = useMemo<[string, string] | null>(
    () => (selection?.kind === "cell" ? [selection.truth, selection.predicted] : null),
    [selection?.kind === "cell" ? selection.truth : null, selection?.kind === "cell" ? selection.predicted : null],
  );
  // The IoU slider's stops, from this view's own answer (the same array while they stay).
  const gridText = result ? result.iou_thresholds.join(",") : null;
  const iouGrid = useMemo(() => (result ? result.iou_thresholds : null), [gridText]);
  const curveList = useMemo(() => (curveResult?.pr_curves ? Object.values(curveResult.pr_curves) : null), [curveResult]);
  // The curve drawn: the metric class's, else "all" (micro), else (no pooled curve) the first
  // class's; its operating point is that curve's row of the report.
  const curveLabel = label ?? (curveList && pooledCurve(curveList) === undefined ? (curveList[0]?.label ?? null) : null);
  // The numbers shown are the last answer's: pending while the thresholds' own are on their way.
  const pending = metrics.dataKey !== metricsKey && metrics.error === null;
  const answered = metrics.data;
  const shownConf = answeredConf(answered?.conf, curveLabel);
  // The report's row for the curve drawn (both tasks): the point drawn and captioned is the report's.
  const operatingPoint = useMemo(() => reportPoint(result?.report, curveLabel), [result, curveLabel]);
  // A page past the end (a shared link after the data changed, a stale URL) goes to the last page.
  const total = examples.data && examples.dataKey === examplesKey ? examples.data.total : null;
  useEffect(() => {
    if (total === null) return;
    const last = Math.max(0, pageCount(total, PAGE_SIZE) - 1);
    if (page > last) update({ page: last });
  }, [total, page, update]);

  return (
    <div className="metrics-view">
      <aside>
        <ThresholdPanel ctx={ctx} iouGrid={iouGrid} />
        <SegmentFilter segment={segment} allFrames={ALL_FRAMES} onShowAll={() => ctx.update({ segment: null })} />
        {coco.error !== null && <ErrorPanel error={coco.error} onRetry={coco.reload} title="The COCO summary could not be loaded" />}
        {cocoSummary && (
          <section className="coco-summary panel">
            <h2 className="coco-title">COCO summary</h2>
            <p className="muted coco-note">
              Over every confidence, not the sliders; "-" where nothing is measured.
              {iouType !== null && iouType !== "bbox" && <> Matched on <span data-iou-type={iouType}>{IOU_TYPE_NAMES[iouType] ?? iouType}</span>.</>}
            </p>
            <dl className="coco" aria-label="COCO summary">
              {iouType === "keypoints"
                ? KEYPOINT_STAT_NAMES.map((n) => (
                    <div key={n} title={KEYPOINT_STAT_DEFINITIONS[n]}><dt><abbr title={KEYPOINT_STAT_DEFINITIONS[n]}>{n}</abbr></dt><dd>{formatScore(cocoValues?.[n] ?? null)}</dd></div>
                  ))
                : COCO_STAT_NAMES.map((n) => (
                    <div key={n} title={COCO_STAT_DEFINITIONS[n]}><dt><abbr title={COCO_STAT_DEFINITIONS[n]}>{n}</abbr></dt><dd>{formatScore(cocoValues?.[n] ?? null)}</dd></div>
                  ))}
            </dl>
          </section>
        )}
        <p className="insights-link">
          <button type="button" className="link" onClick={() => update({ view: "insights", insights: "errors" })}>
            Why it fails: Insights
          </button>{" "}
          <span className="muted">{detection ? "TIDE error breakdown, calibration" : "calibration"}</span>
          {" · "}
          <button type="button" className="link" onClick={() => update({ view: "insights", insights: "label-errors" })}>
            Label errors
          </button>{" "}
          <span className="muted">labels that look wrong, ranked for review</span>
        </p>
      </aside>
      <div className="metrics-main">
        {sets.length > 1 && (
          <div className="shown-sets">
            <div role="group" aria-label="Inference set shown" className="toggle-group">
              {sets.map((s, k) => (
                <button key={s} type="button" aria-pressed={set === s}
                  onClick={() => update({ shown: k === 0 ? null : s, selection: null, frame: null, object: null })}>{s}</button>
              ))}
            </div>
            {/* With two sets selected the reference docs' matrix shows the deltas: that matrix is Compare's. */}
            <button type="button" className="link" onClick={() => update({ view: "compare" })}>
              Delta matrix: {sets[1]} against {sets[0]} (Compare)
            </button>
          </div>
        )}
        {detection && <MatchingRule protocol={protocol ?? "coco"} onChange={(next) => update({ protocol: next })} />}
        <Loading active={metrics.loading} label={`Computing metrics at ${describeConf(conf)}${detection ? `, ${describeIou(iou)}` : ""}`} />
        {answered && result && <AnsweredAt conf={answered.conf} iou={answered.iou} pending={pending} />}
        {metrics.error !== null && <ErrorPanel error={metrics.error} onRetry={metrics.reload} title="Metrics could not be loaded" />}
        {result && (
          // The curve beside the numbers (report over matrix): at 1440 px the three share the
          // width; narrower, the numbers wrap below the curve (styles.css, .metrics-board).
          <div className="metrics-board">
            <div className="board-curve">
              {curves.error !== null && <ErrorPanel error={curves.error} title="PR curves could not be loaded" />}
              {/* The curve's place is kept while it loads (after the numbers), so nothing beside or below it jumps. */}
              {curveList ? (
                <Suspense fallback={<div className="pr-curve-loading" aria-busy="true">Loading the PR curve…</div>}>
                  <PRCurve curves={curveList} label={curveLabel ?? undefined} onSelectLabel={selectCurve}
                    conf={shownConf} operatingPoint={operatingPoint}
                    thresholds={segmentThresholds} />
                </Suspense>
              ) : curves.error === null && <div className="pr-curve-loading" aria-busy="true">Loading the PR curve…</div>}
              {detection && cocoSummary && <PerClassAP summary={cocoSummary} selectedLabel={label} onSelectLabel={setLabel} />}
            </div>
            <div className="board-numbers">
              {report && (
                <div className="panel report-panel">
                  {classes.length > MAX_GRID_CLASSES && (
                    <label className="class-filter">
                      Filter classes{" "}
                      <input type="search" value={classFilter} onChange={(e) => setClassFilter(e.target.value)} />
                    </label>
                  )}
                  <ReportTable report={report} selectedLabel={label} onSelectLabel={setLabel}
                    windowRows={classes.length > MAX_GRID_CLASSES ? REPORT_WINDOW_ROWS : undefined}
                  caption={`Classification report: ${set}`} />
                </div>
              )}
              {result.confusion_matrix && (
                <div className="panel matrix-panel">
                  <ConfusionMatrix matrix={result.confusion_matrix} filterLabel={label} onFilterLabelChange={setLabel}
                    selectedCell={selectedCell} onSelectCell={selectCell} onHighlight={highlight} highlight={matrixHighlight}
                    display={ctx.values} onDisplayChange={setDisplay} normalization={ctx.shareOf} onNormalizationChange={setNormalization}
                    maxGridClasses={MAX_GRID_CLASSES} caption={`Confusion matrix: ${set}`} />
                </div>
              )}
            </div>
          </div>
        )}
        {selection && (
          <>
            <Loading active={examples.loading} label="Loading examples" />
            {examples.error !== null && <ErrorPanel error={examples.error} onRetry={examples.reload} title="Examples could not be loaded" />}
            {grid && grid.total > 0 && <SaveAsSegment ctx={ctx} what={selectionTitle(selection)} save={saveListed} />}
            {grid && grid.total > 0 && (
              <IssueAddToIssue project={project.name} dataset={dataset} inferenceSet={set} what={selectionTitle(selection)}
                page={pageExamples} total={grid.total} onOpenIssue={(issue) => update({ view: "issues", issue, issueElement: null })}
                query={{ conf, iou: detection ? iou : undefined, ...scope, protocol, ...selectionQuery(selection), ...serverSort(sort) }} />
            )}
            {grid && (
              <ExampleGrid examples={grid.examples}
                sort={sort} onSortChange={(s) => update({ sort: s, page: 0 })} metricSorts={sortsByMetric}
                page={page} pageSize={PAGE_SIZE} total={grid.total} onPageChange={setPage}
                onOpen={(ex) => update({ frame: ex.frame.frame_id, object: objectKey(ex.object) })}
                classColors={colors} title={selectionTitle(selection)} task={detection ? "detection" : "classification"} />
            )}
          </>
        )}
        <ExampleModal opened={openFrame !== null} title={selection ? selectionTitle(selection) : `Frame ${openFrame ?? ""}`}
          position={openIndex < 0 ? null : openIndex} count={pageExamples.length}
          onPrevious={() => step(-1)} onNext={() => step(1)} onClose={closeExample}>
          {(width) => openFrame !== null && (
            <FramePanel ctx={ctx} frameId={openFrame} inferenceSet={set} opened={open}
              known={pageExamples} onClose={closeExample} width={width} />
          )}
        </ExampleModal>
      </div>
    </div>
  );
}

/** What each matching rule does, at hand beside the choice (docs/metrics.md has both). */
const MATCHING_RULES: Record<MatchingProtocol, { name: string; definition: string }> = {
  coco: {
    name: "COCO",
    definition: "COCO: by descending confidence, each prediction takes the unmatched ground truth of its own class with the highest IoU at or above the threshold; a class's IoU its own when overridden.",
  },
  labelbox: {
    name: "Labelbox",
    definition: "Labelbox: predictions under the confidence threshold are dropped, the rest matched to ground truth by decreasing IoU (above the threshold) whatever the classes; a cross-class match is an FP of the predicted class and an FN of the true one. The COCO summary and per-class AP/AR stay COCO's (every confidence)."
  },
};

function MatchingRule({ protocol, onChange }: { protocol: MatchingProtocol; onChange: (next: MatchingProtocol) => void }) {
  const id = useId();
  return (
    <div className="matching-rule" data-testid="matching-rule">
      <label htmlFor={id}>Matching</label>{" "}
      <select id={id} value={protocol} aria-describedby={`${id}-definition`}
        onChange={(e) => onChange(e.target.value === "labelbox" ? "labelbox" : "coco")}>
        {(Object.keys(MATCHING_RULES) as MatchingProtocol[]).map((p) => <option key={p} value={p}>{MATCHING_RULES[p].name}</option>)}
      </select>
      <p id={`${id}-definition`} className="muted matching-definition">{MATCHING_RULES[protocol].definition}</p>
    </div>
  );
}
