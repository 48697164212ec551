import { useMemo, useState } from "react";
import type { PRCurveDict } from "../api/types";
import { lttbIndices } from "../lib/downsample";
import { formatScore, formatThreshold } from "../lib/format";
import { bestF1Index, f1, operatingPointIndex, pointAt, type CurvePoint } from "../lib/pr";

export interface PRCurveProps {
  /** `PRCurve.to_dict()` for "all" (micro-averaged) and/or each class. */
  curves: PRCurveDict[];
  /** The curve shown; controlled when given, else the first curve ("all" when present). */
  label?: string;
  onSelectLabel?: (label: string) => void;
  /** The current confidence threshold: its point on the curve is marked. */
  conf?: number;
  /** A segment's thresholds, drawn as dotted lines (null/absent: no line). */
  thresholds?: { precision?: number | null; recall?: number | null };
  width?: number;
  height?: number;
  /** Curves longer than this are downsampled (LTTB) for drawing; marked points are kept. Default 1000. */
  maxPoints?: number;
}

const PAD = { left: 44, right: 12, top: 12, bottom: 36 };
const TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];

/** Precision against recall as an SVG line, with the operating point, the best-F1 point and threshold lines. */
export function PRCurve({ curves, label, onSelectLabel, conf, thresholds, width = 360, height = 280, maxPoints = 1000 }: PRCurveProps) {
  const [own, setOwn] = useState<string | undefined>(undefined);
  const current = label ?? own ?? curves.find((c) => c.label === "all")?.label ?? curves[0]?.label;
  const curve = curves.find((c) => c.label === current) ?? curves[0];
  const select = (l: string) => {
    setOwn(l);
    onSelectLabel?.(l);
  };

  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const x = (recall: number) => PAD.left + recall * plotW;
  const y = (precision: number) => PAD.top + (1 - precision) * plotH;

  const drawn = useMemo(() => {
    if (!curve) return null;
    const op = conf === undefined ? null : pointAt(curve, operatingPointIndex(curve, conf));
    const best = pointAt(curve, bestF1Index(curve));
    const points = curve.recall.map((r, i) => ({ x: r, y: curve.precision[i]! }));
    const keep = [op?.index ?? -1, best?.index ?? -1];
    const idx = lttbIndices(points, maxPoints, keep);
    const path = idx.map((i, k) => `${k === 0 ? "M" : "L"}${x(points[i]!.x).toFixed(1)},${y(points[i]!.y).toFixed(1)}`).join("");
    return { op, best, path, count: idx.length };
  }, [curve, conf, maxPoints, width, height]);

  if (!curve || !drawn) return <p className="empty">No precision-recall curve.</p>;
  const describe = (p: CurvePoint) =>
    `confidence ${formatThreshold(p.threshold)}: precision ${formatScore(p.precision)}, recall ${formatScore(p.recall)}, F1 ${formatScore(f1(p.precision, p.recall))}`;
  const tp = thresholds?.precision;
  const tr = thresholds?.recall;

  return (
    <figure className="pr-curve">
      {curves.length > 1 && (
        <label>
          Curve{" "}
          <select value={curve.label} onChange={(e) => select(e.target.value)}>
            {curves.map((c) => (
              <option key={c.label} value={c.label}>{c.label === "all" ? "all classes" : c.label}</option>
            ))}
          </select>
        </label>
      )}
      <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img"
        aria-label={`Precision-recall curve for ${curve.label}, AP ${formatScore(curve.ap)}`}>
        <g className="axes" fontSize="10">
          {TICKS.map((t) => (
            <g key={t}>
              <line className="grid" x1={x(t)} x2={x(t)} y1={y(0)} y2={y(1)} />
              <line className="grid" x1={x(0)} x2={x(1)} y1={y(t)} y2={y(t)} />
              <text x={x(t)} y={y(0) + 14} textAnchor="middle">{t.toFixed(1)}</text>
              <text x={x(0) - 6} y={y(t) + 3} textAnchor="end">{t.toFixed(1)}</text>
            </g>
          ))}
          <text x={x(0.5)} y={height - 4} textAnchor="middle">Recall</text>
          <text transform={`translate(12 ${y(0.5)}) rotate(-90)`} textAnchor="middle">Precision</text>
        </g>
        {typeof tp === "number" && (
          <line data-testid="precision-threshold" className="threshold" x1={x(0)} x2={x(1)} y1={y(tp)} y2={y(tp)}>
            <title>{`precision threshold ${formatThreshold(tp)}`}</title>
          </line>
        )}
        {typeof tr === "number" && (
          <line data-testid="recall-threshold" className="threshold" x1={x(tr)} x2={x(tr)} y1={y(0)} y2={y(1)}>
            <title>{`recall threshold ${formatThreshold(tr)}`}</title>
          </line>
        )}
        <path data-testid="curve" className="curve" d={drawn.path} data-points={drawn.count} />
        {drawn.best && (
          <circle data-testid="best-point" className="best" cx={x(drawn.best.recall)} cy={y(drawn.best.precision)} r={5}>
            <title>{`best F1 at ${describe(drawn.best)}`}</title>
          </circle>
        )}
        {drawn.op && (
          <circle data-testid="operating-point" className="operating" cx={x(drawn.op.recall)} cy={y(drawn.op.precision)} r={5}>
            <title>{`operating point at ${describe(drawn.op)}`}</title>
          </circle>
        )}
      </svg>
      <figcaption>
        {curve.label === "all" ? "All classes" : curve.label}: AP {formatScore(curve.ap)}
        {drawn.best && <> · best F1 {formatScore(f1(drawn.best.precision, drawn.best.recall))} at {formatThreshold(drawn.best.threshold)}</>}
        {drawn.op && <> · at {formatThreshold(conf!)}: P {formatScore(drawn.op.precision)}, R {formatScore(drawn.op.recall)}</>}
      </figcaption>
    </figure>
  );
}
