/**
 * Compare's significance (docs/calibration.md): each precision, recall, F1 and AP delta
 * (other − base) per class, macro and micro (AP has no micro), with its paired-bootstrap interval, marked
 * significant when the interval excludes zero. The resamples, seed, level and frames
 * resampled are shown with it, so the numbers can be reproduced.
 */
import type { DeltaIntervalOut, SignificanceOut } from "../api/types";
import { formatCount, formatSignedScore } from "../lib/format";
import "../controls.css";
import "./insights.css";

const METRICS: ReadonlyArray<DeltaIntervalOut["metric"]> = ["precision", "recall", "f1-score", "ap"];
const METRIC_TITLES: Record<DeltaIntervalOut["metric"], string> = { precision: "Precision", recall: "Recall", "f1-score": "F1", ap: "AP" };
/** What each column's delta is of: the operating point's counts, or AP over every prediction. */
const METRIC_DEFINITIONS: Record<DeltaIntervalOut["metric"], string> = {
  precision: "precision at each set's confidence and IoU thresholds",
  recall: "recall at each set's confidence and IoU thresholds",
  "f1-score": "F1 at each set's confidence and IoU thresholds",
  ap: "AP at each set's IoU over every prediction (no confidence cut); macro avg is the mean AP over the classes with ground truth",
};

/** "+0.050 [+0.010, +0.090]": a delta and its interval as the table prints them. */
export function intervalText(i: Pick<DeltaIntervalOut, "delta" | "low" | "high">): string {
  return `${formatSignedScore(i.delta)} [${formatSignedScore(i.low)}, ${formatSignedScore(i.high)}]`;
}

/** The table's rows: the classes in the answer's order, then macro and micro averages. */
export function significanceRows(s: Pick<SignificanceOut, "labels" | "intervals">): string[] {
  const scopes = [...s.labels, "macro avg", "micro avg"];
  return scopes.filter((scope) => s.intervals.some((i) => i.scope === scope));
}

export function SignificanceTable({ significance }: { significance: SignificanceOut }) {
  const s = significance;
  const of = (scope: string, metric: DeltaIntervalOut["metric"]) => s.intervals.find((i) => i.scope === scope && i.metric === metric);
  const percent = Math.round(s.level * 100);
  return (
    <section className="panel significance" aria-labelledby="significance-title">
      <h3 id="significance-title">Significance of the changes: {s.other} − {s.base}</h3>
      <p className="muted" data-testid="bootstrap-settings">
        Paired bootstrap over {formatCount(s.frame_count)} frames: {formatCount(s.resamples)} resamples, seed {s.seed}, {percent}% percentile intervals
      </p>
      <table className="report-table" aria-label={`Significance: ${s.other} against ${s.base}`}>
        <thead>
          <tr>
            <th scope="col">Class</th>
            {METRICS.map((m) => <th key={m} scope="col" className="num"><abbr title={`${METRIC_TITLES[m]} of ${s.other} − ${METRIC_TITLES[m]} of ${s.base} (${METRIC_DEFINITIONS[m]}), with its ${percent}% interval`}>Δ {METRIC_TITLES[m]} [low, high]</abbr></th>)}
          </tr>
        </thead>
        <tbody>
          {significanceRows(s).map((scope) => (
            <tr key={scope}>
              <th scope="row">{scope}</th>
              {METRICS.map((m) => {
                const i = of(scope, m);
                if (!i) return <td key={m} className="num">-</td>;
                return (
                  <td key={m} className={`num verdict-${i.direction}`} data-significant={i.significant} data-direction={i.direction}
                    title={`${s.base} ${i.base.toFixed(3)} → ${s.other} ${i.other.toFixed(3)}`}>
                    {intervalText(i)}{i.significant && <span className="significant-mark" aria-label="significant"> *</span>}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="verdict-legend" aria-label="Significance legend">
        <span><span className="swatch verdict-better" aria-hidden="true" />significantly better</span>
        <span><span className="swatch verdict-worse" aria-hidden="true" />significantly worse</span>
        <span><span className="swatch verdict-same" aria-hidden="true" />not significant</span>
        <span className="muted">
          * significant: the {percent}% interval excludes zero. Each resample draws the frames with replacement, the same
          draw for both sets, and scores both from their per-frame counts; the interval is the resampled deltas' {(100 - percent) / 2}th
          to {100 - (100 - percent) / 2}th percentiles.
        </span>
      </p>
    </section>
  );
}
