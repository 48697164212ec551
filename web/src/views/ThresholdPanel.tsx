import { ThresholdSliders } from "../components/ThresholdSliders";
import { iouGrid } from "./adapters";
import { classNames, type ViewContext } from "./context";

/** The app's confidence and IoU thresholds (URL state), the same in every view that uses them. */
export function ThresholdPanel({ ctx }: { ctx: ViewContext }) {
  const { project } = ctx;
  return (
    <ThresholdSliders value={ctx.thresholds} onChange={(v) => ctx.update({ conf: v.conf, iou: v.iou, overrides: v.overrides })}
      iouGrid={iouGrid(project.default_iou)} defaults={{ conf: project.default_conf, iou: project.default_iou }}
      classes={classNames(project)} hideIou={project.task !== "detection"} />
  );
}
