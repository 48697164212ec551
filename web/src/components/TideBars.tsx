/**
 * TIDE's error breakdown as bars: how many AP points (dAP, 0-100) fixing each error type
 * alone would add, with its count. The six main types are buttons that list their
 * objects; FalsePos and FalseNeg (perfect precision / perfect recall) have no objects of
 * their own. Every bar carries its definition (docs/insights.md) in a tooltip and in the
 * legend below.
 */
import type { TideDapOut, TideOut, TideType } from "../api/types";
import { formatCount } from "../lib/format";
import "./insights.css";

export const TIDE_TYPES: ReadonlyArray<{ value: TideType; title: string; definition: string }> = [
  { value: "Cls", title: "Classification", definition: "localized right (IoU ≥ foreground) but with the wrong class" },
  { value: "Loc", title: "Localization", definition: "the right class, IoU between background and foreground" },
  { value: "Both", title: "Both", definition: "the wrong class and a poor box (IoU between background and foreground)" },
  { value: "Dupe", title: "Duplicate", definition: "the right class and box, but its ground truth was already matched by a higher score" },
  { value: "Bkg", title: "Background", definition: "on background: IoU ≤ background with every ground truth" },
  { value: "Miss", title: "Missed", definition: "a ground truth no prediction found (and no Cls or Loc error targets)" },
];

export const TIDE_SPECIAL: ReadonlyArray<{ value: "FalsePos" | "FalseNeg"; title: string; definition: string }> = [
  { value: "FalsePos", title: "False positives", definition: "the gain from perfect precision at the same recall (every false positive removed)" },
  { value: "FalseNeg", title: "False negatives", definition: "the gain from perfect recall (every missed ground truth found)" },
];

/** dAP as TIDE prints it: AP points with two decimals. */
export function formatDap(value: number): string {
  return value.toFixed(2);
}

/** A bar's width as a share of the longest (every bar on one scale, 0 when all are 0). */
export function barShare(value: number, dap: TideDapOut): number {
  const longest = Math.max(...Object.values(dap).map((v) => Math.max(0, v)));
  return longest > 0 ? Math.max(0, value) / longest : 0;
}

export interface TideBarsProps {
  /** The breakdown shown: the whole set's or one class's. */
  tide: Pick<TideOut, "dap" | "counts" | "ap">;
  /** What the bars are of, e.g. "all classes" or a class name. */
  scope: string;
  selected: TideType | null;
  onSelect: (type: TideType | null) => void;
}

export function TideBars({ tide, scope, selected, onSelect }: TideBarsProps) {
  const { dap, counts } = tide;
  return (
    <figure className="tide-bars" aria-label={`TIDE errors: ${scope}`}>
      <figcaption>
        TIDE errors of {scope}: AP {formatDap(tide.ap)}; each bar is the AP points gained by fixing that error type alone (dAP)
      </figcaption>
      <div className="tide-bar tide-head muted" aria-hidden="true">
        <span>Type</span><span>dAP (AP points)</span><span className="tide-dap">dAP</span><span className="tide-count">count</span>
      </div>
      <ul>
        {TIDE_TYPES.map((t) => (
          <li key={t.value}>
            <button type="button" className="tide-bar" data-tide={t.value} aria-pressed={selected === t.value}
              title={`${t.title}: ${t.definition}`} aria-label={`${t.value}: dAP ${formatDap(dap[t.value])}, ${counts[t.value]} errors`}
              onClick={() => onSelect(selected === t.value ? null : t.value)}>
              <span className="tide-name">{t.value}</span>
              <span className="tide-track"><span className="tide-fill" style={{ width: `${barShare(dap[t.value], dap) * 100}%` }} /></span>
              <span className="tide-dap" data-dap={t.value}>{formatDap(dap[t.value])}</span>
              <span className="tide-count muted" data-count={t.value}>{formatCount(counts[t.value])}</span>
            </button>
          </li>
        ))}
        {TIDE_SPECIAL.map((t) => (
          <li key={t.value}>
            <div className="tide-bar special" data-tide={t.value} title={`${t.title}: ${t.definition}`}>
              <span className="tide-name">{t.value}</span>
              <span className="tide-track"><span className="tide-fill" style={{ width: `${barShare(dap[t.value], dap) * 100}%` }} /></span>
              <span className="tide-dap" data-dap={t.value}>{formatDap(dap[t.value])}</span>
              <span className="tide-count muted" />
            </div>
          </li>
        ))}
      </ul>
      <dl className="tide-legend" aria-label="TIDE error types">
        {[...TIDE_TYPES, ...TIDE_SPECIAL].map((t) => (
          <div key={t.value}>
            <dt>{t.value}</dt>
            <dd>{t.definition}</dd>
          </div>
        ))}
        <div><dt>Count</dt><dd>errors of that type (false positives, or missed ground truth for Miss); click a bar to list them</dd></div>
      </dl>
    </figure>
  );
}
