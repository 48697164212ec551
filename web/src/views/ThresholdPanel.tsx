import { memo, useCallback } from "react";
import { ThresholdSliders, type ThresholdValues } from "../components/ThresholdSliders";
import { iouGrid } from "./adapters";
import { classNames, type ViewContext } from "./context";

/**
 * The app's confidence and IoU thresholds (URL state), the same in every view that uses
 * them. Memoized: new numbers arriving in a view do not re-render it.
 */
export const ThresholdPanel = memo(function ThresholdPanel({ ctx }: { ctx: ViewContext }) {
  const { project, update } = ctx;
  const onChange = useCallback((v: ThresholdValues) => update({ conf: v.conf, iou: v.iou, overrides: v.overrides }), [update]);
  return (
    <ThresholdSliders value={ctx.thresholds} onChange={onChange}
      iouGrid={iouGrid(project.default_iou)} defaults={{ conf: project.default_conf, iou: project.default_iou }}
      classes={classNames(project)} hideIou={project.task !== "detection"} />
  );
});
