/**
 * A small typed client of Shoal's REST API (docs/api-server.md): same origin, base
 * `/api/v1`. Failed requests throw `ApiError` carrying the server's `{error, detail,
 * where}`; every call takes an optional `AbortSignal` so a newer request can cancel an
 * older one (an aborted call rejects with a DOMException named "AbortError").
 * With an API key set (`setApiKey`, kept in sessionStorage) every request sends
 * `Authorization: Bearer <key>`; a 401 asks for one (`authState().needed`).
 */
import type {
  ChangedExamplesPage, Confidence, ComparisonOut, CompletionsOut, DatasetOut, MetricInfosOut, ExamplesPage, FrameDetail, FramesPage, InferenceSetOut,
  MetricsInclude, MetricsOut, ProjectOut, SegmentCreate, SegmentFromExamples, SegmentOut, SegmentResultDict, SegmentUpdate, SummaryOut,
  CalibrationOut, MetricImportanceListOut, MetricPerformanceOut, SignificanceOut, TideOut, TideType, LabelErrorsOut, LabelErrorKind, LabelErrorReview, LabelErrorReviewOut, IssueOut, IssueCreate,
  SimilarElementsOut, IssueElementsFromCell, IssueElementsFromQuery, MultiLabelMetricsOut, MultiLabelExamplesOut, MultiLabelFrameOut,
} from "./types";
import type { BeforeAfter, ElementIdentity, ElementStatus, ElementsAdded, ExportFormat, Issue, IssueCreateBody, IssueElement, IssueUpdateBody } from "../lib/issues";
import type {
  Campaign, CampaignCreateBody, CampaignExportFormat, CampaignJob, CampaignUpdateBody, CandidatesPage, CandidatesReviewed, CandidateStatus,
} from "../lib/campaigns";

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

/**
 * `name` as one URL path segment, whatever it holds (like the Python client's
 * `url_segment`): `encodeURIComponent` leaves "." and ".." as they are, which browsers
 * and proxies resolve as "this folder" and "the parent folder", so those two are
 * written `%2E` and `%2E%2E`.
 */
export function urlSegment(name: string): string {
  const quoted = encodeURIComponent(name);
  return quoted === "." || quoted === ".." ? quoted.replace(/\./g, "%2E") : quoted;
}
const seg = urlSegment;

export function projectPath(project: string): string {
  return `/projects/${seg(project)}`;
}
export function datasetPath(project: string, dataset: string): string {
  return `${projectPath(project)}/datasets/${seg(dataset)}`;
}
export function inferenceSetPath(project: string, dataset: string, set: string): string {
  return `${datasetPath(project, dataset)}/inference-sets/${seg(set)}`;
}
export function campaignPath(project: string, campaign: string): string {
  return `${projectPath(project)}/campaigns/${seg(campaign)}`;
}
export function issuePath(project: string, issue: string): string {
  return `${projectPath(project)}/issues/${seg(issue)}`;
}
export function framePath(project: string, dataset: string, frameId: string): string {
  return `${datasetPath(project, dataset)}/frames/${seg(frameId)}`;
}
/**
 * A frame's route with the id as the query parameter `frame_id` (`.../frame`,
 * `.../frame/image`, `.../frame/thumbnail`), which carries any id. The app asks every
 * frame this way: a browser cannot send the ids "." and ".." as a path segment (its URL
 * parser resolves `%2E%2E` as `..` whatever `urlSegment` writes).
 */
export function frameQueryPath(project: string, dataset: string, frameId: string, route: "" | "/image" | "/thumbnail" = "", params: Record<string, QueryValue> = {}): string {
  return `${datasetPath(project, dataset)}/frame${route}${queryString({ frame_id: frameId, ...params })}`;
}
/** The browser URL of a frame's image. */
export function frameImageUrl(project: string, dataset: string, frameId: string): string {
  return `${API_BASE}${frameQueryPath(project, dataset, frameId, "/image")}`;
}
/** The browser URL of a frame's PNG thumbnail (16 to 1024 pixels). */
export function frameThumbnailUrl(project: string, dataset: string, frameId: string, size = 256): string {
  return `${API_BASE}${frameQueryPath(project, dataset, frameId, "/thumbnail", { size })}`;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

// ------------------------------------------------------------------ API key
/** Where the key is kept: this browser tab only, until it is closed or the key forgotten. */
export const API_KEY_STORAGE = "shoal.apiKey";

/** The key in use, and whether the server asked for one (an answer of 401). */
export interface AuthState {
  key: string | null;
  /** The 401 that asked for a key (null: none asked). */
  needed: ApiError | null;
  /** Whether that 401 answered a key (which was then dropped). */
  rejected: boolean;
  /** Counts key changes: everything fetched before is stale. */
  generation: number;
}

function sessionStore(): Storage | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage;
  } catch {
    return null; // storage disabled (privacy settings)
  }
}

/** The key kept in sessionStorage (null: none, or no storage). */
export function readStoredApiKey(): string | null {
  try {
    return sessionStore()?.getItem(API_KEY_STORAGE) || null;
  } catch {
    return null;
  }
}

let auth: AuthState = { key: readStoredApiKey(), needed: null, rejected: false, generation: 0 };
const authListeners = new Set<() => void>();

function setAuth(next: AuthState): void {
  auth = next;
  for (const listener of [...authListeners]) listener();
}

/** The current AuthState (a new object after each change; for useSyncExternalStore). */
export function authState(): AuthState {
  return auth;
}

export function subscribeAuth(listener: () => void): () => void {
  authListeners.add(listener);
  return () => {
    authListeners.delete(listener);
  };
}

/** Use this key from now on (trimmed; null or blank forgets it), kept in sessionStorage. */
export function setApiKey(key: string | null): void {
  const value = key?.trim() || null;
  try {
    if (value === null) sessionStore()?.removeItem(API_KEY_STORAGE);
    else sessionStore()?.setItem(API_KEY_STORAGE, value);
  } catch {
    // no storage: the key lasts until the page is reloaded
  }
  setAuth({ key: value, needed: null, rejected: false, generation: auth.generation + 1 });
}

/** A 401 to a request sent with `sentKey`: ask for a key (answers to an older key are stale). */
function unauthorized(error: ApiError, sentKey: string | null): void {
  if (sentKey !== auth.key || auth.needed !== null) return;
  if (sentKey !== null) {
    try {
      sessionStore()?.removeItem(API_KEY_STORAGE);
    } catch {
      // nothing kept
    }
  }
  setAuth({ key: null, needed: error, rejected: sentKey !== null, generation: auth.generation + 1 });
}

function authHeader(key: string | null): Record<string, string> {
  return key === null ? {} : { Authorization: `Bearer ${key}` };
}

/** A failed answer as an ApiError (the server's JSON error body when there is one). */
async function errorOf(response: Response): Promise<ApiError> {
  let parsed: Partial<{ error: string; detail: string; where: string | null }> = {};
  try {
    parsed = (await response.json()) as typeof parsed;
  } catch {
    // not JSON (a proxy's page): fall back to the status text
  }
  return new ApiError(
    response.status,
    typeof parsed.error === "string" ? parsed.error : `http_${response.status}`,
    typeof parsed.detail === "string" ? parsed.detail : `${response.status} ${response.statusText || "error"}`,
    typeof parsed.where === "string" ? parsed.where : null,
  );
}

/** Whether a browser URL is the API's (so it needs the key when one is set). */
export function isApiUrl(url: string): boolean {
  return url === API_BASE || url.startsWith(`${API_BASE}/`) || url.startsWith(`${API_BASE}?`);
}

/**
 * An image of the API (a frame's image or thumbnail) as a Blob, fetched with the key:
 * `<img>` cannot send headers, so with a key set images are loaded this way (see
 * `hooks/useImageSource`). Failures throw ApiError as `request` does.
 */
export async function fetchImage(url: string, options: RequestOptions = {}): Promise<Blob> {
  const response = await send(url, { method: "GET", signal: options.signal }, { Accept: "image/*" }, "the image did not load");
  return response.blob();
}

/** A text export of the API (e.g. confirmed label errors as CSV or a COCO patch), fetched with the key. */
export async function fetchText(path: string, options: RequestOptions = {}): Promise<string> {
  const response = await send(`${API_BASE}${path}`, { method: "GET", signal: options.signal }, { Accept: "application/json, text/csv" }, "the export did not load");
  return response.text();
}

/**
 * `fetch` with the API key: a network failure becomes ApiError status 0 (`failure` says
 * what did not happen), a non-2xx answer an ApiError from its body; a 401 asks for a key.
 */
async function send(url: string, init: RequestInit, headers: Record<string, string>, failure: string): Promise<Response> {
  const key = auth.key;
  let response: Response;
  try {
    response = await fetch(url, { ...init, headers: { ...headers, ...authHeader(key) } });
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError(0, "network_error", `${failure}: ${(error as Error).message ?? error}`);
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401) unauthorized(error, key);
    throw error;
  }
  return response;
}

/** One request: JSON in and out; a non-2xx answer becomes an ApiError. */
export async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const init: RequestInit = { method, signal: options.signal };
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const response = await send(`${API_BASE}${path}`, init, headers, "the server did not answer");
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
  /** A frames query (docs/queries.md) narrowing the frames further. */
  query?: string;
}

/** The second inference set's own thresholds (/metrics with two sets, /compare): unset, the first's. */
export interface OtherPoint {
  otherConf?: Confidence;
  otherIou?: number;
}

/** The metrics and examples routes' operating point: `iou` may be per class (detection; classes not named use 0.5). */
export interface MatchingPoint extends Omit<OperatingPoint, "iou"> {
  iou?: Confidence;
  /** Detection's matching rule (unset: COCO's; "labelbox": Labelbox's, docs/metrics.md). */
  protocol?: "coco" | "labelbox";
}

export interface MetricsQuery extends MatchingPoint, OtherPoint {
  inferenceSets: readonly string[];
  include?: readonly MetricsInclude[];
  /** PR curves cut down to at most this many points each, for drawing. */
  curvePoints?: number;
}

export type ExampleOrder = "desc" | "asc";
export interface ExamplesQuery extends MatchingPoint {
  truth?: string;
  predicted?: string;
  outcome?: "TP" | "FP" | "FN";
  label?: string;
  confused_as?: string;
  confused_from?: string;
  /** Only this frame's objects (the Frame view lists every object's outcome). */
  frame_id?: string;
  /** Only the objects of one TIDE error type (conf then defaults to 0; iou is TIDE's foreground IoU). */
  tide?: TideType;
  /** Only the objects whose value of this metric lies in [metricMin, metricMax] (a bin of /metric-performance). */
  metric?: string;
  metricMin?: number;
  metricMax?: number;
  /** confidence, iou, area, or an element metric's name (GET .../element-metrics). */
  sort?: string;
  order?: ExampleOrder;
  offset?: number;
  limit?: number;
}

// `iou` per class as JSON (as `conf`): only the metrics and examples routes take it (MatchingPoint).
const point = (q: MatchingPoint) => ({
  conf: confParam(q.conf), iou: confParam(q.iou), segment: q.segment, query: q.query || undefined,
  protocol: q.protocol === "labelbox" ? q.protocol : undefined,
});
const metricRange = (q: Pick<ExamplesQuery, "metric" | "metricMin" | "metricMax">) =>
  ({ metric: q.metric, min: q.metric === undefined ? undefined : q.metricMin, max: q.metric === undefined ? undefined : q.metricMax });
const otherPoint = (q: OtherPoint) => ({ other_conf: confParam(q.otherConf), other_iou: q.otherIou });

/** Which ground truth `/compare/examples` lists: fixed, broken or still wrong. */
export type Change = "fixed" | "broken" | "still_wrong";
export interface ChangedExamplesQuery extends OperatingPoint, OtherPoint {
  change?: Change;
  label?: string;
  offset?: number;
  limit?: number;
}

/** The label-error queue's page: kind, class (of the suspect object) and review status narrow it. */
export interface LabelErrorsQuery {
  segment?: string;
  query?: string;
  kind?: LabelErrorKind;
  label?: string;
  status?: "open" | "confirmed" | "dismissed";
  /** Detection: the confidence from which a prediction is evidence (the server's default: 0.5). */
  conf?: number;
  /** Classification: the confident-learning score (the server's default: self_confidence). */
  method?: "self_confidence" | "normalized_margin";
  fgIou?: number;
  bgIou?: number;
  offset?: number;
  limit?: number;
}

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
  createSegment: (p: string, d: string, body: SegmentCreate, o?: RequestOptions) =>
    request<SegmentOut>("POST", `${datasetPath(p, d)}/segments`, body, o),
  deleteSegment: (p: string, d: string, segment: string, o?: RequestOptions) =>
    request<void>("DELETE", `${datasetPath(p, d)}/segments/${seg(segment)}`, undefined, o),
  metrics: (p: string, d: string, q: MetricsQuery, o?: RequestOptions) =>
    request<MetricsOut>(
      "GET",
      `${datasetPath(p, d)}/metrics${queryString({ inference_set: q.inferenceSets, ...point(q), ...otherPoint(q), include: q.include, curve_points: q.curvePoints })}`,
      undefined,
      o,
    ),
  multilabelMetrics: (p: string, d: string, set: string, q: { conf?: Confidence; segment?: string; query?: string }, o?: RequestOptions) =>
    request<MultiLabelMetricsOut>(
      "GET", `${inferenceSetPath(p, d, set)}/multilabel-metrics${queryString({ conf: confParam(q.conf), segment: q.segment, query: q.query })}`, undefined, o,
    ),
  multilabelExamples: (
    p: string, d: string, set: string,
    q: { label: string; cell: string; conf?: Confidence; segment?: string; query?: string; offset?: number; limit?: number },
    o?: RequestOptions,
  ) =>
    request<MultiLabelExamplesOut>(
      "GET",
      `${inferenceSetPath(p, d, set)}/multilabel-examples${queryString({
        label: q.label, cell: q.cell, conf: confParam(q.conf), segment: q.segment, query: q.query, offset: q.offset, limit: q.limit,
      })}`,
      undefined,
      o,
    ),
  multilabelFrame: (p: string, d: string, set: string, frameId: string, conf: Confidence | undefined, o?: RequestOptions) =>
    request<MultiLabelFrameOut>(
      "GET", `${inferenceSetPath(p, d, set)}/multilabel-frame${queryString({ frame_id: frameId, conf: confParam(conf) })}`, undefined, o,
    ),
  examples: (p: string, d: string, set: string, q: ExamplesQuery, o?: RequestOptions) =>
    request<ExamplesPage>(
      "GET",
      `${inferenceSetPath(p, d, set)}/examples${queryString({
        ...point(q), truth: q.truth, predicted: q.predicted, outcome: q.outcome, label: q.label,
        confused_as: q.confused_as, confused_from: q.confused_from, frame_id: q.frame_id, tide: q.tide,
        ...metricRange(q), sort: q.sort, order: q.order, offset: q.offset, limit: q.limit,
      })}`,
      undefined,
      o,
    ),
  compare: (p: string, d: string, base: string, other: string, q: OperatingPoint & OtherPoint, o?: RequestOptions) =>
    request<ComparisonOut>("GET", `${datasetPath(p, d)}/compare${queryString({ base, other, ...point(q), ...otherPoint(q) })}`, undefined, o),
  /** The ground truth that changed from `base` to `other` (fixed, broken, still wrong): counts, per class, a page. */
  compareExamples: (p: string, d: string, base: string, other: string, q: ChangedExamplesQuery, o?: RequestOptions) =>
    request<ChangedExamplesPage>(
      "GET",
      `${datasetPath(p, d)}/compare/examples${queryString({
        base, other, ...point(q), ...otherPoint(q), change: q.change, label: q.label, offset: q.offset, limit: q.limit,
      })}`,
      undefined,
      o,
    ),
  /** Every inference set per segment side by side; with `base` and `other`, their comparison too. */
  summary: (p: string, d: string, q: OperatingPoint & { base?: string; other?: string }, o?: RequestOptions) =>
    request<SummaryOut>("GET", `${datasetPath(p, d)}/summary${queryString({ ...point(q), base: q.base, other: q.other })}`, undefined, o),
  /** Every element metric of the dataset and its inference sets (quality and custom; docs/quality.md). */
  elementMetrics: (p: string, d: string, o?: RequestOptions) =>
    request<MetricInfosOut>("GET", `${datasetPath(p, d)}/element-metrics`, undefined, o),
  /** What a frames query can name: columns (with types), classes, functions, keywords starting with `prefix`. */
  queryCompletions: (p: string, d: string, prefix: string, limit?: number, o?: RequestOptions) =>
    request<CompletionsOut>("GET", `${datasetPath(p, d)}/query/completions${queryString({ prefix, limit })}`, undefined, o),
  /** The frames of the examples an examples query lists (all pages), saved as a segment. */
  segmentFromExamples: (p: string, d: string, set: string, q: Omit<ExamplesQuery, "sort" | "order" | "offset" | "limit">, body: SegmentFromExamples, o?: RequestOptions) =>
    request<SegmentOut>(
      "POST",
      `${inferenceSetPath(p, d, set)}/examples/segment${queryString({
        ...point(q), truth: q.truth, predicted: q.predicted, outcome: q.outcome, label: q.label,
        confused_as: q.confused_as, confused_from: q.confused_from, frame_id: q.frame_id, ...metricRange(q),
      })}`,
      body,
      o,
    ),
  regression: (p: string, d: string, set: string, q: Omit<OperatingPoint, "segment">, o?: RequestOptions) =>
    request<SegmentResultDict[]>(
      "GET",
      `${inferenceSetPath(p, d, set)}/regression${queryString({ conf: confParam(q.conf), iou: q.iou, query: q.query || undefined })}`,
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
  /** TIDE's error breakdown (detection): counts and dAP overall and per class (docs/insights.md). */
  tide: (p: string, d: string, set: string, q: { segment?: string; query?: string; fgIou?: number; bgIou?: number }, o?: RequestOptions) =>
    request<TideOut>("GET", `${inferenceSetPath(p, d, set)}/tide${queryString({ segment: q.segment, query: q.query || undefined, fg_iou: q.fgIou, bg_iou: q.bgIou })}`, undefined, o),
  /** Every metric the set can be analysed by, ranked by importance with its correlations (docs/insights.md). */
  metricImportance: (p: string, d: string, set: string, q: OperatingPoint, o?: RequestOptions) =>
    request<MetricImportanceListOut>("GET", `${inferenceSetPath(p, d, set)}/metric-importance${queryString(point(q))}`, undefined, o),
  /** One metric's precision and FNR per quantile bin, per class, its distribution and importance. */
  metricPerformance: (p: string, d: string, set: string, q: OperatingPoint & { metric: string; bins?: number; label?: string }, o?: RequestOptions) =>
    request<MetricPerformanceOut>(
      "GET",
      `${inferenceSetPath(p, d, set)}/metric-performance${queryString({ ...point(q), metric: q.metric, bins: q.bins, label: q.label })}`,
      undefined,
      o,
    ),
  /** Reliability diagrams with ECE (classification) or D-ECE (detection), overall and per class (docs/calibration.md). */
  calibration: (p: string, d: string, set: string, q: OperatingPoint & { bins?: number }, o?: RequestOptions) =>
    request<CalibrationOut>("GET", `${inferenceSetPath(p, d, set)}/calibration${queryString({ ...point(q), bins: q.bins })}`, undefined, o),
  /** Paired-bootstrap intervals of the precision / recall / F1 deltas (other - base), per class, macro and micro. */
  significance: (p: string, d: string, base: string, other: string, q: OperatingPoint & OtherPoint & { resamples?: number; seed?: number }, o?: RequestOptions) =>
    request<SignificanceOut>(
      "GET",
      `${datasetPath(p, d)}/compare/significance${queryString({ base, other, ...point(q), ...otherPoint(q), resamples: q.resamples, seed: q.seed })}`,
      undefined,
      o,
    ),
  /** One page of the label-error queue (detection; docs/insights.md#label-errors). */
  labelErrors: (p: string, d: string, set: string, q: LabelErrorsQuery, o?: RequestOptions) =>
    request<LabelErrorsOut>(
      "GET",
      `${inferenceSetPath(p, d, set)}/label-errors${queryString({
        segment: q.segment, query: q.query || undefined, kind: q.kind, label: q.label, status: q.status, conf: q.conf, method: q.method,
        fg_iou: q.fgIou, bg_iou: q.bgIou, offset: q.offset, limit: q.limit,
      })}`,
      undefined,
      o,
    ),
  /** Confirm, dismiss or reopen a candidate; with `issue`, also collect its object in that issue. */
  reviewLabelError: (p: string, d: string, set: string, candidate: string, body: LabelErrorReview, o?: RequestOptions) =>
    request<LabelErrorReviewOut>("PUT", `${inferenceSetPath(p, d, set)}/label-errors/${seg(candidate)}/review`, body, o),
  /** The confirmed label errors as a COCO patch (JSON text) or CSV. */
  exportLabelErrors: (p: string, d: string, set: string, format: "coco" | "csv", o?: RequestOptions) =>
    fetchText(`${inferenceSetPath(p, d, set)}/label-errors/export${queryString({ format })}`, o),
  issues: (p: string, o?: RequestOptions) => request<IssueOut[]>("GET", `${projectPath(p)}/issues`, undefined, o),
  createIssue: (p: string, body: IssueCreate, o?: RequestOptions) => request<IssueOut>("POST", `${projectPath(p)}/issues`, body, o),
  // Issues (issue 14): one issue, its elements' reviews, export, fixed labels and the before / after comparison.
  issueList: (p: string, o?: RequestOptions) => request<Issue[]>("GET", `${projectPath(p)}/issues`, undefined, o),
  issue: (p: string, i: string, o?: RequestOptions) => request<Issue>("GET", issuePath(p, i), undefined, o),
  newIssue: (p: string, body: IssueCreateBody, o?: RequestOptions) => request<Issue>("POST", `${projectPath(p)}/issues`, body, o),
  updateIssue: (p: string, i: string, body: IssueUpdateBody, o?: RequestOptions) => request<Issue>("PATCH", issuePath(p, i), body, o),
  deleteIssue: (p: string, i: string, o?: RequestOptions) => request<void>("DELETE", issuePath(p, i), undefined, o),
  /** Add elements; one already in the issue is skipped, not repeated. */
  addIssueElements: (p: string, i: string, elements: readonly ElementIdentity[], o?: RequestOptions) =>
    request<ElementsAdded>("POST", `${issuePath(p, i)}/elements`, { elements }, o),
  /** Add the objects one confusion-matrix cell counts at (conf, iou), as the examples endpoint lists them. */
  addIssueElementsFromCell: (p: string, i: string, body: IssueElementsFromCell, q: { conf?: Confidence; iou?: number }, o?: RequestOptions) =>
    request<ElementsAdded>("POST", `${issuePath(p, i)}/elements/from-cell${queryString({ conf: confParam(q.conf), iou: q.iou })}`, body, o),
  /** Add the frames a frames query matches within a segment (at least one of the two), as frame elements. */
  addIssueElementsFromQuery: (p: string, i: string, body: IssueElementsFromQuery, o?: RequestOptions) =>
    request<ElementsAdded>("POST", `${issuePath(p, i)}/elements/from-query`, body, o),
  /** One element's review status and / or note. */
  updateIssueElement: (p: string, i: string, position: number, body: { status?: ElementStatus; note?: string }, o?: RequestOptions) =>
    request<IssueElement>("PATCH", `${issuePath(p, i)}/elements/${position}`, body, o),
  removeIssueElement: (p: string, i: string, position: number, o?: RequestOptions) =>
    request<void>("DELETE", `${issuePath(p, i)}/elements/${position}`, undefined, o),
  /** The issue's elements (optionally of one status) as CSV, JSON or a COCO subset (of `dataset` when the issue spans several), as text. */
  exportIssue: (p: string, i: string, format: ExportFormat, status?: ElementStatus | null, dataset?: string, o?: RequestOptions) =>
    fetchText(`${issuePath(p, i)}/export${queryString({ format, status: status ?? undefined, dataset })}`, o),
  /** Fixed labels (COCO instances of the relabeled frames) as a new dataset made from `dataset`; answers the new dataset. */
  importFixedLabels: (p: string, i: string, dataset: string, coco: unknown, name?: string, o?: RequestOptions) =>
    request<DatasetOut>("POST", `${issuePath(p, i)}/fixed-labels${queryString({ dataset, name })}`, coco, o),
  /** Every inference set scored on the issue's frames and on all frames, in `before` and in `after`. */
  issueBeforeAfter: (p: string, i: string, q: { before: string; after: string; inferenceSet?: string; conf?: Confidence; iou?: number }, o?: RequestOptions) =>
    request<BeforeAfter>(
      "GET",
      `${issuePath(p, i)}/before-after${queryString({ before: q.before, after: q.after, inference_set: q.inferenceSet, conf: confParam(q.conf), iou: q.iou })}`,
      undefined,
      o,
    ),
  /** The frames or label crops nearest some seeds by their stored embeddings (seeds and `exclude` never answered). */
  similar: (p: string, d: string, q: { to: readonly string[]; k?: number; embedding?: string; kind?: "frame" | "crop"; metric?: "cosine" | "euclidean"; exclude?: readonly string[] }, o?: RequestOptions) =>
    request<SimilarElementsOut>(
      "GET",
      `${datasetPath(p, d)}/similar${queryString({ to: q.to, k: q.k, embedding: q.embedding || undefined, kind: q.kind, metric: q.metric, exclude: q.exclude })}`,
      undefined,
      o,
    ),
  // Collection campaigns (issue 14, docs/campaigns.md).
  campaigns: (p: string, o?: RequestOptions) => request<Campaign[]>("GET", `${projectPath(p)}/campaigns`, undefined, o),
  campaign: (p: string, c: string, o?: RequestOptions) => request<Campaign>("GET", campaignPath(p, c), undefined, o),
  createCampaign: (p: string, body: CampaignCreateBody, o?: RequestOptions) => request<Campaign>("POST", `${projectPath(p)}/campaigns`, body, o),
  updateCampaign: (p: string, c: string, body: CampaignUpdateBody, o?: RequestOptions) => request<Campaign>("PATCH", campaignPath(p, c), body, o),
  deleteCampaign: (p: string, c: string, o?: RequestOptions) => request<void>("DELETE", campaignPath(p, c), undefined, o),
  /** Start a run (a job: `done` of `total` seeds searched). */
  runCampaign: (p: string, c: string, o?: RequestOptions) => request<CampaignJob>("POST", `${campaignPath(p, c)}/run`, undefined, o),
  /** The latest run job on this server; a 404 ApiError when there is none. */
  campaignRun: (p: string, c: string, o?: RequestOptions) => request<CampaignJob>("GET", `${campaignPath(p, c)}/run`, undefined, o),
  campaignCandidates: (p: string, c: string, q: { status?: CandidateStatus | null; offset?: number; limit?: number }, o?: RequestOptions) =>
    request<CandidatesPage>("GET", `${campaignPath(p, c)}/candidates${queryString({ status: q.status ?? undefined, offset: q.offset, limit: q.limit })}`, undefined, o),
  /** Accept, reject or reset candidates (all or none). */
  reviewCandidates: (p: string, c: string, body: { keys: readonly string[]; status: CandidateStatus; note?: string }, o?: RequestOptions) =>
    request<CandidatesReviewed>("POST", `${campaignPath(p, c)}/review`, body, o),
  /** The candidates of `status` (accepted by default) as CSV or JSON text. */
  exportCampaign: (p: string, c: string, format: CampaignExportFormat, status: CandidateStatus = "accepted", o?: RequestOptions) =>
    fetchText(`${campaignPath(p, c)}/export${queryString({ format, status })}`, o),
  frame: (p: string, d: string, frameId: string, inferenceSets: readonly string[], o?: RequestOptions) =>
    request<FrameDetail>("GET", frameQueryPath(p, d, frameId, "", { inference_set: inferenceSets }), undefined, o),
};
export type Api = typeof api;
