/**
 * Per-class changes between two inference sets, colored by the server's verdicts (`verdicts`
 * of /compare: better / worse / same by the F1 change) with a legend; a change that rounds
 * to nothing reads "0", quietly.
 */
import type { ComparisonOut } from "../api/types";
import { columnDefinition, REPORT_COLUMNS } from "../lib/report";
import { CHANGE_VERDICT_TITLES, formatDelta, VERDICT_TITLES, type Verdict } from "../lib/controls";
import "../controls.css";

/** The report's columns but the class and its support (`ap`: detection only), as changes. */
const COLUMNS = REPORT_COLUMNS.filter((c) => c.key !== "label" && c.key !== "support");

/** The verdict colors' legend; `basis` says which verdict: /compare's (the F1 change) or the
 * changed examples' (fixed - broken). */
export function VerdictLegend({ basis = "f1" }: { basis?: "f1" | "changes" }) {
  const titles = basis === "f1" ? VERDICT_TITLES : CHANGE_VERDICT_TITLES;
  const rule = basis === "f1" ? "by the F1 change (other − base)" : "by fixed − broken ground truth";
  return (
    <p className="verdict-legend" aria-label="Verdict colors">
      {(["better", "worse", "same"] as const).map((v) => (
        <span key={v}><span className={`swatch verdict-${v}`} aria-hidden="true" />{titles[v]}</span>
      ))}
      <span className="muted">Verdicts are the server's, {rule}; "0": unchanged.</span>
    </p>
  );
}

export interface ClassChangesProps {
  comparison: Pick<ComparisonOut, "base" | "other" | "classes" | "verdicts">;
  /** The IoU the numbers are at (detection), for the columns' definitions. */
  iou: number | null;
  caption?: string;
  /** A class's row opens its changed examples (Compare). */
  onSelectClass?: (label: string) => void;
  selectedClass?: string | null;
}

export function ClassChanges({ comparison, iou, caption, onSelectClass, selectedClass }: ClassChangesProps) {
  const { base, other, classes, verdicts } = comparison;
  const rows = Object.entries(classes);
  const columns = COLUMNS.filter((c) => c.key !== "ap" || rows.some(([, d]) => d.ap !== undefined));
  return (
    <div className="class-changes">
      <table className="report-table">
        <caption>{caption ?? `Per-class change (${other} − ${base})`}</caption>
        <thead>
          <tr>
            <th scope="col">Class</th>
            {columns.map((c) => (
              <th key={c.key} scope="col" className="num">
                <abbr title={`Change (${other} − ${base}) in ${columnDefinition(c.key, iou)}`}>{c.title}</abbr>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, deltas]) => {
            // (an answer of an older server has no verdicts)
            const verdict: Verdict = verdicts?.[label] ?? "same";
            return (
              <tr key={label} className={`verdict-${verdict}${selectedClass === label ? " selected" : ""}`} data-verdict={verdict}
                title={`${label}: ${VERDICT_TITLES[verdict]}`}>
                <th scope="row">
                  {onSelectClass
                    ? <button type="button" aria-pressed={selectedClass === label} onClick={() => onSelectClass(label)}>{label}</button>
                    : label}
                </th>
                {columns.map((c) => {
                  const d = deltas[c.key];
                  // AP -1: a side without ground truth of the class, so no change to show.
                  const none = d === undefined || (c.key === "ap" && (d.base < 0 || d.other < 0));
                  const text = none ? "-" : formatDelta(d.delta, c.ratio);
                  return <td key={c.key} className={`num${text === "0" ? " zero" : ""}`}>{text}</td>;
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
      <VerdictLegend />
    </div>
  );
}
