import { useEffect, useId, useState } from "react";
import type { SegmentResultDict, Thresholds } from "../api/types";
import { THRESHOLD_METRICS } from "../api/types";
import { formatCount, formatScore, formatThreshold } from "../lib/format";
import { METRIC_DEFINITIONS, METRIC_TITLES, pendingMetrics, thresholdsOf, verdictOf, type Verdict } from "../lib/scenario";
import { parseUnit } from "../lib/thresholds";

export interface ScenarioCardProps {
  /** One entry of the regression-test payload (`SegmentResult.to_dict()`). */
  result: SegmentResultDict;
  /** The same segment scored by a second inference set, shown beside the first. */
  compareResult?: SegmentResultDict;
  /** Names of the inference sets (for the columns when comparing). */
  names?: [string, string?];
  /** Called with all three thresholds (null: none) after a valid edit. Without it the card is read-only. */
  onChangeThresholds?: (thresholds: Thresholds) => void;
  /** Open the segment's metrics (the card's title is a button). */
  onOpen?: (segmentName: string) => void;
}

const VERDICT_TEXT: Record<Verdict, string> = { pass: "pass", fail: "fail", none: "no threshold", pending: "being checked" };

/**
 * A segment's precision, recall and F1 against its thresholds: green pass, red fail, neutral none.
 * Every verdict is the server's (`succeeds`); a threshold edited here shows "pending" until the
 * result computed at it arrives, so a threshold is never shown beside a verdict made at another.
 */
export function ScenarioCard({ result, compareResult, names, onChangeThresholds, onOpen }: ScenarioCardProps) {
  const id = useId();
  const [thresholds, setThresholds] = useState<Thresholds>(() => thresholdsOf(result));
  const [editing, setEditing] = useState(false);
  // Follow the result's thresholds when their values change (not on every new object).
  const thresholdKey = JSON.stringify(thresholdsOf(result));
  useEffect(() => setThresholds(thresholdsOf(result)), [thresholdKey]);
  const results = compareResult ? [result, compareResult] : [result];
  const pending = pendingMetrics(result, thresholds);
  const overall: Verdict = pending.size > 0 ? "pending" : verdictOf(result.succeeds);

  return (
    // The whole card opens the segment's metrics (a click on its controls stays theirs);
    // the title's button is the keyboard's way to the same.
    <article className={`scenario-card verdict-${overall}`} aria-labelledby={`${id}-title`} aria-busy={overall === "pending"}
      data-opens={onOpen ? "metrics" : undefined}
      onClick={onOpen ? (e) => {
        if ((e.target as HTMLElement).closest("button, input, select, textarea, a, label, abbr")) return;
        onOpen(result.segment_name);
      } : undefined}>
      <header>
        <h3 id={`${id}-title`}>
          {onOpen ? (
            <button type="button" className="link" onClick={() => onOpen(result.segment_name)}>{result.segment_name}</button>
          ) : (
            result.segment_name
          )}
        </h3>
        <span className="muted">
          {result.segment_type.replace("_", " ")} · {formatCount(result.frame_count)} frames
        </span>
        {onChangeThresholds && (
          <button type="button" aria-pressed={editing} onClick={() => setEditing(!editing)}>
            {editing ? "Done" : "Edit thresholds"}
          </button>
        )}
      </header>
      <table>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            {results.map((_, k) => (
              <th scope="col" key={k}>{names?.[k] ?? (k === 0 ? "Score" : "Other")}</th>
            ))}
            <th scope="col">Threshold</th>
          </tr>
        </thead>
        <tbody>
          {THRESHOLD_METRICS.map((m) => (
            <tr key={m}>
              <th scope="row"><abbr title={METRIC_DEFINITIONS[m]}>{METRIC_TITLES[m]}</abbr></th>
              {results.map((r, k) => {
                const v: Verdict = pending.has(m) ? "pending" : verdictOf(r[m].succeeds);
                return (
                  <td key={k} className={`score verdict-${v}`} data-verdict={v}>
                    {formatScore(r[m].score)} <span className="visually-hidden">({VERDICT_TEXT[v]})</span>
                    <span aria-hidden="true">{v === "pass" ? " ✓" : v === "fail" ? " ✗" : ""}</span>
                  </td>
                );
              })}
              <td>
                {editing && onChangeThresholds ? (
                  <ThresholdInput
                    metric={METRIC_TITLES[m]}
                    value={thresholds[m]}
                    onCommit={(value) => {
                      const next = { ...thresholds, [m]: value };
                      setThresholds(next);
                      onChangeThresholds(next);
                    }}
                  />
                ) : thresholds[m] === null ? (
                  <span className="muted">none</span>
                ) : (
                  formatThreshold(thresholds[m])
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="counts">
        FP {formatCount(result.false_positives.score)} · FN {formatCount(result.false_negatives.score)} · confusions{" "}
        {formatCount(result.total_confusions.score)}
      </p>
    </article>
  );
}

interface ThresholdInputProps {
  metric: string;
  value: number | null;
  onCommit: (value: number | null) => void;
}

/** A threshold edited in place: committed on blur or Enter when valid (0..1, blank for none); Escape restores. */
function ThresholdInput({ metric, value, onCommit }: ThresholdInputProps) {
  const id = useId();
  const shown = value === null ? "" : String(value);
  const [text, setText] = useState(shown);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setText(shown), [shown]);
  const commit = () => {
    const parsed = parseUnit(text);
    if (!parsed.ok) {
      setError(parsed.error);
      return;
    }
    setError(null);
    if (parsed.value !== value) onCommit(parsed.value);
  };
  return (
    <>
      <input
        type="text"
        inputMode="decimal"
        className="number"
        aria-label={`${metric} threshold`}
        aria-invalid={error !== null}
        aria-describedby={error ? `${id}-error` : undefined}
        placeholder="none"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === "Enter") commit();
          if (e.key === "Escape") {
            setText(shown);
            setError(null);
          }
        }}
      />
      {error && <span id={`${id}-error`} role="alert" className="error">{error}</span>}
    </>
  );
}
