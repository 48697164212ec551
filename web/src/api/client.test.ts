import { afterEach, describe, expect, it, vi } from "vitest";
import {
  api, API_KEY_STORAGE, ApiError, authState, confParam, fetchImage, frameImageUrl, isAbort, isApiUrl, queryString,
  readStoredApiKey, request, setApiKey, subscribeAuth,
} from "./client";

function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

afterEach(() => vi.unstubAllGlobals());

function mockFetch(...responses: Array<Response | Error>) {
  const fn = vi.fn<(url: string, init?: RequestInit) => Promise<Response>>();
  for (const r of responses) fn.mockImplementationOnce(async () => {
    if (r instanceof Error) throw r;
    return r;
  });
  vi.stubGlobal("fetch", fn);
  return fn;
}

describe("api client", () => {
  it("builds query strings: repeated keys, omitted nulls, encoded values", () => {
    expect(queryString({ a: ["x", "y z"], b: null, c: undefined, d: 0.5 })).toBe("?a=x&a=y+z&d=0.5");
    expect(queryString({})).toBe("");
    expect(confParam(0.3)).toBe("0.3");
    expect(confParam({ car: 0.5 })).toBe('{"car":0.5}');
    expect(frameImageUrl("p q", "d", "a/b")).toBe("/api/v1/projects/p%20q/datasets/d/frame/image?frame_id=a%2Fb");
  });

  it("GETs same-origin JSON under /api/v1", async () => {
    const fetch = mockFetch(jsonResponse([{ name: "shapes" }]));
    await expect(api.projects()).resolves.toEqual([{ name: "shapes" }]);
    expect(fetch).toHaveBeenCalledWith("/api/v1/projects", expect.objectContaining({ method: "GET" }));
  });

  it("sends metrics parameters with the server's names", async () => {
    const fetch = mockFetch(jsonResponse({ results: [] }));
    await api.metrics("my proj", "val", {
      inferenceSets: ["a", "b"], conf: { circle: 0.4 }, iou: 0.6, segment: "night", include: ["report", "pr_curves"],
    });
    const url = new URL(fetch.mock.calls[0]![0], "http://x");
    expect(url.pathname).toBe("/api/v1/projects/my%20proj/datasets/val/metrics");
    expect(url.searchParams.getAll("inference_set")).toEqual(["a", "b"]);
    expect(url.searchParams.get("conf")).toBe('{"circle":0.4}');
    expect(url.searchParams.get("iou")).toBe("0.6");
    expect(url.searchParams.get("segment")).toBe("night");
    expect(url.searchParams.getAll("include")).toEqual(["report", "pr_curves"]);
  });

  it("sends examples, compare, regression and frames parameters", async () => {
    const fetch = mockFetch(jsonResponse({}), jsonResponse({}), jsonResponse([]), jsonResponse({}), jsonResponse({}));
    await api.examples("p", "d", "s", { truth: "circle", predicted: "background", sort: "iou", order: "asc", offset: 20, limit: 10, conf: 0.2 });
    await api.compare("p", "d", "a", "b", { conf: 0.3, iou: 0.5 });
    await api.regression("p", "d", "s", { conf: 0.1 });
    await api.frames("p", "d", { offset: 50, limit: 50, segment: "night rain" });
    await api.frames("p", "d", { segment: "test", query: "num_shapes > 2" });
    const urls = fetch.mock.calls.map((c) => c[0]);
    expect(urls[3]).toBe("/api/v1/projects/p/datasets/d/frames?offset=50&limit=50&segment=night+rain");
    expect(urls[4]).toBe("/api/v1/projects/p/datasets/d/frames?query=num_shapes+%3E+2&segment=test");
    expect(urls[0]).toBe("/api/v1/projects/p/datasets/d/inference-sets/s/examples?conf=0.2&truth=circle&predicted=background&sort=iou&order=asc&offset=20&limit=10");
    expect(urls[1]).toBe("/api/v1/projects/p/datasets/d/compare?base=a&other=b&conf=0.3&iou=0.5");
    expect(urls[2]).toBe("/api/v1/projects/p/datasets/d/inference-sets/s/regression?conf=0.1");
  });

  it("PATCHes segment thresholds as JSON (null removes one)", async () => {
    const fetch = mockFetch(jsonResponse({ name: "night" }));
    await api.updateSegment("p", "d", "night rain", { recall: 0.8, precision: null });
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe("/api/v1/projects/p/datasets/d/segments/night%20rain");
    expect(init?.method).toBe("PATCH");
    expect(JSON.parse(init?.body as string)).toEqual({ recall: 0.8, precision: null });
    expect((init?.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
  });

  it("turns the server's error body into an ApiError", async () => {
    mockFetch(jsonResponse({ error: "not_found", detail: "no project named 'nope'", where: null }, 404));
    const error = await api.project("nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, error: "not_found", detail: "no project named 'nope'", where: null });
    mockFetch(jsonResponse({ error: "validation_error", detail: "conf is not valid JSON", where: "query.conf" }, 422));
    await expect(request("GET", "/x")).rejects.toMatchObject({ status: 422, where: "query.conf", message: "conf is not valid JSON (query.conf)" });
  });

  it("reports non-JSON errors and network failures readably", async () => {
    mockFetch(new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    await expect(request("GET", "/x")).rejects.toMatchObject({ status: 502, error: "http_502", detail: "502 Bad Gateway" });
    mockFetch(new TypeError("Failed to fetch"));
    await expect(request("GET", "/x")).rejects.toMatchObject({ status: 0, error: "network_error" });
  });

  it("passes the AbortSignal and rethrows aborts as aborts", async () => {
    const controller = new AbortController();
    const fetch = vi.fn((_url: string, init?: RequestInit) =>
      new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")))),
    );
    vi.stubGlobal("fetch", fetch);
    const pending = api.projects({ signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    const error = await pending;
    expect(fetch.mock.calls[0]![1]?.signal).toBe(controller.signal);
    expect(isAbort(error)).toBe(true);
    expect(error).not.toBeInstanceOf(ApiError);
  });
});

/** A sessionStorage stand-in (the client tests run in Node). */
function fakeStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() { return items.size; },
    clear: () => items.clear(),
    getItem: (k: string) => items.get(k) ?? null,
    key: (i: number) => [...items.keys()][i] ?? null,
    removeItem: (k: string) => void items.delete(k),
    setItem: (k: string, v: string) => void items.set(k, String(v)),
  };
}

describe("API key", () => {
  afterEach(() => setApiKey(null));
  const authorization = (init: RequestInit | undefined) => new Headers(init?.headers).get("Authorization");

  it("is kept in sessionStorage and sent as a Bearer token on every request, writes included", async () => {
    const storage = fakeStorage();
    vi.stubGlobal("sessionStorage", storage);
    const fetch = mockFetch(jsonResponse([]), jsonResponse([]), jsonResponse({}), jsonResponse([]));
    await api.projects();
    expect(authorization(fetch.mock.calls[0]![1])).toBeNull();
    setApiKey("  secret-key-0123456789  ");
    expect(storage.getItem(API_KEY_STORAGE)).toBe("secret-key-0123456789");
    expect(readStoredApiKey()).toBe("secret-key-0123456789");
    await api.projects();
    await api.updateSegment("p", "d", "g", { recall: 0.5 });
    expect(authorization(fetch.mock.calls[1]![1])).toBe("Bearer secret-key-0123456789");
    const patch = fetch.mock.calls[2]![1];
    expect(authorization(patch)).toBe("Bearer secret-key-0123456789");
    expect(new Headers(patch?.headers).get("Content-Type")).toBe("application/json");
    setApiKey(null);
    expect(storage.getItem(API_KEY_STORAGE)).toBeNull();
    await api.projects();
    expect(authorization(fetch.mock.calls[3]![1])).toBeNull();
  });

  it("a 401 asks for a key; one to a key drops it; one to an older key is stale", async () => {
    vi.stubGlobal("sessionStorage", fakeStorage());
    const seen: number[] = [];
    const unsubscribe = subscribeAuth(() => seen.push(authState().generation));
    const refusal = (detail: string) => jsonResponse({ error: "unauthorized", detail, where: "header.Authorization" }, 401);
    mockFetch(refusal("this server needs an API key"));
    await expect(api.projects()).rejects.toMatchObject({ status: 401 });
    expect(authState()).toMatchObject({ key: null, rejected: false, needed: { status: 401, detail: "this server needs an API key" } });
    setApiKey("wrong-key-0123456789");
    expect(authState()).toMatchObject({ key: "wrong-key-0123456789", needed: null });
    mockFetch(refusal("unknown API key"));
    await expect(api.projects()).rejects.toBeInstanceOf(ApiError);
    expect(authState()).toMatchObject({ key: null, rejected: true, needed: { detail: "unknown API key" } });
    expect(readStoredApiKey()).toBeNull();
    // An answer to a request sent before the key changed does not undo the new key.
    let answer: (r: Response) => void = () => {};
    vi.stubGlobal("fetch", vi.fn(() => new Promise<Response>((r) => (answer = r))));
    const pending = api.projects().catch((e: unknown) => e);
    setApiKey("right-key-0123456789");
    answer(refusal("this server needs an API key"));
    await pending;
    expect(authState()).toMatchObject({ key: "right-key-0123456789", needed: null });
    expect(seen.length).toBe(4);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    unsubscribe();
  });

  it("without storage the key still works for the page's life", async () => {
    vi.stubGlobal("sessionStorage", undefined);
    const fetch = mockFetch(jsonResponse([]));
    setApiKey("secret-key-0123456789");
    await api.projects();
    expect(authorization(fetch.mock.calls[0]![1])).toBe("Bearer secret-key-0123456789");
    expect(readStoredApiKey()).toBeNull();
  });

  it("API images are fetched as blobs with the key; other URLs are not the API's", async () => {
    vi.stubGlobal("sessionStorage", fakeStorage());
    setApiKey("secret-key-0123456789");
    const fetch = mockFetch(new Response("png", { status: 200, headers: { "content-type": "image/png" } }),
      jsonResponse({ error: "forbidden", detail: "the image is outside the dataset's image root", where: "image_uri" }, 403));
    const url = frameImageUrl("p", "d", "f");
    const blob = await fetchImage(url);
    expect(await blob.text()).toBe("png");
    expect(fetch.mock.calls[0]![0]).toBe(url);
    expect(authorization(fetch.mock.calls[0]![1])).toBe("Bearer secret-key-0123456789");
    await expect(fetchImage(url)).rejects.toMatchObject({ status: 403, where: "image_uri" });
    expect(authState().key).toBe("secret-key-0123456789"); // a 403 is no reason to ask again
    expect(isApiUrl(url)).toBe(true);
    expect(isApiUrl("https://example.com/a.png")).toBe(false);
    expect(isApiUrl("/api/v1x/a")).toBe(false);
  });
});
