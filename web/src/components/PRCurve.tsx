import { memo, useMemo, useState } from "react";
import {
  CartesianGrid, Curve, Line, LineChart, ReferenceDot, ReferenceLine, Tooltip, XAxis, YAxis,
  type TooltipContentProps,
} from "recharts";
import type { PRCurveDict } from "../api/types";
import { lttbIndices } from "../lib/downsample";
import { formatScore, formatThreshold } from "../lib/format";
import { bestIndex, isPooledCurve, operatingPointIndex, pointAt, pooledCurve, type CurvePoint } from "../lib/pr";

export interface PRCurveProps {
  /** `PRCurve.to_dict()` for "all" (micro-averaged) and/or each class. */
  curves: PRCurveDict[];
  /** The curve shown; controlled when given, else the first curve ("all" when present). */
  label?: string;
  onSelectLabel?: (label: string) => void;
  /**
   * The confidence threshold of the numbers shown (the report's, not a slider's value whose
   * numbers are still on their way): its point is marked. null: per-class confidences.
   */
  conf?: number | null;
  /**
   * The precision and recall at the current thresholds from the report, marked instead of
   * looking `conf` up on the curve: exact when the curve was downsampled for drawing
   * (`curve_points`) and when per-class confidences apply.
   */
  operatingPoint?: { precision: number; recall: number; f1: number } | null;
  /** A segment's thresholds, drawn as dotted lines (null/absent: no line). */
  thresholds?: { precision?: number | null; recall?: number | null };
  width?: number;
  height?: number;
  /** Curves longer than this are downsampled (LTTB) for drawing; marked points are kept. Default 1000. */
  maxPoints?: number;
}

/**
 * The plot area: 44 px left (Y axis 40 + margin 4), 12 right, 12 top, 36 bottom
 * (X axis 32 + margin 4), as the hand-drawn SVG had it.
 */
const MARGIN = { top: 12, right: 12, bottom: 4, left: 4 };
const Y_AXIS_WIDTH = 40;
const X_AXIS_HEIGHT = 32;
const TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];
const tick = (t: number) => t.toFixed(1);
const TICK_STYLE = { fontSize: 10, fill: "var(--muted)" };

const describe = (p: CurvePoint) =>
  `confidence ${formatThreshold(p.threshold)}: precision ${formatScore(p.precision)}, recall ${formatScore(p.recall)}, F1 ${formatScore(p.f1)}`;

/** Coordinates Recharts hands to a reference line's `shape`. */
interface LineShapeProps {
  x1?: number;
  y1?: number;
  x2?: number;
  y2?: number;
}
/** Coordinates Recharts hands to a reference dot's `shape`. */
interface DotShapeProps {
  cx?: number;
  cy?: number;
}

function thresholdLine(testId: string, title: string) {
  return ({ x1, y1, x2, y2 }: LineShapeProps) => (
    <line data-testid={testId} className="threshold" x1={x1} y1={y1} x2={x2} y2={y2} strokeDasharray="2 4">
      <title>{title}</title>
    </line>
  );
}

function markedDot(testId: string, className: string, title: string) {
  return ({ cx, cy }: DotShapeProps) => (
    <circle data-testid={testId} className={className} cx={cx} cy={cy} r={5}>
      <title>{title}</title>
    </circle>
  );
}

function PointTooltip({ active, payload }: TooltipContentProps) {
  const point = payload?.[0]?.payload as CurvePoint | undefined;
  if (!active || !point) return null;
  return (
    <div className="pr-tooltip">
      <div>confidence {formatThreshold(point.threshold)}</div>
      <div>precision {formatScore(point.precision)}</div>
      <div>recall {formatScore(point.recall)}</div>
      <div>F1 {formatScore(point.f1)}</div>
    </div>
  );
}

/** The plot area's pixel box at a chart size: the axes' domains are fixed at [0, 1]. */
function plotArea(width: number, height: number) {
  const left = MARGIN.left + Y_AXIS_WIDTH;
  const top = MARGIN.top;
  return { left, top, width: width - left - MARGIN.right, height: height - top - MARGIN.bottom - X_AXIS_HEIGHT };
}

interface ChartProps {
  name: string;
  data: CurvePoint[];
  best: CurvePoint | null;
  thresholds?: { precision?: number | null; recall?: number | null };
  width: number;
  height: number;
}

/**
 * The chart without the operating point. Memoized: a threshold move changes only the
 * operating point (drawn over it), and redrawing a Recharts line costs tens of
 * milliseconds (it measures the path) that a slider move cannot spend.
 */
const Chart = memo(function Chart({ name, data, best, thresholds, width, height }: ChartProps) {
  const tp = thresholds?.precision;
  const tr = thresholds?.recall;
  return (
    <LineChart width={width} height={height} data={data} margin={MARGIN}
      role="img" aria-label={name} title={name}>
      <CartesianGrid className="grid" stroke="#eceff3" />
      <XAxis type="number" dataKey="recall" domain={[0, 1]} ticks={TICKS} tickFormatter={tick} tick={TICK_STYLE}
        height={X_AXIS_HEIGHT} allowDataOverflow label={{ value: "Recall", position: "insideBottom", offset: 0, className: "axis-label" }} />
      <YAxis type="number" dataKey="precision" domain={[0, 1]} ticks={TICKS} tickFormatter={tick} tick={TICK_STYLE}
        width={Y_AXIS_WIDTH} allowDataOverflow
        label={{ value: "Precision", angle: -90, position: "insideLeft", className: "axis-label", style: { textAnchor: "middle" } }} />
      {typeof tp === "number" && (
        <ReferenceLine y={tp} ifOverflow="hidden"
          shape={thresholdLine("precision-threshold", `precision threshold ${formatThreshold(tp)}`)} />
      )}
      {typeof tr === "number" && (
        <ReferenceLine x={tr} ifOverflow="hidden"
          shape={thresholdLine("recall-threshold", `recall threshold ${formatThreshold(tr)}`)} />
      )}
      <Line dataKey="precision" type="linear" isAnimationActive={false} dot={false} activeDot={{ r: 3 }}
        stroke="var(--accent)" strokeWidth={2}
        shape={(props) => (
          <Curve {...props} data-testid="curve" className="curve" data-points={props.points?.length ?? 0} />
        )} />
      {best && (
        <ReferenceDot x={best.recall} y={best.precision} ifOverflow="visible"
          shape={markedDot("best-point", "best", `best F1 at ${describe(best)}`)} />
      )}
      <Tooltip content={PointTooltip} isAnimationActive={false} />
    </LineChart>
  );
});

/** Precision against recall (Recharts), with the operating point, the best-F1 point and threshold lines. */
function PRCurveView({ curves, label, onSelectLabel, conf, operatingPoint, thresholds, width = 360, height = 280, maxPoints = 1000 }: PRCurveProps) {
  const [own, setOwn] = useState<string | undefined>(undefined);
  const current = label ?? own ?? pooledCurve(curves)?.label ?? curves[0]?.label;
  const curve = curves.find((c) => c.label === current) ?? curves[0];
  const select = (l: string) => {
    setOwn(l);
    onSelectLabel?.(l);
  };

  const opIndex = curve && typeof conf === "number" && !operatingPoint ? operatingPointIndex(curve, conf) : -1;
  // What is drawn depends on the curve only (and, without the report's point, on where
  // `conf` falls on it, which LTTB keeps): moving the thresholds leaves it as it is.
  const drawn = useMemo(() => {
    if (!curve) return null;
    const best = pointAt(curve, bestIndex(curve));
    const xy = curve.recall.map((r, i) => ({ x: r, y: curve.precision[i]! }));
    const data = lttbIndices(xy, maxPoints, [opIndex, best?.index ?? -1]).flatMap((i) => pointAt(curve, i) ?? []);
    return { best, data };
  }, [curve, opIndex, maxPoints]);
  const stableThresholds = useMemo(() => thresholds, [thresholds?.precision, thresholds?.recall]);

  if (!curve || !drawn) return <p className="empty">No precision-recall curve.</p>;
  const op = operatingPoint
    ? { ...operatingPoint, threshold: conf ?? Number.NaN, index: -1 }
    : typeof conf === "number" ? pointAt(curve, opIndex) : null;
  // A curve of the report's own family passes through the report's point (each point is a
  // report); a one-vs-rest probability curve (classification with scores) ranks every frame
  // by its score for the class, so the report's arg-max point need not lie on it.
  // (A detection curve's points are reports at each confidence, possibly downsampled for drawing.)
  const onCurve = op === null || typeof curve.iou === "number" || typeof conf !== "number" || sameFamily(curve, conf, op);
  const apName = typeof curve.iou === "number" ? `AP@IoU ${formatThreshold(curve.iou)}` : "AP";
  const apDefinition = typeof curve.iou === "number"
    ? `average precision: the area under this curve at IoU ${formatThreshold(curve.iou)}, over every confidence (not COCO's AP@[.5:.95])`
    : "average precision of this curve over every score (scikit-learn's average_precision_score)";
  const name = `Precision-recall curve for ${curve.label}, ${apName} ${formatScore(curve.ap)}`;
  const area = plotArea(width, height);
  const at = typeof conf === "number" ? `confidence ${formatThreshold(conf)}` : "the per-class confidences";
  const tp = stableThresholds?.precision;
  const tr = stableThresholds?.recall;

  return (
    <figure className="pr-curve">
      {curves.length > 1 && (
        <label>
          Metric class{" "}
          <select value={curve.label} onChange={(e) => select(e.target.value)}>
            {curves.map((c) => (
              <option key={c.label} value={c.label}>{isPooledCurve(c.label) ? "all classes" : c.label}</option>
            ))}
          </select>
        </label>
      )}
      <div className="pr-plot" style={{ width, height }}>
        <Chart name={name} data={drawn.data} best={drawn.best} thresholds={stableThresholds} width={width} height={height} />
        {op && (
          <svg className="pr-overlay" width={width} height={height} viewBox={`0 0 ${width} ${height}`} aria-hidden="true">
            <circle data-testid="operating-point" className="operating" r={5}
              cx={area.left + op.recall * area.width} cy={area.top + (1 - op.precision) * area.height}>
              <title>{`operating point at ${at}: precision ${formatScore(op.precision)}, recall ${formatScore(op.recall)}, F1 ${formatScore(op.f1)}`}</title>
            </circle>
          </svg>
        )}
      </div>
      <ul className="chart-legend" aria-label="Legend">
        <li><svg width="22" height="10" aria-hidden="true"><line x1="1" y1="5" x2="21" y2="5" className="legend-curve" /></svg>
          {onCurve ? "precision-recall curve" : `one-vs-rest curve: every frame ranked by its score for ${curve.label}`}</li>
        {op && <li><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="4.5" className="operating" /></svg>
          operating point: the report's row at {at}</li>}
        {drawn.best && <li><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="5" className="best" /></svg>
          best-F1 point of the curve</li>}
        {(typeof tp === "number" || typeof tr === "number") && (
          <li><svg width="22" height="10" aria-hidden="true"><line x1="1" y1="5" x2="21" y2="5" className="threshold" /></svg>
            segment's {typeof tp === "number" ? `precision threshold ${formatThreshold(tp)}` : ""}{typeof tp === "number" && typeof tr === "number" ? " and " : ""}{typeof tr === "number" ? `recall threshold ${formatThreshold(tr)}` : ""}</li>
        )}
      </ul>
      <figcaption data-testid="pr-caption">
        {isPooledCurve(curve.label) ? "All classes" : curve.label}: <abbr title={apDefinition}>{apName}</abbr> {formatScore(curve.ap)}
        {drawn.best && <> · best F1 {formatScore(drawn.best.f1)} at {formatThreshold(drawn.best.threshold)}</>}
        {op && <> · {onCurve ? "at" : "report at"} {at}: P {formatScore(op.precision)}, R {formatScore(op.recall)}</>}
        {!onCurve && (
          <span className="family-note">The curve is one-vs-rest (each frame ranked by its score for {curve.label}); the
            point is the report's arg-max predictions, a different family, so it need not lie on the curve.</span>
        )}
      </figcaption>
    </figure>
  );
}

/** Whether the report's point is the curve's own point at `conf` (the same family of predictions). */
function sameFamily(curve: PRCurveDict, conf: number, point: { precision: number; recall: number }): boolean {
  const own = pointAt(curve, operatingPointIndex(curve, conf));
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9;
  // Nothing kept at conf: the report then has nothing kept either (precision and recall 0).
  if (own === null) return point.recall === 0;
  return close(own.precision, point.precision) && close(own.recall, point.recall);
}

/** Memoized: a parent re-rendering with the same props (a threshold move before its numbers arrive) skips it. */
export const PRCurve = memo(PRCurveView);
