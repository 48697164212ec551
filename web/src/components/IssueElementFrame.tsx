/**
 * One issue element large, for review: its frame with the labels AND an inference set's
 * predictions overlaid (the element's own set for a prediction, else the one chosen in the
 * header), every object's outcome at the current thresholds (the examples endpoint, by
 * frame), and the element's object drawn thicker. The drawing is the Frame view's.
 */
import { api } from "../api/client";
import type { Confidence } from "../api/types";
import { useApi } from "../hooks/useApi";
import { elementTitle, type ElementIdentity } from "../lib/issues";
import { frameOf, objectIdOf } from "../views/adapters";
import { FrameView } from "./FrameView";
import { elementObject } from "./IssueThumbnail";
import { ErrorPanel, Loading } from "./Status";

/** Objects of one frame asked at once: more than any real frame holds. */
const FRAME_OBJECTS_LIMIT = 1000;

export interface IssueElementFrameProps {
  project: string;
  detection: boolean;
  element: ElementIdentity;
  /** Whose predictions to draw when the element is not a prediction (null: labels only). */
  inferenceSet: string | null;
  conf: Confidence;
  iou: number;
  width: number;
  classColors?: Readonly<Record<string, string>>;
}

export function IssueElementFrame({ project, detection, element, inferenceSet, conf, iou, width, classColors }: IssueElementFrameProps) {
  const set = element.element_kind === "prediction" ? element.inference_set : (element.inference_set ?? inferenceSet);
  const { dataset, frame_id: frameId } = element;
  const frame = useApi(JSON.stringify(["issue-frame", project, dataset, frameId, set]), (signal) =>
    api.frame(project, dataset, frameId, set ? [set] : [], { signal }),
  );
  const outcomesKey = set ? JSON.stringify(["issue-frame-outcomes", project, dataset, frameId, set, conf, iou]) : null;
  const outcomes = useApi(outcomesKey, (signal) =>
    api.examples(project, dataset, set!, { conf, iou: detection ? iou : undefined, frame_id: frameId, limit: FRAME_OBJECTS_LIMIT }, { signal }),
  );
  if (frame.error !== null) return <ErrorPanel error={frame.error} onRetry={frame.reload} title={`Frame ${frameId} could not be loaded`} />;
  if (!frame.data) return <Loading active label={`Loading frame ${frameId}`} />;
  const detail = frame.data;
  const drawn = frameOf(detail, set, outcomes.data?.conf ?? conf, outcomes.data?.examples ?? []);
  const kind = element.element_kind === "label" ? "ground_truth" : "prediction";
  const id = element.element_kind === "frame" ? undefined : objectIdOf(detail, set, kind, element.element_id);
  // A prediction below the confidence threshold is not evaluated, but it is the element: draw it.
  if (id !== undefined && !drawn.objects.some((o) => o.id === id)) {
    const own = elementObject(detail, element, id);
    if (own) drawn.objects.push(own);
  }
  const missing = element.element_kind !== "frame" && id === undefined;
  return (
    <div className="issue-element-frame">
      {missing && <p className="notice" role="status">{elementTitle(element)} is not in the frame's current version.</p>}
      <FrameView key={`${dataset}/${frameId}`} frame={drawn} emphasize={id !== undefined ? [{ kind, id }] : undefined}
        classColors={classColors} width={width} />
      {outcomes.error !== null && <ErrorPanel error={outcomes.error} onRetry={outcomes.reload} title="Outcomes could not be loaded" />}
      <p className="muted" data-testid="issue-frame-thresholds">
        {set ? `Predictions of ${set}` : "No inference set: labels only"}
        {set && outcomes.data ? `; outcomes at confidence ${typeof outcomes.data.conf === "number" ? outcomes.data.conf : "per class"}${detection ? `, IoU ${outcomes.data.iou}` : ""}` : ""}.
      </p>
    </div>
  );
}
