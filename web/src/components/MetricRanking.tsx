/**
 * Every metric an inference set can be analysed by, most important first (the server's
 * order): an importance bar in [0, 1], the sign and value of its Spearman correlation
 * with being right, and the sample size; a metric the sample guard leaves null says why.
 * Clicking a metric shows its performance. Definitions in tooltips and the legend.
 */
import type { MetricImportanceOut } from "../api/types";
import { formatCount, formatScore } from "../lib/format";
import { correlationSign, importanceShare, METRIC_DEFINITIONS, NULL_REASONS } from "../lib/metricPerformance";
import "./metricPerformance.css";

export interface MetricRankingProps {
  metrics: readonly MetricImportanceOut[];
  selected: string | null;
  onSelect: (metric: string) => void;
}

/** A metric's tooltip: where its values come from, what it measures, and why it has no importance (if so). */
export function metricTitle(m: MetricImportanceOut, why: string | null): string {
  const measures = m.description ? `: ${m.description}` : "";
  return `${m.metric} (${m.level}, ${m.source})${measures}. ${why ? `No importance: ${why}` : `Importance: ${METRIC_DEFINITIONS.importance}`}`;
}

export function MetricRanking({ metrics, selected, onSelect }: MetricRankingProps) {
  return (
    <figure className="metric-ranking" aria-label="Metrics by importance">
      <figcaption>Metrics by importance: what tells most whether the model is right</figcaption>
      <div className="metric-row metric-head muted" aria-hidden="true">
        <span>Metric</span>
        <span title={METRIC_DEFINITIONS.importance}>Importance</span>
        <span className="metric-number" title={METRIC_DEFINITIONS.importance}>value</span>
        <span className="metric-number" title={METRIC_DEFINITIONS.correlation}>Spearman</span>
      </div>
      <ul>
        {metrics.map((m) => {
          const sign = correlationSign(m.spearman);
          const why = m.reason ? NULL_REASONS[m.reason] : null;
          const summary = why
            ? `${m.metric}: no importance (${why})`
            : `${m.metric}: importance ${formatScore(m.importance)}, Spearman ${formatScore(m.spearman === null ? null : Math.abs(m.spearman))} ${sign === "−" ? "negative" : "positive"}, ${m.n} objects`;
          return (
            <li key={m.metric}>
              <button type="button" className="metric-row" data-metric={m.metric} aria-pressed={selected === m.metric}
                aria-label={summary} title={metricTitle(m, why)}
                onClick={() => onSelect(m.metric)}>
                <span className="metric-name">
                  {m.metric} <span className="muted metric-origin">{m.level} · {m.source}</span>
                </span>
                <span className="metric-track"><span className="metric-fill" style={{ width: `${importanceShare(m.importance) * 100}%` }} /></span>
                <span className="metric-number" data-importance={m.metric}>{why ? "–" : formatScore(m.importance)}</span>
                <span className={`metric-number metric-sign${sign === "−" ? " negative" : sign === "+" ? " positive" : ""}`} data-spearman={m.metric}>
                  {why ? "–" : `${sign}${formatScore(m.spearman === null ? null : Math.abs(m.spearman), 2)}`}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      <dl className="metric-legend" aria-label="Importance legend">
        <div><dt>Importance</dt><dd>{METRIC_DEFINITIONS.importance}</dd></div>
        <div><dt>Spearman</dt><dd>{METRIC_DEFINITIONS.correlation}</dd></div>
        <div><dt>–</dt><dd>no value: {Object.values(NULL_REASONS).join("; or ")}</dd></div>
      </dl>
      <p className="muted metric-count">{formatCount(metrics.length)} metrics</p>
    </figure>
  );
}
