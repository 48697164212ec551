/**
 * The issue's before / after comparison: every inference set scored in the dataset before
 * the fix and in the fixed one, on the issue's frames and on all frames. Each cell is
 * "before → after (delta)", the delta colored better (blue) or worse (red) with a legend;
 * every number is the server's.
 */
import { formatScore, formatSignedScore } from "../lib/format";
import { BEFORE_AFTER_SCORES, verdictOf, type BeforeAfter, type ScoresBeforeAfter } from "../lib/issues";
import "../controls.css";

function Cell({ pair, metric }: { pair: ScoresBeforeAfter; metric: (typeof BEFORE_AFTER_SCORES)[number]["key"] }) {
  const before = pair.before[metric];
  const after = pair.after[metric];
  const delta = pair.delta[metric] ?? null;
  const verdict = verdictOf(delta);
  return (
    <td data-metric={metric} data-before={before ?? ""} data-after={after ?? ""} data-delta={delta ?? ""}>
      {formatScore(before)} → {formatScore(after)}{" "}
      <span className={`delta${verdict && verdict !== "same" ? ` verdict-${verdict}` : ""}`} data-verdict={verdict ?? undefined}>
        ({delta === null ? "-" : verdict === "same" ? "0" : formatSignedScore(delta)})
      </span>
    </td>
  );
}

export function IssueBeforeAfter({ comparison }: { comparison: BeforeAfter }) {
  const conf = typeof comparison.conf === "number" ? `confidence ${comparison.conf}` : "per-class confidences";
  return (
    <section className="issue-before-after" aria-labelledby="before-after-title">
      <h3 id="before-after-title">Before and after the fix</h3>
      <p className="muted">
        Each inference set in <strong>{comparison.before}</strong> (before) and <strong>{comparison.after}</strong> (after), at {conf} and
        IoU {comparison.iou}: on the issue's {comparison.frames} frame{comparison.frames === 1 ? "" : "s"} and on all frames.
      </p>
      <div className="before-after-scroll">
      <table className="before-after" aria-label="Before and after">
        <thead>
          <tr>
            <th scope="col">Inference set</th>
            <th scope="col">Frames</th>
            {BEFORE_AFTER_SCORES.map((s) => <th key={s.key} scope="col"><abbr title={s.definition}>{s.title}</abbr></th>)}
          </tr>
        </thead>
        <tbody>
          {comparison.sets.flatMap((set) => ([["issue", "the issue's", set.issue_frames], ["all", "all", set.all_frames]] as const).map(([scope, title, pair]) => (
            <tr key={`${set.inference_set}/${scope}`} data-set={set.inference_set} data-scope={scope}>
              <th scope="row">{set.inference_set}</th>
              <td>{title} ({pair.after.frame_count})</td>
              {BEFORE_AFTER_SCORES.map((s) => <Cell key={s.key} pair={pair} metric={s.key} />)}
            </tr>
          )))}
        </tbody>
      </table>
      </div>
      <p className="verdict-legend" aria-label="Delta colors">
        <span><span className="swatch verdict-better" aria-hidden="true" />better (after − before &gt; 0)</span>
        <span><span className="swatch verdict-worse" aria-hidden="true" />worse (&lt; 0)</span>
        <span className="muted">"0": unchanged at three decimals; "-": not measured. Higher is better for all four.</span>
      </p>
    </section>
  );
}
