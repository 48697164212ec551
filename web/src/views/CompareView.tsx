import { useMemo } from "react";
import { api } from "../api/client";
import { ConfusionMatrix } from "../components/ConfusionMatrix";
import { AnsweredAt, ErrorPanel, Loading } from "../components/Status";
import { useApi } from "../hooks/useApi";
import { formatSigned, formatSignedScore } from "../lib/format";
import { columnDefinition, REPORT_COLUMNS } from "../lib/report";
import { ALL_FRAMES, type ViewContext } from "./context";
import { ThresholdPanel } from "./ThresholdPanel";

/** The per-class deltas shown: the report's columns but the class and its support (`ap`: detection only). */
const DELTA_COLUMNS = REPORT_COLUMNS.filter((col) => col.key !== "label" && col.key !== "support").map((col) => ({
  ...col, format: col.ratio ? formatSignedScore : formatSigned,
}));

/** The second inference set against the first: summary, delta matrix, per-class deltas. */
export function CompareView({ ctx }: { ctx: ViewContext }) {
  const { project, dataset, sets, conf, iou, segment } = ctx;
  const [base, other] = sets;
  const detection = project.task === "detection";
  const key = other ? JSON.stringify(["compare", project.name, dataset, base, other, conf, iou, segment]) : null;
  const comparison = useApi(key, (signal) =>
    api.compare(project.name, dataset, base!, other!, { conf, iou: detection ? iou : undefined, segment: segment === ALL_FRAMES ? undefined : segment }, { signal }),
  );
  const c = comparison.data;
  // One object per answer: the matrix is memoized and skips renders that bring no new cells.
  const comparisonCells = useMemo(
    () => (c ? { labels: c.confusion_matrix.labels, cells: c.cells } : null),
    [c],
  );
  if (!other) return <p className="empty-state">Choose a second inference set above to compare it with {base}.</p>;
  const columns = DELTA_COLUMNS.filter((col) => col.key !== "ap" || Object.values(c?.classes ?? {}).some((d) => d.ap !== undefined));
  return (
    <div className="compare-view">
      <aside><ThresholdPanel ctx={ctx} /></aside>
      <div className="compare-main">
      <Loading active={comparison.loading} label="Comparing" />
      {comparison.error !== null && <ErrorPanel error={comparison.error} onRetry={comparison.reload} title="The comparison could not be loaded" />}
      {c && comparisonCells && (
        <>
          <h2>{c.other} against {c.base}{c.segment !== ALL_FRAMES ? ` (${c.segment})` : ""}</h2>
          <AnsweredAt conf={c.conf} iou={c.iou} pending={comparison.dataKey !== key && comparison.error === null} />
          <ul aria-label="Summary">{c.summary.map((s) => <li key={s}>{s}</li>)}</ul>
          <div className="row">
            <ConfusionMatrix comparison={comparisonCells} caption={`Change in confusions: ${c.other} − ${c.base}`} />
            <table className="report-table">
              <caption>Per-class change ({c.other} − {c.base})</caption>
              <thead>
                <tr>
                  <th scope="col">Class</th>
                  {columns.map((col) => (
                    <th key={col.key} scope="col">
                      <abbr title={`Change (other − base) in ${columnDefinition(col.key, detection ? iou : null)}`}>{col.title}</abbr>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {Object.entries(c.classes).map(([label, deltas]) => (
                  <tr key={label}>
                    <th scope="row">{label}</th>
                    {columns.map((col) => {
                      const d = deltas[col.key];
                      // AP -1: a side without ground truth of the class, so no change to show.
                      const none = d === undefined || (col.key === "ap" && (d.base < 0 || d.other < 0));
                      return <td key={col.key} className="num">{none ? "-" : col.format(d.delta)}</td>;
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      </div>
    </div>
  );
}
