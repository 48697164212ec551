/**
 * The embedding scatter's legends: what the color means (its definition from the colors
 * answer), each category with its count and a toggle (hidden categories are neither drawn
 * nor selected), or the continuous ramp with its ticks; how points outside the segment or
 * query are drawn, and opacity by confidence when it is on.
 */
import { memo, useMemo } from "react";
import { categoricalLegend, formatTick, legendTicks, NO_VALUE, NO_VALUE_COLOR, rampGradient, rampPosition, type OutOfScope, type PointColorsOut } from "../lib/embedding";
import type { Scheme } from "../lib/color";
import { formatCount } from "../lib/format";

export interface EmbeddingScatterLegendProps {
  colors: PointColorsOut;
  title: string;
  classColors?: Readonly<Record<string, string>>;
  hidden: ReadonlySet<number>;
  onToggle: (code: number) => void;
  onShowAll: () => void;
  /** Points outside the segment / query (0: none) and how they are drawn. */
  outOfScopeCount: number;
  outOfScope: OutOfScope;
  /** Opacity by confidence is on. */
  opacityByConfidence: boolean;
  scheme: Scheme;
  /** Points selected (drawn larger with a ring). */
  selectedCount?: number;
}

/** Memoized: a hover in the scatter re-renders the view, not the legend (its counts go over every point). */
export const EmbeddingScatterLegend = memo(function EmbeddingScatterLegend({ colors, title, classColors, hidden, onToggle, onShowAll, outOfScopeCount, outOfScope, opacityByConfidence, scheme, selectedCount = 0 }: EmbeddingScatterLegendProps) {
  const entries = useMemo(() => (colors.type === "categorical" ? categoricalLegend(colors, classColors) : []), [colors, classColors]);
  return (
    <section className="embedding-legend" aria-label="Legend">
      <h3>{title}</h3>
      <p className="legend-definition">{colors.definition}</p>
      {colors.type === "categorical" ? (
        <>
          <ul className="legend-categories">
            {entries.map((entry) => {
              const off = hidden.has(entry.code);
              return (
                <li key={entry.code}>
                  <button type="button" aria-pressed={!off} onClick={() => onToggle(entry.code)}
                    title={off ? `Show ${entry.name}` : `Hide ${entry.name} (hidden points are not selected)`} className={off ? "legend-off" : undefined}>
                    <span className="swatch" style={{ background: entry.color }} aria-hidden="true" />
                    <span className="legend-name">{entry.name}</span>
                    <span className="legend-count">{formatCount(entry.count)}</span>
                  </button>
                </li>
              );
            })}
          </ul>
          {hidden.size > 0 && <button type="button" className="link-button" onClick={onShowAll}>Show all</button>}
        </>
      ) : (
        <ContinuousLegend colors={colors} hidden={hidden} onToggle={onToggle} scheme={scheme} />
      )}
      {outOfScopeCount > 0 && (
        <p className="legend-note">
          <span className={`swatch ${outOfScope === "dim" ? "swatch-dim" : "swatch-hidden"}`} aria-hidden="true" />
          {formatCount(outOfScopeCount)} points outside the segment / query: {outOfScope === "dim" ? "dimmed" : "hidden"}, never selected
        </p>
      )}
      {selectedCount > 0 && (
        <p className="legend-note">
          <span className="swatch swatch-selected" aria-hidden="true" />
          larger, ringed: the {formatCount(selectedCount)} selected
        </p>
      )}
      {opacityByConfidence && (
        <div className="legend-note">
          Opacity: confidence
          <span className="opacity-ramp" aria-hidden="true" />
          <span className="muted">faint 0 → opaque 1; no confidence: opaque</span>
        </div>
      )}
    </section>
  );
});

function ContinuousLegend({ colors, hidden, onToggle, scheme }: { colors: PointColorsOut; hidden: ReadonlySet<number>; onToggle: (code: number) => void; scheme: Scheme }) {
  const min = colors.min ?? 0;
  const max = colors.max ?? min;
  const noValue = useMemo(() => (colors.values ?? []).reduce<number>((n, v) => (v === null ? n + 1 : n), 0), [colors.values]);
  return (
    <div className="legend-ramp">
      <div className="ramp-bar" style={{ background: rampGradient(scheme) }} role="img" aria-label={`from ${formatTick(min, min, max)} (dark) to ${formatTick(max, min, max)} (light)`} />
      <div className="ramp-ticks" aria-hidden="true">
        {legendTicks(min, max).map((t) => (
          <span key={t} style={{ left: `${rampPosition(t, min, max) * 100}%` }}>{formatTick(t, min, max)}</span>
        ))}
      </div>
      {noValue > 0 && (
        <button type="button" aria-pressed={!hidden.has(-1)} onClick={() => onToggle(-1)} className={hidden.has(-1) ? "legend-off" : undefined}>
          <span className="swatch" style={{ background: NO_VALUE_COLOR }} aria-hidden="true" />
          <span className="legend-name">{NO_VALUE}</span>
          <span className="legend-count">{formatCount(noValue)}</span>
        </button>
      )}
    </div>
  );
}
