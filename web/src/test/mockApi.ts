/** A fake Shoal server over the fixtures, for view tests: `installMockApi()` stubs `fetch`. */
import { vi } from "vitest";
import type { ExampleOut, FrameDetail, MetricsResult, ProjectOut, SegmentResultDict } from "../api/types";
import { shapes } from "../fixtures";

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** The request's headers (`Authorization` among them). */
  headers: Headers;
}

export type Handler = (call: Call) => { status?: number; body: unknown } | undefined;

export const PROJECT = "shapes";
export const DATASET = "rendered-scenes";
const BASE = `/api/v1/projects/${PROJECT}/datasets/${encodeURIComponent(DATASET)}`;

export function projectOut(): ProjectOut {
  return { ...shapes.project, created_at: "2026-01-01T00:00:00.000Z", datasets: [DATASET] };
}

/** The fixture's results, optionally with a report number changed so tests can see a refetch land. */
export function metricsResult(set: string, include: string[], circlePrecision?: number): MetricsResult {
  const report = circlePrecision === undefined
    ? shapes.report
    : { ...shapes.report, classes: shapes.report.classes.map((c) => (c.label === "circle" ? { ...c, precision: circlePrecision } : c)) };
  return {
    // Each set's own operating point (the fixtures were computed at confidence 0.1, IoU 0.5).
    inference_set: set, version: 1, conf: 0.1, iou: 0.5,
    report: include.includes("report") ? report : null,
    confusion_matrix: include.includes("confusion_matrix") ? shapes.matrix : null,
    coco_summary: include.includes("coco_summary") ? shapes.coco : null,
    pr_curves: include.includes("pr_curves") ? Object.fromEntries(shapes.curves.map((c) => [c.label, c])) : null,
    best_thresholds: null,
    iou_thresholds: shapes.iouThresholds,
  };
}

export function examplesOut(): ExampleOut[] {
  return shapes.frames.flatMap((f) => f.objects.map((o) => ({ ...o, source_id: `${o.kind}-${o.id}`, box: o.box })));
}

export function frameDetail(frameId: string): FrameDetail | undefined {
  const f = shapes.frames.find((x) => x.frame_id === frameId);
  if (!f) return undefined;
  const row = (o: (typeof f.objects)[number]) => ({ frame_id: f.frame_id, class_name: o.label, x: o.box[0], y: o.box[1], width: o.box[2], height: o.box[3] });
  return {
    frame: { frame_id: f.frame_id, image_uri: `${f.frame_id}.png`, width: f.width, height: f.height, weather: "clear" },
    image_url: `${BASE}/frames/${f.frame_id}/image`,
    labels: f.objects.filter((o) => o.kind === "ground_truth").map((o) => ({ ...row(o), label_id: `ground_truth-${o.id}` })),
    predictions: { [shapes.inferenceSet]: f.objects.filter((o) => o.kind === "prediction").map((o) => ({ ...row(o), prediction_id: `prediction-${o.id}`, confidence: o.confidence })) },
  };
}

/**
 * Which of the fixture frames each segment has (the fake server's `frames?segment=`):
 * the fixture keeps six frames, so these are stand-ins, not the demo's real segments.
 * The splits and the regression test are lists of frames, the scenarios queries.
 */
export const SEGMENT_FRAMES: Readonly<Record<string, readonly string[]>> = {
  test: ["0003", "0006"],
  "test regression": ["0003", "0006"],
  train: ["0000", "0004", "0005"],
  val: ["0007"],
  cluttered: ["0000", "0005"],
  crowded: ["0004"],
  "low contrast": ["0006", "0007"],
  occluded: ["0000", "0003", "0004"],
};

/** The frame ids of a segment ("All Frames": every fixture frame), undefined for an unknown one. */
export function segmentFrames(name: string): readonly string[] | undefined {
  return name === "All Frames" ? shapes.frames.map((f) => f.frame_id) : SEGMENT_FRAMES[name];
}

/**
 * A server started with API keys (as `shoal serve --api-keys-file`): no key or an unknown
 * one gets 401, a read-only key 403 on anything but GET; the server's own messages.
 * Put it first: it answers refusals only and lets accepted requests through.
 */
export function requireApiKey(keys: Readonly<Record<string, "read-only" | "read-write">>): Handler {
  return ({ method, path, headers }) => {
    if (!path.startsWith("/api/")) return undefined;
    const [scheme, token] = (headers.get("Authorization") ?? "").split(" ", 2);
    if (scheme?.toLowerCase() !== "bearer" || !token) {
      return { status: 401, body: { error: "unauthorized", detail: "this server needs an API key: send 'Authorization: Bearer <key>'", where: "header.Authorization" } };
    }
    const access = keys[token];
    if (access === undefined) return { status: 401, body: { error: "unauthorized", detail: "unknown API key", where: "header.Authorization" } };
    if (access === "read-only" && method !== "GET") return { status: 403, body: { error: "forbidden", detail: "this API key is read-only", where: "header.Authorization" } };
    return undefined;
  };
}

/** The default answers: the shapes fixtures as a one-project store. */
export const fixtureHandler: Handler = ({ method, path, query }) => {
  if (path === "/api/v1/projects") return { body: [projectOut()] };
  if (path === `/api/v1/projects/${PROJECT}/datasets`) return { body: [{ name: DATASET, version: 1, num_frames: 30, num_labels: 93, created_at: "", inference_sets: ["adaptive-cc", "threshold-cc"], segments: shapes.segments.map((s) => s.name), has_image_root: true }] };
  if (path === `${BASE}/segments`) return { body: shapes.segments };
  if (path === `${BASE}/metrics`) {
    const include = query.getAll("include");
    return { body: { dataset: DATASET, segment: query.get("segment") ?? "All Frames", conf: Number(query.get("conf") ?? 0.1), iou: 0.5, results: query.getAll("inference_set").map((s) => metricsResult(s, include)) } };
  }
  const regression = path.match(/inference-sets\/([^/]+)\/regression$/);
  if (regression) return { body: shapes.regression[decodeURIComponent(regression[1]!)] as SegmentResultDict[] };
  const examples = path.match(/inference-sets\/([^/]+)\/examples$/);
  if (examples) {
    const all = examplesOut();
    const offset = Number(query.get("offset") ?? 0);
    const limit = Number(query.get("limit") ?? 50);
    return { body: { inference_set: decodeURIComponent(examples[1]!), conf: 0.1, iou: 0.5, total: all.length, offset, limit, examples: all.slice(offset, offset + limit) } };
  }
  if (path === `${BASE}/summary`) {
    // Every set's regression results side by side (as the server's summary), one segment or all.
    const sets = Object.keys(shapes.regression);
    const wanted = query.get("segment");
    const names = (shapes.regression[sets[0]!] as SegmentResultDict[]).map((r) => r.segment_name).filter((n) => wanted === null || n === wanted);
    const segments = names.map((name) => {
      const results = sets.map((set) => ({ ...(shapes.regression[set] as SegmentResultDict[]).find((r) => r.segment_name === name)!, inference_set: set, mean_ap: null, coco_ap: null }));
      const first = results[0]!;
      return {
        segment: name, segment_type: first.segment_type, frame_count: first.frame_count, stale: null,
        thresholds: { precision: first.precision.threshold, recall: first.recall.threshold, f1_score: first.f1_score.threshold },
        results,
      };
    });
    return { body: { dataset: DATASET, conf: Number(query.get("conf") ?? 0.1), iou: 0.5, query: null, inference_sets: sets, segments, comparison: null } };
  }
  if (path === `${BASE}/compare`) return { body: { ...shapes.comparison, segment: "All Frames", conf: 0.1, iou: 0.5 } };
  if (path === `${BASE}/frames`) {
    let frames = shapes.frames.map((f) => ({ frame_id: f.frame_id, image_uri: `${f.frame_id}.png`, width: f.width, height: f.height, image_url: `${BASE}/frames/${f.frame_id}/image` }));
    const segment = query.get("segment");
    if (segment !== null) {
      const ids = segmentFrames(segment);
      if (!ids) return { status: 404, body: { error: "not_found", detail: `dataset '${DATASET}' has no segment '${segment}'`, where: "query.segment" } };
      frames = frames.filter((f) => ids.includes(f.frame_id));
    }
    const listed = query.get("query")?.match(/^frame_id in \((.*)\)$/);
    if (listed) {
      const ids = [...listed[1]!.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1]!.replace(/\\(.)/g, "$1"));
      frames = frames.filter((f) => ids.includes(f.frame_id));
    }
    const offset = Number(query.get("offset") ?? 0);
    const limit = Number(query.get("limit") ?? 100);
    return { body: { total: frames.length, offset, limit, frames: frames.slice(offset, offset + limit) } };
  }
  // Images and thumbnails (jsdom loads no <img>; with an API key they are fetched as blobs),
  // and frames: the app asks each by the id as a query parameter (`frame?frame_id=`).
  const frameId = query.get("frame_id");
  const image = path.match(/\/frame\/(image|thumbnail)$/);
  if (image && frameId !== null && method === "GET") return { body: `${image[1]} of ${frameId}` };
  // A frame's `image_url` as the server writes it for most ids: by path.
  const byPath = path.match(/\/frames\/([^/]+)\/(image|thumbnail)$/);
  if (byPath && method === "GET") return { body: `${byPath[2]} of ${decodeURIComponent(byPath[1]!)}` };
  if (path === `${BASE}/frame` && frameId !== null && method === "GET") {
    const detail = frameDetail(frameId);
    return detail ? { body: detail } : { status: 404, body: { error: "not_found", detail: "no such frame", where: "frame_id" } };
  }
  return undefined;
};

/** Stub `fetch` with handlers tried in order (then the fixtures); returns the calls made. */
export function installMockApi(...handlers: Handler[]): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal("fetch", vi.fn(async (input: string, init?: RequestInit) => {
    const url = new URL(input, "http://localhost");
    const call: Call = {
      method: init?.method ?? "GET", path: url.pathname, query: url.searchParams,
      body: init?.body ? JSON.parse(init.body as string) : undefined, headers: new Headers(init?.headers),
    };
    calls.push(call);
    if (init?.signal?.aborted) throw new DOMException("aborted", "AbortError");
    for (const h of [...handlers, fixtureHandler]) {
      const answer = h(call);
      if (answer) return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200, headers: { "content-type": "application/json" } });
    }
    return new Response(JSON.stringify({ error: "not_found", detail: `no endpoint ${call.path}`, where: null }), { status: 404 });
  }));
  return calls;
}
