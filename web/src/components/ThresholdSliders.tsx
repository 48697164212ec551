import { useEffect, useId, useState } from "react";
import { useDebouncedCallback } from "../hooks/useDebouncedCallback";
import { formatThreshold } from "../lib/format";
import { IOU_MAX, IOU_MIN, IOU_STEP, IOU_TICKS, iouOf, parseIou, parseUnit, withOverride, type Parsed } from "../lib/thresholds";

export interface ThresholdValues {
  conf: number;
  iou: number;
  /** Per-class confidence thresholds that replace `conf` for those classes. */
  overrides: Record<string, number>;
  /** Per-class IoU thresholds that replace `iou` for those classes (unset: none). */
  iouOverrides?: Record<string, number>;
}

const NO_IOU_OVERRIDES: Record<string, number> = {};

export interface ThresholdSlidersProps {
  value: ThresholdValues;
  /** Slider drags and resets emit at once; typed numbers emit after `debounceMs` (or on Enter / blur). */
  onChange: (value: ThresholdValues) => void;
  /** The evaluation's kept IoU grid: marked on the IoU slider (instant); other IoUs are matched by the server on demand. */
  iouGrid: readonly number[];
  /** The project's defaults, restored by "Reset to project defaults". */
  defaults: { conf: number; iou: number };
  /** Classes available for per-class overrides. */
  classes: readonly string[];
  debounceMs?: number;
  /** Hide the IoU slider (classification). */
  hideIou?: boolean;
  /** Offer per-class IoU overrides (detection, where the metrics and examples match per class). */
  perClassIou?: boolean;
}

/** Confidence and IoU thresholds with per-class confidence (and, for detection, IoU) override editors. */
export function ThresholdSliders({ value, onChange, iouGrid, defaults, classes, debounceMs = 300, hideIou, perClassIou }: ThresholdSlidersProps) {
  const id = useId();
  // Local copy so inputs move at once while the parent hears debounced updates.
  const [local, setLocal] = useState<ThresholdValues>(value);
  const [confText, setConfText] = useState(formatThreshold(value.conf));
  const [confError, setConfError] = useState<string | null>(null);
  // Follow the parent only when its values change (not on every new object).
  const valueKey = JSON.stringify([value.conf, value.iou, value.overrides, value.iouOverrides ?? NO_IOU_OVERRIDES]);
  useEffect(() => {
    setLocal(value);
    // Keep what the user typed when it already means this value ("0.6" stays "0.6").
    setConfText((text) => {
      const parsed = parseUnit(text, false);
      return parsed.ok && parsed.value === value.conf ? text : formatThreshold(value.conf);
    });
  }, [valueKey]);
  const debounced = useDebouncedCallback(onChange, debounceMs);

  const now = (next: ThresholdValues) => {
    debounced.cancel();
    setLocal(next);
    onChange(next);
  };
  const later = (next: ThresholdValues) => {
    setLocal(next);
    debounced.call(next);
  };

  const grid = iouGrid;
  const overridden = Object.keys(local.overrides).filter((c) => classes.includes(c));
  const available = classes.filter((c) => !(c in local.overrides));
  const [adding, setAdding] = useState<string>("");
  const iouOverrides = local.iouOverrides ?? NO_IOU_OVERRIDES;
  const iouOverridden = Object.keys(iouOverrides).filter((c) => classes.includes(c));
  const isDefault = local.conf === defaults.conf && local.iou === defaults.iou && overridden.length === 0 && iouOverridden.length === 0;

  return (
    <fieldset className="threshold-sliders">
      <legend>Thresholds</legend>
      <div className="slider-row">
        <label htmlFor={`${id}-conf`}>Confidence</label>
        <input
          id={`${id}-conf`}
          type="range"
          min={0}
          max={1}
          step={0.01}
          value={local.conf}
          aria-valuetext={formatThreshold(local.conf)}
          onChange={(e) => {
            const conf = Number(e.target.value);
            setConfText(formatThreshold(conf));
            setConfError(null);
            now({ ...local, conf });
          }}
        />
        <input
          type="text"
          inputMode="decimal"
          aria-label="Confidence value"
          aria-invalid={confError !== null}
          aria-describedby={confError ? `${id}-conf-error` : undefined}
          className="number"
          value={confText}
          onChange={(e) => {
            setConfText(e.target.value);
            const parsed = parseUnit(e.target.value, false);
            if (parsed.ok && parsed.value !== null) {
              setConfError(null);
              later({ ...local, conf: parsed.value });
            } else {
              debounced.cancel();
              setConfError(parsed.ok ? "enter a value from 0 to 1" : parsed.error);
            }
          }}
          onBlur={debounced.flush}
          onKeyDown={(e) => e.key === "Enter" && debounced.flush()}
        />
        {confError && <span id={`${id}-conf-error`} role="alert" className="error">{confError}</span>}
      </div>
      {!hideIou && (
        <IouRow id={id} value={local.iou} grid={grid}
          onSlide={(iou) => now({ ...local, iou })}
          onType={(iou) => later({ ...local, iou })}
          onCommit={debounced.flush} onInvalid={debounced.cancel} />
      )}
      <div className="overrides">
        <h4 id={`${id}-overrides`}>Per-class confidence</h4>
        {overridden.length > 0 && (
          <ul aria-labelledby={`${id}-overrides`}>
            {overridden.map((c) => (
              <OverrideRow
                key={c}
                label={c}
                value={local.overrides[c]!}
                onType={(v) => later({ ...local, overrides: withOverride(local.overrides, c, v) })}
                onCommit={debounced.flush}
                onInvalid={debounced.cancel}
                onRemove={() => now({ ...local, overrides: withOverride(local.overrides, c, null) })}
              />
            ))}
          </ul>
        )}
        {available.length > 0 && (
          <div className="add-override">
            <select aria-label="Class to override" value={adding} onChange={(e) => setAdding(e.target.value)}>
              <option value="">Choose a class…</option>
              {available.map((c) => <option key={c} value={c}>{c}</option>)}
            </select>
            <button
              type="button"
              disabled={adding === ""}
              onClick={() => {
                now({ ...local, overrides: withOverride(local.overrides, adding, local.conf) });
                setAdding("");
              }}
            >
              Add override
            </button>
          </div>
        )}
      </div>
      {perClassIou && !hideIou && (
        <PerClassEditor title="Per-class IoU" what="IoU" classes={classes} overrides={iouOverrides}
          startAt={local.iou} parse={parseIou}
          note="Each class named is matched at its own IoU in Metrics and its examples; other views use the IoU above."
          onType={(next) => later({ ...local, iouOverrides: next })} onSet={(next) => now({ ...local, iouOverrides: next })}
          onCommit={debounced.flush} onInvalid={debounced.cancel} />
      )}
      <button
        type="button"
        disabled={isDefault}
        onClick={() => {
          setConfText(formatThreshold(defaults.conf));
          setConfError(null);
          now({ conf: defaults.conf, iou: defaults.iou, overrides: {}, ...(perClassIou ? { iouOverrides: {} } : {}) });
        }}
      >
        Reset to project defaults
      </button>
    </fieldset>
  );
}

interface PerClassEditorProps {
  title: string;
  /** What the value is, in the remove button's name ("Remove cat IoU override"). */
  what: string;
  classes: readonly string[];
  overrides: Readonly<Record<string, number>>;
  /** A new override's first value (the global threshold). */
  startAt: number;
  parse: (text: string) => Parsed;
  note: string;
  /** Typed values (debounced by the caller); added and removed ones (at once). */
  onType: (overrides: Record<string, number>) => void;
  onSet: (overrides: Record<string, number>) => void;
  onCommit: () => void;
  onInvalid: () => void;
}

/** Per-class thresholds: the overridden classes' values, and a picker to add one. */
function PerClassEditor({ title, what, classes, overrides, startAt, parse, note, onType, onSet, onCommit, onInvalid }: PerClassEditorProps) {
  const id = useId();
  const [adding, setAdding] = useState<string>("");
  const overridden = Object.keys(overrides).filter((c) => classes.includes(c));
  const available = classes.filter((c) => !(c in overrides));
  return (
    <div className="overrides" data-testid={`overrides-${what.toLowerCase()}`}>
      <h4 id={`${id}-title`}>{title}</h4>
      <p className="muted overrides-note">{note}</p>
      {overridden.length > 0 && (
        <ul aria-labelledby={`${id}-title`}>
          {overridden.map((c) => (
            <OverrideRow key={c} label={c} value={overrides[c]!} parse={parse} removeName={`Remove ${c} ${what} override`}
              onType={(v) => onType(withOverride(overrides, c, v))} onCommit={onCommit} onInvalid={onInvalid}
              onRemove={() => onSet(withOverride(overrides, c, null))} />
          ))}
        </ul>
      )}
      {available.length > 0 && (
        <div className="add-override">
          <select aria-label={`Class for a per-class ${what}`} value={adding} onChange={(e) => setAdding(e.target.value)}>
            <option value="">Choose a class…</option>
            {available.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
          <button type="button" disabled={adding === ""}
            onClick={() => {
              onSet(withOverride(overrides, adding, startAt));
              setAdding("");
            }}>
            Add {what} override
          </button>
        </div>
      )}
    </div>
  );
}

interface OverrideRowProps {
  label: string;
  value: number;
  /** How a typed value is read (default: a number from 0 to 1). */
  parse?: (text: string) => Parsed;
  /** The remove button's accessible name (default: "Remove LABEL override"). */
  removeName?: string;
  onType: (value: number) => void;
  onCommit: () => void;
  onInvalid: () => void;
  onRemove: () => void;
}

function OverrideRow({ label, value, parse = (t) => parseUnit(t, false), removeName, onType, onCommit, onInvalid, onRemove }: OverrideRowProps) {
  const [text, setText] = useState(formatThreshold(value));
  const [error, setError] = useState<string | null>(null);
  return (
    <li>
      <label>
        {label}{" "}
        <input
          type="text"
          inputMode="decimal"
          className="number"
          aria-invalid={error !== null}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            const parsed = parse(e.target.value);
            if (parsed.ok && parsed.value !== null) {
              setError(null);
              onType(parsed.value);
            } else {
              setError(parsed.ok ? "enter a value from 0 to 1" : parsed.error);
              onInvalid();
            }
          }}
          onBlur={onCommit}
          onKeyDown={(e) => e.key === "Enter" && onCommit()}
        />
      </label>
      <button type="button" aria-label={removeName ?? `Remove ${label} override`} onClick={onRemove}>×</button>
      {error && <span role="alert" className="error">{error}</span>}
    </li>
  );
}

interface IouRowProps {
  id: string;
  value: number;
  /** The kept grid (fast values), marked under the slider; empty while unknown. */
  grid: readonly number[];
  onSlide: (iou: number) => void;
  onType: (iou: number) => void;
  onCommit: () => void;
  onInvalid: () => void;
}

/**
 * The IoU over its whole range (0.05..0.95 in steps of 0.05, or any value typed in the box):
 * the kept grid's values answer at once, others are matched by the server on demand.
 */
function IouRow({ id, value, grid, onSlide, onType, onCommit, onInvalid }: IouRowProps) {
  const [text, setText] = useState(formatThreshold(value));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setText((t) => {
      const parsed = parseIou(t);
      return parsed.ok && parsed.value === value ? t : formatThreshold(value);
    });
  }, [value]);
  const kept = grid.some((g) => Math.abs(g - value) < 1e-9);
  return (
    <div className="iou-row">
      <div className="slider-row">
        <label htmlFor={`${id}-iou`}>IoU</label>
        <div className="slider-with-ticks">
          <input id={`${id}-iou`} type="range" min={IOU_MIN} max={IOU_MAX} step={IOU_STEP} value={value}
            list={`${id}-iou-grid`} aria-valuetext={formatThreshold(value)}
            onChange={(e) => {
              const iou = iouOf(Number(e.target.value), grid);
              setText(formatThreshold(iou));
              setError(null);
              onSlide(iou);
            }} />
          <datalist id={`${id}-iou-grid`}>{grid.map((g) => <option key={g} value={g} />)}</datalist>
          <div className="ticks" aria-hidden="true">
            {IOU_TICKS.map((t) => (
              <span key={t} style={{ left: `${((t - IOU_MIN) / (IOU_MAX - IOU_MIN)) * 100}%` }}>{formatThreshold(t)}</span>
            ))}
          </div>
        </div>
        <input type="text" inputMode="decimal" aria-label="IoU value" className="number"
          aria-invalid={error !== null} aria-describedby={error ? `${id}-iou-error` : `${id}-iou-note`} value={text}
          onChange={(e) => {
            setText(e.target.value);
            const parsed = parseIou(e.target.value);
            if (parsed.ok && parsed.value !== null) {
              setError(null);
              onType(iouOf(parsed.value, grid));
            } else {
              onInvalid();
              setError(parsed.ok ? `enter a value from ${IOU_MIN} to ${IOU_MAX}` : parsed.error);
            }
          }}
          onBlur={onCommit}
          onKeyDown={(e) => e.key === "Enter" && onCommit()} />
      </div>
      {error && <span id={`${id}-iou-error`} role="alert" className="error">{error}</span>}
      <p id={`${id}-iou-note`} className="muted iou-note" data-testid="iou-note">
        {grid.length === 0 ? "" : kept ? "on the kept grid: instant" : "off the kept grid: matched on demand (slower the first time)"}
      </p>
    </div>
  );
}
