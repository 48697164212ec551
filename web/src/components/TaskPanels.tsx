/** Pieces the task views (detection Metrics, multi-label, NER) share. */

/** The segment a view is restricted to, with a way back to every frame (nothing for All Frames). */
export function SegmentFilter({ segment, allFrames, onShowAll }: { segment: string; allFrames: string; onShowAll: () => void }) {
  if (segment === allFrames) return null;
  return (
    <p className="segment-filter">
      Segment: <strong>{segment}</strong>{" "}
      <button type="button" onClick={onShowAll}>Show all frames</button>
    </p>
  );
}

/** A view's metric definitions, term by term. */
export function DefinitionsPanel({ className, definitions }: { className: string; definitions: ReadonlyArray<readonly [string, string]> }) {
  return (
    <section className={`panel ${className}`} aria-label="Definitions">
      <h2>Definitions</h2>
      <dl>
        {definitions.map(([term, text]) => <div key={term}><dt>{term}</dt><dd>{text}</dd></div>)}
      </dl>
    </section>
  );
}

/** Which of the selected inference sets a view shows (nothing for one set). */
export function ShownSetToggle({ sets, shown, onChoose }: { sets: readonly string[]; shown: string; onChoose: (set: string, index: number) => void }) {
  if (sets.length < 2) return null;
  return (
    <div role="group" aria-label="Inference set shown" className="toggle-group shown-sets">
      {sets.map((s, k) => (
        <button key={s} type="button" aria-pressed={shown === s} onClick={() => onChoose(s, k)}>{s}</button>
      ))}
    </div>
  );
}
