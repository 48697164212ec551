// @vitest-environment jsdom
import { render as renderBare, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useCallback, useState, type ReactElement } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { MultiLabelMetricsOut, ProjectOut } from "../api/types";
import { installMockApi } from "../test/mockApi";
import type { AppState } from "../lib/urlState";
import { ThemeProvider } from "../theme";
import type { ViewContext } from "./context";
import { bestOverrides, cellShare, MultiLabelView } from "./MultiLabelView";

const render = (ui: ReactElement) => renderBare(ui, { wrapper: ThemeProvider });

afterEach(() => vi.unstubAllGlobals());

const PROJECT: ProjectOut = {
  name: "tags", task: "multilabel", default_conf: 0.5, default_iou: 0.5, created_at: "",
  classes: [{ name: "cat", id: 1, color: "#f00", ignore: false }, { name: "dog", id: 2, color: "#0f0", ignore: false }],
  datasets: ["val"],
} as ProjectOut;

const row = (precision: number) => ({ precision, recall: 0.5, "f1-score": 0.5, support: 4 });
const METRICS: MultiLabelMetricsOut = {
  project: "tags", dataset: "val", inference_set: "m", segment: "All Frames", query: null, conf: 0.5, version: 1, num_frames: 10,
  classes: [
    { label: "cat", precision: 0.75, recall: 0.5, "f1-score": 0.6, support: 6, threshold: 0.5, average_precision: 0.8, tn: 3, fp: 1, fn: 3, tp: 3,
      best: { threshold: 0.31, precision: 0.7, recall: 0.9, "f1-score": 0.788 } },
    { label: "dog", precision: 1, recall: 0.25, "f1-score": 0.4, support: 4, threshold: 0.5, average_precision: 0.7, tn: 6, fp: 0, fn: 3, tp: 1, best: null },
  ],
  averages: { "micro avg": row(0.8), "macro avg": row(0.875), "weighted avg": row(0.85), "samples avg": row(0.6) },
  subset_accuracy: 0.4, hamming_loss: 0.35, mean_average_precision: 0.75,
};

function context(patch: Partial<ViewContext> = {}): ViewContext {
  return {
    project: PROJECT, dataset: "val", sets: ["m"], thresholds: { conf: 0.5, iou: 0.5, overrides: {} }, conf: 0.5, iou: 0.5,
    segment: "All Frames", selection: null, sort: "confidence-disagreement", page: 0,
    metricClass: null, shown: null, values: "absolute", shareOf: "row", frame: null, object: null, update: vi.fn(), ...patch,
  };
}

function Stateful({ initial }: { initial: ViewContext }) {
  const [ctx, setCtx] = useState(initial);
  const update = useCallback((patch: Partial<AppState>) => setCtx((c) => ({ ...c, ...(patch as Partial<ViewContext>) })), []);
  return <MultiLabelView ctx={{ ...ctx, update }} />;
}

describe("MultiLabelView", () => {
  it("shows the server's numbers: report rows, averages, headline and a 2x2 matrix per class", async () => {
    installMockApi(({ path }) => (path.endsWith("/multilabel-metrics") ? { body: METRICS } : undefined));
    render(<Stateful initial={context()} />);
    const table = await screen.findByRole("table", { name: /Multi-label report: m/ });
    const cat = within(table).getByRole("row", { name: /^cat/ });
    expect(within(cat).getAllByRole("cell").map((c) => c.textContent)).toEqual(["0.5", "0.750", "0.500", "0.600", "6", "0.800", "0.788 @ 0.31", "3", "1", "3", "3"]);
    expect(within(table).getByRole("row", { name: /samples avg/ }).textContent).toContain("0.600");
    const headline = screen.getByLabelText("Headline metrics");
    expect(headline.textContent).toContain("Subset accuracy0.400");
    expect(headline.textContent).toContain("Hamming loss0.350");
    for (const label of ["cat", "dog"]) expect(screen.getByRole("table", { name: `${label} 2×2 matrix` })).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Definitions" }).textContent).toContain("Hamming loss");
  });

  it("a cell lists its frames with their classes; the request names the class, the cell and the thresholds", async () => {
    const calls = installMockApi(({ path, query }) => {
      if (path.endsWith("/multilabel-metrics")) return { body: METRICS };
      if (path.endsWith("/multilabel-examples")) {
        return { body: { inference_set: "m", segment: "All Frames", query: null, conf: 0.5, version: 1, label: query.get("label"), cell: query.get("cell"), total: 1, offset: 0,
          examples: [{ frame_id: "f7", truth: ["cat", "dog"], predicted: ["dog"], score: 0.2 }] } };
      }
      return undefined;
    });
    const user = userEvent.setup();
    render(<Stateful initial={context()} />);
    const matrix = await screen.findByRole("table", { name: "cat 2×2 matrix" });
    await user.click(within(matrix).getByRole("button", { name: "cat FN: 3 frames" }));
    expect(await screen.findByText("f7")).toBeInTheDocument();
    const chips = screen.getByRole("list", { name: "Classes" });
    expect(within(chips).getAllByRole("listitem").map((c) => c.textContent)).toEqual(["cat FN", "dog TP"]);
    const asked = calls.find((c) => c.path.endsWith("/multilabel-examples"));
    expect(asked?.query.get("label")).toBe("cat");
    expect(asked?.query.get("cell")).toBe("fn");
    expect(asked?.query.get("conf")).toBe("0.5");
  });

  it("the best-F1 button sets each class's override to its best threshold (classes without one keep theirs)", async () => {
    installMockApi(({ path }) => (path.endsWith("/multilabel-metrics") ? { body: METRICS } : undefined));
    const update = vi.fn();
    render(<MultiLabelView ctx={context({ update })} />);
    await userEvent.setup().click(await screen.findByRole("button", { name: /best-F1 threshold/ }));
    expect(update).toHaveBeenCalledWith({ overrides: { cat: 0.31 } });
    expect(bestOverrides(METRICS.classes)).toEqual({ cat: 0.31 });
  });

  it("shades a cell by its share of the class's frames", () => {
    expect(cellShare(METRICS.classes[0]!, "tp")).toBeCloseTo(0.3);
    expect(cellShare({ ...METRICS.classes[0]!, tp: 0, fp: 0, fn: 0, tn: 0 }, "tp")).toBe(0);
  });
});
