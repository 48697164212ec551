// @vitest-environment jsdom
import { render as renderBare, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useCallback, useState, type ReactElement } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CalibrationOut, ProjectOut, TideOut } from "../api/types";
import { DATASET, installMockApi, projectOut, type Handler } from "../test/mockApi";
import { formatHash, parseHash, type AppState } from "../lib/urlState";
import { ThemeProvider } from "../theme";
import type { ViewContext } from "./context";
import { CompareSignificance } from "./CompareSignificance";
import { InsightsView, iouInput } from "./InsightsView";

const render = (ui: ReactElement) => renderBare(ui, { wrapper: ThemeProvider });
afterEach(() => vi.unstubAllGlobals());

function context(project: ProjectOut = projectOut(), patch: Partial<ViewContext> = {}): ViewContext {
  return {
    project, dataset: DATASET, sets: ["adaptive-cc"], thresholds: { conf: 0.1, iou: 0.5, overrides: {} }, conf: 0.1, iou: 0.5,
    segment: "All Frames", selection: null, sort: "confidence-disagreement", page: 0,
    metricClass: null, shown: null, values: "absolute", shareOf: "row", frame: null, object: null, update: vi.fn(), ...patch,
  };
}

/** InsightsView over a context whose `update` applies its patch, as the app's URL state does. */
function StatefulInsights({ initial }: { initial: ViewContext }) {
  const [ctx, setCtx] = useState(initial);
  const update = useCallback((patch: Partial<AppState>) => setCtx((c) => ({ ...c, ...(patch as Partial<ViewContext>) })), []);
  return <InsightsView ctx={{ ...ctx, update }} />;
}

const counts = (n: number) => ({ Cls: n, Loc: 2 * n, Both: 0, Dupe: 1, Bkg: 3, Miss: 4 });
const dap = (x: number) => ({ Cls: x, Loc: 2 * x, Both: 0, Dupe: 0.1, Bkg: 0.2, Miss: 3, FalsePos: 4, FalseNeg: 5 });

/** The server's answers, by how it was asked (fg_iou changes the overall Cls dAP). */
const insightsHandler: Handler = ({ path, query }) => {
  if (path.endsWith("/tide")) {
    const fg = Number(query.get("fg_iou") ?? 0.5);
    const body: TideOut = {
      inference_set: "adaptive-cc", segment: "All Frames", query: null, ap: 50, counts: counts(5), dap: dap(fg * 10),
      settings: { fg_iou: fg, bg_iou: Number(query.get("bg_iou") ?? 0.1), max_dets: 100 },
      per_class: [{ label: "circle", ap: 40, counts: counts(1), dap: dap(1.5) }],
    };
    return { body };
  }
  if (path.endsWith("/calibration")) {
    const diagram = (label: string, ece: number) => ({ label, count: 3, ece, mce: 0.5, bins: [{ low: 0, high: 1, count: 3, confidence: 0.5, accuracy: 0.5 }] });
    const body: CalibrationOut = {
      task: query.get("iou") ? "detection" : "classification", metric: query.get("iou") ? "D-ECE" : "ECE", inference_set: "adaptive-cc",
      segment: "All Frames", query: null, conf: 0.1, iou: query.get("iou") ? 0.5 : null,
      overall: diagram("all", 0.25), classes: [diagram("circle", 0.125)],
    };
    return { body };
  }
  return undefined;
};

describe("InsightsView", () => {
  it("shows TIDE's bars and the D-ECE; the class selector shows that class's breakdown and diagram", async () => {
    const user = userEvent.setup();
    installMockApi(insightsHandler);
    render(<StatefulInsights initial={context()} />);
    await waitFor(() => expect(document.querySelector('[data-dap="Cls"]')).toHaveTextContent("5.00"));
    expect(document.querySelector('[data-count="Loc"]')).toHaveTextContent("10");
    await user.selectOptions(screen.getByLabelText("Class"), "circle");
    expect(document.querySelector('[data-dap="Cls"]')).toHaveTextContent("1.50");
    expect(document.querySelector('[data-count="Cls"]')).toHaveTextContent("1");
    // The Calibration sub-tab keeps the class chosen (class=).
    await user.click(screen.getByRole("tab", { name: "Calibration" }));
    expect(screen.getByRole("tab", { name: "Calibration" })).toHaveAttribute("aria-selected", "true");
    expect(await screen.findByTestId("ece")).toHaveTextContent("D-ECE 0.1250");
    expect(screen.getByLabelText("Class")).toHaveValue("circle");
    await user.selectOptions(screen.getByLabelText("Class"), "");
    expect(await screen.findByTestId("ece")).toHaveTextContent("D-ECE 0.2500");
    expect(document.querySelector(".tide-bars")).toBeNull();
  });

  it("a bar lists its objects: tide= at the foreground IoU, the class, no confidence (TIDE keeps every score)", async () => {
    const user = userEvent.setup();
    const calls = installMockApi(insightsHandler);
    render(<StatefulInsights initial={context()} />);
    await user.selectOptions(await screen.findByLabelText("Class"), "circle");
    await user.click(await screen.findByRole("button", { name: /^Loc:/ }));
    await waitFor(() => expect(calls.some((c) => c.path.endsWith("/examples"))).toBe(true));
    const asked = calls.find((c) => c.path.endsWith("/examples"))!.query;
    expect(asked.get("tide")).toBe("Loc");
    expect(asked.get("label")).toBe("circle");
    expect(asked.get("iou")).toBe("0.5");
    expect(asked.get("conf")).toBeNull();
    expect(await screen.findByRole("region", { name: /^Loc errors of circle/ })).toBeInTheDocument();
  });

  it("the foreground IoU asks TIDE again; a background IoU above it is not sent", async () => {
    const user = userEvent.setup();
    const calls = installMockApi(insightsHandler);
    render(<StatefulInsights initial={context()} />);
    await screen.findByTestId("tide-settings");
    const fg = screen.getByLabelText("Foreground IoU");
    await user.clear(fg);
    await user.type(fg, "0.7");
    await waitFor(() => expect(document.querySelector('[data-dap="Cls"]')).toHaveTextContent("7.00"));
    expect(screen.getByTestId("tide-settings")).toHaveTextContent("Foreground IoU 0.7, background IoU 0.1");
    const bg = screen.getByLabelText("Background IoU");
    await user.clear(bg);
    await user.type(bg, "0.9");
    expect(calls.filter((c) => c.path.endsWith("/tide")).every((c) => Number(c.query.get("bg_iou")) <= Number(c.query.get("fg_iou")))).toBe(true);
    expect(iouInput("1.5", 0.5)).toBe(0.5);
    expect(iouInput("", 0.5)).toBe(0.5);
    expect(iouInput("0.25", 0.5)).toBe(0.25);
  });

  it("a classification project shows its calibration (ECE) and says TIDE is for detection, never asking for it", async () => {
    const calls = installMockApi(insightsHandler);
    const project = { ...projectOut(), task: "classification" as const };
    render(<StatefulInsights initial={context(project)} />);
    expect(await screen.findByTestId("tide-detection-only")).toHaveTextContent("TIDE's error breakdown is for detection");
    await userEvent.setup().click(screen.getByRole("tab", { name: "Calibration" }));
    expect(await screen.findByTestId("ece")).toHaveTextContent("ECE 0.2500");
    expect(calls.some((c) => c.path.endsWith("/tide"))).toBe(false);
    expect(calls.find((c) => c.path.endsWith("/calibration"))!.query.get("iou")).toBeNull();
  });

  it("a link naming a class and a bar (class=, tide=) lists that bar's objects at once", async () => {
    const calls = installMockApi(insightsHandler);
    const update = vi.fn();
    render(<InsightsView ctx={context(projectOut(), { metricClass: "circle", tide: "Miss", update })} />);
    expect(await screen.findByRole("region", { name: /^Miss errors of circle/ })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: /^Miss:/ })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByLabelText("Class")).toHaveValue("circle");
    const asked = calls.find((c) => c.path.endsWith("/examples"))!.query;
    expect([asked.get("tide"), asked.get("label")]).toEqual(["Miss", "circle"]);
    await userEvent.setup().click(screen.getByRole("button", { name: /^Miss:/ }));
    expect(update).toHaveBeenLastCalledWith({ tide: null });
  });
});

describe("Insights' sub-tabs", () => {
  it("a link names the sub-tab (insights=); arrows move along the tabs and the panel follows", async () => {
    const user = userEvent.setup();
    const calls = installMockApi(insightsHandler);
    render(<StatefulInsights initial={context(projectOut(), { insights: "label-errors" })} />);
    expect(screen.getByRole("tab", { name: "Label errors" })).toHaveAttribute("aria-selected", "true");
    expect(screen.getByRole("tabpanel")).toHaveAttribute("aria-labelledby", "insights-tab-label-errors");
    await waitFor(() => expect(calls.some((c) => c.path.endsWith("/label-errors"))).toBe(true));
    expect(calls.some((c) => c.path.endsWith("/tide"))).toBe(false);
    screen.getByRole("tab", { name: "Label errors" }).focus();
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Calibration" })).toHaveAttribute("aria-selected", "true");
    expect(screen.getByRole("tab", { name: "Calibration" })).toHaveFocus();
    expect(await screen.findByTestId("ece")).toBeInTheDocument();
    await user.keyboard("{ArrowLeft}{ArrowLeft}");
    expect(screen.getByRole("tab", { name: "Error breakdown" })).toHaveAttribute("aria-selected", "true");
    await waitFor(() => expect(document.querySelector('[data-dap="Cls"]')).not.toBeNull());
    expect(parseHash(`#${formatHash({ ...parseHash("#view=insights"), insights: "label-errors" })}`).insights).toBe("label-errors");
    expect(parseHash("#view=insights&insights=nope").insights).toBe("errors");
  });
});

describe("CompareSignificance", () => {
  it("asks for the intervals at Compare's point with fixed resamples and seed, and shows them", async () => {
    const calls = installMockApi(({ path, query }) => {
      if (!path.endsWith("/compare/significance")) return undefined;
      return {
        body: {
          base: query.get("base"), other: query.get("other"), conf: 0.1, iou: 0.5, other_conf: 0.3, other_iou: 0.5, segment: "night", query: null,
          frame_count: 8, resamples: Number(query.get("resamples")), seed: Number(query.get("seed")), level: 0.95, labels: ["circle"],
          intervals: [{ scope: "circle", metric: "recall", base: 0.5, other: 0.75, delta: 0.25, low: 0.125, high: 0.375, significant: true, direction: "better" }],
        },
      };
    });
    render(<CompareSignificance project="shapes" dataset={DATASET} base="a" other="b" point={{ conf: 0.1, iou: 0.5, segment: "night", otherConf: 0.3 }} />);
    expect(await screen.findByTestId("bootstrap-settings")).toHaveTextContent("8 frames: 1,000 resamples, seed 0");
    const asked = calls.find((c) => c.path.endsWith("/compare/significance"))!.query;
    expect(Object.fromEntries(asked)).toMatchObject({ base: "a", other: "b", conf: "0.1", iou: "0.5", segment: "night", other_conf: "0.3", resamples: "1000", seed: "0" });
    expect(screen.getByRole("table", { name: "Significance: b against a" })).toHaveTextContent("+0.250 [+0.125, +0.375] *");
  });
});

describe("the Insights view in the URL", () => {
  it("is a view a link can name, and survives a round trip", () => {
    const state = parseHash("#view=insights&project=shapes&set=adaptive-cc&class=circle&tide=Loc");
    expect([state.view, state.metricClass, state.tide]).toEqual(["insights", "circle", "Loc"]);
    expect(parseHash("#view=insights&tide=FalsePos").tide).toBeNull();
    expect(parseHash(`#${formatHash(state)}`)).toEqual(state);
  });
});
