/**
 * The NER view's REST calls (docs/api-server.md, "NER metrics and sentences"): an
 * inference set's entity-level report (exact and overlap matching) and pages of its
 * frames with their tokens and entities.
 */
import { inferenceSetPath, queryString, request, type RequestOptions } from "./client";
import type { components } from "./schema";

type Schemas = components["schemas"];
export type NerMetricsOut = Schemas["NerMetricsOut"];
export type NerReport = Schemas["NerReport"];
export type NerTypeRow = Schemas["NerTypeRow"];
export type NerSentencesOut = Schemas["NerSentencesOut"];
export type NerSentence = Schemas["NerSentenceOut"];
export type NerEntity = Schemas["NerEntityOut"];
export type NerMatch = "exact" | "overlap";

export interface NerScope {
  segment?: string;
  query?: string;
}

export interface NerSentencesQuery extends NerScope {
  match: NerMatch;
  errorsOnly: boolean;
  entityType?: string | null;
  frameId?: string;
  offset: number;
  limit: number;
}

export function nerMetrics(project: string, dataset: string, set: string, scope: NerScope, options: RequestOptions = {}): Promise<NerMetricsOut> {
  const path = `${inferenceSetPath(project, dataset, set)}/ner-metrics${queryString({ segment: scope.segment, query: scope.query })}`;
  return request<NerMetricsOut>("GET", path, undefined, options);
}

export function nerSentences(project: string, dataset: string, set: string, q: NerSentencesQuery, options: RequestOptions = {}): Promise<NerSentencesOut> {
  const params = {
    segment: q.segment, query: q.query, match: q.match, errors_only: q.errorsOnly ? "true" : undefined,
    entity_type: q.entityType ?? undefined, frame_id: q.frameId, offset: q.offset, limit: q.limit,
  };
  return request<NerSentencesOut>("GET", `${inferenceSetPath(project, dataset, set)}/ner-sentences${queryString(params)}`, undefined, options);
}
