/**
 * Insights "By metric" (docs/insights.md, Performance by metric): every metric the
 * inference set can be analysed by, ranked by importance with its correlation's sign
 * (`/metric-importance`); the metric chosen (the most important one at first) as
 * precision and false-negative rate per quantile bin with the overall lines, and its
 * distribution (`/metric-performance`, of the class chosen alone when one is); a bin
 * lists its objects (`/examples?metric=&min=&max=`, its exact value range) and saves
 * their frames as a segment (`POST .../examples/segment`, the same question). Every
 * number is the server's; this view only draws it.
 */
import { useState } from "react";
import { api } from "../api/client";
import type { ExampleOut } from "../api/types";
import { ExampleGrid } from "../components/ExampleGrid";
import { useMetricSorts } from "../hooks/useMetricSorts";
import { MetricHistogram, MetricPerformanceChart } from "../components/MetricPerformanceChart";
import { MetricRanking } from "../components/MetricRanking";
import { QualityProgress } from "../components/QualityProgress";
import { describeConf, ErrorPanel, Loading } from "../components/Status";
import { useApi } from "../hooks/useApi";
import type { ExampleSort } from "../lib/examples";
import { formatScore } from "../lib/format";
import { binQuery, binRange, METRIC_DEFINITIONS } from "../lib/metricPerformance";
import { exampleOf, frameIdsQuery, serverSort } from "./adapters";
import { ALL_FRAMES, classColors, type ViewContext } from "./context";
import { ExampleModal } from "./ExampleModal";
import { FramePanel } from "./FramePanel";
import { SaveAsSegment } from "./SegmentEditor";
import "../components/metricPerformance.css";

export const METRIC_PAGE_SIZE = 12;
export const BIN_CHOICES = [5, 10, 20, 50] as const;
const ALL_CLASSES = "";

export function MetricPerformancePanel({ ctx }: { ctx: ViewContext }) {
  const { project, dataset, sets, conf, iou, segment, query } = ctx;
  const set = sets[0]!;
  const detection = project.task === "detection";
  const scope = { segment: segment === ALL_FRAMES ? undefined : segment, query: query ?? undefined };
  const point = { ...scope, conf, iou: detection ? iou : undefined };
  const label = ctx.metricClass ?? ALL_CLASSES;
  // The metric and the bin listed live in the URL (metric=, bin=), so a link restores them.
  const chosen = ctx.byMetric ?? null;
  const bin = ctx.metricBin ?? null;
  const [bins, setBins] = useState<number>(10);
  const [sort, setSort] = useState<ExampleSort>("confidence-disagreement");
  const sortsByMetric = useMetricSorts(project.name, dataset, set);
  const [page, setPage] = useState(0);
  const [open, setOpen] = useState<ExampleOut | null>(null);

  const rankingKey = JSON.stringify(["metric-importance", project.name, dataset, set, point]);
  const ranking = useApi(rankingKey, (signal) => api.metricImportance(project.name, dataset, set, point, { signal }));
  const metrics = ranking.data?.metrics ?? [];
  // The metric shown: the one clicked, else the most important.
  const metric = chosen ?? metrics[0]?.metric ?? null;
  const performanceKey = metric ? JSON.stringify(["metric-performance", project.name, dataset, set, point, metric, bins, label]) : null;
  const performance = useApi(performanceKey, (signal) =>
    api.metricPerformance(project.name, dataset, set, { ...point, metric: metric!, bins, label: label || undefined }, { signal }),
  );
  const answer = performance.dataKey === performanceKey ? performance.data : null;
  const shownBin = answer && bin !== null ? answer.bins[bin] ?? null : null;
  const range = metric && shownBin ? binQuery(metric, shownBin) : null;
  const examplesKey = range ? JSON.stringify(["metric-examples", project.name, dataset, set, point, range, label, sort, page]) : null;
  const examples = useApi(examplesKey, (signal) =>
    api.examples(project.name, dataset, set, {
      ...point, ...range!, label: label || undefined, ...serverSort(sort), offset: page * METRIC_PAGE_SIZE, limit: METRIC_PAGE_SIZE,
    }, { signal }),
  );
  const pageIds = examples.data ? [...new Set(examples.data.examples.map((e) => e.frame_id))] : [];
  const rowsKey = pageIds.length > 0 ? JSON.stringify(["rows", project.name, dataset, pageIds]) : null;
  const rows = useApi(rowsKey, (signal) =>
    api.frames(project.name, dataset, { query: frameIdsQuery(pageIds), limit: Math.min(1000, pageIds.length) }, { signal }),
  );
  const rowsReady = rowsKey === null || rows.dataKey === rowsKey || rows.error !== null;
  const pageExamples = examples.data?.examples ?? [];
  const openIndex = open === null ? -1 : pageExamples.indexOf(open);
  const binTitle = metric && shownBin ? `${metric} in ${binRange(shownBin)}${label ? `, ${label}` : ""}` : "";

  const resetExamples = () => { setPage(0); setOpen(null); };
  const chooseMetric = (next: string) => { ctx.update({ byMetric: next, metricBin: null }); resetExamples(); };
  // The bin belongs to the metric shown: the URL names both.
  const chooseBin = (next: number | null) => { ctx.update({ byMetric: metric, metricBin: next }); resetExamples(); };
  const saveBin = (body: { name: string; type: "split" | "regression_test" | "scenario" }) =>
    api.segmentFromExamples(project.name, dataset, set, { ...point, ...range!, label: label || undefined }, body);

  return (
    <div className="metric-panel">
      {/* Quality metrics being computed (or not yet): the ranking follows when they land. */}
      <QualityProgress project={project.name} dataset={dataset} onComputed={() => { ranking.reload(); performance.reload(); }} />
      <div className="insights-controls metric-controls panel wide" role="group" aria-label="By metric controls">
        <label>
          Class
          <select aria-label="Class" value={label} onChange={(e) => { ctx.update({ metricClass: e.target.value || null, metricBin: null }); resetExamples(); }}>
            <option value={ALL_CLASSES}>All classes</option>
            {project.classes.map((c) => <option key={c.name} value={c.name}>{c.name}</option>)}
          </select>
        </label>
        <label title={METRIC_DEFINITIONS.bins}>
          Bins
          <select aria-label="Bins" value={bins} onChange={(e) => { setBins(Number(e.target.value)); ctx.update({ metricBin: null }); resetExamples(); }}>
            {BIN_CHOICES.map((b) => <option key={b} value={b}>{b}</option>)}
          </select>
        </label>
        <span className="muted">
          {set}{segment !== ALL_FRAMES ? `, ${segment}` : ""}{query ? `, query ${query}` : ""}
          {ranking.data ? `, at ${describeConf(ranking.data.conf)}${ranking.data.iou !== null ? `, IoU ${ranking.data.iou}` : ""}` : ""}
        </span>
      </div>

      <section className="panel" aria-labelledby="metric-ranking-title">
        <h2 id="metric-ranking-title">Which metric hurts</h2>
        <Loading active={ranking.loading} label="Ranking the metrics" />
        {ranking.error !== null && <ErrorPanel error={ranking.error} onRetry={ranking.reload} title="The metrics could not be ranked" />}
        {ranking.data && (metrics.length > 0
          ? <MetricRanking metrics={metrics} selected={metric} onSelect={chooseMetric} />
          : <p className="empty-state">This inference set has no metric to analyse.</p>)}
      </section>

      <section className="panel" aria-labelledby="metric-performance-title">
        <h2 id="metric-performance-title">Performance by {metric ?? "metric"}</h2>
        <Loading active={performance.loading} label="Computing performance by metric" />
        {performance.error !== null && <ErrorPanel error={performance.error} onRetry={performance.reload} title="The performance by metric could not be loaded" />}
        {answer && (
          <>
            <p className="muted" data-testid="metric-importance-line" title={METRIC_DEFINITIONS.importance}>
              Importance {formatScore(answer.importance.importance)}, Pearson {formatScore(answer.importance.pearson === null ? null : Math.abs(answer.importance.pearson))}
              {answer.importance.pearson !== null && answer.importance.pearson < 0 ? " (negative)" : ""}, Spearman{" "}
              {formatScore(answer.importance.spearman === null ? null : Math.abs(answer.importance.spearman))}
              {answer.importance.spearman !== null && answer.importance.spearman < 0 ? " (negative)" : ""} over {answer.importance.n} objects
            </p>
            {answer.bins.length > 0
              ? <MetricPerformanceChart answer={answer} selectedBin={bin} onSelectBin={chooseBin} />
              : <p className="empty-state">No object has a value of {answer.metric} here.</p>}
            {answer.bins.length > 0 && <MetricHistogram answer={answer} />}
          </>
        )}
      </section>

      {shownBin && (
        <section className="wide" aria-label="Bin examples">
          <SaveAsSegment ctx={ctx} what={binTitle} save={saveBin} />
          <Loading active={examples.loading} label="Loading examples" />
          {examples.error !== null && <ErrorPanel error={examples.error} onRetry={examples.reload} title="Examples could not be loaded" />}
          {examples.data && rowsReady && (
            <ExampleGrid examples={examples.data.examples.map((e) => exampleOf(project.name, dataset, e, rows.data?.frames.find((f) => f.frame_id === e.frame_id)))}
              sort={sort} onSortChange={(s) => { setSort(s); setPage(0); }} metricSorts={sortsByMetric}
              page={page} pageSize={METRIC_PAGE_SIZE} total={examples.data.total} onPageChange={setPage}
              onOpen={(ex) => setOpen(pageExamples.find((e) => e.frame_id === ex.frame.frame_id && e.kind === ex.object.kind && e.id === ex.object.id) ?? null)}
              classColors={classColors(project)} title={`Objects with ${binTitle}`} task={detection ? "detection" : "classification"} />
          )}
        </section>
      )}
      <ExampleModal opened={open !== null} title={binTitle} position={openIndex < 0 ? null : openIndex} count={pageExamples.length}
        onPrevious={() => setOpen(pageExamples[openIndex - 1] ?? open)} onNext={() => setOpen(pageExamples[openIndex + 1] ?? open)}
        onClose={() => setOpen(null)}>
        {(width) => open !== null && (
          <FramePanel ctx={ctx} frameId={open.frame_id} inferenceSet={set} opened={open} known={pageExamples}
            onClose={() => setOpen(null)} width={width} />
        )}
      </ExampleModal>
    </div>
  );
}
