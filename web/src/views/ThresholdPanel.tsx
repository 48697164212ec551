import { memo, useCallback, useMemo } from "react";
import { api } from "../api/client";
import { ThresholdSliders, type ThresholdValues } from "../components/ThresholdSliders";
import { useApi } from "../hooks/useApi";
import { classNames, type ViewContext } from "./context";

const NO_GRID: readonly number[] = [];

/**
 * The IoU slider's stops: the evaluation's IoU grid as the metrics answer carries it
 * (`iou_thresholds`). A view that fetches metrics passes its answer's (null until it
 * lands); otherwise the panel asks for a report of the first inference set at the current
 * IoU (an IoU off the grid is matched by the server and joins it). Empty while unknown,
 * and for classification.
 */
function useIouGrid(ctx: ViewContext, given: readonly number[] | null | undefined): readonly number[] {
  const { project, dataset, sets, iou } = ctx;
  const base = sets[0];
  const ask = given === undefined && project.task === "detection" && base !== undefined;
  const key = ask ? JSON.stringify(["iou-grid", project.name, dataset, base, iou]) : null;
  const answer = useApi(key, (signal) =>
    api.metrics(project.name, dataset, { inferenceSets: [base!], iou, include: ["report"] }, { signal }),
  );
  const fetched = ask ? answer.data?.results[0]?.iou_thresholds : undefined;
  // The same array while the stops are the same: the sliders skip the render.
  const stops = given ?? fetched ?? NO_GRID;
  const stopsKey = stops.join(",");
  return useMemo(() => stops, [stopsKey]);
}

/**
 * The app's confidence and IoU thresholds (URL state), the same in every view that uses
 * them. Memoized: new numbers arriving in a view do not re-render it. `iouGrid`: the grid
 * of the view's own metrics answer (null while it loads); left out, the panel fetches it.
 */
export const ThresholdPanel = memo(function ThresholdPanel({ ctx, iouGrid }: { ctx: ViewContext; iouGrid?: readonly number[] | null }) {
  const { project, update } = ctx;
  const onChange = useCallback(
    (v: ThresholdValues) => update({ conf: v.conf, iou: v.iou, overrides: v.overrides, iouOverrides: v.iouOverrides ?? {} }),
    [update],
  );
  const grid = useIouGrid(ctx, iouGrid);
  return (
    <ThresholdSliders value={ctx.thresholds} onChange={onChange}
      iouGrid={grid} defaults={{ conf: project.default_conf, iou: project.default_iou }}
      classes={classNames(project)} hideIou={project.task !== "detection"} perClassIou={project.task === "detection"} />
  );
});
