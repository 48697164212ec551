// @vitest-environment jsdom
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { API_KEY_STORAGE, setApiKey } from "./api/client";
import { COCO_STAT_DEFINITIONS, COCO_STAT_NAMES } from "./api/types";
import { App } from "./App";
import { shapes } from "./fixtures";
import { parseHash } from "./lib/urlState";
import { DATASET, examplesOut, installMockApi, metricsResult, PROJECT, requireApiKey, type Call } from "./test/mockApi";

const examplesTotal = () => examplesOut().length;
const metricsCalls = (calls: Call[]) => calls.filter((c) => c.path.endsWith("/metrics") && c.query.getAll("include").includes("report"));

beforeEach(() => window.history.replaceState(null, "", "/"));
afterEach(() => vi.unstubAllGlobals());

describe("App over the API", () => {
  it("picks the first project, dataset and inference set, keeps them in the hash and switches views", async () => {
    const user = userEvent.setup();
    const calls = installMockApi();
    render(<App />);
    expect(await screen.findByRole("table", { name: "Classification report: adaptive-cc" })).toBeInTheDocument();
    expect(parseHash(window.location.hash)).toMatchObject({ project: PROJECT, dataset: DATASET, sets: ["adaptive-cc"], view: "metrics" });
    const first = metricsCalls(calls)[0]!;
    expect(first.query.get("conf")).toBe(String(shapes.project.default_conf));
    expect(first.query.get("iou")).toBe(String(shapes.project.default_iou));
    expect(first.query.get("segment")).toBeNull();
    await user.click(screen.getByRole("tab", { name: "Scenarios" }));
    expect(await screen.findByRole("heading", { name: "Regression Tests" })).toBeInTheDocument();
    expect(screen.getAllByRole("article").length).toBeGreaterThan(3);
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Compare" })).toHaveFocus();
    expect(screen.getByText(/Choose a second inference set/)).toBeInTheDocument();
    await user.selectOptions(screen.getByRole("combobox", { name: "Compare with" }), "threshold-cc");
    expect(await screen.findByText(/false positives (increased|decreased|unchanged)/)).toBeInTheDocument();
    const compare = calls.find((c) => c.path.endsWith("/compare"))!;
    expect([compare.query.get("base"), compare.query.get("other")]).toEqual(["adaptive-cc", "threshold-cc"]);
    expect(parseHash(window.location.hash).sets).toEqual(["adaptive-cc", "threshold-cc"]);
  });

  it("the COCO summary says what each statistic measures", async () => {
    installMockApi();
    render(<App />);
    const summary = await screen.findByLabelText("COCO summary");
    const terms = within(summary).getAllByRole("term");
    expect(terms.map((t) => t.textContent)).toEqual([...COCO_STAT_NAMES]);
    for (const t of terms) expect(t.querySelector("abbr")).toHaveAttribute("title", COCO_STAT_DEFINITIONS[t.textContent as keyof typeof COCO_STAT_DEFINITIONS]);
    expect(within(summary).getByText("AP50").closest("abbr")).toHaveAttribute("title", expect.stringContaining("IoU 0.50,"));
    expect(screen.getByText(/Over every confidence, not the sliders/)).toBeInTheDocument();
  });

  it("restores the view from the hash (a reload or a shared link)", async () => {
    window.history.replaceState(null, "", `/#view=compare&project=${PROJECT}&dataset=${DATASET}&set=threshold-cc&set=adaptive-cc&conf=0.4&iou=0.6&segment=test`);
    const calls = installMockApi();
    render(<App />);
    expect(await screen.findByRole("heading", { name: /against/ })).toBeInTheDocument();
    const compare = calls.find((c) => c.path.endsWith("/compare"))!;
    expect(Object.fromEntries(compare.query)).toEqual({ base: "threshold-cc", other: "adaptive-cc", conf: "0.4", iou: "0.6", segment: "test" });
    expect(screen.getByRole("tab", { name: "Compare" })).toHaveAttribute("aria-selected", "true");
  });

  it("typing a confidence issues exactly one metrics request after the debounce and shows its numbers", async () => {
    const user = userEvent.setup();
    const calls = installMockApi(({ path, query }) => {
      if (!path.endsWith("/metrics") || query.get("conf") !== "0.55") return undefined;
      return { body: { dataset: DATASET, segment: "All Frames", conf: 0.55, iou: 0.5, results: [metricsResult("adaptive-cc", query.getAll("include"), 0.123)] } };
    });
    render(<App />);
    await screen.findByRole("table", { name: /Classification report/ });
    const before = metricsCalls(calls).length;
    const box = screen.getByRole("textbox", { name: "Confidence value" });
    await user.clear(box);
    await user.type(box, "0.55");
    expect(metricsCalls(calls).length).toBe(before); // still debouncing
    await waitFor(() => expect(screen.getByRole("table", { name: /Classification report/ })).toHaveTextContent("0.123"));
    const after = metricsCalls(calls).slice(before);
    expect(after.map((c) => c.query.get("conf"))).toEqual(["0.55"]);
    expect(parseHash(window.location.hash).conf).toBe(0.55);
  });

  it("moving the confidence slider refetches with the new conf; PR curves are not refetched", async () => {
    const calls = installMockApi();
    render(<App />);
    await screen.findByRole("table", { name: /Classification report/ });
    const curveCalls = () => calls.filter((c) => c.query.getAll("include").includes("pr_curves")).length;
    // The curves are their own request: counted once it has been sent (it can trail the report).
    await waitFor(() => expect(curveCalls()).toBeGreaterThan(0));
    const curvesBefore = curveCalls();
    const slider = screen.getByRole("slider", { name: "Confidence" });
    const { fireEvent } = await import("@testing-library/react");
    fireEvent.change(slider, { target: { value: "0.7" } });
    await waitFor(() => expect(metricsCalls(calls).at(-1)!.query.get("conf")).toBe("0.7"));
    expect(curveCalls()).toBe(curvesBefore);
  });

  it("a matrix cell loads its examples with sort and pagination; an example opens its frame", async () => {
    const user = userEvent.setup();
    const calls = installMockApi();
    render(<App />);
    await user.click(await screen.findByRole("button", { name: /^truth circle, predicted circle:/ }));
    const grid = await screen.findByRole("region", { name: "circle → circle" });
    const examples = () => calls.filter((c) => c.path.endsWith("/examples"));
    expect(Object.fromEntries(examples().at(-1)!.query)).toMatchObject({ truth: "circle", predicted: "circle", sort: "confidence", order: "desc", offset: "0", limit: "12" });
    expect(within(grid).getAllByRole("listitem").length).toBe(12);
    // The page's frame sizes come from one frames query; thumbnails are drawn in them.
    const sizes = calls.find((c) => c.path.endsWith("/frames") && c.query.get("query")?.startsWith("frame_id in ('"))!;
    expect(sizes).toBeDefined();
    expect(grid.querySelector("img")!.getAttribute("src")).toMatch(/\/frame\/thumbnail\?frame_id=[^&]+&size=360$/);
    expect(parseHash(window.location.hash)).toMatchObject({ selection: { kind: "cell", truth: "circle", predicted: "circle" }, page: 0 });
    await user.click(within(grid).getByRole("button", { name: "Next" }));
    await waitFor(() => expect(examples().at(-1)!.query.get("offset")).toBe("12"));
    expect(new URLSearchParams(window.location.hash.slice(1)).get("page")).toBe("2");
    await user.selectOptions(within(screen.getByRole("region", { name: "circle → circle" })).getByRole("combobox"), "iou");
    await waitFor(() => expect(Object.fromEntries(examples().at(-1)!.query)).toMatchObject({ sort: "iou", order: "asc", offset: "0" }));
    expect(parseHash(window.location.hash)).toMatchObject({ sort: "iou", page: 0 });
    await user.click(within(screen.getByRole("region", { name: "circle → circle" })).getAllByRole("button", { name: /^Open frame/ })[0]!);
    const frame = await screen.findByRole("region", { name: /^Frame / });
    expect(within(frame).getByRole("table")).toBeInTheDocument();
    expect(calls.some((c) => c.path.endsWith("/frame") && c.query.get("frame_id") !== null && c.query.get("inference_set") === "adaptive-cc")).toBe(true);
  });

  it("a hash with a selection, sort and page shows those examples (a reload restores them)", async () => {
    window.history.replaceState(null, "", `/#view=metrics&project=${PROJECT}&dataset=${DATASET}&set=adaptive-cc&truth=circle&predicted=circle&sort=area&page=2`);
    const calls = installMockApi();
    render(<App />);
    const grid = await screen.findByRole("region", { name: "circle → circle" }, { timeout: 4000 });
    const examples = calls.filter((c) => c.path.endsWith("/examples"));
    expect(examples).toHaveLength(1); // straight to the page asked for
    expect(Object.fromEntries(examples[0]!.query)).toMatchObject({ truth: "circle", predicted: "circle", sort: "area", order: "asc", offset: "12", limit: "12" });
    await waitFor(() => expect(within(grid).getAllByRole("listitem").length).toBeGreaterThan(0));
    expect(within(grid).getByText(/\(page 2 of \d+\)/)).toBeInTheDocument();
    expect(within(grid).getByRole("combobox")).toHaveValue("area");
    expect(screen.getByRole("button", { name: /^truth circle, predicted circle:/ })).toHaveAttribute("aria-pressed", "true");
    expect(window.location.hash).toContain("truth=circle&predicted=circle&sort=area&page=2");
  });

  it("a false-negative selection in the hash is restored; new thresholds keep it and go back to the first page", async () => {
    window.history.replaceState(null, "", `/#view=metrics&project=${PROJECT}&dataset=${DATASET}&set=adaptive-cc&outcome=FN&page=3`);
    const calls = installMockApi();
    render(<App />);
    await screen.findByRole("region", { name: "False negatives" }, { timeout: 4000 });
    const examples = () => calls.filter((c) => c.path.endsWith("/examples"));
    expect(Object.fromEntries(examples()[0]!.query)).toMatchObject({ outcome: "FN", offset: "24" });
    const { fireEvent } = await import("@testing-library/react");
    fireEvent.change(screen.getByRole("slider", { name: "Confidence" }), { target: { value: "0.7" } });
    await waitFor(() => expect(Object.fromEntries(examples().at(-1)!.query)).toMatchObject({ outcome: "FN", conf: "0.7", offset: "0" }));
    expect(parseHash(window.location.hash)).toMatchObject({ selection: { kind: "fn" }, page: 0, conf: 0.7 });
    expect(screen.getByRole("region", { name: "False negatives" })).toBeInTheDocument();
  });

  it("a selection naming an unknown class and a page past the end fall back", async () => {
    window.history.replaceState(null, "", `/#view=metrics&project=${PROJECT}&dataset=${DATASET}&set=adaptive-cc&confused_as=nope&page=2`);
    const calls = installMockApi();
    render(<App />);
    await screen.findByRole("table", { name: /Classification report/ });
    await waitFor(() => expect(parseHash(window.location.hash).selection).toBeNull());
    expect(calls.filter((c) => c.path.endsWith("/examples"))).toHaveLength(0);
    expect(screen.queryByRole("region", { name: /Confused as/ })).toBeNull();

    window.history.replaceState(null, "", `/#view=metrics&project=${PROJECT}&dataset=${DATASET}&set=adaptive-cc&outcome=FP&page=999`);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
    const grid = await screen.findByRole("region", { name: "False positives" }, { timeout: 4000 });
    await waitFor(() => expect(within(grid).getByText(/\(page (\d+) of \1\)/)).toBeInTheDocument());
    // The page shown is clamped first; the request for it may trail under load.
    await waitFor(() => {
      const last = calls.filter((c) => c.path.endsWith("/examples")).at(-1)!;
      expect(Number(last.query.get("offset"))).toBeLessThan(examplesTotal());
    });
  });

  it("FN highlights ask the server for false negatives", async () => {
    const user = userEvent.setup();
    const calls = installMockApi();
    render(<App />);
    await screen.findByRole("table", { name: /Classification report/ });
    const fn = screen.getAllByRole("button", { name: "FN" }).find((b) => b.hasAttribute("aria-pressed"))!;
    await user.click(fn);
    await screen.findByRole("region", { name: "False negatives" });
    expect(calls.filter((c) => c.path.endsWith("/examples")).at(-1)!.query.get("outcome")).toBe("FN");
  });

  it("editing a card's thresholds PATCHes the segment and refetches the regression results", async () => {
    const user = userEvent.setup();
    let patched: Record<string, unknown> | null = null;
    const calls = installMockApi((call) => {
      if (call.method === "PATCH") {
        patched = call.body as Record<string, unknown>;
        return { body: shapes.segments.find((s) => s.name === "test regression") };
      }
      if (patched && call.path.endsWith("/regression")) {
        const set = decodeURIComponent(call.path.split("/").at(-2)!);
        return { body: shapes.regression[set]!.map((r) => r.segment_name === "test regression"
          ? { ...r, precision: { score: r.precision.score, threshold: 0.99, succeeds: false }, succeeds: false } : r) };
      }
      return undefined;
    });
    window.history.replaceState(null, "", "/#view=scenarios");
    render(<App />);
    const title = await screen.findByRole("button", { name: "test regression" });
    const card = title.closest("article")!;
    expect(card).toHaveClass("verdict-pass");
    await user.click(within(card).getByRole("button", { name: "Edit thresholds" }));
    const box = within(card).getByRole("textbox", { name: "Precision threshold" });
    await user.clear(box);
    await user.type(box, "0.99{Enter}");
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith("/regression")).length).toBe(2));
    const patch = calls.find((c) => c.method === "PATCH")!;
    expect(patch.path).toBe(`/api/v1/projects/${PROJECT}/datasets/${DATASET}/segments/test%20regression`);
    expect(patch.body).toMatchObject({ precision: 0.99 });
    await waitFor(() => expect(screen.getByRole("button", { name: "test regression" }).closest("article")).toHaveClass("verdict-fail"));
    // All Frames takes thresholds like any split
    const all = screen.getByRole("button", { name: "All Frames" }).closest("article")!;
    await user.click(within(all).getByRole("button", { name: "Edit thresholds" }));
    const recall = within(all).getByRole("textbox", { name: "Recall threshold" });
    await user.clear(recall);
    await user.type(recall, "0.5{Enter}");
    await waitFor(() => expect(calls.filter((c) => c.method === "PATCH")).toHaveLength(2));
    const second = calls.filter((c) => c.method === "PATCH")[1]!;
    expect(second.path).toBe(`/api/v1/projects/${PROJECT}/datasets/${DATASET}/segments/All%20Frames`);
    expect(second.body).toMatchObject({ recall: 0.5 });
  });

  it("a card opens Metrics on its segment; details list the segment's frames", async () => {
    const user = userEvent.setup();
    const calls = installMockApi();
    window.history.replaceState(null, "", "/#view=scenarios");
    render(<App />);
    await user.click(await screen.findByRole("button", { name: "Details of All Frames" }));
    const details = await screen.findByRole("region", { name: "Segment All Frames" });
    expect(await within(details).findByRole("button", { name: "0000" })).toBeInTheDocument();
    await user.click(within(details).getByRole("button", { name: "0000" }));
    expect(await screen.findByRole("region", { name: "Frame 0000" })).toBeInTheDocument();
    expect(parseHash(window.location.hash)).toMatchObject({ view: "frame", frame: "0000" });
    await user.click(screen.getByRole("tab", { name: "Scenarios" }));
    await user.click(await screen.findByRole("button", { name: "cluttered" }));
    expect(screen.getByRole("tab", { name: "Metrics" })).toHaveAttribute("aria-selected", "true");
    await waitFor(() => expect(metricsCalls(calls).at(-1)!.query.get("segment")).toBe("cluttered"));
    expect(screen.getByText("cluttered", { selector: "strong" })).toBeInTheDocument();
  });

  it("shows a readable error panel when the server fails", async () => {
    installMockApi(({ path }) => (path === "/api/v1/projects" ? { status: 422, body: { error: "validation_error", detail: "the store is being upgraded", where: "query.x" } } : undefined));
    render(<App />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("the store is being upgraded");
    expect(alert).toHaveTextContent("HTTP 422 · validation_error · at query.x");
    expect(screen.queryByRole("form", { name: "This server needs an API key" })).toBeNull();
  });
});

describe("API keys", () => {
  const KEY = "k".repeat(24);
  const READ_ONLY = "r".repeat(24);
  const keyForm = () => screen.findByRole("form", { name: "This server needs an API key" });
  const bearer = (c: Call) => c.headers.get("Authorization");
  let revoked: string[] = [];

  beforeEach(() => {
    setApiKey(null);
    sessionStorage.clear();
    revoked = [];
    let made = 0;
    Object.defineProperty(URL, "createObjectURL", { configurable: true, value: () => `blob:shoal/${++made}` });
    Object.defineProperty(URL, "revokeObjectURL", { configurable: true, value: (u: string) => void revoked.push(u) });
  });
  afterEach(() => {
    setApiKey(null);
    sessionStorage.clear();
  });

  async function enterKey(key: string) {
    const user = userEvent.setup();
    const form = await keyForm();
    await user.type(within(form).getByLabelText("API key"), key);
    await user.click(within(form).getByRole("button", { name: "Use key" }));
  }

  it("a 401 asks for a key; the key entered goes with every request and the data is shown", async () => {
    const calls = installMockApi(requireApiKey({ [KEY]: "read-write" }));
    render(<App />);
    const form = await keyForm();
    expect(form).toHaveTextContent("this server needs an API key: send 'Authorization: Bearer <key>'");
    expect(within(form).getByLabelText("API key")).toHaveAttribute("type", "password");
    expect(within(form).getByRole("button", { name: "Use key" })).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Forget key" })).toBeNull();
    expect(calls.every((c) => bearer(c) === null)).toBe(true);
    const before = calls.length;
    await enterKey(`  ${KEY} `);
    expect(await screen.findByRole("table", { name: "Classification report: adaptive-cc" })).toBeInTheDocument();
    const after = calls.slice(before);
    expect(after.map((c) => c.path)).toEqual(expect.arrayContaining(["/api/v1/projects", `/api/v1/projects/${PROJECT}/datasets`]));
    expect(after.filter((c) => c.path.endsWith("/metrics")).length).toBeGreaterThan(0);
    expect(after.every((c) => bearer(c) === `Bearer ${KEY}`)).toBe(true);
    expect(sessionStorage.getItem(API_KEY_STORAGE)).toBe(KEY);
    expect(screen.queryByRole("form", { name: "This server needs an API key" })).toBeNull();
    expect(screen.getByRole("button", { name: "Forget key" })).toBeInTheDocument();
  });

  it("with a key, images and thumbnails are fetched with it and shown from object URLs", async () => {
    const user = userEvent.setup();
    const calls = installMockApi(requireApiKey({ [KEY]: "read-write" }));
    window.history.replaceState(null, "", `/#view=metrics&project=${PROJECT}&dataset=${DATASET}&set=adaptive-cc&truth=circle&predicted=circle`);
    render(<App />);
    await enterKey(KEY);
    const grid = await screen.findByRole("region", { name: "circle → circle" }, { timeout: 4000 });
    await waitFor(() => expect(grid.querySelector("img")?.getAttribute("src")).toMatch(/^blob:shoal\//));
    const thumbnails = calls.filter((c) => c.path.endsWith("/thumbnail"));
    expect(thumbnails.length).toBeGreaterThan(0);
    expect(thumbnails.every((c) => bearer(c) === `Bearer ${KEY}` && c.query.get("size") === "360")).toBe(true);
    await user.click(within(grid).getAllByRole("button", { name: /^Open frame/ })[0]!);
    const frame = await screen.findByRole("region", { name: /^Frame / });
    await waitFor(() => expect(frame.querySelector("img")?.getAttribute("src")).toMatch(/^blob:shoal\//));
    expect(calls.filter((c) => c.path.endsWith("/image")).every((c) => bearer(c) === `Bearer ${KEY}`)).toBe(true);
  });

  it("Forget key clears it: no more Authorization header, and the server asks again", async () => {
    const user = userEvent.setup();
    const calls = installMockApi(requireApiKey({ [KEY]: "read-write" }));
    render(<App />);
    await enterKey(KEY);
    await screen.findByRole("table", { name: /Classification report/ });
    // The curves and the COCO summary are asked for once the numbers are in: let them land.
    await screen.findByRole("img", { name: /Precision-recall curve/ });
    await screen.findByLabelText("COCO summary");
    const before = calls.length;
    await user.click(screen.getByRole("button", { name: "Forget key" }));
    expect(sessionStorage.getItem(API_KEY_STORAGE)).toBeNull();
    const form = await keyForm();
    expect(form).toHaveTextContent("this server needs an API key");
    expect(calls.slice(before).length).toBeGreaterThan(0);
    expect(calls.slice(before).every((c) => bearer(c) === null)).toBe(true);
    expect(screen.queryByRole("button", { name: "Forget key" })).toBeNull();
  });

  it("an unknown key is refused and dropped: the form says so", async () => {
    installMockApi(requireApiKey({ [KEY]: "read-write" }));
    render(<App />);
    await enterKey("not-the-key-at-all");
    const form = await keyForm();
    await waitFor(() => expect(form).toHaveTextContent("The key was not accepted: unknown API key"));
    expect(sessionStorage.getItem(API_KEY_STORAGE)).toBeNull();
  });

  it("a read-only key reads; its write gets the server's 403 in the error panel", async () => {
    const user = userEvent.setup();
    installMockApi(requireApiKey({ [READ_ONLY]: "read-only" }));
    window.history.replaceState(null, "", "/#view=scenarios");
    render(<App />);
    await enterKey(READ_ONLY);
    const card = (await screen.findByRole("button", { name: "test regression" })).closest("article")!;
    await user.click(within(card).getByRole("button", { name: "Edit thresholds" }));
    const box = within(card).getByRole("textbox", { name: "Precision threshold" });
    await user.clear(box);
    await user.type(box, "0.99{Enter}");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The thresholds were not saved");
    expect(alert).toHaveTextContent("this API key is read-only");
    expect(alert).toHaveTextContent("HTTP 403 · forbidden · at header.Authorization");
    expect(screen.queryByRole("form", { name: "This server needs an API key" })).toBeNull();
  });

  it("a key kept in sessionStorage (a reload) is sent from the first request", async () => {
    sessionStorage.setItem(API_KEY_STORAGE, KEY);
    vi.resetModules();
    const fresh = await import("./App");
    const calls = installMockApi(requireApiKey({ [KEY]: "read-write" }));
    render(<fresh.App />);
    expect(await screen.findByRole("table", { name: /Classification report/ })).toBeInTheDocument();
    expect(bearer(calls[0]!)).toBe(`Bearer ${KEY}`);
    expect(calls.every((c) => bearer(c) === `Bearer ${KEY}`)).toBe(true);
  });
});
