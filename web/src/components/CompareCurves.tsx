/**
 * Two inference sets' PR curves overlaid (Compare): the same class (or "all", micro) of
 * each, base solid and other dashed, with a legend naming each and its AP. Loaded lazily
 * beside the numbers (Recharts is most of the app's JavaScript).
 */
import { Legend, Line, LineChart, CartesianGrid, XAxis, YAxis } from "recharts";
import type { PRCurveDict } from "../api/types";
import { formatScore } from "../lib/format";
import { isPooledCurve } from "../lib/pr";

const BASE_COLOR = "var(--mantine-color-gray-7)";
const OTHER_COLOR = "var(--mantine-color-blue-6)";
const TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];
const TICK_STYLE = { fontSize: 10, fill: "var(--muted)" };

export interface CompareCurvesProps {
  base: { name: string; curve: PRCurveDict };
  other: { name: string; curve: PRCurveDict };
  width?: number;
  height?: number;
}

const pointsOf = (c: PRCurveDict) => c.recall.map((r, k) => ({ recall: r, precision: c.precision[k]! }));

export function CompareCurves({ base, other, width = 400, height = 300 }: CompareCurvesProps) {
  const label = isPooledCurve(base.curve.label) ? "all classes (micro)" : base.curve.label;
  const name = `PR curves of ${label}: ${base.name} and ${other.name}`;
  return (
    <figure className="compare-curves">
      <LineChart width={width} height={height} margin={{ top: 12, right: 12, bottom: 4, left: 4 }} role="img" aria-label={name}>
        <CartesianGrid stroke="#eceff3" />
        <XAxis type="number" dataKey="recall" domain={[0, 1]} ticks={TICKS} tick={TICK_STYLE} tickFormatter={(t: number) => t.toFixed(1)} allowDataOverflow
          label={{ value: "Recall", position: "insideBottom", offset: 0 }} height={32} />
        <YAxis type="number" dataKey="precision" domain={[0, 1]} ticks={TICKS} tick={TICK_STYLE} tickFormatter={(t: number) => t.toFixed(1)} allowDataOverflow
          width={40} label={{ value: "Precision", angle: -90, position: "insideLeft", style: { textAnchor: "middle" } }} />
        <Line data={pointsOf(base.curve)} dataKey="precision" name={`${base.name} (AP ${formatScore(base.curve.ap)})`} type="linear"
          isAnimationActive={false} dot={false} stroke={BASE_COLOR} strokeWidth={2} />
        <Line data={pointsOf(other.curve)} dataKey="precision" name={`${other.name} (AP ${formatScore(other.curve.ap)})`} type="linear"
          isAnimationActive={false} dot={false} stroke={OTHER_COLOR} strokeWidth={2} strokeDasharray="6 3" />
        <Legend verticalAlign="bottom" height={28} wrapperStyle={{ fontSize: 12 }} />
      </LineChart>
      <figcaption className="muted">{name}; AP at the curve's IoU over every confidence (base solid, other dashed).</figcaption>
    </figure>
  );
}
export default CompareCurves;
