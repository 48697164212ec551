import type { SegmentSummaryOut } from "../api/types";
import { classColor } from "../lib/color";
import { formatThreshold } from "../lib/format";

/** The three thresholded metrics, in the order the segment cards list them. */
export const DOT_METRICS = [
  { key: "precision", title: "Precision" },
  { key: "recall", title: "Recall" },
  { key: "f1_score", title: "F1" },
] as const;

export interface MetricDots {
  key: (typeof DOT_METRICS)[number]["key"];
  title: string;
  /** The segment's threshold for this metric (null: none set). */
  threshold: number | null;
  dots: Array<{ set: string; score: number; color: string }>;
}

/**
 * One row per metric with a dot per inference set, read straight from the server's
 * summary of one segment (no score is recomputed here): each set keeps its color in
 * every row, by its place in the summary's order.
 */
export function metricDots(segment: SegmentSummaryOut): MetricDots[] {
  return DOT_METRICS.map(({ key, title }) => ({
    key,
    title,
    threshold: segment.thresholds[key] ?? null,
    dots: segment.results.map((r, i) => ({ set: r.inference_set, score: r[key].score, color: classColor(i) })),
  }));
}

const WIDTH = 320;
const HEIGHT = 28;
const PAD = 10;
const x = (v: number) => PAD + Math.min(1, Math.max(0, v)) * (WIDTH - 2 * PAD);

/** "a dot plotted representing each inference set" per metric, with its threshold as a line. */
export function SegmentDots({ segment }: { segment: SegmentSummaryOut }) {
  const rows = metricDots(segment);
  return (
    <figure className="segment-dots" aria-label={`Metrics of ${segment.segment} per inference set`}>
      {/* Layout only: each row's image names its metric, dots and threshold. */}
      <table role="presentation">
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <th scope="row">{row.title}</th>
              <td>
                <svg role="img" width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
                  aria-label={`${row.title}: ${row.dots.map((d) => `${d.set} ${d.score.toFixed(3)}`).join(", ")}${row.threshold === null ? "" : `; threshold ${formatThreshold(row.threshold)}`}`}>
                  <line x1={x(0)} x2={x(1)} y1={HEIGHT / 2} y2={HEIGHT / 2} className="dots-axis" />
                  {[0, 0.5, 1].map((t) => <line key={t} x1={x(t)} x2={x(t)} y1={HEIGHT / 2 - 3} y2={HEIGHT / 2 + 3} className="dots-axis" />)}
                  {row.threshold !== null && (
                    <line data-testid={`threshold-${row.key}`} x1={x(row.threshold)} x2={x(row.threshold)} y1={2} y2={HEIGHT - 2} className="dots-threshold" />
                  )}
                  {row.dots.map((d) => (
                    <circle key={d.set} data-set={d.set} data-score={d.score} cx={x(d.score)} cy={HEIGHT / 2} r={5} fill={d.color} stroke="var(--panel, #fff)" strokeWidth={1}>
                      <title>{`${d.set}: ${row.title} ${d.score.toFixed(3)}`}</title>
                    </circle>
                  ))}
                </svg>
              </td>
              <td className="num dots-values">{row.dots.map((d) => d.score.toFixed(3)).join(" / ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <figcaption className="dots-legend" aria-label="Legend">
        {rows[0]!.dots.map((d) => (
          <span key={d.set} className="legend-item"><svg width={12} height={12} aria-hidden="true"><circle cx={6} cy={6} r={5} fill={d.color} /></svg> {d.set}</span>
        ))}
        <span className="legend-item"><svg width={14} height={12} aria-hidden="true"><line x1={7} x2={7} y1={0} y2={12} className="dots-threshold" /></svg> the segment's threshold</span>
        <span className="muted">scale 0 to 1</span>
      </figcaption>
    </figure>
  );
}
