import { useState } from "react";
import type { FrameExample, FrameObject } from "../api/types";
import { useImageSource } from "../hooks/useImageSource";
import { classColor } from "../lib/color";
import { clipBox } from "../lib/geometry";
import { formatScore } from "../lib/format";
import { ObjectShape } from "./ObjectShape";

export interface AnnotatedImageProps {
  frame: FrameExample;
  showGroundTruth?: boolean;
  showPredictions?: boolean;
  /** Objects drawn thicker (e.g. the example's object and its partner), by kind and id. */
  emphasize?: ReadonlyArray<{ kind: FrameObject["kind"]; id: number }>;
  /** Colors per class name; missing classes take the palette color of their first appearance. */
  classColors?: Readonly<Record<string, string>>;
  /** Displayed width in CSS pixels (the height follows the image's aspect ratio). */
  width?: number;
  alt?: string;
  /** Load `frame.thumbnail_url` when the frame has one; boxes stay in the frame's recorded size. */
  preferThumbnail?: boolean;
}

function titleOf(o: FrameObject): string {
  return `${o.kind === "prediction" ? "prediction" : "ground truth"} ${o.label} ${o.outcome}${o.confidence !== null ? ` ${formatScore(o.confidence, 2)}` : ""}`;
}

/**
 * An image with its boxes in an SVG overlay whose viewBox is the image's natural size, so
 * boxes (in image pixels) line up at any displayed size. Ground truth solid, predictions dashed.
 * An object with geometry (mask, polygon, keypoints, polyline, point) draws that instead
 * of its box (ObjectShape).
 */
export function AnnotatedImage({ frame, showGroundTruth = true, showPredictions = true, emphasize = [], classColors = {}, width, alt, preferThumbnail = false }: AnnotatedImageProps) {
  const thumbnail = preferThumbnail && frame.thumbnail_url ? frame.thumbnail_url : null;
  // The frame's recorded size until the image reports its natural size.
  const [loaded, setNatural] = useState<{ w: number; h: number }>({ w: frame.width, h: frame.height });
  const natural = thumbnail ? { w: frame.width, h: frame.height } : loaded;
  // With an API key set, API images are fetched with it (an <img> cannot send headers).
  const src = useImageSource(thumbnail ?? frame.image_url);
  const order = Array.from(new Set(frame.objects.map((o) => o.label)));
  const colorOf = (label: string) => classColors[label] ?? classColor(order.indexOf(label));
  const isEmphasized = (o: FrameObject) => emphasize.some((e) => e.kind === o.kind && e.id === o.id);
  const visible = frame.objects.filter((o) => (o.kind === "ground_truth" ? showGroundTruth : showPredictions));
  const stroke = Math.max(1, natural.w / 200);

  return (
    <div className="annotated-image" style={{ width, aspectRatio: `${natural.w} / ${natural.h}` }}>
      <img
        src={src}
        alt={alt ?? `frame ${frame.frame_id}`}
        onLoad={(e) => {
          const img = e.currentTarget;
          // A thumbnail is smaller than the image its boxes are measured in: keep the recorded size.
          if (!thumbnail && img.naturalWidth > 0 && img.naturalHeight > 0) setNatural({ w: img.naturalWidth, h: img.naturalHeight });
        }}
      />
      <svg viewBox={`0 0 ${natural.w} ${natural.h}`} preserveAspectRatio="none" aria-hidden="true">
        {visible.map((o) => {
          const em = isEmphasized(o);
          if (o.geometry) {
            return (
              <ObjectShape key={`${o.kind}-${o.id}`} id={String(o.id)} geometry={o.geometry} prediction={o.kind === "prediction"}
                color={colorOf(o.label)} stroke={stroke} emphasized={em} schema={frame.keypointSchemas?.[o.label]} title={titleOf(o)} />
            );
          }
          const box = clipBox(o.box, natural.w, natural.h);
          if (!box) return null;
          return (
            <rect
              key={`${o.kind}-${o.id}`}
              data-kind={o.kind}
              data-id={o.id}
              data-emphasized={em || undefined}
              x={box[0]}
              y={box[1]}
              width={box[2]}
              height={box[3]}
              fill="none"
              stroke={colorOf(o.label)}
              strokeWidth={em ? stroke * 2.5 : stroke}
              strokeDasharray={o.kind === "prediction" ? `${stroke * 4} ${stroke * 2}` : undefined}
              vectorEffect="non-scaling-stroke"
            >
              <title>{titleOf(o)}</title>
            </rect>
          );
        })}
      </svg>
    </div>
  );
}
