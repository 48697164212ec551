import { lazy, Suspense, useMemo, useState } from "react";
import { api } from "../api/client";
import { ClassChanges } from "../components/ClassChanges";
import { ConfusionMatrix } from "../components/ConfusionMatrix";
import { AnsweredAt, describeConf, ErrorPanel, Loading } from "../components/Status";
import { ThresholdLink } from "../components/ThresholdLink";
import { useApi, useKeyWhenReady } from "../hooks/useApi";
import { otherPointOf } from "../lib/controls";
import { pooledCurve } from "../lib/pr";
import { CompareExamples } from "./CompareExamples";
import { CompareSignificance } from "./CompareSignificance";
import { ALL_FRAMES, type ViewContext } from "./context";
import { ThresholdPanel } from "./ThresholdPanel";

// Recharts loads beside the first numbers, as on Metrics.
const CompareCurves = lazy(() => import("../components/CompareCurves"));
/** Points per overlaid PR curve asked of the server. */
const COMPARE_CURVE_POINTS = 400;
const NO_GRID: readonly number[] = [];

/** The second inference set against the first: summary, delta matrix, per-class deltas. */
export function CompareView({ ctx }: { ctx: ViewContext }) {
  const { project, dataset, sets, conf, iou, segment, query } = ctx;
  const [base, other] = sets;
  const detection = project.task === "detection";
  // The second set's own thresholds when unlinked (ThresholdLink), the query bar's query.
  const otherPoint = otherPointOf(sets, ctx.other, detection);
  const point = { conf, iou: detection ? iou : undefined, segment: segment === ALL_FRAMES ? undefined : segment, query: query ?? undefined, ...otherPoint };
  const key = other ? JSON.stringify(["compare", project.name, dataset, base, other, point]) : null;
  const comparison = useApi(key, (signal) => api.compare(project.name, dataset, base!, other!, point, { signal }));
  const c = comparison.data;
  // Both sets' PR curves (each at its own IoU), overlaid, once asked for and the numbers are in
  // (every class's curve at a new IoU is the slowest answer; a slider move does not wait for it).
  const [showCurves, setShowCurves] = useState(false);
  const numbersIn = comparison.dataKey === key || comparison.error !== null;
  const curvesKey = useKeyWhenReady(numbersIn, other && showCurves ? JSON.stringify(["compare-curves", project.name, dataset, base, other, point.iou, point.segment, point.query, otherPoint.otherIou]) : null);
  const curves = useApi(curvesKey, (signal) =>
    api.metrics(project.name, dataset, {
      inferenceSets: [base!, other!], iou: point.iou, otherIou: otherPoint.otherIou, segment: point.segment, query: point.query,
      include: ["pr_curves"], curvePoints: detection ? COMPARE_CURVE_POINTS : undefined,
    }, { signal }),
  );
  const curveOf = (set: string | undefined) => {
    const all = curves.data?.results.find((r) => r.inference_set === set)?.pr_curves;
    return all ? (pooledCurve(Object.values(all)) ?? Object.values(all)[0] ?? null) : null;
  };
  const baseCurve = curveOf(base);
  const otherCurve = curveOf(other);
  const otherGrid = curves.data?.results[1]?.iou_thresholds ?? NO_GRID;
  // One object per answer: the matrix is memoized and skips renders that bring no new cells.
  const comparisonCells = useMemo(
    () => (c ? { labels: c.confusion_matrix.labels, cells: c.cells } : null),
    [c],
  );
  if (!other) return <p className="empty-state">Choose a second inference set above to compare it with {base}.</p>;
  return (
    <div className="compare-view">
      <aside>
        <ThresholdLink sets={sets} conf={ctx.thresholds.conf} iou={ctx.thresholds.iou} other={ctx.other ?? null}
          defaults={{ conf: project.default_conf, iou: project.default_iou }} iouGrid={otherGrid} hideIou={!detection} update={ctx.update}>
          <ThresholdPanel ctx={ctx} />
        </ThresholdLink>
      </aside>
      <div className="compare-main">
      <Loading active={comparison.loading} label="Comparing" />
      {comparison.error !== null && <ErrorPanel error={comparison.error} onRetry={comparison.reload} title="The comparison could not be loaded" />}
      {c && comparisonCells && (
        <>
          <h2>{c.other} against {c.base}{c.segment !== ALL_FRAMES ? ` (${c.segment})` : ""}</h2>
          <AnsweredAt conf={c.conf} iou={c.iou} pending={comparison.dataKey !== key && comparison.error === null} />
          {ctx.other && (
            <p className="answered-at" data-testid="other-answered-at">{c.other} at {describeConf(c.other_conf)}{c.other_iou !== null ? `, IoU ${c.other_iou}` : ""} (its own thresholds)</p>
          )}
          <ul aria-label="Summary">{c.summary.map((s) => <li key={s}>{s}</li>)}</ul>
          <div className="row">
            <ConfusionMatrix comparison={comparisonCells} caption={`Change in confusions: ${c.other} − ${c.base}`} />
            <ClassChanges comparison={c} iou={detection ? c.iou ?? null : null} />
            <button type="button" aria-expanded={showCurves} onClick={() => setShowCurves(!showCurves)}>
              {showCurves ? "Hide the PR curves" : "Overlay both PR curves"}
            </button>
            {showCurves && baseCurve && otherCurve && (
              <Suspense fallback={<div className="pr-curve-loading" aria-busy="true">Loading the PR curves…</div>}>
                <CompareCurves base={{ name: c.base, curve: baseCurve }} other={{ name: c.other, curve: otherCurve }} />
              </Suspense>
            )}
          </div>
          <CompareSignificance project={project.name} dataset={dataset} base={c.base} other={c.other} point={point} />
          <CompareExamples ctx={ctx} base={c.base} other={c.other} otherPoint={otherPoint} />
        </>
      )}
      </div>
    </div>
  );
}
