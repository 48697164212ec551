/**
 * A reliability diagram (docs/calibration.md): per equal-width confidence bin, the
 * fraction of its predictions that are right (accuracy; detection: the bin's precision)
 * as a bar, the bin's mean confidence as a tick, and the diagonal a perfectly calibrated
 * model would follow. Below, the bins' prediction counts; beside, ECE and MCE with their
 * definitions. Empty bins draw nothing.
 */
import type { ReliabilityOut } from "../api/types";
import { formatCount, formatScore } from "../lib/format";
import "./insights.css";

const SIZE = 260;
const PAD = 34;
const COUNT_HEIGHT = 60;

export const CALIBRATION_DEFINITIONS = {
  accuracy: "the fraction of the bin's predictions that are right (detection: true positives at the IoU, the bin's precision)",
  confidence: "the mean confidence of the bin's predictions",
  ece: "expected calibration error: Σ (bin count / N) × |accuracy − confidence| over the non-empty bins",
  mce: "maximum calibration error: the largest |accuracy − confidence| of a non-empty bin",
} as const;

/** The gap a bin adds to the ECE (its weight times |accuracy − confidence|); 0 when empty. */
export function binGap(bin: ReliabilityOut["bins"][number], total: number): number {
  if (bin.accuracy === null || bin.confidence === null || total === 0) return 0;
  return (bin.count / total) * Math.abs(bin.accuracy - bin.confidence);
}

export interface ReliabilityDiagramProps {
  diagram: ReliabilityOut;
  /** "ECE" (classification) or "D-ECE" (detection). */
  metric: string;
}

export function ReliabilityDiagram({ diagram, metric }: ReliabilityDiagramProps) {
  const x = (v: number) => PAD + v * SIZE;
  const y = (v: number) => PAD / 2 + (1 - v) * SIZE;
  const maxCount = Math.max(1, ...diagram.bins.map((b) => b.count));
  const countTop = PAD / 2 + SIZE + PAD;
  const label = diagram.label === "all" ? "all classes" : diagram.label;
  return (
    <figure className="reliability" aria-label={`Reliability diagram: ${label}`}>
      <figcaption>
        Reliability of {label}: {formatCount(diagram.count)} predictions;{" "}
        <abbr title={CALIBRATION_DEFINITIONS.ece} data-testid="ece">{metric} {formatScore(diagram.ece, 4)}</abbr>,{" "}
        <abbr title={CALIBRATION_DEFINITIONS.mce} data-testid="mce">MCE {formatScore(diagram.mce, 4)}</abbr>
      </figcaption>
      <svg viewBox={`0 0 ${SIZE + PAD * 2} ${countTop + COUNT_HEIGHT + PAD}`} role="img" aria-label={`Accuracy against confidence, ${label}`}>
        <rect x={x(0)} y={y(1)} width={SIZE} height={SIZE} className="plot-frame" />
        {[0, 0.25, 0.5, 0.75, 1].map((t) => (
          <g key={t}>
            <text x={x(t)} y={y(0) + 14} className="tick" textAnchor="middle">{t}</text>
            <text x={x(0) - 4} y={y(t) + 4} className="tick" textAnchor="end">{t}</text>
          </g>
        ))}
        {diagram.bins.map((b) => (b.accuracy === null || b.confidence === null ? null : (
          <g key={b.low} data-bin={b.low}>
            <rect className="accuracy-bar" x={x(b.low) + 1} y={y(b.accuracy)} width={Math.max(1, (b.high - b.low) * SIZE - 2)} height={b.accuracy * SIZE}>
              <title>{`(${b.low}, ${b.high}]: accuracy ${formatScore(b.accuracy)}, mean confidence ${formatScore(b.confidence)}, ${b.count} predictions`}</title>
            </rect>
            <line className="confidence-tick" x1={x(b.low) + 1} x2={x(b.high) - 1} y1={y(b.confidence)} y2={y(b.confidence)} />
          </g>
        )))}
        <line className="diagonal" x1={x(0)} y1={y(0)} x2={x(1)} y2={y(1)} />
        <text x={x(0.5)} y={y(0) + 28} className="axis" textAnchor="middle">confidence</text>
        <text x={10} y={y(0.5)} className="axis" textAnchor="middle" transform={`rotate(-90 10 ${y(0.5)})`}>accuracy</text>
        {diagram.bins.map((b) => (
          <rect key={`n${b.low}`} className="count-bar" x={x(b.low) + 1} y={countTop + COUNT_HEIGHT - (b.count / maxCount) * COUNT_HEIGHT}
            width={Math.max(1, (b.high - b.low) * SIZE - 2)} height={(b.count / maxCount) * COUNT_HEIGHT}>
            <title>{`(${b.low}, ${b.high}]: ${b.count} predictions`}</title>
          </rect>
        ))}
        <text x={x(0) - 4} y={countTop + 10} className="tick" textAnchor="end">{maxCount}</text>
        <text x={x(0.5)} y={countTop + COUNT_HEIGHT + 16} className="axis" textAnchor="middle">predictions per bin</text>
      </svg>
      <ul className="reliability-legend" aria-label="Reliability legend">
        <li><span className="swatch accuracy-swatch" aria-hidden="true" />Accuracy: {CALIBRATION_DEFINITIONS.accuracy}</li>
        <li><span className="swatch confidence-swatch" aria-hidden="true" />Mean confidence: {CALIBRATION_DEFINITIONS.confidence}</li>
        <li><span className="swatch diagonal-swatch" aria-hidden="true" />Diagonal: perfect calibration (accuracy = confidence)</li>
        <li><strong>{metric}</strong>: {CALIBRATION_DEFINITIONS.ece}</li>
        <li><strong>MCE</strong>: {CALIBRATION_DEFINITIONS.mce}</li>
      </ul>
    </figure>
  );
}
