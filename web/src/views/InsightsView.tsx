/**
 * Insights: why the model fails, in sub-tabs kept in the URL (`insights=`, see
 * INSIGHTS_SECTIONS). "Error breakdown": for detection, TIDE's error breakdown
 * (docs/insights.md) as bars, overall or of one class, at TIDE's foreground / background
 * IoU; a bar lists its objects through the examples endpoint's `tide=` filter in the
 * examples grid, and an example opens its frame. "Label errors": the label-error queue
 * (LabelErrorsPanel). "Calibration": the reliability diagram with ECE (D-ECE for
 * detection) at the operating point (docs/calibration.md), overall or of one class.
 * "By metric": performance by metric and metric importance (MetricPerformancePanel).
 * Every number is the server's; this view only draws it.
 */
import { useState } from "react";
import { api } from "../api/client";
import type { ExampleOut, TideType } from "../api/types";
import { ExampleGrid } from "../components/ExampleGrid";
import { useMetricSorts } from "../hooks/useMetricSorts";
import { ReliabilityDiagram } from "../components/ReliabilityDiagram";
import { describeConf, ErrorPanel, Loading } from "../components/Status";
import { TIDE_TYPES, TideBars } from "../components/TideBars";
import { useApi } from "../hooks/useApi";
import type { ExampleSort } from "../lib/examples";
import { DEFAULT_INSIGHTS, INSIGHTS_SECTIONS, type InsightsSection } from "../lib/urlState";
import { exampleOf, frameIdsQuery, serverSort } from "./adapters";
import { ALL_FRAMES, classColors, type ViewContext } from "./context";
import { ExampleModal } from "./ExampleModal";
import { FramePanel } from "./FramePanel";
import { LabelErrorsPanel } from "./LabelErrorsPanel";
import { MetricPerformancePanel } from "./MetricPerformancePanel";
import "../components/insights.css";

/** TIDE's defaults (tidecv): a match at IoU 0.5, background at or below 0.1. */
export const TIDE_FG_IOU = 0.5;
export const TIDE_BG_IOU = 0.1;
export const TIDE_PAGE_SIZE = 12;
const ALL_CLASSES = "";

/** An IoU typed in the box: a number in [0, 1], else the last good one. */
export function iouInput(text: string, fallback: number): number {
  const v = Number(text);
  return text.trim() !== "" && Number.isFinite(v) && v >= 0 && v <= 1 ? v : fallback;
}

/** The sub-tabs' row (a tablist, arrows move between tabs, as the app's views do). */
export function InsightsTabs({ value, onChange }: { value: InsightsSection; onChange: (next: InsightsSection) => void }) {
  const onKey = (e: React.KeyboardEvent) => {
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (step === 0) return;
    const k = INSIGHTS_SECTIONS.findIndex((s) => s.value === value);
    const next = INSIGHTS_SECTIONS[(k + step + INSIGHTS_SECTIONS.length) % INSIGHTS_SECTIONS.length]!.value;
    onChange(next);
    document.getElementById(`insights-tab-${next}`)?.focus();
  };
  return (
    <div role="tablist" aria-label="Insights sections" className="insights-tabs wide" onKeyDown={onKey}>
      {INSIGHTS_SECTIONS.map((s) => (
        <button key={s.value} id={`insights-tab-${s.value}`} type="button" role="tab" aria-selected={s.value === value}
          aria-controls={`insights-panel-${s.value}`} tabIndex={s.value === value ? 0 : -1} onClick={() => onChange(s.value)}>
          {s.title}
        </button>
      ))}
    </div>
  );
}

export function InsightsView({ ctx }: { ctx: ViewContext }) {
  const section = ctx.insights ?? DEFAULT_INSIGHTS;
  return (
    <div className="insights-view">
      <InsightsTabs value={section} onChange={(insights) => ctx.update({ insights })} />
      <div id={`insights-panel-${section}`} role="tabpanel" aria-labelledby={`insights-tab-${section}`} className="insights-panel wide">
        {section === "errors" && <ErrorBreakdownPanel ctx={ctx} />}
        {section === "label-errors" && <LabelErrorsPanel ctx={ctx} />}
        {section === "calibration" && <CalibrationPanel ctx={ctx} />}
        {section === "by-metric" && <MetricPerformancePanel ctx={ctx} />}
        {/* A new sub-tab: its entry in INSIGHTS_SECTIONS (lib/urlState.ts) and its panel here. */}
      </div>
    </div>
  );
}

/** The class chosen (class=, shared by the sub-tabs) and the view's scope, as the controls show them. */
function InsightsScope({ ctx, classes, onClass, children }: {
  ctx: ViewContext; classes: readonly string[]; onClass?: () => void; children?: React.ReactNode;
}) {
  const { sets, segment, query } = ctx;
  return (
    <div className="insights-controls panel wide" role="group" aria-label="Insights controls">
      <label>
        Class{" "}
        <select aria-label="Class" value={ctx.metricClass ?? ALL_CLASSES} onChange={(e) => { ctx.update({ metricClass: e.target.value || null }); onClass?.(); }}>
          <option value={ALL_CLASSES}>All classes</option>
          {classes.map((name) => <option key={name} value={name}>{name}</option>)}
        </select>
      </label>
      {children}
      <span className="muted">
        {sets[0]}{segment !== ALL_FRAMES ? `, ${segment}` : ""}{query ? `, query ${query}` : ""}
      </span>
    </div>
  );
}

/** "Calibration": the reliability diagram with ECE / D-ECE, overall or of the class chosen. */
function CalibrationPanel({ ctx }: { ctx: ViewContext }) {
  const { project, dataset, sets, conf, iou, segment, query } = ctx;
  const set = sets[0]!;
  const detection = project.task === "detection";
  const scope = { segment: segment === ALL_FRAMES ? undefined : segment, query: query ?? undefined };
  const label = ctx.metricClass ?? ALL_CLASSES;
  const calibrationKey = JSON.stringify(["calibration", project.name, dataset, set, scope, conf, detection ? iou : null]);
  const calibration = useApi(calibrationKey, (signal) =>
    api.calibration(project.name, dataset, set, { ...scope, conf, iou: detection ? iou : undefined }, { signal }),
  );
  const c = calibration.data;
  const classes = c?.classes.map((d) => d.label) ?? [];
  const diagram = c ? (label ? c.classes.find((d) => d.label === label) ?? null : c.overall) : null;
  return (
    <div className="insights-section">
      <InsightsScope ctx={ctx} classes={classes} />
      <section className="panel" aria-labelledby="calibration-title">
        <h2 id="calibration-title">Calibration</h2>
        <Loading active={calibration.loading} label="Computing calibration" />
        {calibration.error !== null && <ErrorPanel error={calibration.error} onRetry={calibration.reload} title="The calibration could not be loaded" />}
        {c && (
          <>
            <p className="muted" data-testid="calibration-at">
              {c.metric} at {describeConf(c.conf)}{c.iou !== null ? `, IoU ${c.iou}` : ""}
              {detection ? ": predictions kept at the confidence, right when matched at the IoU" : ": each frame's top-1 prediction"}
            </p>
            {diagram
              ? <ReliabilityDiagram diagram={diagram} metric={c.metric} />
              : <p className="empty-state">No prediction of {label} is counted here.</p>}
          </>
        )}
      </section>
    </div>
  );
}

/** "Error breakdown": TIDE's bars, and the objects of the bar chosen. */
function ErrorBreakdownPanel({ ctx }: { ctx: ViewContext }) {
  const { project, dataset, sets, segment, query } = ctx;
  const set = sets[0]!;
  const detection = project.task === "detection";
  const scope = { segment: segment === ALL_FRAMES ? undefined : segment, query: query ?? undefined };
  // The class and the bar listed live in the URL (class=, tide=), so a link restores them.
  const label = ctx.metricClass ?? ALL_CLASSES;
  const bar = ctx.tide ?? null;
  const [fgIou, setFgIou] = useState(TIDE_FG_IOU);
  const [bgIou, setBgIou] = useState(TIDE_BG_IOU);
  const [sort, setSort] = useState<ExampleSort>("confidence-disagreement");
  const sortsByMetric = useMetricSorts(project.name, dataset, set);
  const [page, setPage] = useState(0);
  const [open, setOpen] = useState<ExampleOut | null>(null);

  const tideKey = detection ? JSON.stringify(["tide", project.name, dataset, set, scope, fgIou, bgIou]) : null;
  const tide = useApi(tideKey, (signal) => api.tide(project.name, dataset, set, { ...scope, fgIou, bgIou }, { signal }));
  // A bar's objects: TIDE keeps every score (the server's conf defaults to 0 with tide=).
  const examplesKey = detection && bar ? JSON.stringify(["tide-examples", project.name, dataset, set, scope, fgIou, bar, label, sort, page]) : null;
  const examples = useApi(examplesKey, (signal) =>
    api.examples(project.name, dataset, set, {
      ...scope, iou: fgIou, tide: bar!, label: label || undefined, ...serverSort(sort), offset: page * TIDE_PAGE_SIZE, limit: TIDE_PAGE_SIZE,
    }, { signal }),
  );

  // The page's frames' recorded sizes, so the grid loads thumbnails (as on Metrics).
  const pageIds = examples.data ? [...new Set(examples.data.examples.map((e) => e.frame_id))] : [];
  const rowsKey = pageIds.length > 0 ? JSON.stringify(["rows", project.name, dataset, pageIds]) : null;
  const rows = useApi(rowsKey, (signal) =>
    api.frames(project.name, dataset, { query: frameIdsQuery(pageIds), limit: Math.min(1000, pageIds.length) }, { signal }),
  );
  const rowsReady = rowsKey === null || rows.dataKey === rowsKey || rows.error !== null;

  const t = tide.data;
  const classes = t?.per_class.map((p) => p.label) ?? [];
  const tideShown = t ? (label ? t.per_class.find((p) => p.label === label) ?? null : t) : null;
  const pageExamples = examples.data?.examples ?? [];
  const openIndex = open === null ? -1 : pageExamples.indexOf(open);
  const barTitle = bar ? `${bar} errors${label ? ` of ${label}` : ""}: ${TIDE_TYPES.find((x) => x.value === bar)!.definition}` : "";
  // The frame drawn as TIDE sees it: every score, matched at its foreground IoU.
  const tideCtx = { ...ctx, conf: 0, iou: fgIou };

  const chooseBar = (next: TideType | null) => {
    ctx.update({ tide: next });
    setPage(0);
    setOpen(null);
  };
  return (
    <div className="insights-section">
      <InsightsScope ctx={ctx} classes={classes} onClass={() => { setPage(0); setOpen(null); }}>
        {detection && (
          <>
            <label title="TIDE's foreground IoU: a prediction at or above it localizes its ground truth">
              Foreground IoU{" "}
              <input type="number" min={0} max={1} step={0.05} defaultValue={fgIou} aria-label="Foreground IoU"
                onChange={(e) => { const v = iouInput(e.target.value, fgIou); if (v >= bgIou) { setFgIou(v); setPage(0); } }} />
            </label>
            <label title="TIDE's background IoU: a prediction at or below it with every ground truth is on background">
              Background IoU{" "}
              <input type="number" min={0} max={1} step={0.05} defaultValue={bgIou} aria-label="Background IoU"
                onChange={(e) => { const v = iouInput(e.target.value, bgIou); if (v <= fgIou) { setBgIou(v); setPage(0); } }} />
            </label>
          </>
        )}
      </InsightsScope>

      <section className="panel" aria-labelledby="tide-title">
        <h2 id="tide-title">Error breakdown (TIDE)</h2>
        {!detection && (
          <p className="empty-state" data-testid="tide-detection-only">
            TIDE's error breakdown is for detection: it sorts wrong boxes into classification, localization, duplicate,
            background and missed errors. This project classifies frames: see its Calibration.
          </p>
        )}
        <Loading active={tide.loading} label="Computing TIDE" />
        {tide.error !== null && <ErrorPanel error={tide.error} onRetry={tide.reload} title="The TIDE breakdown could not be loaded" />}
        {t && (
          <>
            <p className="muted" data-testid="tide-settings">
              Foreground IoU {t.settings.fg_iou}, background IoU {t.settings.bg_iou}, {t.settings.max_dets} detections per image, every score
            </p>
            {tideShown
              ? <TideBars tide={tideShown} scope={label || "all classes"} selected={bar} onSelect={chooseBar} />
              : <p className="empty-state">{label} has no TIDE errors or AP here.</p>}
          </>
        )}
      </section>

      {bar && (
        <section className="wide" aria-label="TIDE examples">
          <Loading active={examples.loading} label="Loading examples" />
          {examples.error !== null && <ErrorPanel error={examples.error} onRetry={examples.reload} title="Examples could not be loaded" />}
          {examples.data && rowsReady && (
            <ExampleGrid examples={examples.data.examples.map((e) => exampleOf(project.name, dataset, e, rows.data?.frames.find((f) => f.frame_id === e.frame_id)))}
              sort={sort} onSortChange={(s) => { setSort(s); setPage(0); }} metricSorts={sortsByMetric}
              page={page} pageSize={TIDE_PAGE_SIZE} total={examples.data.total} onPageChange={setPage}
              onOpen={(ex) => setOpen(pageExamples.find((e) => e.frame_id === ex.frame.frame_id && e.kind === ex.object.kind && e.id === ex.object.id) ?? null)}
              classColors={classColors(project)} title={barTitle} task="detection" />
          )}
        </section>
      )}
      <ExampleModal opened={open !== null} title={barTitle} position={openIndex < 0 ? null : openIndex} count={pageExamples.length}
        onPrevious={() => setOpen(pageExamples[openIndex - 1] ?? open)} onNext={() => setOpen(pageExamples[openIndex + 1] ?? open)}
        onClose={() => setOpen(null)}>
        {(width) => open !== null && (
          <FramePanel ctx={tideCtx} frameId={open.frame_id} inferenceSet={set} opened={open} known={pageExamples}
            onClose={() => setOpen(null)} width={width} />
        )}
      </ExampleModal>
    </div>
  );
}
