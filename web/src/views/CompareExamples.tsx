/**
 * Compare leads to examples: the ground truth that changed from base to other, as the
 * server counts it (/compare/examples): fixed (wrong in base, right in other), broken
 * (right in base, wrong in other) and still wrong, as buttons listing those examples, and
 * the same counts per class with the server's verdict. The list chosen is in the URL.
 */
import { useState } from "react";
import { api, type OtherPoint } from "../api/client";
import type { ChangedExampleOut } from "../api/types";
import { ErrorPanel, Loading } from "../components/Status";
import { useApi } from "../hooks/useApi";
import { formatScore } from "../lib/format";
import { VerdictLegend } from "../components/ClassChanges";
import type { ChangeKind } from "../lib/urlState";
import { ALL_FRAMES, type ViewContext } from "./context";
import "../controls.css";

export const CHANGE_PAGE = 20;

export const CHANGES: ReadonlyArray<{ value: ChangeKind; title: string; definition: string }> = [
  { value: "fixed", title: "Fixed", definition: "wrong in base, right in other" },
  { value: "broken", title: "Broken", definition: "right in base, wrong in other" },
  { value: "still_wrong", title: "Still wrong", definition: "wrong in both" },
];

function outcomeText(side: ChangedExampleOut["base"]): string {
  const partner = side.partner_label && side.partner_label !== "background" ? ` as ${side.partner_label}` : "";
  return `${side.outcome}${partner}${side.reason ? ` (${side.reason})` : ""}`;
}

export function CompareExamples({ ctx, base, other, otherPoint }: { ctx: ViewContext; base: string; other: string; otherPoint: OtherPoint }) {
  const { project, dataset, conf, iou, segment, query } = ctx;
  const detection = project.task === "detection";
  const change = ctx.change ?? null;
  const [label, setLabel] = useState<string | null>(null);
  const [offset, setOffset] = useState(0);
  const point = { conf, iou: detection ? iou : undefined, segment: segment === ALL_FRAMES ? undefined : segment, query: query ?? undefined, ...otherPoint };
  const key = JSON.stringify(["changes", project.name, dataset, base, other, point, change, label, offset]);
  const answer = useApi(key, (signal) =>
    api.compareExamples(project.name, dataset, base, other, {
      ...point, change: change ?? undefined, label: label ?? undefined, offset, limit: change ? CHANGE_PAGE : 1,
    }, { signal }),
  );
  const a = answer.data;
  const choose = (next: ChangeKind | null, nextLabel: string | null = null) => {
    setLabel(nextLabel);
    setOffset(0);
    ctx.update({ change: next });
  };
  return (
    <section className="panel compare-examples" aria-labelledby="changed-examples">
      <h2 id="changed-examples">Examples that changed from {base} to {other}</h2>
      {answer.error !== null && <ErrorPanel error={answer.error} onRetry={answer.reload} title="The changed examples could not be loaded" />}
      {a && (
        <>
          <div className="change-buttons" role="group" aria-label="Changed examples">
            {CHANGES.map((c) => (
              <button key={c.value} type="button" aria-pressed={change === c.value && label === null} title={c.definition}
                onClick={() => choose(change === c.value && label === null ? null : c.value)}>
                <span>{c.title}</span><strong data-count={c.value}>{a.counts[c.value]}</strong>
                <span className="muted">{c.definition}</span>
              </button>
            ))}
          </div>
          <table className="report-table" aria-label="Changed examples per class">
            <thead>
              <tr><th scope="col">Class</th><th scope="col">Verdict</th>{CHANGES.map((c) => <th key={c.value} scope="col" className="num"><abbr title={c.definition}>{c.title}</abbr></th>)}</tr>
            </thead>
            <tbody>
              {Object.entries(a.classes).map(([name, counts]) => (
                <tr key={name} className={`verdict-${counts.verdict}`} data-verdict={counts.verdict}>
                  <th scope="row">{name}</th>
                  <td>{counts.verdict}</td>
                  {CHANGES.map((c) => (
                    <td key={c.value} className={`num${counts[c.value] === 0 ? " zero" : ""}`}>
                      {counts[c.value] === 0 ? "0" : (
                        <button type="button" className="link" aria-label={`${c.title} ${name}: ${counts[c.value]}`}
                          aria-pressed={change === c.value && label === name} onClick={() => choose(c.value, name)}>{counts[c.value]}</button>
                      )}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <VerdictLegend basis="changes" />
        </>
      )}
      <Loading active={answer.loading} label="Loading changed examples" />
      {a && change && (
        <>
          <table className="changed-examples" aria-label={`${CHANGES.find((c) => c.value === change)!.title} examples${label ? ` of ${label}` : ""}`}>
            <caption className="muted">{a.total} {CHANGES.find((c) => c.value === change)!.title.toLowerCase()}{label ? ` ${label}` : ""} ground truth; {CHANGES.find((c) => c.value === change)!.definition}</caption>
            <thead>
              <tr><th scope="col">Frame</th><th scope="col">Class</th><th scope="col">{base}</th><th scope="col">{other}</th>{detection && <th scope="col" className="num">IoU ({base} → {other})</th>}</tr>
            </thead>
            <tbody>
              {a.examples.map((e) => (
                <tr key={`${e.frame_id}/${e.id}`}>
                  <th scope="row"><button type="button" className="link" onClick={() => ctx.update({ view: "frame", frame: e.frame_id })}>{e.frame_id}</button></th>
                  <td>{e.label}</td>
                  <td>{outcomeText(e.base)}</td>
                  <td>{outcomeText(e.other)}</td>
                  {detection && <td className="num">{formatScore(e.base.iou, 2)} → {formatScore(e.other.iou, 2)}</td>}
                </tr>
              ))}
            </tbody>
          </table>
          <nav aria-label="Changed example pages" className="pager">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - CHANGE_PAGE))}>Previous</button>
            <span>{a.total === 0 ? "None" : `${offset + 1}–${Math.min(a.total, offset + CHANGE_PAGE)} of ${a.total}`}</span>
            <button type="button" disabled={offset + CHANGE_PAGE >= a.total} onClick={() => setOffset(offset + CHANGE_PAGE)}>Next</button>
          </nav>
        </>
      )}
    </section>
  );
}
