/**
 * The embedding view's REST calls (docs/api-server.md, "Embeddings"): the dataset's
 * embedding models, a projection (its info, its points as binary float32 pairs, what the
 * points at some indices are, their colors) and the job computing it.
 */
import type { Confidence } from "./types";
import { API_BASE, ApiError, authState, confParam, datasetPath, isAbort, queryString, request, type RequestOptions } from "./client";
import type { EmbeddingKind, EmbeddingModelOut, PointColorsOut, ProjectedElement, ProjectionJob, ProjectionMethod, ProjectionOut } from "../lib/embedding";

/** Which projection: the model (omitted: the dataset's only one), frames or crops, UMAP or PCA. */
export interface ProjectionKey {
  embedding?: string | null;
  kind: EmbeddingKind;
  method: ProjectionMethod;
}

export interface ColorsQuery {
  colorBy: string;
  inferenceSet?: string;
  conf?: Confidence;
  iou?: number;
  segment?: string;
  query?: string;
}

/**
 * A binary answer (the points), fetched with the API key as `request` does; a failed
 * answer throws ApiError from its JSON body.
 */
async function fetchBinary(path: string, options: RequestOptions = {}): Promise<ArrayBuffer> {
  const key = authState().key;
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, {
      method: "GET", signal: options.signal,
      headers: { Accept: "application/octet-stream", ...(key === null ? {} : { Authorization: `Bearer ${key}` }) },
    });
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError(0, "network_error", `the points did not load: ${(error as Error).message ?? error}`);
  }
  if (!response.ok) {
    let body: Partial<{ error: string; detail: string }> = {};
    try {
      body = (await response.json()) as typeof body;
    } catch {
      // not JSON
    }
    throw new ApiError(response.status, body.error ?? `http_${response.status}`, body.detail ?? `${response.status} ${response.statusText}`);
  }
  return response.arrayBuffer();
}

const keyParams = (k: ProjectionKey) => ({ embedding: k.embedding || undefined, kind: k.kind, method: k.method });
const projectionPath = (p: string, d: string, route = "") => `${datasetPath(p, d)}/projection${route}`;

export const embeddingsApi = {
  models: (p: string, d: string, o?: RequestOptions) => request<EmbeddingModelOut[]>("GET", `${datasetPath(p, d)}/embeddings`, undefined, o),
  /** The stored projection; a 404 ApiError when it is missing or stale. */
  projection: (p: string, d: string, k: ProjectionKey, o?: RequestOptions) =>
    request<ProjectionOut>("GET", `${projectionPath(p, d)}${queryString(keyParams(k))}`, undefined, o),
  /** Start computing it (a current projection gives a job done at once). */
  compute: (p: string, d: string, k: ProjectionKey, o?: RequestOptions) =>
    request<ProjectionJob>("POST", `${projectionPath(p, d)}${queryString(keyParams(k))}`, undefined, o),
  /** The latest job computing it; a 404 ApiError when there is none. */
  job: (p: string, d: string, k: ProjectionKey, o?: RequestOptions) =>
    request<ProjectionJob>("GET", `${projectionPath(p, d, "/job")}${queryString(keyParams(k))}`, undefined, o),
  /** n x 2 little-endian float32 (lib/embedding decodePoints). */
  points: (p: string, d: string, k: ProjectionKey, o?: RequestOptions) =>
    fetchBinary(`${projectionPath(p, d, "/points")}${queryString(keyParams(k))}`, o),
  elements: (p: string, d: string, k: ProjectionKey, indices: ArrayLike<number>, o?: RequestOptions) =>
    request<ProjectedElement[]>("POST", `${projectionPath(p, d, "/elements")}${queryString(keyParams(k))}`, { indices: Array.from(indices) }, o),
  colors: (p: string, d: string, k: ProjectionKey, q: ColorsQuery, o?: RequestOptions) =>
    request<PointColorsOut>(
      "GET",
      `${projectionPath(p, d, "/colors")}${queryString({
        ...keyParams(k), color_by: q.colorBy, inference_set: q.inferenceSet, conf: confParam(q.conf), iou: q.iou,
        segment: q.segment, query: q.query || undefined,
      })}`,
      undefined,
      o,
    ),
};
