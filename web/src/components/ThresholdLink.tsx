/**
 * Per-model thresholds (the reference docs: "adjust the confidence and IOU thresholds for
 * both models, or either model independently"): with two inference sets, a link toggle;
 * unlinked, the second set gets its own sliders (`other_conf` / `other_iou` in the URL and
 * the API), and the first set's are the app's usual ones.
 */
import { useCallback, type ReactNode } from "react";
import { ThresholdSliders, type ThresholdValues } from "./ThresholdSliders";
import type { AppState } from "../lib/urlState";
import "../controls.css";

export interface ThresholdLinkProps {
  /** The two inference sets (base first). */
  sets: readonly string[];
  /** The first set's sliders (the app's ThresholdPanel). */
  children: ReactNode;
  /** The first set's confidence and IoU (what an unlinked second set starts from). */
  conf: number;
  iou: number;
  /** The second set's own thresholds (null: linked). */
  other: { conf: number; iou: number } | null;
  defaults: { conf: number; iou: number };
  /** The kept IoU grid marked on the second set's IoU slider (unknown: none marked). */
  iouGrid?: readonly number[];
  hideIou: boolean;
  update: (patch: Partial<AppState>) => void;
}

const NO_OVERRIDES: Record<string, number> = {};
const NO_CLASSES: readonly string[] = [];
const NO_GRID: readonly number[] = [];

export function ThresholdLink({ sets, children, conf, iou, other, defaults, iouGrid = NO_GRID, hideIou, update }: ThresholdLinkProps) {
  const onOther = useCallback((v: ThresholdValues) => update({ otherConf: v.conf, otherIou: v.iou }), [update]);
  if (sets.length < 2) return <>{children}</>;
  const [base, second] = sets;
  const linked = other === null;
  return (
    <div className="threshold-link">
      <label className="link-toggle">
        <input type="checkbox" role="switch" checked={linked}
          onChange={(e) => update(e.target.checked ? { otherConf: null, otherIou: null } : { otherConf: conf, otherIou: iou })} />
        Same thresholds for both models
      </label>
      <section aria-label={linked ? "Thresholds of both models" : `Thresholds of ${base}`}>
        <h3>{linked ? `Both models (${base}, ${second})` : base}</h3>
        {children}
      </section>
      {!linked && (
        <section aria-label={`Thresholds of ${second}`}>
          <h3>{second}</h3>
          <ThresholdSliders value={{ conf: other.conf, iou: other.iou, overrides: NO_OVERRIDES }} onChange={onOther}
            iouGrid={iouGrid} defaults={defaults} classes={NO_CLASSES} hideIou={hideIou} />
        </section>
      )}
    </div>
  );
}
