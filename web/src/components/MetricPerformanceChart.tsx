/**
 * One metric's performance (docs/insights.md): precision (over the predictions) and
 * false-negative rate (over the labels) per quantile bin as two lines, with the overall
 * values as dashed reference lines and the objects per bin below; a table of the same
 * numbers whose rows (and the chart's columns) pick a bin; and the metric's
 * distribution, stacked true/false positive predictions and missed labels per
 * equal-width bin, for every object or one split. Every number is the server's.
 */
import { useState } from "react";
import type { MetricPerformanceOut } from "../api/types";
import { formatCount, formatScore } from "../lib/format";
import { binRange, formatValue, histogramBars, METRIC_DEFINITIONS } from "../lib/metricPerformance";
import "./metricPerformance.css";

const WIDTH = 560;
const PLOT = 170;
const COUNTS = 44;
const LEFT = 38;
const RIGHT = 10;
const TOP = 10;

export interface MetricPerformanceChartProps {
  answer: MetricPerformanceOut;
  selectedBin: number | null;
  onSelectBin: (bin: number | null) => void;
}

export function MetricPerformanceChart({ answer, selectedBin, onSelectBin }: MetricPerformanceChartProps) {
  const { bins, overall, metric } = answer;
  const scope = answer.label ?? "all classes";
  const n = Math.max(1, bins.length);
  const band = (WIDTH - LEFT - RIGHT) / n;
  const x = (i: number) => LEFT + (i + 0.5) * band;
  const y = (v: number) => TOP + (1 - v) * PLOT;
  const countTop = TOP + PLOT + 26;
  const tallest = Math.max(1, ...bins.map((b) => b.predictions + b.labels));
  const line = (key: "precision" | "fnr") =>
    bins.map((b, i) => (b[key] === null ? null : `${x(i)},${y(b[key]!)}`)).filter((p): p is string => p !== null).join(" ");
  const pick = (i: number) => onSelectBin(selectedBin === i ? null : i);
  return (
    <figure className="metric-performance" aria-label={`Performance by ${metric}: ${scope}`}>
      <figcaption>
        Precision and false-negative rate by <strong>{metric}</strong> ({scope}): {bins.length} quantile bins
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${countTop + COUNTS + 30}`} role="img" aria-label={`Precision and FNR per bin of ${metric}`}>
        <rect x={LEFT} y={TOP} width={WIDTH - LEFT - RIGHT} height={PLOT} className="plot-frame" />
        {[0, 0.25, 0.5, 0.75, 1].map((t) => (
          <g key={t}>
            <line x1={LEFT} x2={WIDTH - RIGHT} y1={y(t)} y2={y(t)} className="grid-line" />
            <text x={LEFT - 4} y={y(t) + 4} className="tick" textAnchor="end">{t}</text>
          </g>
        ))}
        {bins.map((b, i) => (
          <rect key={`c${i}`} className={`bin-column${selectedBin === i ? " selected" : ""}`} data-bin-column={i}
            x={LEFT + i * band} y={TOP} width={band} height={countTop + COUNTS - TOP} onClick={() => pick(i)}>
            <title>{`${binRange(b)}: precision ${formatScore(b.precision)} (${b.predictions} predictions), FNR ${formatScore(b.fnr)} (${b.labels} labels)`}</title>
          </rect>
        ))}
        {overall.precision !== null && (
          <line className="overall precision-line" data-overall="precision" x1={LEFT} x2={WIDTH - RIGHT} y1={y(overall.precision)} y2={y(overall.precision)}>
            <title>{`overall precision ${formatScore(overall.precision)}`}</title>
          </line>
        )}
        {overall.fnr !== null && (
          <line className="overall fnr-line" data-overall="fnr" x1={LEFT} x2={WIDTH - RIGHT} y1={y(overall.fnr)} y2={y(overall.fnr)}>
            <title>{`overall FNR ${formatScore(overall.fnr)}`}</title>
          </line>
        )}
        <polyline className="rate precision-line" points={line("precision")} />
        <polyline className="rate fnr-line" points={line("fnr")} />
        {bins.map((b, i) => (
          <g key={`p${i}`}>
            {b.precision !== null && <circle className="point precision-point" data-precision-point={i} cx={x(i)} cy={y(b.precision)} r={3.5} />}
            {b.fnr !== null && <rect className="point fnr-point" data-fnr-point={i} x={x(i) - 3.5} y={y(b.fnr) - 3.5} width={7} height={7} />}
          </g>
        ))}
        {bins.map((b, i) => {
          const h = ((b.predictions + b.labels) / tallest) * COUNTS;
          return <rect key={`n${i}`} className="count-bar" x={LEFT + i * band + 2} y={countTop + COUNTS - h} width={Math.max(1, band - 4)} height={h} />;
        })}
        <text x={LEFT - 4} y={countTop + 9} className="tick" textAnchor="end">{formatCount(tallest)}</text>
        <text x={LEFT + (WIDTH - LEFT - RIGHT) / 2} y={countTop - 8} className="axis" textAnchor="middle">objects per bin</text>
        {bins.map((b, i) => (n <= 12 || i % Math.ceil(n / 12) === 0) && (
          <text key={`t${i}`} x={x(i)} y={countTop + COUNTS + 14} className="tick" textAnchor="middle">{formatValue(b.low)}</text>
        ))}
        <text x={LEFT + (WIDTH - LEFT - RIGHT) / 2} y={countTop + COUNTS + 28} className="axis" textAnchor="middle">{metric} (bin's smallest value)</text>
      </svg>
      <ul className="metric-legend-row" aria-label="Chart legend">
        <li title={METRIC_DEFINITIONS.precision}><span className="swatch precision-swatch" aria-hidden="true" />Precision</li>
        <li title={METRIC_DEFINITIONS.fnr}><span className="swatch fnr-swatch" aria-hidden="true" />False-negative rate</li>
        <li title={METRIC_DEFINITIONS.overall}><span className="swatch overall-swatch" aria-hidden="true" />Overall ({formatScore(overall.precision)} / {formatScore(overall.fnr)})</li>
      </ul>
      <table className="metric-bins" aria-label={`Bins of ${metric}`}>
        <thead>
          <tr>
            <th scope="col" title={METRIC_DEFINITIONS.bins}>Bin ({metric})</th>
            <th scope="col" className="num">Predictions</th>
            <th scope="col" className="num" title={METRIC_DEFINITIONS.precision}>Precision</th>
            <th scope="col" className="num">Labels</th>
            <th scope="col" className="num" title={METRIC_DEFINITIONS.fnr}>FNR</th>
          </tr>
        </thead>
        <tbody>
          {bins.map((b, i) => (
            <tr key={i} data-bin={i} aria-selected={selectedBin === i} className={selectedBin === i ? "selected" : undefined}>
              <th scope="row">
                <button type="button" className="link" aria-pressed={selectedBin === i} onClick={() => pick(i)}
                  title="list this bin's objects">{binRange(b)}</button>
              </th>
              <td className="num" data-col="predictions">{formatCount(b.predictions)}</td>
              <td className="num" data-col="precision">{formatScore(b.precision)}</td>
              <td className="num" data-col="labels">{formatCount(b.labels)}</td>
              <td className="num" data-col="fnr">{formatScore(b.fnr)}</td>
            </tr>
          ))}
          <tr className="overall-row" data-bin="overall">
            <th scope="row">overall</th>
            <td className="num" data-col="predictions">{formatCount(overall.predictions)}</td>
            <td className="num" data-col="precision">{formatScore(overall.precision)}</td>
            <td className="num" data-col="labels">{formatCount(overall.labels)}</td>
            <td className="num" data-col="fnr">{formatScore(overall.fnr)}</td>
          </tr>
        </tbody>
      </table>
      {(answer.missing.predictions > 0 || answer.missing.labels > 0) && (
        <p className="muted" data-testid="metric-missing">
          Without a value (left out of the bins, counted overall): {formatCount(answer.missing.predictions)} predictions,{" "}
          {formatCount(answer.missing.labels)} labels.
        </p>
      )}
    </figure>
  );
}

/** The metric's distribution: stacked TP / FP predictions and missed labels per equal-width bin. */
export function MetricHistogram({ answer }: { answer: MetricPerformanceOut }) {
  const { histogram, metric } = answer;
  const [group, setGroup] = useState("all");
  const chosen = histogram.groups.find((g) => g.name === group) ?? histogram.groups[0]!;
  const { bars, tallest } = histogramBars(histogram, chosen);
  const n = Math.max(1, bars.length);
  const height = 120;
  const band = (WIDTH - LEFT - RIGHT) / n;
  const h = (v: number) => (v / tallest) * height;
  return (
    <figure className="metric-histogram" aria-label={`Distribution of ${metric}`}>
      <figcaption title={METRIC_DEFINITIONS.histogram}>
        Distribution of <strong>{metric}</strong>
        {histogram.groups.length > 1 && (
          <label>
            {" "}in{" "}
            <select aria-label="Distribution of" value={chosen.name} onChange={(e) => setGroup(e.target.value)}>
              {histogram.groups.map((g) => <option key={g.name} value={g.name}>{g.name === "all" ? "every frame" : g.name}</option>)}
            </select>
          </label>
        )}
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${height + 40}`} role="img" aria-label={`Objects per value of ${metric}`}>
        {bars.map((b, i) => {
          const base = TOP + height;
          const tp = h(b.tp);
          const fp = h(b.fp);
          const fn = h(b.fn);
          return (
            <g key={i} data-histogram-bin={i}>
              <title>{`${formatValue(b.low)} to ${formatValue(b.high)}: ${b.tp} TP, ${b.fp} FP, ${b.fn} FN`}</title>
              <rect className="hist-tp" x={LEFT + i * band + 1} y={base - tp} width={Math.max(1, band - 2)} height={tp} />
              <rect className="hist-fp" x={LEFT + i * band + 1} y={base - tp - fp} width={Math.max(1, band - 2)} height={fp} />
              <rect className="hist-fn" x={LEFT + i * band + 1} y={base - tp - fp - fn} width={Math.max(1, band - 2)} height={fn} />
            </g>
          );
        })}
        <line x1={LEFT} x2={WIDTH - RIGHT} y1={TOP + height} y2={TOP + height} className="grid-line" />
        <text x={LEFT - 4} y={TOP + 8} className="tick" textAnchor="end">{formatCount(tallest)}</text>
        <text x={LEFT} y={TOP + height + 14} className="tick" textAnchor="start">{formatValue(histogram.edges[0] ?? 0)}</text>
        <text x={WIDTH - RIGHT} y={TOP + height + 14} className="tick" textAnchor="end">{formatValue(histogram.edges[histogram.edges.length - 1] ?? 0)}</text>
        <text x={LEFT + (WIDTH - LEFT - RIGHT) / 2} y={TOP + height + 28} className="axis" textAnchor="middle">{metric}</text>
      </svg>
      <ul className="metric-legend-row" aria-label="Distribution legend">
        <li><span className="swatch hist-tp-swatch" aria-hidden="true" />True positives</li>
        <li><span className="swatch hist-fp-swatch" aria-hidden="true" />False positives</li>
        <li><span className="swatch hist-fn-swatch" aria-hidden="true" />Missed labels (FN)</li>
      </ul>
    </figure>
  );
}
