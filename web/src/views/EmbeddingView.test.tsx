// @vitest-environment jsdom
import { fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { PointColorsOut, ProjectionOut } from "../lib/embedding";
import { DATASET, projectOut } from "../test/mockApi";
import type { ViewContext } from "./context";
import EmbeddingView, { type EmbeddingState } from "./EmbeddingView";

const BASE = `/api/v1/projects/shapes/datasets/${DATASET}`;

function context(): ViewContext {
  return {
    project: projectOut(), dataset: DATASET, sets: ["adaptive-cc"], thresholds: { conf: 0.1, iou: 0.5, overrides: {} }, conf: 0.1, iou: 0.5,
    segment: "All Frames", selection: null, sort: "confidence-disagreement", page: 0,
    metricClass: null, shown: null, values: "absolute", shareOf: "row", frame: null, object: null, update: vi.fn(), query: "weather = 'rain'",
  };
}

const INFO: ProjectionOut = {
  model: "clip", kind: "frame", method: "umap", count: 3, fitted_on: 3, computed_at: "2026-12-03T07:00:00Z", state: "current",
  bounds: { x: [0, 2], y: [0, 1] }, sources: { frame: 3 },
};
const COLORS: PointColorsOut = {
  color_by: "outcome", type: "categorical", definition: "a frame's outcome: its errors", categories: ["no errors", "FN only"],
  codes: [0, 1, 1], values: null, min: null, max: null, in_scope: [true, false, true],
};

/** A fake server for the view: the projection is missing until its job has been polled twice. */
function serve() {
  let computed = false;
  let polls = 0;
  const calls: Array<{ method: string; path: string; query: URLSearchParams }> = [];
  vi.stubGlobal("fetch", vi.fn(async (input: string, init?: RequestInit) => {
    const url = new URL(input, "http://localhost");
    const method = init?.method ?? "GET";
    calls.push({ method, path: url.pathname, query: url.searchParams });
    const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
    const path = url.pathname.replace(BASE, "");
    if (path === "/embeddings") return json([{ model: "clip", dimension: 4, frames: 3, labels: 0, predictions: {} }]);
    if (path === "/projection" && method === "POST") return json({ id: "j1", kind: "projection", state: "queued", done: 0, total: 3 }, 202);
    if (path === "/projection/job") {
      if (!calls.some((c) => c.method === "POST")) return json({ error: "not_found", detail: "no job" }, 404);
      polls += 1;
      if (polls >= 2) computed = true;
      return json({ id: "j1", kind: "projection", state: computed ? "done" : "running", done: computed ? 3 : 1, total: 3 });
    }
    if (path === "/projection") {
      return computed ? json(INFO) : json({ error: "not_found", detail: "no UMAP projection of frames yet: POST .../projection to compute it" }, 404);
    }
    if (path === "/projection/points") return new Response(new Float32Array([0, 0, 1, 1, 2, 0.5]).buffer, { status: 200 });
    if (path === "/projection/colors") return json({ ...COLORS, color_by: url.searchParams.get("color_by") });
    if (path === "/frames") return json({ frames: [{ frame_id: "a", weather: "rain", image_url: "x" }], total: 3, offset: 0, limit: 1 });
    if (path === "/element-metrics") return json({ metrics: [{ name: "sharpness", level: "frame", type: "float", source: "quality", description: "", inference_set: null }] });
    if (url.pathname.endsWith("/metrics")) return json({ results: [{ iou_thresholds: [0.5, 0.75] }] });
    if (url.pathname.endsWith("/issues")) return json([]);
    return json({ error: "not_found", detail: `no endpoint ${url.pathname}` }, 404);
  }));
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

describe("EmbeddingView", () => {
  it("offers to compute a missing projection, shows the job's progress, then the points' legend", async () => {
    const calls = serve();
    const onState = vi.fn();
    const state: EmbeddingState = { model: null, kind: "frame", method: "umap", colorBy: "outcome" };
    render(<EmbeddingView ctx={context()} state={state} onState={onState} />);
    expect(await screen.findByText(/no UMAP projection of frames yet/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Compute" }));
    expect(await screen.findByRole("progressbar", { name: "Projection progress" })).toBeInTheDocument();
    expect(screen.getByText(/1 of 3/)).toBeInTheDocument();
    // Done: the projection, its points and colors load (this jsdom has no WebGL: the scatter says so).
    expect(await screen.findByText("a frame's outcome: its errors", {}, { timeout: 4000 })).toBeInTheDocument();
    expect(await screen.findByText(/cannot draw WebGL2/)).toBeInTheDocument();
    expect(screen.getByText(/1 points outside the segment \/ query: dimmed/)).toBeInTheDocument();
    const colors = calls.find((c) => c.path.endsWith("/projection/colors"))!;
    expect(Object.fromEntries(colors.query)).toMatchObject({
      embedding: "clip", kind: "frame", method: "umap", color_by: "outcome", inference_set: "adaptive-cc", conf: "0.1", iou: "0.5", query: "weather = 'rain'",
    });
    expect(colors.query.has("segment")).toBe(false); // All Frames: no segment
    // Color by offers the metadata keys and the frame metrics.
    const select = screen.getByLabelText("Color by") as HTMLSelectElement;
    const values = [...select.options].map((o) => o.value);
    expect(values).toEqual(expect.arrayContaining(["class", "outcome", "confusion", "f1", "metadata:weather", "metric:sharpness"]));
    expect(values).not.toContain("metadata:frame_id");
    fireEvent.change(select, { target: { value: "metadata:weather" } });
    expect(onState).toHaveBeenCalledWith({ colorBy: "metadata:weather" });
  });
});
