// @vitest-environment jsdom
import { render as renderBare, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState, type ReactElement } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CocoSummaryDict } from "../api/types";
import { shapes } from "../fixtures";
import { installMockApi } from "../test/mockApi";
import type { AppState } from "../lib/urlState";
import { ThemeProvider } from "../theme";
import { ClassChanges, VerdictLegend } from "./ClassChanges";
import { PerClassAP } from "./PerClassAP";
import { QueryBar } from "./QueryBar";
import { ThresholdLink } from "./ThresholdLink";

const render = (ui: ReactElement) => renderBare(ui, { wrapper: ThemeProvider });
const BASE = "/api/v1/projects/shapes/datasets/rendered-scenes";
const COMPLETIONS = {
  fields: [{ name: "num_shapes", type: "int" }, { name: "num_labels", type: "int" }],
  classes: [], functions: [], keywords: ["not"], truncated: false,
};

afterEach(() => vi.unstubAllGlobals());

/** The query bar with its value in state, as the app keeps it in the URL. */
function Bar({ onChange }: { onChange: (q: string | null) => void }) {
  const [value, setValue] = useState<string | null>(null);
  return <QueryBar project="shapes" dataset="rendered-scenes" value={value} onChange={(q) => { setValue(q); onChange(q); }} />;
}

describe("QueryBar", () => {
  it("completes the word typed from the server's completions (Tab), then applies the query", async () => {
    const calls = installMockApi(({ path, query }) => {
      if (path === `${BASE}/query/completions`) return { body: COMPLETIONS };
      if (path === `${BASE}/frames` && query.get("query")) return { body: { total: 29, offset: 0, limit: 1, frames: [] } };
      return undefined;
    });
    const onChange = vi.fn();
    render(<Bar onChange={onChange} />);
    const box = screen.getByRole("combobox", { name: "Query" });
    await userEvent.type(box, "num");
    const list = await screen.findByRole("listbox", { name: "Completions" });
    expect(within(list).getAllByRole("option").map((o) => o.textContent)).toEqual(["num_shapesint", "num_labelsint", "notkeyword"]);
    // Asked for the word as typed (each one answered replaces the last).
    expect(calls.filter((c) => c.path.endsWith("/query/completions")).at(-1)!.query.get("prefix")).toBe("num");
    await userEvent.keyboard("{ArrowDown}{Tab}");
    expect(box).toHaveValue("num_labels ");
    await userEvent.type(box, "> 2{Escape}");
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => expect(onChange).toHaveBeenCalledWith("num_labels > 2"));
    expect(await screen.findByText(/29 frames match/)).toBeInTheDocument();
  });

  it("shows the server's 'did you mean' inline and keeps the query applied before", async () => {
    const detail = "at column 1: unknown field 'num_shapez' (did you mean 'num_shapes'?)";
    installMockApi(({ path }) => (path === `${BASE}/frames` ? { status: 400, body: { error: "bad_request", detail, where: "query.query" } } : undefined));
    const onChange = vi.fn();
    render(<Bar onChange={onChange} />);
    const box = screen.getByRole("combobox", { name: "Query" });
    await userEvent.type(box, "num_shapez > 3{Escape}");
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(detail);
    expect(box).toHaveAttribute("aria-invalid", "true");
    expect(onChange).not.toHaveBeenCalled();
  });

  it("saves the applied query as a query segment", async () => {
    const calls = installMockApi(({ path, method, body }) => {
      if (path === `${BASE}/frames`) return { body: { total: 5, offset: 0, limit: 1, frames: [] } };
      if (path === `${BASE}/segments` && method === "POST") return { body: { ...shapes.segments[0], ...(body as object) } };
      return undefined;
    });
    render(<QueryBar project="shapes" dataset="rendered-scenes" value="num_shapes > 3" onChange={() => undefined} />);
    await userEvent.click(await screen.findByRole("button", { name: "Save query as a segment…" }));
    const form = screen.getByRole("form", { name: "Save the query as a segment" });
    await userEvent.type(within(form).getByLabelText("Name"), "many shapes");
    await userEvent.selectOptions(within(form).getByLabelText("Type"), "regression_test");
    await userEvent.click(within(form).getByRole("button", { name: "Save segment" }));
    await waitFor(() => expect(screen.queryByRole("form", { name: "Save the query as a segment" })).toBeNull());
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.body).toEqual({ name: "many shapes", type: "regression_test", query: "num_shapes > 3" });
  });
});

describe("ThresholdLink", () => {
  const props = { conf: 0.3, iou: 0.5, defaults: { conf: 0.1, iou: 0.5 }, hideIou: false };

  it("with one set shows only the first set's sliders", () => {
    render(<ThresholdLink {...props} sets={["a"]} other={null} update={vi.fn()}><p>panel</p></ThresholdLink>);
    expect(screen.getByText("panel")).toBeInTheDocument();
    expect(screen.queryByRole("switch")).toBeNull();
  });

  it("unlinking starts the second set at the first's thresholds; its own slider patches only it; linking drops them", async () => {
    const update = vi.fn<(patch: Partial<AppState>) => void>();
    const { rerender } = render(<ThresholdLink {...props} sets={["a", "b"]} other={null} update={update}><p>panel</p></ThresholdLink>);
    expect(screen.getByRole("region", { name: "Thresholds of both models" })).toHaveTextContent("panel");
    await userEvent.click(screen.getByRole("switch", { name: "Same thresholds for both models" }));
    expect(update).toHaveBeenLastCalledWith({ otherConf: 0.3, otherIou: 0.5 });
    rerender(<ThresholdLink {...props} sets={["a", "b"]} other={{ conf: 0.3, iou: 0.5 }} update={update}><p>panel</p></ThresholdLink>);
    expect(screen.getByRole("region", { name: "Thresholds of a" })).toHaveTextContent("panel");
    const own = screen.getByRole("region", { name: "Thresholds of b" });
    const box = within(own).getByLabelText("Confidence value");
    await userEvent.clear(box);
    await userEvent.type(box, "0.7{Enter}");
    await waitFor(() => expect(update).toHaveBeenLastCalledWith({ otherConf: 0.7, otherIou: 0.5 }));
    await userEvent.click(screen.getByRole("switch", { name: "Same thresholds for both models" }));
    expect(update).toHaveBeenLastCalledWith({ otherConf: null, otherIou: null });
  });
});

describe("ClassChanges", () => {
  it("colors each class by the server's verdict and reads an unchanged value as a quiet 0", () => {
    const classes = {
      circle: { precision: { base: 0.5, other: 0.6, delta: 0.1 }, recall: { base: 0.5, other: 0.5, delta: 0 }, "f1-score": { base: 0.5, other: 0.55, delta: 0.05 }, tp: { base: 3, other: 3, delta: 0 }, fp: { base: 2, other: 1, delta: -1 }, fn: { base: 1, other: 1, delta: 0 } },
      square: { precision: { base: 0.5, other: 0.4, delta: -0.1 }, recall: { base: 0.5, other: 0.4, delta: -0.0001 }, "f1-score": { base: 0.5, other: 0.4, delta: -0.1 }, tp: { base: 3, other: 2, delta: -1 }, fp: { base: 1, other: 1, delta: 0 }, fn: { base: 1, other: 2, delta: 1 } },
    };
    render(<ClassChanges comparison={{ base: "a", other: "b", classes, verdicts: { circle: "better", square: "worse" } }} iou={0.5} />);
    const table = screen.getByRole("table", { name: "Per-class change (b − a)" });
    const row = (label: string) => within(table).getByRole("rowheader", { name: label }).closest("tr")!;
    expect(row("circle")).toHaveAttribute("data-verdict", "better");
    expect(row("square")).toHaveAttribute("data-verdict", "worse");
    const cells = (label: string) => within(row(label)).getAllByRole("cell");
    expect(cells("circle").map((c) => c.textContent)).toEqual(["+0.100", "0", "+0.050", "0", "-1", "0"]);
    expect(cells("square").map((c) => c.textContent)).toEqual(["-0.100", "0", "-0.100", "-1", "0", "+1"]);
    expect(cells("circle")[1]).toHaveClass("zero");
    expect(screen.getByLabelText("Verdict colors")).toHaveTextContent("better (F1 up)");
  });

  it("names the changed examples' verdict basis (fixed - broken), not the F1 change", () => {
    render(<VerdictLegend basis="changes" />);
    const legend = screen.getByLabelText("Verdict colors");
    expect(legend).toHaveTextContent("better (more fixed than broken)");
    expect(legend).toHaveTextContent("by fixed − broken ground truth");
    expect(legend).not.toHaveTextContent("F1");
  });
});

describe("PerClassAP", () => {
  it("lists each class's AP, AP50, AP75 and AR100 with definitions, and the mean scores of the summary", async () => {
    const coco = { ...shapes.coco, per_class: { circle: { AP: 0.4, AP50: 0.6, AP75: 0.45, AR100: 0.5 }, cross: { AP: -1, AP50: -1, AP75: -1, AR100: -1 } } } as CocoSummaryDict;
    const onSelect = vi.fn();
    render(<PerClassAP summary={coco} selectedLabel={null} onSelectLabel={onSelect} />);
    const table = screen.getByRole("table", { name: "Per-class AP and AR" });
    const rows = within(table).getAllByRole("row").slice(1).map((r) => within(r).getAllByRole("cell").map((c) => c.textContent));
    expect(rows).toEqual([["0.400", "0.600", "0.450", "0.500"], ["-", "-", "-", "-"]]);
    expect(within(table).getByText("AP50").getAttribute("title")).toMatch(/IoU 0.50.*this class/);
    const meters = screen.getAllByRole("meter");
    expect(meters.map((m) => Number(m.getAttribute("aria-valuenow")))).toEqual(["AP", "AP50", "AP75", "AR100"].map((k) => Math.max(0, coco[k as "AP"] ?? 0)));
    await userEvent.click(within(table).getByRole("button", { name: "circle" }));
    expect(onSelect).toHaveBeenCalledWith("circle");
  });
});
