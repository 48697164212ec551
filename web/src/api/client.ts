/**
 * A small typed client of Shoal's REST API (docs/api-server.md): same origin, base
 * `/api/v1`. Failed requests throw `ApiError` carrying the server's `{error, detail,
 * where}`; every call takes an optional `AbortSignal` so a newer request can cancel an
 * older one (an aborted call rejects with a DOMException named "AbortError").
 */
import type {
  Confidence, ComparisonOut, DatasetOut, ExamplesPage, FrameDetail, FramesPage, InferenceSetOut,
  MetricsInclude, MetricsOut, ProjectOut, SegmentOut, SegmentResultDict, SegmentUpdate,
} from "./types";

export const API_BASE = "/api/v1";

/** A failed request: the server's error body, or a network / parse failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly error: string;
  readonly detail: string;
  readonly where: string | null;
  constructor(status: number, error: string, detail: string, where: string | null = null) {
    super(where ? `${detail} (${where})` : detail);
    this.name = "ApiError";
    this.status = status;
    this.error = error;
    this.detail = detail;
    this.where = where;
  }
}

/** Whether an error is an abort (a cancelled request), which views ignore. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException ? error.name === "AbortError" : (error as { name?: string } | null)?.name === "AbortError";
}

type QueryValue = string | number | boolean | null | undefined | ReadonlyArray<string | number>;

/** `?a=1&b=x&b=y`: null/undefined are left out, arrays repeat the key. */
export function queryString(params: Record<string, QueryValue>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) q.append(key, String(v));
    else q.append(key, String(value));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The `conf` parameter: a number, or per class as JSON. */
export function confParam(conf: Confidence | undefined): string | undefined {
  if (conf === undefined) return undefined;
  return typeof conf === "number" ? String(conf) : JSON.stringify(conf);
}

const seg = encodeURIComponent;

export function projectPath(project: string): string {
  return `/projects/${seg(project)}`;
}
export function datasetPath(project: string, dataset: string): string {
  return `${projectPath(project)}/datasets/${seg(dataset)}`;
}
export function inferenceSetPath(project: string, dataset: string, set: string): string {
  return `${datasetPath(project, dataset)}/inference-sets/${seg(set)}`;
}
export function framePath(project: string, dataset: string, frameId: string): string {
  return `${datasetPath(project, dataset)}/frames/${seg(frameId)}`;
}
/** The browser URL of a frame's image. */
export function frameImageUrl(project: string, dataset: string, frameId: string): string {
  return `${API_BASE}${framePath(project, dataset, frameId)}/image`;
}
/** The browser URL of a frame's PNG thumbnail (16 to 1024 pixels). */
export function frameThumbnailUrl(project: string, dataset: string, frameId: string, size = 256): string {
  return `${API_BASE}${framePath(project, dataset, frameId)}/thumbnail?size=${size}`;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

/** One request: JSON in and out; a non-2xx answer becomes an ApiError. */
export async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const init: RequestInit = { method, headers: { Accept: "application/json" }, signal: options.signal };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { Accept: "application/json", "Content-Type": "application/json" };
  }
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, init);
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError(0, "network_error", `the server did not answer: ${(error as Error).message ?? error}`);
  }
  if (!response.ok) {
    let parsed: Partial<{ error: string; detail: string; where: string | null }> = {};
    try {
      parsed = (await response.json()) as typeof parsed;
    } catch {
      // not JSON (a proxy's page): fall back to the status text
    }
    throw new ApiError(
      response.status,
      typeof parsed.error === "string" ? parsed.error : `http_${response.status}`,
      typeof parsed.detail === "string" ? parsed.detail : `${response.status} ${response.statusText || "error"}`,
      typeof parsed.where === "string" ? parsed.where : null,
    );
  }
  if (response.status === 204) return undefined as T;
  try {
    return (await response.json()) as T;
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError(response.status, "bad_response", "the server's answer is not JSON");
  }
}

export interface OperatingPoint {
  conf?: Confidence;
  iou?: number;
  segment?: string;
}

export interface MetricsQuery extends OperatingPoint {
  inferenceSets: readonly string[];
  include?: readonly MetricsInclude[];
}

export type ExampleOrder = "desc" | "asc";
export interface ExamplesQuery extends OperatingPoint {
  truth?: string;
  predicted?: string;
  outcome?: "TP" | "FP" | "FN";
  label?: string;
  confused_as?: string;
  confused_from?: string;
  sort?: "confidence" | "iou" | "area";
  order?: ExampleOrder;
  offset?: number;
  limit?: number;
}

const point = (q: OperatingPoint) => ({ conf: confParam(q.conf), iou: q.iou, segment: q.segment });

/** The API's endpoints the app uses. */
export const api = {
  projects: (o?: RequestOptions) => request<ProjectOut[]>("GET", "/projects", undefined, o),
  project: (p: string, o?: RequestOptions) => request<ProjectOut>("GET", projectPath(p), undefined, o),
  datasets: (p: string, o?: RequestOptions) => request<DatasetOut[]>("GET", `${projectPath(p)}/datasets`, undefined, o),
  inferenceSets: (p: string, d: string, o?: RequestOptions) =>
    request<InferenceSetOut[]>("GET", `${datasetPath(p, d)}/inference-sets`, undefined, o),
  segments: (p: string, d: string, o?: RequestOptions) => request<SegmentOut[]>("GET", `${datasetPath(p, d)}/segments`, undefined, o),
  updateSegment: (p: string, d: string, segment: string, body: SegmentUpdate, o?: RequestOptions) =>
    request<SegmentOut>("PATCH", `${datasetPath(p, d)}/segments/${seg(segment)}`, body, o),
  metrics: (p: string, d: string, q: MetricsQuery, o?: RequestOptions) =>
    request<MetricsOut>(
      "GET",
      `${datasetPath(p, d)}/metrics${queryString({ inference_set: q.inferenceSets, ...point(q), include: q.include })}`,
      undefined,
      o,
    ),
  examples: (p: string, d: string, set: string, q: ExamplesQuery, o?: RequestOptions) =>
    request<ExamplesPage>(
      "GET",
      `${inferenceSetPath(p, d, set)}/examples${queryString({
        ...point(q), truth: q.truth, predicted: q.predicted, outcome: q.outcome, label: q.label,
        confused_as: q.confused_as, confused_from: q.confused_from, sort: q.sort, order: q.order,
        offset: q.offset, limit: q.limit,
      })}`,
      undefined,
      o,
    ),
  compare: (p: string, d: string, base: string, other: string, q: OperatingPoint, o?: RequestOptions) =>
    request<ComparisonOut>("GET", `${datasetPath(p, d)}/compare${queryString({ base, other, ...point(q) })}`, undefined, o),
  regression: (p: string, d: string, set: string, q: Omit<OperatingPoint, "segment">, o?: RequestOptions) =>
    request<SegmentResultDict[]>(
      "GET",
      `${inferenceSetPath(p, d, set)}/regression${queryString({ conf: confParam(q.conf), iou: q.iou })}`,
      undefined,
      o,
    ),
  /** A page of frames in the dataset's order: those of `segment` (a list or a query) and / or those `query` selects. */
  frames: (p: string, d: string, q: { offset?: number; limit?: number; query?: string | null; segment?: string | null }, o?: RequestOptions) =>
    request<FramesPage>(
      "GET",
      `${datasetPath(p, d)}/frames${queryString({ offset: q.offset, limit: q.limit, query: q.query, segment: q.segment })}`,
      undefined,
      o,
    ),
  frame: (p: string, d: string, frameId: string, inferenceSets: readonly string[], o?: RequestOptions) =>
    request<FrameDetail>("GET", `${framePath(p, d, frameId)}${queryString({ inference_set: inferenceSets })}`, undefined, o),
};
export type Api = typeof api;
