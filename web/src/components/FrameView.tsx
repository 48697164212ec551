import { useState } from "react";
import type { FrameExample, FrameObject } from "../api/types";
import { formatScore } from "../lib/format";
import { shapesIn, type Shape } from "../lib/shapes";
import "./shapes.css";
import { AnnotatedImage } from "./AnnotatedImage";

export interface FrameViewProps {
  frame: FrameExample;
  /** Objects to draw thicker (e.g. the example that was opened). */
  emphasize?: ReadonlyArray<{ kind: FrameObject["kind"]; id: number }>;
  classColors?: Readonly<Record<string, string>>;
  /** Displayed image width in CSS pixels (default 640). */
  width?: number;
  initialShowGroundTruth?: boolean;
  initialShowPredictions?: boolean;
  onClose?: () => void;
}

/** What the boxes' strokes mean (AnnotatedImage draws ground truth solid, predictions dashed). */
export function BoxLegend({ emphasized = false }: { emphasized?: boolean }) {
  return (
    <div className="chart-legend box-legend" role="group" aria-label="Box legend">
      <span><span className="swatch legend-gt" aria-hidden="true" /> ground truth (solid)</span>
      <span><span className="swatch legend-pred" aria-hidden="true" /> prediction (dashed)</span>
      {emphasized && <span><span className="swatch legend-emphasis" aria-hidden="true" /> the example opened (thicker)</span>}
      <span>color: the object's class</span>
    </div>
  );
}

const SHAPE_NOTES: Record<Exclude<Shape, "box">, string> = {
  mask: "mask: filled, outlined",
  polygon: "polygon: filled, outlined",
  keypoints: "keypoints: filled visible, hollow hidden, joined by the skeleton",
  polyline: "polyline",
  point: "point",
};

/** What each shape's drawing means (ObjectShape), for the shapes a frame has. */
export function ShapeLegend({ shapes }: { shapes: readonly Shape[] }) {
  if (shapes.length === 0) return null;
  return (
    <div className="chart-legend shape-legend" role="group" aria-label="Shape legend">
      {shapes.map((shape) => shape !== "box" && (
        <span key={shape} data-shape={shape}>
          <svg className="shape-swatch" viewBox="0 0 24 12" width="24" height="12" aria-hidden="true">
            {shape === "mask" && <><rect x="2" y="2" width="20" height="8" fill="currentColor" fillOpacity="0.4" /><rect x="2" y="2" width="20" height="8" fill="none" stroke="currentColor" /></>}
            {shape === "polygon" && <polygon points="2,10 8,2 22,4 18,10" fill="currentColor" fillOpacity="0.3" stroke="currentColor" />}
            {shape === "keypoints" && <><line x1="4" y1="6" x2="20" y2="6" stroke="currentColor" /><circle cx="4" cy="6" r="3" fill="currentColor" /><circle cx="20" cy="6" r="3" fill="var(--bg, #fff)" stroke="currentColor" /></>}
            {shape === "polyline" && <polyline points="2,10 9,3 15,8 22,2" fill="none" stroke="currentColor" strokeWidth="2" />}
            {shape === "point" && <circle cx="12" cy="6" r="4" fill="currentColor" />}
          </svg>{" "}
          {SHAPE_NOTES[shape]}
        </span>
      ))}
      <span>predictions: dashed (masks lighter, points hollow)</span>
    </div>
  );
}

/** The overlap column's name and definition: what a set whose objects have these shapes
 * is matched on (the store's order: masks, keypoints, polylines, points, else boxes). */
export function overlapColumn(shapes: readonly Shape[]): { label: string; title: string } {
  if (shapes.includes("mask") || shapes.includes("polygon"))
    return { label: "IoU", title: "mask IoU: shared pixels / pixels of either mask (a crowd: / the prediction's)" };
  if (shapes.includes("keypoints"))
    return { label: "OKS", title: "object keypoint similarity: COCO's OKS with per-keypoint sigmas, 0 to 1" };
  if (shapes.includes("polyline") || shapes.includes("point"))
    return { label: "Similarity", title: "1 - distance / tolerance (discrete Fréchet for polylines), 0 beyond the tolerance" };
  return { label: "IoU", title: "box IoU: intersection / union of the two boxes" };
}

/** One frame, large, with ground truth and prediction toggles and a table of its objects. */
export function FrameView({ frame, emphasize, classColors, width = 640, initialShowGroundTruth = true, initialShowPredictions = true, onClose }: FrameViewProps) {
  const [showGt, setShowGt] = useState(initialShowGroundTruth);
  const [showPred, setShowPred] = useState(initialShowPredictions);
  const rows = frame.objects.filter((o) => (o.kind === "ground_truth" ? showGt : showPred));
  const shapes = shapesIn(frame.objects.map((o) => o.geometry));
  const overlap = overlapColumn(shapes);
  return (
    <section className="frame-view" aria-label={`Frame ${frame.frame_id}`}>
      <header>
        <h3>Frame {frame.frame_id}</h3>
        <div role="group" aria-label="Show" className="toggle-group">
          <button type="button" aria-pressed={showGt} onClick={() => setShowGt(!showGt)}>Ground truth</button>
          <button type="button" aria-pressed={showPred} onClick={() => setShowPred(!showPred)}>Predictions</button>
        </div>
        {onClose && <button type="button" onClick={onClose}>Close</button>}
      </header>
      <AnnotatedImage frame={frame} width={width} showGroundTruth={showGt} showPredictions={showPred}
        emphasize={emphasize} classColors={classColors} />
      <BoxLegend emphasized={(emphasize?.length ?? 0) > 0} />
      <ShapeLegend shapes={shapes} />
      <table className="objects">
        <caption className="visually-hidden">Objects in frame {frame.frame_id}</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Class</th>
            {shapes.length > 0 && <th scope="col">Shape</th>}
            <th scope="col">Outcome</th>
            <th scope="col">Reason</th>
            <th scope="col">Partner</th>
            <th scope="col">Confidence</th>
            <th scope="col" title={overlap.title}>{overlap.label}</th>
            <th scope="col">Box (x, y, w, h)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((o) => (
            <tr key={`${o.kind}-${o.id}`}>
              <td>{o.kind === "prediction" ? "prediction" : "ground truth"}</td>
              <th scope="row">{o.label}</th>
              {shapes.length > 0 && <td>{o.geometry?.shape ?? "box"}</td>}
              <td>{o.outcome || "-"}</td>
              <td>{o.reason.replace("_", " ") || "-"}</td>
              <td>{o.partner_label || "-"}</td>
              <td className="num">{formatScore(o.confidence, 3)}</td>
              <td className="num">{formatScore(o.iou, 3)}</td>
              <td className="num">{o.box.map((v) => Math.round(v)).join(", ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
