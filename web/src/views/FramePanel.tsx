import { api } from "../api/client";
import type { ExampleOut } from "../api/types";
import { ClassificationExample } from "../components/ClassificationExample";
import { MultiLabelFrame } from "./MultiLabelView";
import { NerFrame } from "./NerView";
import { FrameView } from "../components/FrameView";
import { describeConf, ErrorPanel, Loading } from "../components/Status";
import { useApi } from "../hooks/useApi";
import { frameOf, objectIdOf, webImageOf } from "./adapters";
import { classColors, type ViewContext } from "./context";

export interface FramePanelProps {
  ctx: ViewContext;
  frameId: string;
  /** Whose predictions to draw (null: labels only). */
  inferenceSet: string | null;
  /** The example that was opened: emphasized. */
  opened?: ExampleOut | null;
  /** Outcomes already at hand (the examples page), shown until the frame's own arrive. */
  known?: readonly ExampleOut[];
  onClose?: () => void;
  width?: number;
}

/** Objects of one frame asked at once: more than any real frame holds. */
const FRAME_OBJECTS_LIMIT = 1000;

/** One frame from the frames endpoint, large, with its labels, counted predictions and
 * every object's outcome at the current thresholds (the examples endpoint, by frame). */
export function FramePanel({ ctx, frameId, inferenceSet, opened = null, known = [], onClose, width }: FramePanelProps) {
  const { project, dataset, conf, iou } = ctx;
  const detection = project.task === "detection";
  const frame = useApi(JSON.stringify(["frame", project.name, dataset, frameId, inferenceSet]), (signal) =>
    api.frame(project.name, dataset, frameId, inferenceSet ? [inferenceSet] : [], { signal }),
  );
  const multilabel = project.task === "multilabel";
  const ner = project.task === "ner";
  const outcomesKey = inferenceSet && !multilabel && !ner ? JSON.stringify(["frame-outcomes", project.name, dataset, frameId, inferenceSet, conf, iou]) : null;
  const outcomes = useApi(outcomesKey, (signal) =>
    api.examples(project.name, dataset, inferenceSet!, { conf, iou: detection ? iou : undefined, frame_id: frameId, limit: FRAME_OBJECTS_LIMIT }, { signal }),
  );
  if (ner) return <NerFrame ctx={ctx} frameId={frameId} inferenceSet={inferenceSet} onClose={onClose} />;
  if (frame.error !== null) return <ErrorPanel error={frame.error} onRetry={frame.reload} title={`Frame ${frameId} could not be loaded`} />;
  if (!frame.data) return <Loading active label={`Loading frame ${frameId}`} />;
  if (multilabel) {
    return <MultiLabelFrame ctx={ctx} frameId={frameId} inferenceSet={inferenceSet}
      imageUrl={webImageOf(frame.data.frame.image_uri) ?? frame.data.image_url} width={width} onClose={onClose} />;
  }
  if (!detection) {
    // Classification in its own terms: no boxes or IoU; the true and predicted class and
    // the top-k probabilities (the prediction record's `probabilities`, in class order).
    const truth = frame.data.labels[0];
    const prediction = inferenceSet ? frame.data.predictions[inferenceSet]?.[0] : undefined;
    const probabilities = Array.isArray(prediction?.probabilities) && prediction.probabilities.every((p) => typeof p === "number")
      ? (prediction.probabilities as number[]) : null;
    return (
      <div className="frame-panel">
        <ClassificationExample frameId={frameId} imageUrl={webImageOf(frame.data.frame.image_uri) ?? frame.data.image_url}
          truth={typeof truth?.class_name === "string" ? truth.class_name : null}
          predicted={typeof prediction?.class_name === "string" ? prediction.class_name : null}
          confidence={typeof prediction?.confidence === "number" ? prediction.confidence : null}
          probabilities={probabilities} classes={project.classes.map((c) => c.name)}
          width={width === undefined ? 360 : Math.round(width * 0.45)} text={textOf(frame.data.frame)} onClose={onClose} />
        <p className="muted" data-testid="frame-thresholds">
          Predicted class of {inferenceSet ?? "no inference set"} (arg-max; the report counts it at {describeConf(outcomes.data?.conf ?? conf)}).
        </p>
      </div>
    );
  }
  const id = opened ? objectIdOf(frame.data, inferenceSet, opened.kind, opened.source_id) : undefined;
  const outcomesShown = outcomes.data?.examples ?? (opened ? [opened, ...known] : known);
  return (
    <div className="frame-panel">
      <FrameView frame={frameOf(frame.data, inferenceSet, outcomes.data?.conf ?? conf, outcomesShown)}
        emphasize={opened && id !== undefined ? [{ kind: opened.kind, id }] : undefined}
        classColors={classColors(project)} onClose={onClose} width={width} />
      {outcomes.error !== null && <ErrorPanel error={outcomes.error} onRetry={outcomes.reload} title="Outcomes could not be loaded" />}
      <p className="muted" data-testid="frame-thresholds">
        {/* The thresholds of the outcomes shown (the answer's own), never a newer slider value. */}
        Predictions at {describeConf(outcomes.data?.conf ?? conf)} of {inferenceSet ?? "no inference set"}
        {detection ? ` and IoU ${outcomes.data?.iou ?? iou}` : ""}
        {outcomes.dataKey !== outcomesKey && outcomes.data ? " (recomputing for the new thresholds…)" : ""}.
      </p>
      <details>
        <summary>Metadata</summary>
        <dl className="metadata">
          {Object.entries(frame.data.frame).map(([k, v]) => (
            <div key={k}><dt>{k}</dt><dd>{typeof v === "object" ? JSON.stringify(v) : String(v)}</dd></div>
          ))}
        </dl>
      </details>
    </div>
  );
}

/** A text frame's text: its `text` metadata when it has no image (text classification CSVs). */
export function textOf(frame: Record<string, unknown>): string | null {
  return typeof frame.text === "string" && !frame.image_uri ? frame.text : null;
}
