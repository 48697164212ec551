/**
 * The project summary ("compare metrics across datasets and inference sets"): every
 * inference set of the dataset side by side per segment (precision, recall, F1, mAP at the
 * app's thresholds; /summary), and the per-class improvements between any two of them,
 * colored by the server's verdicts.
 */
import { useState } from "react";
import { api } from "../api/client";
import type { SetScoresOut } from "../api/types";
import { ClassChanges } from "../components/ClassChanges";
import { ErrorPanel, Loading } from "../components/Status";
import { useApi } from "../hooks/useApi";
import { columnDefinition } from "../lib/report";
import { formatScore } from "../lib/format";
import { describeConf } from "../components/Status";
import { ALL_FRAMES, type ViewContext } from "./context";
import { ThresholdPanel } from "./ThresholdPanel";
import "../controls.css";

type ScoreColumn = { title: string; definition: string; value: (r: SetScoresOut) => number | null };

function scoreColumns(detection: boolean, iou: number | null): ScoreColumn[] {
  const columns: ScoreColumn[] = [
    { title: "Precision", definition: columnDefinition("precision", iou), value: (r) => r.precision.score },
    { title: "Recall", definition: columnDefinition("recall", iou), value: (r) => r.recall.score },
    { title: "F1", definition: columnDefinition("f1-score", iou), value: (r) => r.f1_score.score },
  ];
  if (detection) {
    columns.push(
      { title: "mAP", definition: `Mean over the classes with ground truth of each class's AP at IoU ${iou} (every confidence)`, value: (r) => r.mean_ap },
      { title: "COCO AP", definition: "COCO AP@[.5:.95]: average precision over IoU 0.50:0.95, all areas, 100 detections per image", value: (r) => r.coco_ap },
    );
  }
  return columns;
}

export function SummaryView({ ctx }: { ctx: ViewContext }) {
  const { project, dataset, sets, conf, iou, segment, query } = ctx;
  const detection = project.task === "detection";
  // The pair compared: the app's two sets unless chosen here (null: that default).
  const [baseChoice, setBaseChoice] = useState<string | null>(null);
  const [otherChoice, setOtherChoice] = useState<string | null>(null);
  const [known, setKnown] = useState<string[]>([]);
  const base = baseChoice ?? sets[0]!;
  const other = [otherChoice, sets[1], ...known].find((x): x is string => !!x && x !== base) ?? null;
  const segmentParam = segment === ALL_FRAMES ? undefined : segment;
  const key = JSON.stringify(["summary", project.name, dataset, conf, iou, segment, query, base, other]);
  const summary = useApi(key, (signal) =>
    api.summary(project.name, dataset, {
      conf, iou: detection ? iou : undefined, segment: segmentParam, query: query ?? undefined,
      // The pair only when there is one (the server needs both or neither); the first answer names the sets.
      ...(other ? { base, other } : {}),
    }, { signal }).then((answer) => {
      setKnown(answer.inference_sets);
      return answer;
    }),
  );
  const s = summary.data;
  const columns = scoreColumns(detection, s?.iou ?? null);
  const inferenceSets = s?.inference_sets ?? known;
  return (
    <div className="compare-view">
      <aside><ThresholdPanel ctx={ctx} /></aside>
      <div className="summary-view">
        <Loading active={summary.loading} label="Summarizing every inference set" />
        {summary.error !== null && <ErrorPanel error={summary.error} onRetry={summary.reload} title="The summary could not be loaded" />}
        {s && (
          <>
            <section className="panel" aria-labelledby="summary-sets">
              <h2 id="summary-sets">Every inference set of {s.dataset}, per segment</h2>
              <p className="muted answered-at">
                At {describeConf(s.conf)}{s.iou !== null ? `, IoU ${s.iou}` : ""}{s.query ? ` · query ${s.query}` : ""}
              </p>
              <div className="summary-scroll">
                <table aria-label="Summary of every inference set">
                  <thead>
                    <tr>
                      <th scope="col" rowSpan={2}>Segment</th>
                      <th scope="col" rowSpan={2} className="num">Frames</th>
                      {s.inference_sets.map((set) => <th key={set} scope="colgroup" colSpan={columns.length} className="set-head">{set}</th>)}
                    </tr>
                    <tr>
                      {s.inference_sets.flatMap((set) => columns.map((c, k) => (
                        <th key={`${set}/${c.title}`} scope="col" className={`num${k === 0 ? " first" : ""}`}><abbr title={c.definition}>{c.title}</abbr></th>
                      )))}
                    </tr>
                  </thead>
                  <tbody>
                    {s.segments.map((g) => (
                      <tr key={g.segment}>
                        <th scope="row">
                          <button type="button" className="link" title={`Open Metrics on ${g.segment}`}
                            onClick={() => ctx.update({ view: "metrics", segment: g.segment === ALL_FRAMES ? null : g.segment })}>{g.segment}</button>
                        </th>
                        <td className="num">{g.frame_count}</td>
                        {s.inference_sets.flatMap((set) => {
                          const r = g.results.find((x) => x.inference_set === set);
                          return columns.map((c, k) => (
                            <td key={`${set}/${c.title}`} className={`num${k === 0 ? " first" : ""}`} data-set={set} data-metric={c.title}>
                              {r ? formatScore(c.value(r)) : "-"}
                            </td>
                          ));
                        })}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
            <section className="panel" aria-labelledby="summary-changes">
              <h2 id="summary-changes">Per-class improvements</h2>
              <div className="summary-controls">
                <label>Base{" "}
                  <select aria-label="Base inference set" value={base} onChange={(e) => setBaseChoice(e.target.value)}>
                    {inferenceSets.map((x) => <option key={x} value={x}>{x}</option>)}
                  </select>
                </label>
                <label>Other{" "}
                  <select aria-label="Other inference set" value={other ?? ""} onChange={(e) => setOtherChoice(e.target.value)}>
                    {inferenceSets.filter((x) => x !== base).map((x) => <option key={x} value={x}>{x}</option>)}
                  </select>
                </label>
              </div>
              {s.comparison
                ? <ClassChanges comparison={s.comparison} iou={s.comparison.iou ?? null} />
                : <p className="empty-state">The dataset has one inference set: nothing to compare it with.</p>}
            </section>
          </>
        )}
      </div>
    </div>
  );
}
