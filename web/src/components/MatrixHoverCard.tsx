import { useEffect, useState } from "react";
import { createPortal } from "react-dom";
import type { ComparisonCellDict } from "../api/types";
import { BACKGROUND } from "../api/types";

/** The cell a hover card describes, and the element it sits beside. */
export interface HoverTarget {
  truth: string;
  predicted: string;
  /** One inference set's count and what its share is taken of (absent in delta mode). */
  count?: number;
  denominator?: number;
  /** "12 of 40 (30.0%)", or in delta mode the server's text. */
  share: string;
  /** What the denominator is, in words. */
  shareOf: string;
  /** Delta mode: the server's cell (base, other, delta). */
  delta?: ComparisonCellDict;
  /** Background x background: why the cell holds no number (the card says so instead of counts). */
  notApplicable?: string;
  anchor?: HTMLElement;
}

/** What a truth or prediction means when it is the background. */
function truthText(truth: string): string {
  return truth === BACKGROUND ? "none (a prediction that matched no ground truth)" : truth;
}
function predictedText(predicted: string): string {
  return predicted === BACKGROUND ? "none (ground truth no prediction found)" : predicted;
}

/**
 * A card beside the hovered or focused matrix cell naming it: ground truth, prediction,
 * count, share and denominator (instead of a native title tooltip). One card per matrix,
 * driven through `register` so a hover re-renders the card only, never the grid.
 */
export function MatrixHoverCard({ register }: { register: (set: (target: HoverTarget | null) => void) => void }) {
  const [target, setTarget] = useState<HoverTarget | null>(null);
  useEffect(() => register(setTarget), [register]);
  if (target === null) return null;
  const rect = target.anchor?.getBoundingClientRect();
  const style = rect ? { left: Math.min(rect.right + 8, window.innerWidth - 300), top: rect.top } : undefined;
  return createPortal(
    <div className="hover-card" role="tooltip" data-testid="matrix-hover-card" style={style}>
      {target.notApplicable !== undefined ? (
        <dl>
          <div><dt>Ground truth</dt><dd>background</dd></div>
          <div><dt>Predicted</dt><dd>background</dd></div>
          <div><dt>Count</dt><dd data-testid="not-applicable-reason">{target.notApplicable}</dd></div>
        </dl>
      ) : (
        <dl>
          <div><dt>Ground truth</dt><dd>{truthText(target.truth)}</dd></div>
          <div><dt>Predicted</dt><dd>{predictedText(target.predicted)}</dd></div>
          {target.delta ? (
            <>
              <div><dt>Base</dt><dd>{target.delta.base}</dd></div>
              <div><dt>Other</dt><dd>{target.delta.other}</dd></div>
              <div><dt>Change</dt><dd>{target.share}</dd></div>
            </>
          ) : (
            <>
              <div><dt>Count</dt><dd>{target.count}</dd></div>
              <div><dt>Share</dt><dd>{target.share}</dd></div>
              <div><dt>Denominator</dt><dd>{target.denominator}: {target.shareOf}</dd></div>
            </>
          )}
        </dl>
      )}
    </div>,
    document.body,
  );
}
