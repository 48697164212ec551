import { useEffect, useId, useState } from "react";
import { useDebouncedCallback } from "../hooks/useDebouncedCallback";
import { formatThreshold } from "../lib/format";
import { gridIndex, parseUnit, withOverride } from "../lib/thresholds";

export interface ThresholdValues {
  conf: number;
  iou: number;
  /** Per-class confidence thresholds that replace `conf` for those classes. */
  overrides: Record<string, number>;
}

export interface ThresholdSlidersProps {
  value: ThresholdValues;
  /** Slider drags and resets emit at once; typed numbers emit after `debounceMs` (or on Enter / blur). */
  onChange: (value: ThresholdValues) => void;
  /** The evaluation's IoU grid: the IoU slider snaps to these values. */
  iouGrid: readonly number[];
  /** The project's defaults, restored by "Reset to project defaults". */
  defaults: { conf: number; iou: number };
  /** Classes available for per-class overrides. */
  classes: readonly string[];
  debounceMs?: number;
  /** Hide the IoU slider (classification). */
  hideIou?: boolean;
}

/** Confidence and IoU thresholds with a per-class confidence override editor. */
export function ThresholdSliders({ value, onChange, iouGrid, defaults, classes, debounceMs = 300, hideIou }: ThresholdSlidersProps) {
  const id = useId();
  // Local copy so inputs move at once while the parent hears debounced updates.
  const [local, setLocal] = useState<ThresholdValues>(value);
  const [confText, setConfText] = useState(formatThreshold(value.conf));
  const [confError, setConfError] = useState<string | null>(null);
  // Follow the parent only when its values change (not on every new object).
  const valueKey = JSON.stringify([value.conf, value.iou, value.overrides]);
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

  const grid = iouGrid.length > 0 ? iouGrid : null;
  const iouIndex = grid ? gridIndex(local.iou, grid) : 0;
  const overridden = Object.keys(local.overrides).filter((c) => classes.includes(c));
  const available = classes.filter((c) => !(c in local.overrides));
  const [adding, setAdding] = useState<string>("");
  const isDefault = local.conf === defaults.conf && local.iou === defaults.iou && overridden.length === 0;

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
        <div className="slider-row">
          <label htmlFor={`${id}-iou`}>IoU</label>
          {grid ? (
            <input
              id={`${id}-iou`}
              type="range"
              min={0}
              max={grid.length - 1}
              step={1}
              value={iouIndex}
              aria-valuetext={formatThreshold(grid[iouIndex]!)}
              onChange={(e) => now({ ...local, iou: grid[Number(e.target.value)]! })}
            />
          ) : (
            // The evaluation's grid is not known yet: the value, not yet movable.
            <input id={`${id}-iou`} type="range" min={0} max={1} step="any" value={local.iou} disabled
              aria-valuetext={formatThreshold(local.iou)} />
          )}
          <output htmlFor={`${id}-iou`}>{formatThreshold(grid ? grid[iouIndex]! : local.iou)}</output>
        </div>
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
      <button
        type="button"
        disabled={isDefault}
        onClick={() => {
          setConfText(formatThreshold(defaults.conf));
          setConfError(null);
          now({ conf: defaults.conf, iou: defaults.iou, overrides: {} });
        }}
      >
        Reset to project defaults
      </button>
    </fieldset>
  );
}

interface OverrideRowProps {
  label: string;
  value: number;
  onType: (value: number) => void;
  onCommit: () => void;
  onInvalid: () => void;
  onRemove: () => void;
}

function OverrideRow({ label, value, onType, onCommit, onInvalid, onRemove }: OverrideRowProps) {
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
            const parsed = parseUnit(e.target.value, false);
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
      <button type="button" aria-label={`Remove ${label} override`} onClick={onRemove}>×</button>
      {error && <span role="alert" className="error">{error}</span>}
    </li>
  );
}
