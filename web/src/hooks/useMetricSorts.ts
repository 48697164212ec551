/** The examples' sorts by the dataset's metrics (GET .../element-metrics), for one inference set's grid. */
import { useMemo } from "react";
import { api } from "../api/client";
import { metricSorts, type ExampleSort } from "../lib/examples";
import { useApi } from "./useApi";

export function useMetricSorts(project: string, dataset: string, inferenceSet: string): ReadonlyArray<{ value: ExampleSort; title: string }> {
  const metrics = useApi(JSON.stringify(["element-metrics", project, dataset]), (signal) => api.elementMetrics(project, dataset, { signal }));
  return useMemo(() => metricSorts(metrics.data?.metrics ?? [], inferenceSet), [metrics.data, inferenceSet]);
}
