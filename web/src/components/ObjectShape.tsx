import { useMemo } from "react";
import type { KeypointSchema, MaskRle, ObjectGeometry } from "../lib/shapes";
import { keypointsOf, maskFillPath, maskOutlinePath, skeletonSegments, svgPoints } from "../lib/shapes";

export interface ObjectShapeProps {
  geometry: ObjectGeometry;
  prediction: boolean;
  color: string;
  /** Stroke width in image pixels (the frame's scale). */
  stroke: number;
  emphasized: boolean;
  schema?: KeypointSchema;
  title: string;
  id: string;
}

function MaskPaths({ mask, color, stroke, dash, prediction }: { mask: MaskRle; color: string; stroke: number; dash?: string; prediction: boolean }) {
  // Decoding is per mask and once: the paths depend on the RLE only.
  const fill = useMemo(() => maskFillPath(mask), [mask]);
  const outline = useMemo(() => maskOutlinePath(mask), [mask]);
  return (
    <>
      <path d={fill} fill={color} fillOpacity={prediction ? 0.22 : 0.4} stroke="none" data-layer="mask-fill" />
      <path d={outline} fill="none" stroke={color} strokeWidth={stroke} strokeDasharray={dash} vectorEffect="non-scaling-stroke" data-layer="mask-outline" />
    </>
  );
}

/**
 * One object's geometry in the frame's SVG overlay (image pixels): a mask filled and
 * outlined, a polygon, a polyline, a point, or keypoints with their skeleton. Ground truth
 * draws solid, predictions dashed (and masks lighter); keypoints are filled when visible,
 * hollow when labeled but not visible, and not drawn when not labeled.
 */
export function ObjectShape({ geometry, prediction, color, stroke, emphasized, schema, title, id }: ObjectShapeProps) {
  const width = emphasized ? stroke * 2.5 : stroke;
  const dash = prediction ? `${stroke * 4} ${stroke * 2}` : undefined;
  const common = { "data-kind": prediction ? "prediction" : "ground_truth", "data-id": id, "data-shape": geometry.shape, "data-emphasized": emphasized || undefined };
  const { shape } = geometry;
  // A polygon is drawn from its vertices (exact); its rasterised mask is what IoU reads.
  if (shape === "polygon" && geometry.polygon) {
    return (
      <g {...common}>
        <title>{title}</title>
        {geometry.polygon.map((ring, k) => (
          <polygon key={k} points={svgPoints(ring)} fill={color} fillOpacity={prediction ? 0.15 : 0.3} stroke={color}
            strokeWidth={width} strokeDasharray={dash} vectorEffect="non-scaling-stroke" />
        ))}
      </g>
    );
  }
  if ((shape === "mask" || shape === "polygon") && geometry.mask) {
    return (
      <g {...common}>
        <title>{title}</title>
        <MaskPaths mask={geometry.mask} color={color} stroke={width} dash={dash} prediction={prediction} />
      </g>
    );
  }
  if (shape === "polyline" && geometry.points) {
    return (
      <g {...common}>
        <title>{title}</title>
        <polyline points={svgPoints(geometry.points)} fill="none" stroke={color} strokeWidth={width * 1.5}
          strokeDasharray={dash} strokeLinecap="round" strokeLinejoin="round" vectorEffect="non-scaling-stroke" />
      </g>
    );
  }
  if (shape === "point" && geometry.points && geometry.points.length >= 2) {
    return (
      <g {...common}>
        <title>{title}</title>
        <circle cx={geometry.points[0]} cy={geometry.points[1]} r={stroke * 3.5} fill={prediction ? "none" : color}
          stroke={color} strokeWidth={width} strokeDasharray={prediction ? `${stroke * 1.5} ${stroke}` : undefined} />
      </g>
    );
  }
  if (shape === "keypoints" && geometry.keypoints) {
    const points = keypointsOf(geometry.keypoints, schema);
    return (
      <g {...common}>
        <title>{title}</title>
        {skeletonSegments(points, schema).map(([x1, y1, x2, y2], k) => (
          <line key={`limb-${k}`} x1={x1} y1={y1} x2={x2} y2={y2} stroke={color} strokeWidth={width}
            strokeDasharray={dash} vectorEffect="non-scaling-stroke" data-layer="skeleton" />
        ))}
        {points.map((p, k) =>
          p.v > 0 ? (
            <circle key={`kp-${k}`} cx={p.x} cy={p.y} r={stroke * 2} fill={p.v === 2 ? color : "var(--bg, #fff)"}
              stroke={color} strokeWidth={stroke} data-layer={p.v === 2 ? "keypoint-visible" : "keypoint-hidden"}>
              <title>{`${p.name}${p.v === 2 ? "" : " (not visible)"}`}</title>
            </circle>
          ) : null,
        )}
      </g>
    );
  }
  return null;
}
