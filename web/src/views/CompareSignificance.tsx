/**
 * Compare's significance panel: the paired-bootstrap intervals of every metric delta at
 * the same operating point, segment and query as the comparison (each set at its own
 * thresholds when unlinked). Fixed resamples and seed, so a reload shows the same numbers.
 */
import { api, type OtherPoint } from "../api/client";
import type { Confidence } from "../api/types";
import { SignificanceTable } from "../components/SignificanceTable";
import { ErrorPanel, Loading } from "../components/Status";
import { useApi } from "../hooks/useApi";

/** The server's defaults, named here so the panel says what it asked for. */
export const SIGNIFICANCE_RESAMPLES = 1000;
export const SIGNIFICANCE_SEED = 0;

export interface CompareSignificanceProps {
  project: string;
  dataset: string;
  base: string;
  other: string;
  point: { conf: Confidence; iou?: number; segment?: string; query?: string } & OtherPoint;
}

export function CompareSignificance({ project, dataset, base, other, point }: CompareSignificanceProps) {
  const key = JSON.stringify(["significance", project, dataset, base, other, point]);
  const answer = useApi(key, (signal) =>
    api.significance(project, dataset, base, other, { ...point, resamples: SIGNIFICANCE_RESAMPLES, seed: SIGNIFICANCE_SEED }, { signal }),
  );
  return (
    <>
      <Loading active={answer.loading} label="Bootstrapping the deltas" />
      {answer.error !== null && <ErrorPanel error={answer.error} onRetry={answer.reload} title="The significance could not be computed" />}
      {answer.data && <SignificanceTable significance={answer.data} />}
    </>
  );
}
