import { afterEach, describe, expect, it, vi } from "vitest";
import { api, datasetPath, framePath, frameImageUrl, frameThumbnailUrl, inferenceSetPath, urlSegment } from "./client";

afterEach(() => vi.unstubAllGlobals());

/** A fetch that answers `{}` and records the URLs asked for. */
function recordingFetch() {
  const fn = vi.fn<(url: string, init?: RequestInit) => Promise<Response>>(async () =>
    new Response("{}", { status: 200, headers: { "content-type": "application/json" } }),
  );
  vi.stubGlobal("fetch", fn);
  return fn;
}

describe("path segments", () => {
  it("writes . and .. as %2E and %2E%2E (a browser would resolve them as folders)", () => {
    expect(urlSegment(".")).toBe("%2E");
    expect(urlSegment("..")).toBe("%2E%2E");
    expect(datasetPath("..", ".")).toBe("/projects/%2E%2E/datasets/%2E");
    expect(inferenceSetPath("p", "d", "..")).toBe("/projects/p/datasets/d/inference-sets/%2E%2E");
    // A browser resolves %2E%2E anyway, so frames are asked with the id as a query parameter.
    expect(new URL("/api/v1/projects/p/datasets/d/frames/%2E%2E/image", "http://h").pathname).toBe("/api/v1/projects/p/datasets/d/image");
    expect(frameImageUrl("p", "d", ".")).toBe("/api/v1/projects/p/datasets/d/frame/image?frame_id=.");
    expect(frameImageUrl("p", "d", "..")).toBe("/api/v1/projects/p/datasets/d/frame/image?frame_id=..");
    expect(new URL(frameImageUrl("p", "d", ".."), "http://h").searchParams.get("frame_id")).toBe("..");
    expect(frameThumbnailUrl("p", "d", "..", 360)).toBe("/api/v1/projects/p/datasets/d/frame/thumbnail?frame_id=..&size=360");
  });

  it("asks a frame by query, whatever its id", async () => {
    const fetch = recordingFetch();
    for (const id of ["..", ".", "a/../b", "x?y#z", "100%"]) {
      await api.frame("p", "d", id, ["m"]);
      const url = new URL(fetch.mock.lastCall![0], "http://h");
      expect(url.pathname).toBe("/api/v1/projects/p/datasets/d/frame");
      expect(url.searchParams.get("frame_id")).toBe(id);
      expect(url.searchParams.getAll("inference_set")).toEqual(["m"]);
    }
  });

  it("leaves dots inside a name, and encodes what encodeURIComponent does", () => {
    expect(urlSegment("...")).toBe("...");
    expect(urlSegment("v1.2")).toBe("v1.2");
    expect(urlSegment("./a")).toBe(".%2Fa");
    expect(urlSegment("a b%/é")).toBe("a%20b%25%2F%C3%A9");
    expect(framePath("p", "d", "a/../b")).toBe("/projects/p/datasets/d/frames/a%2F..%2Fb");
  });
});

describe("the controls' endpoints", () => {
  it("sends per-model thresholds and the query with the server's names", async () => {
    const fetch = recordingFetch();
    await api.compare("p", "d", "a", "b", { conf: 0.3, iou: 0.5, otherConf: 0.6, otherIou: 0.75, query: "width > 10" });
    expect(fetch.mock.calls[0]![0]).toBe(
      "/api/v1/projects/p/datasets/d/compare?base=a&other=b&conf=0.3&iou=0.5&query=width+%3E+10&other_conf=0.6&other_iou=0.75",
    );
    await api.metrics("p", "d", { inferenceSets: ["a", "b"], conf: 0.3, otherConf: { car: 0.2 }, include: ["report"] });
    expect(fetch.mock.calls[1]![0]).toBe(
      "/api/v1/projects/p/datasets/d/metrics?inference_set=a&inference_set=b&conf=0.3&other_conf=%7B%22car%22%3A0.2%7D&include=report",
    );
  });

  it("leaves an empty query out", async () => {
    const fetch = recordingFetch();
    await api.regression("p", "d", "a", { conf: 0.5, query: "" });
    expect(fetch.mock.calls[0]![0]).toBe("/api/v1/projects/p/datasets/d/inference-sets/a/regression?conf=0.5");
  });

  it("asks for the summary, the changed examples and completions", async () => {
    const fetch = recordingFetch();
    await api.summary("p", "d", { conf: 0.5, iou: 0.5, base: "a", other: "b" });
    await api.compareExamples("p", "d", "a", "b", { conf: 0.5, change: "broken", label: "car", offset: 12, limit: 12 });
    await api.queryCompletions("p", "d", "wid", 20);
    const urls = fetch.mock.calls.map((c) => c[0]);
    expect(urls).toEqual([
      "/api/v1/projects/p/datasets/d/summary?conf=0.5&iou=0.5&base=a&other=b",
      "/api/v1/projects/p/datasets/d/compare/examples?base=a&other=b&conf=0.5&change=broken&label=car&offset=12&limit=12",
      "/api/v1/projects/p/datasets/d/query/completions?prefix=wid&limit=20",
    ]);
  });

  it("POSTs an examples selection as a segment", async () => {
    const fetch = recordingFetch();
    await api.segmentFromExamples("p", "d", "a", { conf: 0.5, outcome: "FN" }, { name: "misses", type: "scenario" });
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe("/api/v1/projects/p/datasets/d/inference-sets/a/examples/segment?conf=0.5&outcome=FN");
    expect(init?.method).toBe("POST");
    expect(JSON.parse(String(init?.body))).toEqual({ name: "misses", type: "scenario" });
  });
});
