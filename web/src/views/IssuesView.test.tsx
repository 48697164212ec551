// @vitest-environment jsdom
import { render as renderBare, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useCallback, useState, type ReactElement } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ExampleOut } from "../api/types";
import { IssueAddToIssue } from "../components/IssueAddToIssue";
import { shapes } from "../fixtures";
import { countByStatus, type ElementIdentity, type Issue, type IssueElement } from "../lib/issues";
import type { AppState } from "../lib/urlState";
import { DATASET, installMockApi, PROJECT, projectOut, type Call, type Handler } from "../test/mockApi";
import { ThemeProvider } from "../theme";
import type { ViewContext } from "./context";
import { IssuesView } from "./IssuesView";

const render = (ui: ReactElement) => renderBare(ui, { wrapper: ThemeProvider });
afterEach(() => vi.unstubAllGlobals());

const SET = "adaptive-cc";
const frame0 = shapes.frames[0]!;
const gt0 = frame0.objects.find((o) => o.kind === "ground_truth")!;
const dt0 = frame0.objects.find((o) => o.kind === "prediction")!;

/** A fake of the issue routes (the contract's shapes), over issues kept in memory. */
function issueServer(): { handler: Handler; issues: Map<string, Issue> } {
  const issues = new Map<string, Issue>();
  const now = "2026-12-03T07:00:00.000Z";
  const withCounts = (i: Issue): Issue => ({ ...i, counts: countByStatus(i.elements) });
  const element = (e: ElementIdentity, position: number): IssueElement => ({ ...e, position, status: "open", note: "", added_at: now, updated_at: now });
  const handler: Handler = ({ method, path, body }: Call) => {
    const base = `/api/v1/projects/${PROJECT}/issues`;
    if (path === base && method === "GET") return { body: [...issues.values()].map(withCounts) };
    if (path === base && method === "POST") {
      const b = body as { name: string; description?: string; owner?: string; elements?: ElementIdentity[] };
      if (issues.has(b.name)) return { status: 409, body: { error: "conflict", detail: `issue ${b.name} exists`, where: "body.name" } };
      const created: Issue = { uuid: `u-${b.name}`, name: b.name, description: b.description ?? "", notes: b.description ?? "", owner: b.owner ?? "", status: "open",
        created_at: now, updated_at: now, counts: { open: 0, confirmed: 0, fixed: 0, dismissed: 0 }, elements: (b.elements ?? []).map(element) };
      issues.set(b.name, created);
      return { status: 201, body: withCounts(created) };
    }
    const m = path.match(new RegExp(`^${base}/([^/]+)(/.*)?$`));
    if (!m) return undefined;
    const issue = issues.get(decodeURIComponent(m[1]!));
    if (!issue) return { status: 404, body: { error: "not_found", detail: "no such issue", where: null } };
    const rest = m[2] ?? "";
    if (rest === "" && method === "GET") return { body: withCounts(issue) };
    if (rest === "" && method === "PATCH") { Object.assign(issue, body); return { body: withCounts(issue) }; }
    if (rest === "/elements" && method === "POST") {
      const given = (body as { elements: ElementIdentity[] }).elements;
      let added = 0;
      for (const e of given) {
        const same = issue.elements.some((x) => x.element_kind === e.element_kind && x.element_id === e.element_id && x.frame_id === e.frame_id && x.inference_set === e.inference_set);
        if (!same) { issue.elements.push(element(e, Math.max(-1, ...issue.elements.map((x) => x.position)) + 1)); added += 1; }
      }
      return { body: { added, skipped: given.length - added, issue: withCounts(issue) } };
    }
    const el = rest.match(/^\/elements\/(\d+)$/);
    if (el) {
      const k = issue.elements.findIndex((x) => x.position === Number(el[1]));
      if (method === "PATCH") { Object.assign(issue.elements[k]!, body); return { body: issue.elements[k] }; }
      if (method === "DELETE") { issue.elements.splice(k, 1); return { status: 204, body: null }; }
    }
    return undefined;
  };
  return { handler, issues };
}

function context(patch: Partial<ViewContext> = {}): ViewContext {
  return {
    project: projectOut(), dataset: DATASET, sets: [SET], thresholds: { conf: 0.1, iou: 0.5, overrides: {} }, conf: 0.1, iou: 0.5,
    segment: "All Frames", selection: null, sort: "confidence-disagreement", page: 0,
    metricClass: null, shown: null, values: "absolute", shareOf: "row", frame: null, object: null, update: vi.fn(), ...patch,
  };
}

/** The view over a URL state whose `update` applies its patch, as the app's does. */
function Stateful({ issue = null, element = null, scope = {} }: { issue?: string | null; element?: number | null; scope?: Partial<ViewContext> }) {
  const [state, setState] = useState<Pick<AppState, "issue" | "issueElement">>({ issue, issueElement: element });
  const update = useCallback((patch: Partial<AppState>) => setState((s) => ({ ...s, ...patch })), []);
  return <IssuesView ctx={context({ ...scope, update })} issue={state.issue} element={state.issueElement} />;
}

function seed(issues: Map<string, Issue>, name: string, elements: ElementIdentity[]): void {
  const now = "2026-12-03T06:00:00.000Z";
  issues.set(name, {
    uuid: `u-${name}`, name, description: "circles called squares", notes: "circles called squares", owner: "ana", status: "open", created_at: now, updated_at: now,
    counts: { open: elements.length, confirmed: 0, fixed: 0, dismissed: 0 },
    elements: elements.map((e, position) => ({ ...e, position, status: "open", note: "", added_at: now, updated_at: now })),
  });
}

const threeElements: ElementIdentity[] = [
  { dataset: DATASET, frame_id: frame0.frame_id, element_kind: "label", element_id: `ground_truth-${gt0.id}`, inference_set: null },
  { dataset: DATASET, frame_id: frame0.frame_id, element_kind: "prediction", element_id: `prediction-${dt0.id}`, inference_set: SET },
  { dataset: DATASET, frame_id: shapes.frames[1]!.frame_id, element_kind: "frame", element_id: null, inference_set: null },
];

describe("IssuesView", () => {
  it("lists issues with their element counts, filters by status, and creates one (then opens it)", async () => {
    const user = userEvent.setup();
    const { handler, issues } = issueServer();
    seed(issues, "circles", threeElements);
    const calls = installMockApi(handler);
    render(<Stateful />);
    const row = await screen.findByRole("row", { name: /circles/ });
    expect(row).toHaveTextContent("open 3");
    expect(row).toHaveTextContent("ana");
    await user.selectOptions(screen.getByLabelText("Issue status filter"), "resolved");
    expect(screen.queryByRole("row", { name: /circles/ })).toBeNull();
    await user.type(screen.getByLabelText("Issue name"), "white dogs");
    await user.type(screen.getByLabelText("Owner"), "bo");
    await user.type(screen.getByLabelText("Description"), "shibas");
    await user.click(screen.getByRole("button", { name: "Create issue" }));
    await screen.findByRole("heading", { name: "white dogs" });
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({ name: "white dogs", description: "shibas", owner: "bo" });
  });

  it("an issue's page: elements with thumbnails, status and note saved, filtered by status, removed", async () => {
    const user = userEvent.setup();
    const { handler, issues } = issueServer();
    seed(issues, "circles", threeElements);
    const calls = installMockApi(handler);
    render(<Stateful issue="circles" />);
    const table = await screen.findByRole("table", { name: "Elements of issue circles" });
    expect(within(table).getAllByRole("row")).toHaveLength(4);
    // The crops are drawn on their frames: the label solid, the prediction dashed.
    await waitFor(() => expect(table.querySelectorAll('.annotated-image rect[data-kind="ground_truth"]')).toHaveLength(1));
    expect(table.querySelectorAll('.annotated-image rect[data-kind="prediction"]')).toHaveLength(1);
    // A description half typed survives the reload a review causes; Save sends it with the owner and status.
    await user.type(screen.getByLabelText("Issue description"), " on dark backgrounds");
    await user.selectOptions(screen.getByLabelText(/^Status of prediction/), "confirmed");
    await waitFor(() => expect(issues.get("circles")!.elements[1]!.status).toBe("confirmed"));
    await waitFor(() => expect(calls.filter((c) => c.method === "GET" && c.path.endsWith("/issues/circles")).length).toBeGreaterThan(1));
    expect(screen.getByLabelText("Issue description")).toHaveValue("circles called squares on dark backgrounds");
    await user.selectOptions(screen.getByLabelText("Issue status"), "in_progress");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(issues.get("circles")!.status).toBe("in_progress"));
    expect(issues.get("circles")!.description).toBe("circles called squares on dark backgrounds");
    const note = screen.getByLabelText(/^Note of label/);
    await user.type(note, "box too loose{Enter}");
    await waitFor(() => expect(issues.get("circles")!.elements[0]!.note).toBe("box too loose"));
    await user.selectOptions(screen.getByLabelText("Element status filter"), "confirmed");
    await waitFor(() => expect(within(table).getAllByRole("row")).toHaveLength(2));
    await user.click(screen.getByRole("button", { name: /^Remove prediction/ }));
    await waitFor(() => expect(issues.get("circles")!.elements).toHaveLength(2));
    expect(calls.some((c) => c.method === "DELETE" && c.path.endsWith("/elements/1"))).toBe(true);
  });

  it("adds the frames of the header's segment and query; without either the button says what it needs", async () => {
    const user = userEvent.setup();
    const { handler, issues } = issueServer();
    seed(issues, "circles", threeElements);
    const queryHandler: Handler = ({ path }) => (path.endsWith("/elements/from-query") ? { body: { added: 2, skipped: 1, issue: issues.get("circles") } } : undefined);
    const calls = installMockApi(queryHandler, handler);
    const { unmount } = render(<Stateful issue="circles" />);
    expect(await screen.findByRole("button", { name: "Add frames of the segment / query" })).toBeDisabled();
    unmount();
    render(<Stateful issue="circles" scope={{ segment: "test", query: "num_shapes > 2" }} />);
    await user.click(await screen.findByRole("button", { name: "Add frames of the segment test and query num_shapes > 2" }));
    await waitFor(() => expect(screen.getByTestId("issue-added-notice")).toHaveTextContent("Added 2 frames"));
    expect(calls.find((c) => c.path.endsWith("/from-query"))!.body).toEqual({ dataset: DATASET, segment: "test", query: "num_shapes > 2" });
  });

  it("the review popout pages with keys and sets statuses; a write in flight never swallows the next key", async () => {
    const user = userEvent.setup();
    const { handler, issues } = issueServer();
    seed(issues, "circles", threeElements);
    const calls = installMockApi(handler);
    // The first PATCH's answer waits until released, as a slow server's would.
    const served = globalThis.fetch;
    let release = () => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    let first = true;
    vi.stubGlobal("fetch", async (input: string, init?: RequestInit) => {
      if (init?.method === "PATCH" && first) { first = false; await held; }
      return served(input, init);
    });
    render(<Stateful issue="circles" />);
    await user.click(await screen.findByRole("button", { name: "Review elements (3)" }));
    const dialog = await screen.findByRole("dialog");
    expect(within(dialog).getByTestId("issue-review-position")).toHaveTextContent("element 1 of 3");
    expect(within(dialog).getByLabelText("Review keys")).toHaveTextContent("fixed");
    await user.keyboard("c"); // held
    expect(within(dialog).getByTestId("issue-review-status")).toHaveTextContent("Confirmed");
    await user.keyboard("f"); // the same element again, queued behind the held one
    await user.keyboard("j");
    await waitFor(() => expect(within(dialog).getByTestId("issue-review-position")).toHaveTextContent("element 2 of 3"));
    await user.keyboard("d"); // the next element's write goes at once
    await waitFor(() => expect(issues.get("circles")!.elements[1]!.status).toBe("dismissed"));
    expect(issues.get("circles")!.elements[0]!.status).toBe("open");
    await user.keyboard("{ArrowRight}n");
    expect(within(dialog).getByLabelText("Note")).toHaveFocus();
    await user.keyboard("same as the others{Enter}o");
    release();
    await waitFor(() => expect(issues.get("circles")!.elements.map((e) => e.status)).toEqual(["fixed", "dismissed", "open"]));
    await waitFor(() => expect(issues.get("circles")!.elements[2]!.note).toBe("same as the others"));
    const patches = calls.filter((c) => c.method === "PATCH").map((c) => [c.path.split("/").at(-1), c.body]);
    // Sent (as the server saw them): the held one and the key queued behind it last, in order.
    expect(patches).toEqual([
      ["1", { status: "dismissed" }], ["2", { note: "same as the others" }], ["2", { status: "open" }], ["0", { status: "confirmed" }], ["0", { status: "fixed" }],
    ]);
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  it("the review can move on after each status, and its strip shows every element's status and jumps to one", async () => {
    const user = userEvent.setup();
    const { handler, issues } = issueServer();
    seed(issues, "circles", threeElements);
    installMockApi(handler);
    render(<Stateful issue="circles" element={0} />);
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByLabelText(/next element after a status/));
    await user.keyboard("c"); // the checkbox has the focus: the key is still the review's
    await waitFor(() => expect(within(dialog).getByTestId("issue-review-position")).toHaveTextContent("element 2 of 3"));
    await user.click(within(dialog).getByRole("button", { name: /^Dismissed/ }));
    await waitFor(() => expect(within(dialog).getByTestId("issue-review-position")).toHaveTextContent("element 3 of 3"));
    await waitFor(() => expect(issues.get("circles")!.elements.map((e) => e.status)).toEqual(["confirmed", "dismissed", "open"]));
    const strip = within(dialog).getByRole("list", { name: "Elements by status" });
    expect(within(strip).getAllByRole("button").map((b) => b.className)).toEqual(
      ["strip-cell status-confirmed", "strip-cell status-dismissed", "strip-cell status-open"],
    );
    await user.click(within(strip).getAllByRole("button")[0]!);
    await waitFor(() => expect(within(dialog).getByTestId("issue-review-position")).toHaveTextContent("element 1 of 3"));
  });
});

describe("similar elements", () => {
  it("searches from the issue's frames with a model that has frame vectors, shows candidates with distances, adds the ones checked", async () => {
    const user = userEvent.setup();
    const { handler, issues } = issueServer();
    seed(issues, "circles", threeElements);
    const similarHandler: Handler = ({ path, query }) => {
      if (path.endsWith("/embeddings")) {
        return { body: [{ model: "crops", dimension: 8, frames: 0, labels: 93, predictions: {} }, { model: "scenes", dimension: 4, frames: 30, labels: 0, predictions: {} }] };
      }
      if (path.endsWith("/similar")) {
        return { body: { kind: query.get("kind"), embedding: query.get("embedding"), metric: query.get("metric"), exact: true,
          results: [{ id: "0004", distance: 0.01 }, { id: "0005", distance: 0.02 }, { id: "0006", distance: 0.125 }] } };
      }
      return undefined;
    };
    const calls = installMockApi(similarHandler, handler);
    render(<Stateful issue="circles" />);
    await user.click(await screen.findByRole("tab", { name: "Similar elements" }));
    await waitFor(() => expect(screen.getByLabelText("Embedding model")).toHaveValue("scenes"));
    await user.click(screen.getByRole("button", { name: "Find similar elements" }));
    const list = await screen.findByRole("list", { name: "Similar elements" });
    const asked = calls.find((c) => c.path.endsWith("/similar"))!.query;
    expect([asked.getAll("to"), asked.get("kind"), asked.get("embedding"), asked.get("metric")]).toEqual(
      [[frame0.frame_id, shapes.frames[1]!.frame_id], "frame", "scenes", "cosine"],
    );
    expect(within(list).getAllByTestId("similar-distance").map((d) => d.textContent)).toEqual(["0.0100", "0.0200", "0.1250"]);
    await user.click(screen.getByLabelText("Choose frame 0004"));
    await user.click(screen.getByLabelText("Choose frame 0006"));
    await user.click(screen.getByRole("button", { name: "Add 2 to issue" }));
    await screen.findByTestId("similar-notice");
    expect(issues.get("circles")!.elements.slice(3).map((e) => [e.element_kind, e.frame_id])).toEqual([["frame", "0004"], ["frame", "0006"]]);
    expect(within(list).getAllByRole("listitem")).toHaveLength(1);
  });
});

describe("export and fixed labels", () => {
  const scores = (p: number, r: number, f1: number, ap: number | null) =>
    ({ frame_count: 2, precision: p, recall: r, f1_score: f1, false_positives: 1, false_negatives: 2, total_confusions: 0, mean_ap: ap, coco_ap: null });
  const pair = (a: ReturnType<typeof scores>, b: ReturnType<typeof scores>) =>
    ({ before: a, after: b, delta: { precision: b.precision - a.precision, recall: b.recall - a.recall, f1_score: b.f1_score - a.f1_score, mean_ap: a.mean_ap === null || b.mean_ap === null ? null : b.mean_ap - a.mean_ap } });
  const fixedHandler: Handler = ({ method, path, query }) => {
    if (path.endsWith("/fixed-labels") && method === "POST") {
      return { status: 201, body: { name: `${query.get("dataset")}-fixed-1`, version: 1, num_frames: 30, num_labels: 94, created_at: "", inference_sets: [SET], segments: [], has_image_root: true } };
    }
    if (path.endsWith("/before-after")) {
      return { body: { issue: "circles", before: query.get("before"), after: query.get("after"), conf: Number(query.get("conf")), iou: Number(query.get("iou")), frames: 2,
        sets: [{ inference_set: SET, issue_frames: pair(scores(0.5, 0.4, 0.444, 0.3), scores(0.75, 0.6, 0.667, null)), all_frames: pair(scores(0.8, 0.7, 0.747, 0.6), scores(0.8, 0.69, 0.741, 0.61)) }] } };
    }
    return undefined;
  };

  it("exports in the format and status chosen, imports a COCO file and shows before → after with colored deltas", async () => {
    const user = userEvent.setup();
    const { handler, issues } = issueServer();
    seed(issues, "circles", threeElements);
    const calls = installMockApi(fixedHandler, handler);
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: vi.fn(() => "blob:x"), revokeObjectURL: vi.fn() }));
    render(<Stateful issue="circles" />);
    await user.click(await screen.findByRole("tab", { name: "Export and fixed labels" }));
    await user.selectOptions(screen.getByLabelText("Export status"), "open");
    await user.click(screen.getByRole("button", { name: "COCO subset" }));
    await waitFor(() => expect(calls.some((c) => c.path.endsWith("/export"))).toBe(true));
    const exported = calls.find((c) => c.path.endsWith("/export"))!.query;
    expect([exported.get("format"), exported.get("status"), exported.get("dataset")]).toEqual(["coco", "open", DATASET]);
    const coco = { images: [{ id: 1, file_name: "0000.png", width: 10, height: 10 }], annotations: [], categories: [] };
    await user.upload(screen.getByLabelText("Fixed labels file"), new File([JSON.stringify(coco)], "fixed.json", { type: "application/json" }));
    await screen.findByTestId("fixed-dataset");
    const posted = calls.find((c) => c.path.endsWith("/fixed-labels"))!;
    expect([posted.query.get("dataset"), posted.body]).toEqual([DATASET, coco]);
    const table = await screen.findByRole("table", { name: "Before and after" });
    const asked = calls.find((c) => c.path.endsWith("/before-after"))!.query;
    expect([asked.get("before"), asked.get("after"), asked.get("conf"), asked.get("iou")]).toEqual([DATASET, `${DATASET}-fixed-1`, "0.1", "0.5"]);
    const issueRow = table.querySelector('tr[data-scope="issue"]')!;
    expect(issueRow.querySelector('[data-metric="precision"]')).toHaveTextContent("0.500 → 0.750 (+0.250)");
    expect(issueRow.querySelector('[data-metric="precision"] [data-verdict]')).toHaveClass("verdict-better");
    expect(issueRow.querySelector('[data-metric="mean_ap"]')).toHaveTextContent("0.300 → - (-)");
    const allRow = table.querySelector('tr[data-scope="all"]')!;
    expect(allRow.querySelector('[data-metric="recall"] [data-verdict]')).toHaveClass("verdict-worse");
    expect(screen.getByLabelText("Delta colors")).toHaveTextContent("better");
  });
});

describe("IssueAddToIssue", () => {
  const examples: ExampleOut[] = frame0.objects.slice(0, 3).map((o) => ({ ...o, source_id: `${o.kind}-${o.id}`, box: o.box }));

  it("adds the page's examples to a new issue as label and prediction crops, then offers to open it", async () => {
    const user = userEvent.setup();
    const { handler, issues } = issueServer();
    installMockApi(handler);
    const open = vi.fn();
    render(<IssueAddToIssue project={PROJECT} dataset={DATASET} inferenceSet={SET} what="circle → square" page={examples} total={40}
      query={{ truth: "circle", predicted: "square" }} onOpenIssue={open} />);
    await user.click(screen.getByRole("button", { name: "Add to issue…" }));
    expect(screen.getByLabelText("New issue name")).toHaveValue(`circle → square (${SET})`);
    await user.click(screen.getByRole("button", { name: "Add" }));
    await screen.findByTestId("add-to-issue-notice");
    const added = issues.get(`circle → square (${SET})`)!.elements;
    expect(added.map((e) => [e.element_kind, e.element_id, e.inference_set])).toEqual(
      examples.map((e) => (e.kind === "prediction" ? ["prediction", e.source_id, SET] : ["label", e.source_id, null])),
    );
    await user.click(screen.getByRole("button", { name: "Open the issue" }));
    expect(open).toHaveBeenCalledWith(`circle → square (${SET})`);
  });

  it("adds every page of a matrix cell through the server's cell route, at the thresholds and scope shown", async () => {
    const user = userEvent.setup();
    const { handler, issues } = issueServer();
    seed(issues, "circles", []);
    const cellHandler: Handler = ({ path }) => (path.endsWith("/elements/from-cell") ? { body: { added: 5, skipped: 1, issue: issues.get("circles") } } : undefined);
    const calls = installMockApi(cellHandler, handler);
    render(<IssueAddToIssue project={PROJECT} dataset={DATASET} inferenceSet={SET} what="circle → square" page={examples} total={6}
      query={{ truth: "circle", predicted: "square", conf: 0.3, iou: 0.5, segment: "test" }} onOpenIssue={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: "Add to issue…" }));
    await user.selectOptions(await screen.findByLabelText("Issue"), "circles");
    await user.click(screen.getByRole("radio", { name: /all pages/ }));
    await user.click(screen.getByRole("button", { name: "Add" }));
    await waitFor(() => expect(screen.getByTestId("add-to-issue-notice")).toHaveTextContent("Added 5 to circles (1 already in it)"));
    const sent = calls.find((c) => c.path.endsWith("/from-cell"))!;
    expect(sent.body).toEqual({ dataset: DATASET, inference_set: SET, truth: "circle", predicted: "square", segment: "test", query: null });
    expect([sent.query.get("conf"), sent.query.get("iou")]).toEqual(["0.3", "0.5"]);
    expect(calls.some((c) => c.path.endsWith("/examples"))).toBe(false);
  });

  it("adds every page of another list page by page to an existing issue; the ones already in it are skipped", async () => {
    const user = userEvent.setup();
    const { handler, issues } = issueServer();
    seed(issues, "circles", []);
    const calls = installMockApi(handler);
    render(<IssueAddToIssue project={PROJECT} dataset={DATASET} inferenceSet={SET} what="False negatives" page={examples.slice(0, 1)} total={examplesTotal()}
      query={{ outcome: "FN" }} onOpenIssue={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: "Add to issue…" }));
    await user.selectOptions(await screen.findByLabelText("Issue"), "circles");
    await user.click(screen.getByRole("radio", { name: /all pages/ }));
    await user.click(screen.getByRole("button", { name: "Add" }));
    await screen.findByTestId("add-to-issue-notice");
    expect(issues.get("circles")!.elements).toHaveLength(examplesTotal());
    const asked = calls.find((c) => c.path.endsWith("/examples"))!.query;
    expect([asked.get("outcome"), asked.get("offset"), asked.get("limit")]).toEqual(["FN", "0", "1000"]);
    await user.click(screen.getByRole("button", { name: "Add to issue…" }));
    await user.click(screen.getByRole("radio", { name: /all pages/ }));
    await user.click(screen.getByRole("button", { name: "Add" }));
    await waitFor(() => expect(screen.getByTestId("add-to-issue-notice")).toHaveTextContent(`Added 0 to circles (${examplesTotal()} already in it)`));
  });
});

/** How many examples the fake examples endpoint has (every fixture object). */
function examplesTotal(): number {
  return shapes.frames.reduce((n, f) => n + f.objects.length, 0);
}
