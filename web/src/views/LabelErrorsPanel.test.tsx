// @vitest-environment jsdom
import { render as renderBare, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useCallback, useState, type ReactElement } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { LabelErrorOut, ProjectOut } from "../api/types";
import { shapes } from "../fixtures";
import { DATASET, installMockApi, projectOut, type Call, type Handler } from "../test/mockApi";
import { ThemeProvider } from "../theme";
import type { AppState } from "../lib/urlState";
import type { ViewContext } from "./context";
import { LabelErrorsPanel } from "./LabelErrorsPanel";

const render = (ui: ReactElement) => renderBare(ui, { wrapper: ThemeProvider });
afterEach(() => vi.unstubAllGlobals());

function context(project: ProjectOut = projectOut(), patch: Partial<ViewContext> = {}): ViewContext {
  return {
    project, dataset: DATASET, sets: ["adaptive-cc"], thresholds: { conf: 0.1, iou: 0.5, overrides: {} }, conf: 0.1, iou: 0.5,
    segment: "All Frames", selection: null, sort: "confidence-disagreement", page: 0,
    metricClass: null, shown: null, values: "absolute", shareOf: "row", frame: null, object: null, update: vi.fn(), ...patch,
  };
}

/** The panel over a context whose `update` applies its patch (as the app's URL state does), and reports it. */
function Stateful({ initial, onUpdate }: { initial: ViewContext; onUpdate?: (patch: Partial<AppState>) => void }) {
  const [ctx, setCtx] = useState(initial);
  const update = useCallback((patch: Partial<AppState>) => {
    onUpdate?.(patch);
    setCtx((c) => ({ ...c, ...(patch as Partial<ViewContext>) }));
  }, [onUpdate]);
  return <LabelErrorsPanel ctx={{ ...ctx, update }} />;
}

/** Candidates on the fixture's first frame: its first label and first prediction (as mockApi's frameDetail ids them). */
function queue(): LabelErrorOut[] {
  const frame = shapes.frames[0]!;
  const gt = frame.objects.filter((o) => o.kind === "ground_truth");
  const dt = frame.objects.filter((o) => o.kind === "prediction");
  return [
    { id: "wrong_class:1", image_id: frame.frame_id, kind: "wrong_class", score: 0.9, annotation_id: 1, prediction_id: 7,
      source_label_id: `ground_truth-${gt[0]!.id}`, source_prediction_id: `prediction-${dt[0]!.id}`, label: gt[0]!.label, partner_label: dt[0]!.label, review: null },
    { id: "spurious:2", image_id: frame.frame_id, kind: "spurious", score: 0.5, annotation_id: 2, prediction_id: null,
      source_label_id: `ground_truth-${gt[1]!.id}`, source_prediction_id: null, label: gt[1]!.label, partner_label: null,
      review: { id: "spurious:2", status: "dismissed", issue: null, note: "" } },
    { id: "missing:9", image_id: frame.frame_id, kind: "missing", score: 0.25, annotation_id: null, prediction_id: 9,
      source_label_id: null, source_prediction_id: `prediction-${dt[1]!.id}`, label: dt[1]!.label, partner_label: null, review: null },
  ];
}

/** The queue endpoint (paged, with counts), reviews, issues and the export, as the server answers them. */
const labelErrorsHandler: Handler = ({ method, path, query, body }: Call) => {
  if (path.endsWith("/label-errors") && method === "GET") {
    const kind = query.get("kind");
    const all = queue().filter((e) => !kind || e.kind === kind);
    const offset = Number(query.get("offset") ?? 0);
    return { body: { inference_set: "adaptive-cc", segment: "All Frames", query: null, total: all.length,
      counts: { missing: 1, spurious: 1, wrong_class: 1, loose_box: 0 }, label_errors: all.slice(offset, offset + Number(query.get("limit"))) } };
  }
  const review = path.match(/\/label-errors\/([^/]+)\/review$/);
  if (review && method === "PUT") {
    const b = body as { status: string; issue?: string | null; note: string };
    return { body: { id: decodeURIComponent(review[1]!), status: b.status, issue: b.issue ?? null, note: b.note } };
  }
  if (path.endsWith("/issues") && method === "GET") return { body: [{ uuid: "u1", name: "relabel", notes: "", status: "open", elements: [], created_at: "", updated_at: "" }] };
  if (path.endsWith("/issues") && method === "POST") {
    return { status: 201, body: { uuid: "u2", name: (body as { name: string }).name, notes: "", status: "open", elements: [], created_at: "", updated_at: "" } };
  }
  if (path.endsWith("/label-errors/export")) return { body: { add_annotations: [], remove_annotations: [], change_category: [], change_bbox: [] } };
  return undefined;
};

const cards = () => [...document.querySelectorAll(".label-error-list > li")];

describe("LabelErrorsPanel", () => {
  it("draws the queue in the server's order with kind, score and its definition, classes, review, and the two objects", async () => {
    const calls = installMockApi(labelErrorsHandler);
    render(<Stateful initial={context()} />);
    await waitFor(() => expect(cards()).toHaveLength(3));
    expect(cards().map((c) => c.getAttribute("data-id"))).toEqual(["wrong_class:1", "spurious:2", "missing:9"]);
    const first = cards()[0] as HTMLElement;
    expect(within(first).getByText("Wrong class")).toBeInTheDocument();
    expect(within(first).getByTestId("label-error-score")).toHaveTextContent("score 0.900");
    expect(within(first).getByTestId("label-error-score").getAttribute("title")).toContain("the partner prediction's confidence");
    expect(cards()[1]).toHaveAttribute("data-status", "dismissed");
    expect(within(cards()[2] as HTMLElement).getByText(/^prediction .* · no label$/)).toBeInTheDocument();
    // The label solid and its partner prediction dashed, found by their stored ids.
    await waitFor(() => expect(first.querySelectorAll(".annotated-image svg rect")).toHaveLength(2));
    expect(first.querySelector('.annotated-image rect[data-kind="prediction"]')!.getAttribute("stroke-dasharray")).not.toBeNull();
    expect(first.querySelector('.annotated-image rect[data-kind="ground_truth"]')!.getAttribute("stroke-dasharray")).toBeNull();
    expect(screen.getByRole("group", { name: "Box legend" })).toBeInTheDocument();
    expect(screen.getByRole("list", { name: "Review states" })).toHaveTextContent("confirmed: the label is wrong");
    const asked = calls.find((c) => c.path.endsWith("/label-errors"))!.query;
    expect(Object.fromEntries(asked)).toMatchObject({ conf: "0.5", offset: "0", limit: "12" });
    expect(screen.getByTestId("label-errors-range")).toHaveTextContent("1–3 of 3");
  });

  it("a frame that does not load leaves its card without an image; the others are drawn", async () => {
    const gone: LabelErrorOut = { ...queue()[2]!, id: "missing:99", image_id: "no-such-frame", score: 0.1 };
    installMockApi(({ method, path }) => {
      if (path.endsWith("/label-errors") && method === "GET") {
        const all = [...queue(), gone];
        return { body: { inference_set: "adaptive-cc", segment: "All Frames", query: null, total: all.length, counts: { missing: 2, spurious: 1, wrong_class: 1, loose_box: 0 }, label_errors: all } };
      }
      return labelErrorsHandler({ method, path } as Call);
    });
    render(<Stateful initial={context()} />);
    await waitFor(() => expect(cards()).toHaveLength(4));
    await waitFor(() => expect(cards()[0]!.querySelectorAll(".annotated-image svg rect")).toHaveLength(2));
    expect(cards()[3]!.querySelector(".label-error-placeholder")).not.toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("sends the kind, class and review filters to the server", async () => {
    const user = userEvent.setup();
    const calls = installMockApi(labelErrorsHandler);
    const update = vi.fn();
    render(<Stateful initial={context(projectOut(), { metricClass: "circle" })} onUpdate={update} />);
    await waitFor(() => expect(cards()).toHaveLength(3));
    expect(calls.find((c) => c.path.endsWith("/label-errors"))!.query.get("label")).toBe("circle");
    await user.selectOptions(screen.getByLabelText("Kind"), "spurious");
    await waitFor(() => expect(cards()).toHaveLength(1));
    await user.selectOptions(screen.getByLabelText("Review status"), "confirmed");
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith("/label-errors")).at(-1)!.query.get("status")).toBe("confirmed"));
    expect(calls.filter((c) => c.path.endsWith("/label-errors")).at(-1)!.query.get("kind")).toBe("spurious");
    await user.selectOptions(screen.getByLabelText("Label-error class"), "");
    expect(update).toHaveBeenCalledWith({ metricClass: null });
    expect(update).toHaveBeenCalledWith({ labelErrorKind: "spurious" });
    expect(update).toHaveBeenCalledWith({ review: "confirmed" });
  });

  it("reviews with buttons and keys: j/k move, c confirms, d dismisses (again: reopens), i adds to the chosen issue", async () => {
    const user = userEvent.setup();
    const calls = installMockApi(labelErrorsHandler);
    render(<Stateful initial={context()} />);
    await waitFor(() => expect(cards()).toHaveLength(3));
    const puts = () => calls.filter((c) => c.method === "PUT").map((c) => [c.path.split("/").at(-2), c.body]);
    await user.keyboard("j");
    expect(cards()[0]).toHaveAttribute("data-selected", "true");
    await user.keyboard("c");
    await waitFor(() => expect(cards()[0]).toHaveAttribute("data-status", "confirmed"));
    await user.keyboard("j");
    await user.keyboard("d"); // already dismissed: reopened
    await waitFor(() => expect(cards()[1]).toHaveAttribute("data-status", "open"));
    await user.keyboard("i"); // no issue chosen: nothing sent, a notice says so
    expect(screen.getByTestId("label-errors-notice")).toHaveTextContent("Choose or create an issue first");
    await user.selectOptions(screen.getByLabelText("Issue"), "relabel");
    await user.click(document.body);
    await user.keyboard("jk");
    expect(cards()[1]).toHaveAttribute("data-selected", "true");
    await user.keyboard("i");
    await waitFor(() => expect(within(cards()[1] as HTMLElement).getByTestId("review-state")).toHaveTextContent("in issue relabel"));
    await user.click(within(cards()[2] as HTMLElement).getByRole("button", { name: "Dismiss" }));
    await waitFor(() => expect(cards()[2]).toHaveAttribute("data-status", "dismissed"));
    expect(puts()).toEqual([
      ["wrong_class%3A1", { status: "confirmed", note: "" }],
      ["spurious%3A2", { status: "open", note: "" }],
      ["spurious%3A2", { status: "confirmed", issue: "relabel", note: "" }],
      ["missing%3A9", { status: "dismissed", note: "" }],
    ]);
    // Enter on a focused button clicks it; it does not open the frame too.
    within(cards()[2] as HTMLElement).getByRole("button", { name: "Dismiss" }).focus();
    await user.keyboard("{Enter}");
    await waitFor(() => expect(cards()[2]).toHaveAttribute("data-status", "open"));
    expect(screen.queryByRole("dialog")).toBeNull();
    await user.keyboard("{Escape}");
    expect(document.querySelector('[data-selected="true"]')).toBeNull();
  });

  it("a review in flight holds only its own candidate: the reviewer moves on and the next key is sent", async () => {
    const user = userEvent.setup();
    const calls = installMockApi(labelErrorsHandler);
    // The first review's answer waits until released, as a slow server's would.
    const served = globalThis.fetch;
    let release = () => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    let first = true;
    vi.stubGlobal("fetch", async (input: string, init?: RequestInit) => {
      if (init?.method === "PUT" && first) { first = false; await held; }
      return served(input, init);
    });
    render(<Stateful initial={context()} />);
    await waitFor(() => expect(cards()).toHaveLength(3));
    await user.keyboard("jjjc"); // the third candidate: confirm, still in flight
    await user.keyboard("kc"); // the second: its own review goes out at once
    await waitFor(() => expect(cards()[1]).toHaveAttribute("data-status", "confirmed"));
    expect(cards()[2]).toHaveAttribute("data-status", "open");
    await user.keyboard("jc"); // the one in flight: not sent twice
    release();
    await waitFor(() => expect(cards()[2]).toHaveAttribute("data-status", "confirmed"));
    expect(calls.filter((c) => c.method === "PUT").map((c) => c.path.split("/").at(-2))).toEqual(["spurious%3A2", "missing%3A9"]);
  });

  it("creates an issue and chooses it; the export asks for the confirmed ones in the format chosen", async () => {
    const user = userEvent.setup();
    const calls = installMockApi(labelErrorsHandler);
    const created = vi.fn(() => "blob:x");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() }));
    render(<Stateful initial={context()} />);
    await waitFor(() => expect(cards()).toHaveLength(3));
    await user.type(screen.getByLabelText("New issue name"), "boxes to fix");
    await user.click(screen.getByRole("button", { name: "Create issue" }));
    await waitFor(() => expect(screen.getByLabelText("Issue")).toHaveValue("boxes to fix"));
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({ name: "boxes to fix" });
    await user.click(screen.getByRole("button", { name: "CSV" }));
    await waitFor(() => expect(created).toHaveBeenCalled());
    expect(calls.find((c) => c.path.endsWith("/label-errors/export"))!.query.get("format")).toBe("csv");
  });

  it("a classification project: given against suggested class, the score by the method chosen, no boxes", async () => {
    const user = userEvent.setup();
    const calls = installMockApi(labelErrorsHandler);
    render(<Stateful initial={context({ ...projectOut(), task: "classification" })} />);
    await waitFor(() => expect(cards()).toHaveLength(3));
    const asked = calls.find((c) => c.path.endsWith("/label-errors"))!.query;
    expect([asked.get("method"), asked.get("conf")]).toEqual(["self_confidence", null]);
    const first = cards()[0] as HTMLElement;
    expect(first).toHaveTextContent(`given ${queue()[0]!.label} · suggested ${queue()[0]!.partner_label}`);
    expect(within(first).getByTestId("label-error-score").getAttribute("title")).toContain("1 − p(given class)");
    expect(screen.queryByLabelText("Kind")).toBeNull();
    expect(screen.getByTestId("classification-legend")).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText("Score method"), "normalized_margin");
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith("/label-errors")).at(-1)!.query.get("method")).toBe("normalized_margin"));
    await waitFor(() => expect(within(cards()[0] as HTMLElement).getByTestId("label-error-score").getAttribute("title")).toContain("largest other p"));
    expect(first.querySelectorAll("svg rect")).toHaveLength(0); // no boxes, no zoom
  });

  it("a link's kind, review status and page (le_kind=, review=, le_page=) are asked at once", async () => {
    const calls = installMockApi(labelErrorsHandler);
    render(<Stateful initial={context(projectOut(), { labelErrorKind: "missing", review: "open", labelErrorPage: 0 })} />);
    await waitFor(() => expect(cards()).toHaveLength(1));
    const asked = calls.find((c) => c.path.endsWith("/label-errors"))!.query;
    expect([asked.get("kind"), asked.get("status"), asked.get("offset")]).toEqual(["missing", "open", "0"]);
    expect(screen.getByLabelText("Kind")).toHaveValue("missing");
    expect(screen.getByLabelText("Review status")).toHaveValue("open");
  });
});
