import { api } from "../api/client";
import type { ExampleOut } from "../api/types";
import { FrameView } from "../components/FrameView";
import { ErrorPanel, Loading } from "../components/Status";
import { useApi } from "../hooks/useApi";
import { frameOf, objectIdOf } from "./adapters";
import { classColors, type ViewContext } from "./context";

export interface FramePanelProps {
  ctx: ViewContext;
  frameId: string;
  /** Whose predictions to draw (null: labels only). */
  inferenceSet: string | null;
  /** The example that was opened: emphasized. */
  opened?: ExampleOut | null;
  /** Examples whose outcomes are known (the current page). */
  known?: readonly ExampleOut[];
  onClose?: () => void;
  width?: number;
}

/** One frame from the frames endpoint, large, with its labels and counted predictions. */
export function FramePanel({ ctx, frameId, inferenceSet, opened = null, known = [], onClose, width }: FramePanelProps) {
  const { project, dataset } = ctx;
  const frame = useApi(JSON.stringify(["frame", project.name, dataset, frameId, inferenceSet]), (signal) =>
    api.frame(project.name, dataset, frameId, inferenceSet ? [inferenceSet] : [], { signal }),
  );
  if (frame.error !== null) return <ErrorPanel error={frame.error} onRetry={frame.reload} title={`Frame ${frameId} could not be loaded`} />;
  if (!frame.data) return <Loading active label={`Loading frame ${frameId}`} />;
  const id = opened ? objectIdOf(frame.data, inferenceSet, opened.kind, opened.source_id) : undefined;
  return (
    <div className="frame-panel">
      <FrameView frame={frameOf(frame.data, inferenceSet, ctx.conf, opened ? [opened, ...known] : known)}
        emphasize={opened && id !== undefined ? [{ kind: opened.kind, id }] : undefined}
        classColors={classColors(project)} onClose={onClose} width={width} />
      <p className="muted">
        Predictions at confidence {typeof ctx.conf === "number" ? ctx.conf : "per class"} of {inferenceSet ?? "no inference set"};
        outcomes are shown for the objects listed among the examples.
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
