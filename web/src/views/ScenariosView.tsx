import { useCallback, useState } from "react";
import { api } from "../api/client";
import type { SegmentOut, SegmentResultDict, Thresholds } from "../api/types";
import { ScenarioCard } from "../components/ScenarioCard";
import { SegmentDots } from "../components/SegmentDots";
import { ErrorPanel, Loading } from "../components/Status";
import { ThresholdLink } from "../components/ThresholdLink";
import { useApi } from "../hooks/useApi";
import { useSegmentsChanged } from "../hooks/useSegmentsChanged";
import { formatThreshold } from "../lib/format";
import { ALL_FRAMES, type ViewContext } from "./context";
import { NewSegmentForm, SegmentActions } from "./SegmentEditor";
import { ThresholdPanel } from "./ThresholdPanel";

export const GROUPS: ReadonlyArray<{ type: string; title: string }> = [
  { type: "split", title: "Splits" },
  { type: "regression_test", title: "Regression Tests" },
  { type: "scenario", title: "Scenarios" },
];

const FRAMES_PAGE = 50;

/** Regression-test cards of every segment, grouped; thresholds are edited in place on the server. */
export function ScenariosView({ ctx }: { ctx: ViewContext }) {
  const { project, dataset, sets, conf, iou } = ctx;
  const detection = project.task === "detection";
  const [details, setDetails] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  // The second set at its own thresholds when unlinked (ThresholdLink); the query bar's query narrows every segment.
  const query = ctx.query ?? undefined;
  const other = sets.length > 1 ? (ctx.other ?? null) : null;
  const key = JSON.stringify(["regression", project.name, dataset, sets, conf, iou, query, other]);
  const regression = useApi(key, (signal) =>
    Promise.all(sets.map((s, k) => {
      const point = k === 1 && other ? { conf: other.conf, iou: other.iou } : { conf, iou };
      return api.regression(project.name, dataset, s, { conf: point.conf, iou: detection ? point.iou : undefined, query }, { signal });
    })),
  );
  const segments = useApi(JSON.stringify(["segments", project.name, dataset]), (signal) => api.segments(project.name, dataset, { signal }));
  // A segment created, renamed or deleted (here or in another view): the cards and lists follow.
  const { reload: reloadRegression } = regression;
  const { reload: reloadSegments } = segments;
  useSegmentsChanged(useCallback(() => { reloadRegression(); reloadSegments(); }, [reloadRegression, reloadSegments]));

  const save = async (segment: string, thresholds: Thresholds) => {
    setSaving(true);
    setSaveError(null);
    try {
      await api.updateSegment(project.name, dataset, segment, thresholds);
      regression.reload();
      segments.reload();
    } catch (error) {
      setSaveError(error);
    } finally {
      setSaving(false);
    }
  };

  const first = regression.data?.[0] ?? [];
  const second = regression.data?.[1];
  const detailSegment = segments.data?.find((s) => s.name === details) ?? null;
  return (
    <div className="scenarios-view">
      <aside>
        <ThresholdLink sets={sets} conf={ctx.thresholds.conf} iou={ctx.thresholds.iou} other={other}
          defaults={{ conf: project.default_conf, iou: project.default_iou }} hideIou={!detection} update={ctx.update}>
          <ThresholdPanel ctx={ctx} />
        </ThresholdLink>
        <NewSegmentForm ctx={ctx} onCreated={(created) => setDetails(created.name)} />
      </aside>
      <div className="scenarios-main">
      <Loading active={regression.loading || saving} label={saving ? "Saving thresholds" : "Running regression tests"} />
      {regression.error !== null && <ErrorPanel error={regression.error} onRetry={regression.reload} title="Regression tests could not be loaded" />}
      {saveError !== null && <ErrorPanel error={saveError} title="The thresholds were not saved" />}
      {GROUPS.map((g) => {
        const results = first.filter((r) => r.segment_type === g.type);
        if (results.length === 0 && !regression.data) return null;
        return (
          <section key={g.type} aria-labelledby={`group-${g.type}`}>
            <h2 id={`group-${g.type}`}>{g.title}</h2>
            {results.length === 0 && <p className="muted">None.</p>}
            <div className="cards">
              {results.map((r: SegmentResultDict) => (
                <div key={r.uuid} className="card-slot">
                  <ScenarioCard result={r} compareResult={second?.find((o) => o.uuid === r.uuid)}
                    names={second ? [sets[0]!, sets[1]] : [sets[0]!]}
                    onOpen={(name) => ctx.update({ segment: name === ALL_FRAMES ? null : name, view: "metrics" })}
                    onChangeThresholds={(t) => void save(r.segment_name, t)} />
                  <button type="button" aria-pressed={details === r.segment_name} aria-label={`Details of ${r.segment_name}`}
                    onClick={() => setDetails(details === r.segment_name ? null : r.segment_name)}>
                    Details
                  </button>
                </div>
              ))}
            </div>
          </section>
        );
      })}
      {details && (
        <SegmentDetails key={details} ctx={ctx} name={details} segment={detailSegment} onClose={() => setDetails(null)}
          onRenamed={setDetails} onDeleted={() => setDetails(null)} />
      )}
      </div>
    </div>
  );
}

/** The segment's metrics: a dot per inference set (the server's summary of this one segment). */
function SegmentMetricsDots({ ctx, name }: { ctx: ViewContext; name: string }) {
  const { project, dataset, conf, iou, query } = ctx;
  const detection = project.task === "detection";
  const summary = useApi(JSON.stringify(["segment-dots", project.name, dataset, name, conf, iou, query]), (signal) =>
    api.summary(project.name, dataset, {
      conf, iou: detection ? iou : undefined, segment: name === ALL_FRAMES ? undefined : name, query: query ?? undefined,
    }, { signal }),
  );
  const answer = summary.data?.segments.find((s) => s.segment === name) ?? null;
  return (
    <section className="panel" aria-label="Metrics per inference set">
      <h3>Metrics per inference set</h3>
      <Loading active={summary.loading} label="Loading the segment's metrics" />
      {summary.error !== null && <ErrorPanel error={summary.error} onRetry={summary.reload} title="The segment's metrics could not be loaded" />}
      {answer && summary.data && (
        <>
          <p className="muted answered-at">
            {summary.data.inference_sets.length} inference sets at confidence {typeof summary.data.conf === "number" ? summary.data.conf : "per class"}
            {summary.data.iou !== null ? `, IoU ${summary.data.iou}` : ""}
          </p>
          <SegmentDots segment={answer} />
        </>
      )}
    </section>
  );
}

function SegmentDetails({ ctx, name, segment, onClose, onRenamed, onDeleted }: {
  ctx: ViewContext; name: string; segment: SegmentOut | null; onClose: () => void; onRenamed: (name: string) => void; onDeleted: () => void;
}) {
  const { project, dataset } = ctx;
  const [offset, setOffset] = useState(0);
  // The server resolves the segment (a list of frames or a query) to its frames, in the dataset's order.
  const frames = useApi(JSON.stringify(["frames", project.name, dataset, name, offset]), (signal) =>
    api.frames(project.name, dataset, { offset, limit: FRAMES_PAGE, segment: name }, { signal }),
  );
  return (
    <section className="segment-details" aria-label={`Segment ${name}`}>
      <header>
        <h2>{name}</h2>
        <button type="button" onClick={onClose}>Close</button>
      </header>
      {segment && (
        <dl className="metadata">
          <div><dt>Type</dt><dd>{segment.type.replace("_", " ")}</dd></div>
          <div><dt>Frames</dt><dd>{segment.frame_count}</dd></div>
          <div><dt>Query</dt><dd>{segment.query ?? "(a list of frames)"}</dd></div>
          <div><dt>Thresholds</dt><dd>
            {(["precision", "recall", "f1_score"] as const).map((m) => `${m.replace("_", " ")} ${segment.thresholds[m] === null ? "-" : formatThreshold(segment.thresholds[m]!)}`).join(" · ")}
          </dd></div>
          <div><dt>Description</dt><dd data-testid="segment-description">{segment.description || "-"}</dd></div>
          <div><dt>uuid</dt><dd>{segment.uuid}</dd></div>
        </dl>
      )}
      <SegmentMetricsDots ctx={ctx} name={name} />
      {segment && name !== ALL_FRAMES && (
        <SegmentActions ctx={ctx} segment={segment} onRenamed={onRenamed} onDeleted={onDeleted} />
      )}
      {segment && <p className="muted hint">Thresholds are edited on the segment's card (Edit thresholds).</p>}
      <Loading active={frames.loading} label="Loading frames" />
      {frames.error !== null && <ErrorPanel error={frames.error} onRetry={frames.reload} title="Frames could not be loaded" />}
      {frames.data && (
        <>
          <table className="frames-table">
            <caption>{frames.data.total} frames</caption>
            <thead>
              <tr><th scope="col">Frame</th>{Object.keys(frames.data.frames[0] ?? {}).filter((k) => k !== "frame_id" && k !== "image_url").map((k) => <th key={k} scope="col">{k}</th>)}</tr>
            </thead>
            <tbody>
              {frames.data.frames.map((f) => (
                <tr key={f.frame_id}>
                  <th scope="row">
                    <button type="button" className="link" onClick={() => ctx.update({ view: "frame", frame: f.frame_id })}>{f.frame_id}</button>
                  </th>
                  {Object.entries(f).filter(([k]) => k !== "frame_id" && k !== "image_url").map(([k, v]) => <td key={k}>{v === null ? "-" : String(v)}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
          <nav aria-label="Frame pages" className="pager">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - FRAMES_PAGE))}>Previous</button>
            <span>{frames.data.total === 0 ? "No frames" : `${offset + 1}–${Math.min(frames.data.total, offset + FRAMES_PAGE)} of ${frames.data.total}`}</span>
            <button type="button" disabled={offset + FRAMES_PAGE >= frames.data.total} onClick={() => setOffset(offset + FRAMES_PAGE)}>Next</button>
          </nav>
        </>
      )}
    </section>
  );
}
