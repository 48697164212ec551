// @vitest-environment jsdom
import { render as renderBare, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useCallback, useState, type ReactElement } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ClassificationReportDict, ConfusionMatrixDict, ProjectOut } from "../api/types";
import { shapes } from "../fixtures";
import { formatSigned, formatSignedScore } from "../lib/format";
import { DATASET, examplesOut, frameDetail, installMockApi, metricsResult, projectOut, SEGMENT_FRAMES, type Handler } from "../test/mockApi";
import { AnnotatedImage } from "../components/AnnotatedImage";
import { exampleOf, frameIdsQuery, frameOf, objectIdOf, serverSort } from "./adapters";
import type { AppState } from "../lib/urlState";
import type { ViewContext } from "./context";
import { CompareView } from "./CompareView";
import { FramePanel } from "./FramePanel";
import { answeredConf, filterReport, highlightOf, MetricsView, reportPoint } from "./MetricsView";
import { ScenariosView } from "./ScenariosView";
import { frameIdList } from "./SegmentEditor";
import { ThemeProvider } from "../theme";

// The views use the app's design system (Mantine): rendered inside its provider, as in the app.
const render = (ui: ReactElement) => renderBare(ui, { wrapper: ThemeProvider });

afterEach(() => vi.unstubAllGlobals());

function context(project: ProjectOut = projectOut(), patch: Partial<ViewContext> = {}): ViewContext {
  return {
    project, dataset: DATASET, sets: ["adaptive-cc"], thresholds: { conf: 0.1, iou: 0.5, overrides: {} }, conf: 0.1, iou: 0.5,
    segment: "All Frames", selection: null, sort: "confidence-disagreement", page: 0,
    metricClass: null, shown: null, values: "absolute", shareOf: "row", frame: null, object: null, update: vi.fn(), ...patch,
  };
}

/** MetricsView over a context whose `update` applies its patch, as the app's URL state does. */
function StatefulMetrics({ initial }: { initial: ViewContext }) {
  const [ctx, setCtx] = useState(initial);
  // The patches MetricsView makes name only fields the context shares with the URL state.
  const update = useCallback((patch: Partial<AppState>) => setCtx((c) => ({ ...c, ...(patch as Partial<ViewContext>) })), []);
  return <MetricsView ctx={{ ...ctx, update }} />;
}

describe("adapters", () => {
  it("map grid sorts to the server's sort and order", () => {
    expect(serverSort("confidence-disagreement")).toEqual({ sort: "confidence", order: "desc" });
    expect(serverSort("confidence-agreement")).toEqual({ sort: "confidence", order: "asc" });
    expect(serverSort("iou")).toEqual({ sort: "iou", order: "asc" });
    expect(serverSort("area")).toEqual({ sort: "area", order: "asc" });
  });


  it("an example becomes a grid example over the frame's image; no box (classification) draws nothing", () => {
    const e = { ...examplesOut()[0]!, box: null, frame_id: "a b" };
    const ex = exampleOf("p", "d", e);
    expect(ex.frame.image_url).toBe("/api/v1/projects/p/datasets/d/frame/image?frame_id=a+b");
    expect(ex.object.box).toEqual([0, 0, 0, 0]);
    expect(ex.frame.objects).toEqual([ex.object]);
  });

  it("a text frame (text metadata, no image) carries its text; a frame with an image does not", () => {
    const e = { ...examplesOut()[0]!, box: null };
    expect(exampleOf("p", "d", e, { frame_id: e.frame_id, image_uri: null, text: "A quiet film." }).frame.text).toBe("A quiet film.");
    expect(exampleOf("p", "d", e, { frame_id: e.frame_id, image_uri: "x.png", text: "caption" }).frame.text).toBeUndefined();
    expect(exampleOf("p", "d", e).frame.text).toBeUndefined();
  });

  it("with the frame's recorded size an example uses the thumbnail; boxes keep the image's pixels", () => {
    const e = examplesOut()[0]!;
    const ex = exampleOf("p", "d", e, { frame_id: e.frame_id, image_uri: "x.png", width: 320, height: 240 });
    expect(ex.frame.thumbnail_url).toBe(`/api/v1/projects/p/datasets/d/frame/thumbnail?frame_id=${e.frame_id}&size=360`);
    expect([ex.frame.width, ex.frame.height]).toEqual([320, 240]);
    const web = exampleOf("p", "d", e, { frame_id: e.frame_id, image_uri: "https://x/y.png", width: 320, height: 240 });
    expect(web.frame.thumbnail_url).toBeUndefined();
    // An http(s) image is loaded from where it is (the image endpoint only redirects there; no API key needed).
    expect(web.frame.image_url).toBe("https://x/y.png");
    const detail = frameDetail("0000")!;
    expect(frameOf({ ...detail, frame: { ...detail.frame, image_uri: "http://x/0.jpg" } }, null, 0).image_url).toBe("http://x/0.jpg");
    expect(frameOf(detail, null, 0).image_url).toBe(detail.image_url);
    const { container } = render(<AnnotatedImage frame={ex.frame} preferThumbnail width={180} />);
    const img = container.querySelector("img")!;
    expect(img.getAttribute("src")).toBe(ex.frame.thumbnail_url);
    Object.defineProperty(img, "naturalWidth", { value: 180 });
    Object.defineProperty(img, "naturalHeight", { value: 135 });
    img.dispatchEvent(new Event("load"));
    expect(container.querySelector("svg")!.getAttribute("viewBox")).toBe("0 0 320 240");
  });

  it("frame ids become a query with escaped string literals", () => {
    expect(frameIdsQuery(["a", "it's", "b\\c"])).toBe("frame_id in ('a', 'it\\'s', 'b\\\\c')");
  });

  it("a frame's labels and counted predictions become FrameView objects, outcomes from known examples", () => {
    const detail = frameDetail("0000")!;
    const known = examplesOut().filter((e) => e.frame_id === "0000");
    const all = frameOf(detail, "adaptive-cc", 0, known);
    expect(all.objects.length).toBe(detail.labels.length + detail.predictions["adaptive-cc"]!.length);
    expect(all.objects.every((o) => o.outcome !== ("" as string))).toBe(true);
    const strict = frameOf(detail, "adaptive-cc", 1, []);
    expect(strict.objects.filter((o) => o.kind === "prediction")).toHaveLength(0);
    expect(strict.objects.every((o) => o.outcome === ("" as string) && Number.isNaN(o.iou))).toBe(true);
    const p = detail.predictions["adaptive-cc"]![0]!;
    expect(all.objects.find((o) => o.id === objectIdOf(detail, "adaptive-cc", "prediction", p.prediction_id))!.confidence).toBe(p.confidence);
  });
});

describe("MetricsView with many classes", () => {
  const names = Array.from({ length: 30 }, (_, k) => `c${k}`);
  const labels = [...names, "background"];
  const n = names.length;
  const matrix: ConfusionMatrixDict = { labels, matrix: labels.map((_, i) => labels.map((__, j) => (i === n && j === n ? 0 : i === j ? 10 : (i + j) % 7 === 0 ? 1 : 0))), conf: 0.1, iou: 0.5 };
  const row = { precision: 0.5, recall: 0.5, "f1-score": 0.5, support: 10, tp: 5, fp: 5, fn: 5, ap: 0.4 };
  const avg = { precision: 0.5, recall: 0.5, "f1-score": 0.5, support: 300 };
  const report: ClassificationReportDict = {
    classes: names.map((label) => ({ label, ...row })),
    averages: { "micro avg": avg, "macro avg": avg, "weighted avg": avg }, accuracy: null, conf: 0.1, iou: 0.5,
  };
  const project: ProjectOut = { ...projectOut(), classes: names.map((name, id) => ({ name, id, color: "#000000", ignore: false })) };

  it("filters the report by name, and a report row filters the matrix table", async () => {
    const user = userEvent.setup();
    installMockApi(({ path, query }) => path.endsWith("/metrics")
      ? { body: { dataset: DATASET, segment: "All Frames", conf: 0.1, iou: 0.5, results: [{ inference_set: "adaptive-cc", version: 1, report: query.getAll("include").includes("report") ? report : null, confusion_matrix: matrix, coco_summary: null, pr_curves: null, best_thresholds: null, iou_thresholds: shapes.iouThresholds }] } }
      : undefined);
    render(<StatefulMetrics initial={context(project)} />);
    const table = await screen.findByRole("table", { name: /Classification report/ });
    expect(within(table).getAllByRole("button", { name: /^c\d+$/ })).toHaveLength(30);
    await user.type(screen.getByRole("searchbox", { name: "Filter classes" }), "c2");
    expect(within(table).getAllByRole("button", { name: /^c\d+$/ }).map((b) => b.textContent)).toEqual(["c2", ...names.filter((c) => c.startsWith("c2") && c !== "c2")]);
    await user.click(within(table).getByRole("button", { name: "c21" }));
    expect(screen.getByRole("combobox", { name: "Class" })).toHaveValue("c21");
    const matrixTable = screen.getByRole("table", { name: /Confusion matrix/ });
    for (const r of within(matrixTable).getAllByRole("row").slice(1)) {
      expect(r.textContent).toContain("c21");
    }
  });

  it("the matrix button pressed follows the selection (so a link restores it)", () => {
    expect(highlightOf({ kind: "fn" })).toEqual({ kind: "fn" });
    expect(highlightOf({ kind: "confused_as", label: "c1" })).toEqual({ kind: "confusedAs", label: "c1" });
    expect(highlightOf({ kind: "confused_from", label: "c1" })).toEqual({ kind: "confusedFrom", label: "c1" });
    expect(highlightOf({ kind: "cell", truth: "c1", predicted: "c2" })).toEqual({ kind: "none" });
    expect(highlightOf(null)).toEqual({ kind: "none" });
  });

  it("answeredConf is the confidence the answer was computed at, per class when overridden", () => {
    expect(answeredConf(0.3, null)).toBe(0.3);
    expect(answeredConf({ a: 0.3, b: 0.7 }, "b")).toBe(0.7);
    expect(answeredConf({ a: 0.3, b: 0.7 }, null)).toBeNull();
    expect(answeredConf({ a: 0.4, b: 0.4 }, null)).toBe(0.4);
    expect(answeredConf(undefined, null)).toBeNull();
  });

  it("reportPoint is a row's precision and recall (micro avg for all classes)", () => {
    const shaped = { ...report, classes: report.classes.map((c) => (c.label === "c3" ? { ...c, precision: 0.8, recall: 0.4 } : c)) };
    expect(reportPoint(shaped, "c3")).toMatchObject({ precision: 0.8, recall: 0.4 });
    expect(reportPoint(shaped, "c3")!.f1).toBe(shaped.classes.find((c) => c.label === "c3")!["f1-score"]);
    expect(reportPoint(shaped, null)).toEqual({ precision: avg.precision, recall: avg.recall, f1: avg["f1-score"] });
    expect(reportPoint(shaped, "no such class")).toBeNull();
    expect(reportPoint(null, null)).toBeNull();
  });

  it("filterReport keeps averages and the operating point", () => {
    const filtered = filterReport(report, "c29");
    expect(filtered.classes.map((c) => c.label)).toEqual(["c29"]);
    expect(filtered).toEqual({ ...report, classes: [report.classes[29]] });
    expect(filterReport(report, " ")).toBe(report);
  });
});

describe("Scenarios: a segment's details", () => {
  const frameCalls = (calls: { path: string; query: URLSearchParams }[]) => calls.filter((c) => c.path.endsWith("/frames"));
  const listed = (details: HTMLElement) => within(within(details).getByRole("table")).getAllByRole("rowheader").map((h) => h.textContent);

  it("a segment defined by a list of frames lists its frames (segment=), opening the Frame view", async () => {
    const user = userEvent.setup();
    const calls = installMockApi();
    const ctx = context();
    render(<ScenariosView ctx={ctx} />);
    await user.click(await screen.findByRole("button", { name: "Details of test" }));
    const details = await screen.findByRole("region", { name: "Segment test" });
    expect(await within(details).findByRole("button", { name: "0003" })).toBeInTheDocument();
    expect(listed(details)).toEqual([...SEGMENT_FRAMES.test!]);
    expect(within(details).getByText("(a list of frames)")).toBeInTheDocument();
    expect(within(details).queryByText(/lists frames by query only/)).toBeNull();
    expect(Object.fromEntries(frameCalls(calls).at(-1)!.query)).toEqual({ segment: "test", offset: "0", limit: "50" });
    await user.click(within(details).getByRole("button", { name: "0006" }));
    expect(ctx.update).toHaveBeenCalledWith({ view: "frame", frame: "0006" });
  });

  it("a query segment and All Frames are asked for by name too", async () => {
    const user = userEvent.setup();
    const calls = installMockApi();
    render(<ScenariosView ctx={context()} />);
    await user.click(await screen.findByRole("button", { name: "Details of cluttered" }));
    const details = await screen.findByRole("region", { name: "Segment cluttered" });
    await within(details).findByRole("button", { name: SEGMENT_FRAMES.cluttered![0]! });
    expect(listed(details)).toEqual([...SEGMENT_FRAMES.cluttered!]);
    expect(frameCalls(calls).at(-1)!.query.get("segment")).toBe("cluttered");
    expect(frameCalls(calls).at(-1)!.query.get("query")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Details of All Frames" }));
    const all = await screen.findByRole("region", { name: "Segment All Frames" });
    await waitFor(() => expect(listed(all)).toHaveLength(6));
    expect(frameCalls(calls).at(-1)!.query.get("segment")).toBe("All Frames");
  });

  it("pages through a long segment, keeping segment=; another segment starts on its first page", async () => {
    const user = userEvent.setup();
    const ids = Array.from({ length: 120 }, (_, k) => `f${String(k).padStart(3, "0")}`);
    const calls = installMockApi(({ path, query }) => {
      if (!path.endsWith("/frames") || query.get("segment") !== "train") return undefined;
      const offset = Number(query.get("offset"));
      const limit = Number(query.get("limit"));
      return { body: { total: ids.length, offset, limit, frames: ids.slice(offset, offset + limit).map((frame_id) => ({ frame_id, image_uri: `${frame_id}.png` })) } };
    });
    render(<ScenariosView ctx={context()} />);
    await user.click(await screen.findByRole("button", { name: "Details of train" }));
    const details = await screen.findByRole("region", { name: "Segment train" });
    expect(await within(details).findByText("1–50 of 120")).toBeInTheDocument();
    await user.click(within(within(details).getByRole("navigation", { name: "Frame pages" })).getByRole("button", { name: "Next" }));
    expect(await within(details).findByText("51–100 of 120")).toBeInTheDocument();
    expect(listed(details)[0]).toBe("f050");
    expect(Object.fromEntries(frameCalls(calls).at(-1)!.query)).toEqual({ segment: "train", offset: "50", limit: "50" });
    await user.click(screen.getByRole("button", { name: "Details of test" }));
    const test = await screen.findByRole("region", { name: "Segment test" });
    await waitFor(() => expect(listed(test)).toEqual([...SEGMENT_FRAMES.test!]));
    expect(Object.fromEntries(frameCalls(calls).at(-1)!.query)).toEqual({ segment: "test", offset: "0", limit: "50" });
  });

  it("a failure to list the frames is an error panel", async () => {
    installMockApi(({ path }) => path.endsWith("/frames") ? { status: 404, body: { error: "not_found", detail: "dataset 'x' has no segment 'test'", where: "query.segment" } } : undefined);
    const user = userEvent.setup();
    render(<ScenariosView ctx={context()} />);
    await user.click(await screen.findByRole("button", { name: "Details of test" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Frames could not be loaded");
    expect(alert).toHaveTextContent("at query.segment");
  });
});

describe("Metrics with two inference sets", () => {
  it("leads to Compare's delta matrix, as the reference docs' two-set matrix", async () => {
    const user = userEvent.setup();
    installMockApi();
    const ctx = context(undefined, { sets: ["adaptive-cc", "threshold-cc"] });
    render(<MetricsView ctx={ctx} />);
    const link = await screen.findByRole("button", { name: "Delta matrix: threshold-cc against adaptive-cc (Compare)" });
    await user.click(link);
    expect(ctx.update).toHaveBeenCalledWith({ view: "compare" });
  });

  it("has no such link with one", async () => {
    installMockApi();
    render(<MetricsView ctx={context()} />);
    await screen.findByRole("table", { name: /Classification report/ });
    expect(screen.queryByRole("button", { name: /^Delta matrix/ })).toBeNull();
  });
});

describe("views' loading and errors", () => {
  it("Metrics shows the server's error with a retry that refetches", async () => {
    const user = userEvent.setup();
    let fail = true;
    const calls = installMockApi(({ path }) => path.endsWith("/metrics") && fail
      ? { status: 422, body: { error: "validation_error", detail: "conf names an unknown class 'x'", where: "query.conf" } } : undefined);
    render(<MetricsView ctx={context()} />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Metrics could not be loaded");
    expect(alert).toHaveTextContent("at query.conf");
    fail = false;
    await user.click(within(alert).getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("table", { name: /Classification report/ })).toBeInTheDocument();
    expect(calls.filter((c) => c.path.endsWith("/metrics") && c.query.getAll("include").includes("report"))).toHaveLength(2);
  });

  it("the Matching control asks for Labelbox's rule; per-class IoU reaches the metrics and examples requests", async () => {
    const calls = installMockApi();
    const iou = { circle: 0.75, square: 0.5, triangle: 0.5, cross: 0.5 };
    render(<StatefulMetrics initial={context(undefined, { matchIou: iou, selection: { kind: "fn" } })} />);
    await screen.findByRole("table", { name: /Classification report/ });
    const sent = (path: string) => calls.filter((c) => c.path.endsWith(path));
    await waitFor(() => expect(sent("/examples").length).toBeGreaterThan(0));
    expect(JSON.parse(sent("/metrics")[0]!.query.get("iou")!)).toEqual(iou);
    expect(JSON.parse(sent("/examples")[0]!.query.get("iou")!)).toEqual(iou);
    expect(sent("/metrics")[0]!.query.get("protocol")).toBeNull();
    const rule = screen.getByTestId("matching-rule");
    expect(rule.textContent).toContain("COCO:");
    await userEvent.selectOptions(within(rule).getByLabelText("Matching"), "labelbox");
    expect(rule.textContent).toContain("whatever the classes");
    await waitFor(() => expect(sent("/metrics").some((c) => c.query.get("protocol") === "labelbox")).toBe(true));
    await waitFor(() => expect(sent("/examples").some((c) => c.query.get("protocol") === "labelbox")).toBe(true));
  });

  it("a slow answer shows progress", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    installMockApi();
    const mocked = globalThis.fetch as unknown as (u: string, i?: RequestInit) => Promise<Response>;
    vi.stubGlobal("fetch", async (u: string, i?: RequestInit) => {
      if (u.includes("/compare")) await gate;
      return mocked(u, i);
    });
    render(<CompareView ctx={context(undefined, { sets: ["threshold-cc", "adaptive-cc"] })} />);
    // The thresholds' IoU <output> is a status too: look for the progress one.
    const comparing = () => screen.queryAllByRole("status").filter((s) => s.textContent?.includes("Comparing"));
    await waitFor(() => expect(comparing()).toHaveLength(1));
    release();
    expect(await screen.findByRole("heading", { name: "adaptive-cc against threshold-cc" })).toBeInTheDocument();
    await waitFor(() => expect(comparing()).toHaveLength(0));
  });

  it("the IoU slider moves over the grid of the metrics answer; a view without metrics asks for it", async () => {
    const grid = [0.3, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];
    const withGrid: Handler = ({ path, query }) => {
      if (!path.endsWith("/metrics")) return undefined;
      const results = query.getAll("inference_set").map((s) => ({ ...metricsResult(s, query.getAll("include")), iou_thresholds: grid }));
      return { body: { dataset: DATASET, segment: "All Frames", conf: 0.1, iou: Number(query.get("iou")), results } };
    };
    const asked = installMockApi(withGrid);
    const thresholds = { conf: 0.1, iou: 0.3, overrides: {} };
    render(<CompareView ctx={context(undefined, { sets: ["threshold-cc", "adaptive-cc"], iou: 0.3, thresholds })} />);
    const slider = await screen.findByRole("slider", { name: "IoU" });
    // The slider runs over the whole range; the answer's kept grid is marked on it.
    const marks = () => [...document.getElementById(slider.getAttribute("list")!)!.querySelectorAll("option")].map((o) => Number(o.value));
    await waitFor(() => expect(marks()).toEqual(grid));
    expect(slider).toHaveAttribute("max", "0.95");
    expect(slider).toHaveValue("0.3");
    expect(slider).toHaveAttribute("aria-valuetext", "0.30");
    const metrics = asked.filter((c) => c.path.endsWith("/metrics"));
    expect(metrics).toHaveLength(1);
    expect([metrics[0]!.query.getAll("inference_set"), metrics[0]!.query.get("iou"), metrics[0]!.query.getAll("include")])
      .toEqual([["threshold-cc"], "0.3", ["report"]]);
  });

  it("Compare lists the server's per-class deltas, AP only where both sides have ground truth", async () => {
    const answer = shapes.comparison;
    const classes = { ...answer.classes, circle: { ...answer.classes.circle!, ap: { base: -1, other: 0.5, delta: 1.5 } } };
    installMockApi(({ path }) => (path.endsWith("/compare") ? { body: { ...answer, classes, segment: "All Frames", conf: 0.1, iou: 0.5 } } : undefined));
    render(<CompareView ctx={context(undefined, { sets: ["threshold-cc", "adaptive-cc"] })} />);
    const table = await screen.findByRole("table", { name: "Per-class change (adaptive-cc − threshold-cc)" });
    const headers = within(table).getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers).toEqual(["Class", "Precision", "Recall", "F1", "TP", "FP", "FN", "AP"]);
    const row = (label: string) => within(within(table).getByRole("rowheader", { name: label }).closest("tr")!).getAllByRole("cell").map((c) => c.textContent);
    const square = answer.classes.square!;
    expect(row("square")).toEqual([
      formatSignedScore(square.precision!.delta), formatSignedScore(square.recall!.delta), formatSignedScore(square["f1-score"]!.delta),
      formatSigned(square.tp!.delta), formatSigned(square.fp!.delta), formatSigned(square.fn!.delta), formatSignedScore(square.ap!.delta),
    ]);
    expect(row("circle")[6]).toBe("-");
  });

  it("the Metrics view's own answer gives the IoU grid: no request of the panel's", async () => {
    const calls = installMockApi();
    render(<MetricsView ctx={context()} />);
    const slider = await screen.findByRole("slider", { name: "IoU" });
    const marks = () => [...document.getElementById(slider.getAttribute("list")!)!.querySelectorAll("option")].map((o) => Number(o.value));
    await waitFor(() => expect(marks()).toEqual(shapes.iouThresholds));
    const reports = calls.filter((c) => c.path.endsWith("/metrics") && c.query.getAll("include").includes("report"));
    expect(reports.map((c) => c.query.getAll("include"))).toEqual([["report", "confusion_matrix"]]);
  });

  it("a missing frame is an error panel, not a blank page", async () => {
    installMockApi();
    render(<FramePanel ctx={context()} frameId="nope" inferenceSet="adaptive-cc" />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Frame nope could not be loaded");
  });
});

describe("frameIdList", () => {
  it("reads frame ids separated by commas, spaces or lines, once each", () => {
    expect(frameIdList("0003, 0007\n0003  0010,")).toEqual(["0003", "0007", "0010"]);
    expect(frameIdList("  ")).toEqual([]);
  });
});
