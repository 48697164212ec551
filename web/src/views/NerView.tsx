/**
 * The Metrics view of an NER project (named entities in each frame's text): the headline
 * numbers, the per-type entity report with exact matching (equal to seqeval's) or overlap
 * matching, and the sentences behind it, each shown with its text and its true and
 * predicted entities highlighted (matched, missed, false). Every number is the server's
 * (`/ner-metrics`, `/ner-sentences`).
 */
import { memo, useState } from "react";
import { DefinitionsPanel, SegmentFilter, ShownSetToggle } from "../components/TaskPanels";
import { nerMetrics, nerSentences, type NerMatch, type NerMetricsOut, type NerReport, type NerSentence } from "../api/ner";
import { ErrorPanel, Loading } from "../components/Status";
import { useApi } from "../hooks/useApi";
import { formatScore } from "../lib/format";
import { entityOutcome, tokenRuns, type SpanEntity } from "../lib/ner";
import { ALL_FRAMES, type ViewContext } from "./context";
import "../components/ner.css";

export const NER_PAGE_SIZE = 20;

/** The definitions beside the numbers (docs/metrics.md, "Named entities"). */
export const NER_DEFINITIONS: ReadonlyArray<[string, string]> = [
  ["Entity", "a run of tokens the tags mark as one type (B-PER I-PER: one PER), read as conlleval and seqeval read tags"],
  ["Exact match", "a predicted entity with the same type, first and last token as a true one (seqeval's rule)"],
  ["Overlap match", "a predicted entity of the same type sharing at least one token with a true one"],
  ["Precision", "matched predicted entities / predicted entities"],
  ["Recall", "matched true entities / true entities"],
  ["F1", "harmonic mean of precision and recall"],
  ["Support", "true entities"],
  ["TP / FP / FN", "matched predicted entities / predicted entities not matched / true entities not matched"],
];

const AVERAGES = ["micro avg", "macro avg", "weighted avg"] as const;

export function NerView({ ctx }: { ctx: ViewContext }) {
  const { project, dataset, sets, segment, update } = ctx;
  const set = ctx.shown !== null && sets.includes(ctx.shown) ? ctx.shown : sets[0]!;
  const query = ctx.query ?? undefined;
  const scope = { segment: segment === ALL_FRAMES ? undefined : segment, query };
  // The matching, the filters and the page live in the URL (ner_match, ner_errors, ner_type, page).
  const chosen = ctx.selection?.kind === "ner" ? ctx.selection : null;
  const match: NerMatch = chosen?.match ?? "exact";
  const errorsOnly = chosen?.errorsOnly ?? false;
  const entityType = chosen?.entityType ?? null;
  const page = ctx.page;
  const choose = (patch: Partial<{ match: NerMatch; errorsOnly: boolean; entityType: string | null }>) => {
    const next = { match, errorsOnly, entityType, ...patch };
    const plain = next.match === "exact" && !next.errorsOnly && next.entityType === null;
    update({ selection: plain ? null : { kind: "ner", ...next }, page: 0 });
  };
  const metricsKey = JSON.stringify(["ner-metrics", project.name, dataset, set, segment, query]);
  const metrics = useApi(metricsKey, (signal) => nerMetrics(project.name, dataset, set, scope, { signal }));
  const sentencesKey = JSON.stringify(["ner-sentences", project.name, dataset, set, segment, query, match, errorsOnly, entityType, page]);
  const sentences = useApi(sentencesKey, (signal) =>
    nerSentences(project.name, dataset, set, {
      ...scope, match, errorsOnly, entityType, offset: page * NER_PAGE_SIZE, limit: NER_PAGE_SIZE,
    }, { signal }),
  );
  const answer = metrics.data;
  const report = answer ? answer[match] : null;
  const pending = metrics.dataKey !== metricsKey && metrics.error === null;
  const chooseType = (type: string | null) => choose({ entityType: type });
  return (
    <div className="metrics-view ner-view">
      <aside>
        <section className="panel ner-controls" aria-label="Matching">
          <h2>Matching</h2>
          <div role="group" aria-label="Entity matching" className="toggle-group">
            {(["exact", "overlap"] as const).map((m) => (
              <button key={m} type="button" aria-pressed={match === m} onClick={() => choose({ match: m })}>
                {m === "exact" ? "Exact" : "Overlap"}
              </button>
            ))}
          </div>
          <label className="ner-errors-only">
            <input type="checkbox" checked={errorsOnly} onChange={(e) => choose({ errorsOnly: e.target.checked })} />
            {" "}Only sentences with a mistake
          </label>
        </section>
        <SegmentFilter segment={segment} allFrames={ALL_FRAMES} onShowAll={() => update({ segment: null })} />
        <DefinitionsPanel className="ner-definitions" definitions={NER_DEFINITIONS} />
      </aside>
      <div className="metrics-main">
        <ShownSetToggle sets={sets} shown={set} onChoose={(s, k) => update({ shown: k === 0 ? null : s, page: 0 })} />
        <Loading active={metrics.loading} label="Computing entity-level metrics" />
        {metrics.error !== null && <ErrorPanel error={metrics.error} onRetry={metrics.reload} title="Metrics could not be loaded" />}
        {answer && report && (
          <div className={pending ? "ner-board pending" : "ner-board"}>
            <Headline answer={answer} />
            <div className="panel report-panel">
              <NerReportTable report={report} selected={entityType} onSelect={chooseType}
                caption={`Entity-level report (${match === "exact" ? "exact match, equal to seqeval" : "overlap match"}): ${set}`} />
            </div>
          </div>
        )}
        <section className="ner-sentences" aria-label="Sentences">
          <h2>
            Sentences{entityType ? <> with a {entityType} entity</> : null}{errorsOnly ? " with a mistake" : null}{" "}
            {entityType && <button type="button" className="link" onClick={() => chooseType(null)}>(every type)</button>}
          </h2>
          <p className="chips-legend" aria-label="Highlight legend">
            <span className="ner-entity ner-match">matched</span>
            <span className="ner-entity ner-missed">missed (true, not predicted)</span>
            <span className="ner-entity ner-false">false (predicted, not true)</span>
          </p>
          <Loading active={sentences.loading} label="Loading sentences" />
          {sentences.error !== null && <ErrorPanel error={sentences.error} onRetry={sentences.reload} title="Sentences could not be loaded" />}
          {sentences.data && (
            <>
              <ol className="ner-sentence-list" start={sentences.data.offset + 1}>
                {sentences.data.sentences.map((s) => (
                  <SentenceItem key={s.frame_id} sentence={s} onOpen={() => update({ frame: s.frame_id, view: "frame" })} />
                ))}
              </ol>
              {sentences.data.total === 0 && <p className="empty-state">No sentence matches.</p>}
              <Pager total={sentences.data.total} page={page} onPage={(next) => update({ page: next })} />
            </>
          )}
        </section>
      </div>
    </div>
  );
}

function Headline({ answer }: { answer: NerMetricsOut }) {
  const exact = answer.exact.averages["micro avg"];
  const overlap = answer.overlap.averages["micro avg"];
  const tiles: Array<[string, string, string]> = [
    ["Exact F1", formatScore(exact["f1-score"]), "micro F1 with exact matching (seqeval's f1_score)"],
    ["Exact precision", formatScore(exact.precision), "micro precision with exact matching"],
    ["Exact recall", formatScore(exact.recall), "micro recall with exact matching"],
    ["Overlap F1", formatScore(overlap["f1-score"]), "micro F1 with overlap matching"],
    ["Entities", exact.support.toLocaleString(), "true entities"],
  ];
  return (
    <dl className="ner-headline" aria-label="Headline metrics">
      {tiles.map(([name, value, title]) => (
        <div key={name} className="panel" title={title}><dt>{name}</dt><dd>{value}</dd></div>
      ))}
      <div className="panel" title="sentences evaluated (the segment and query's)"><dt>Sentences</dt><dd>{answer.num_frames.toLocaleString()}</dd></div>
    </dl>
  );
}

const NerReportTable = memo(function NerReportTable({ report, selected, onSelect, caption }: {
  report: NerReport; selected: string | null; onSelect: (type: string) => void; caption: string;
}) {
  const title = (term: string) => NER_DEFINITIONS.find(([t]) => t === term)?.[1];
  return (
    <table className="report-table ner-report">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">type</th>
          <th scope="col" className="num" title={title("Precision")}>precision</th>
          <th scope="col" className="num" title={title("Recall")}>recall</th>
          <th scope="col" className="num" title={title("F1")}>F1</th>
          <th scope="col" className="num" title={title("Support")}>support</th>
          <th scope="col" className="num" title="matched predicted entities">TP</th>
          <th scope="col" className="num" title="predicted entities not matched">FP</th>
          <th scope="col" className="num" title="true entities not matched">FN</th>
        </tr>
      </thead>
      <tbody>
        {report.types.map((row) => (
          <tr key={row.label} className={selected === row.label ? "selected" : undefined}>
            <th scope="row">
              <button type="button" className="link" aria-pressed={selected === row.label}
                aria-label={`${row.label}: show its sentences`} onClick={() => onSelect(row.label)}>{row.label}</button>
            </th>
            <td className="num">{formatScore(row.precision)}</td>
            <td className="num">{formatScore(row.recall)}</td>
            <td className="num">{formatScore(row["f1-score"])}</td>
            <td className="num">{row.support.toLocaleString()}</td>
            <td className="num">{row.tp.toLocaleString()}</td>
            <td className="num">{row.fp.toLocaleString()}</td>
            <td className="num">{row.fn.toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        {AVERAGES.map((name) => {
          const row = report.averages[name];
          return (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td className="num">{formatScore(row.precision)}</td>
              <td className="num">{formatScore(row.recall)}</td>
              <td className="num">{formatScore(row["f1-score"])}</td>
              <td className="num">{row.support.toLocaleString()}</td>
              <td colSpan={3} />
            </tr>
          );
        })}
      </tfoot>
    </table>
  );
});

/** One side's tokens with its entities highlighted. */
export function EntityLine({ tokens, entities, side }: {
  tokens: readonly string[]; entities: readonly SpanEntity[]; side: "truth" | "predicted";
}) {
  return (
    <span className="ner-line">
      {tokenRuns(tokens, entities).map((run) =>
        run.kind === "text" ? (
          <span key={run.start} className="ner-text">{run.tokens.join(" ")}</span>
        ) : (
          <mark key={run.start} className={`ner-entity ner-${entityOutcome(side, run.entity.matched)}`}
            title={`${run.entity.type}: ${entityOutcome(side, run.entity.matched)}`}>
            {run.tokens.join(" ")}<span className="ner-type">{run.entity.type}</span>
          </mark>
        ),
      )}
    </span>
  );
}

function SentenceItem({ sentence, onOpen }: { sentence: NerSentence; onOpen: () => void }) {
  return (
    <li className="panel ner-sentence">
      <div className="ner-sentence-head">
        <button type="button" className="link" onClick={onOpen}>frame {sentence.frame_id}</button>
      </div>
      <div className="ner-side"><span className="ner-side-name">Truth</span>
        <EntityLine tokens={sentence.tokens} entities={sentence.truth} side="truth" /></div>
      <div className="ner-side"><span className="ner-side-name">Predicted</span>
        <EntityLine tokens={sentence.tokens} entities={sentence.predicted} side="predicted" /></div>
    </li>
  );
}

/**
 * The Frame view of an NER frame: its text with the true and the predicted entities
 * highlighted, under exact and under overlap matching (`/ner-sentences?frame_id=`).
 */
export function NerFrame({ ctx, frameId, inferenceSet, onClose }: {
  ctx: ViewContext; frameId: string; inferenceSet: string | null; onClose?: () => void;
}) {
  const { project, dataset } = ctx;
  const [match, setMatch] = useState<NerMatch>("exact");
  const key = inferenceSet ? JSON.stringify(["ner-frame", project.name, dataset, inferenceSet, frameId, match]) : null;
  const found = useApi(key, (signal) =>
    nerSentences(project.name, dataset, inferenceSet!, { match, errorsOnly: false, frameId, offset: 0, limit: 1 }, { signal }),
  );
  const sentence = found.data?.sentences[0];
  return (
    <section className="panel ner-frame" aria-label={`Frame ${frameId}`}>
      <div className="ner-frame-head">
        <h2>Frame {frameId}{inferenceSet ? <span className="muted"> · {inferenceSet}</span> : null}</h2>
        <div role="group" aria-label="Entity matching" className="toggle-group">
          {(["exact", "overlap"] as const).map((m) => (
            <button key={m} type="button" aria-pressed={match === m} onClick={() => setMatch(m)}>{m === "exact" ? "Exact" : "Overlap"}</button>
          ))}
        </div>
        {onClose && <button type="button" onClick={onClose}>Close</button>}
      </div>
      {!inferenceSet && <p className="empty-state">Choose an inference set to see its entities.</p>}
      <Loading active={found.loading} label={`Loading frame ${frameId}`} />
      {found.error !== null && <ErrorPanel error={found.error} onRetry={found.reload} title={`Frame ${frameId} could not be loaded`} />}
      {sentence && (
        <>
          <p className="ner-frame-text" aria-label="Text">{sentence.tokens.join(" ")}</p>
          <div className="ner-side"><span className="ner-side-name">Truth</span>
            <EntityLine tokens={sentence.tokens} entities={sentence.truth} side="truth" /></div>
          <div className="ner-side"><span className="ner-side-name">Predicted</span>
            <EntityLine tokens={sentence.tokens} entities={sentence.predicted} side="predicted" /></div>
          <p className="chips-legend" aria-label="Highlight legend">
            <span className="ner-entity ner-match">matched</span>
            <span className="ner-entity ner-missed">missed (true, not predicted)</span>
            <span className="ner-entity ner-false">false (predicted, not true)</span>
          </p>
        </>
      )}
    </section>
  );
}

function Pager({ total, page, onPage }: { total: number; page: number; onPage: (page: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / NER_PAGE_SIZE));
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={page <= 0} onClick={() => onPage(page - 1)}>Previous</button>{" "}
      <span>Page {Math.min(page + 1, pages)} of {pages} ({total.toLocaleString()} sentences)</span>{" "}
      <button type="button" disabled={page + 1 >= pages} onClick={() => onPage(page + 1)}>Next</button>
    </nav>
  );
}
