export interface ToggleOption<T extends string> {
  value: T;
  label: string;
}

export interface ToggleGroupProps<T extends string> {
  /** Names the group for assistive technology, e.g. "Cell values". */
  label: string;
  options: ReadonlyArray<ToggleOption<T>>;
  value: T;
  onChange: (value: T) => void;
  disabled?: boolean;
}

/** A row of mutually exclusive toggle buttons (aria-pressed), e.g. Absolute / Percentage. */
export function ToggleGroup<T extends string>({ label, options, value, onChange, disabled }: ToggleGroupProps<T>) {
  return (
    <div role="group" aria-label={label} className="toggle-group">
      {options.map((o) => (
        <button
          key={o.value}
          type="button"
          aria-pressed={o.value === value}
          disabled={disabled}
          onClick={() => onChange(o.value)}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}
