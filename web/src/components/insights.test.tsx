// @vitest-environment jsdom
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ReliabilityOut, SignificanceOut, TideOut } from "../api/types";
import { binGap, CALIBRATION_DEFINITIONS, ReliabilityDiagram } from "./ReliabilityDiagram";
import { intervalText, significanceRows, SignificanceTable } from "./SignificanceTable";
import { barShare, formatDap, TIDE_SPECIAL, TIDE_TYPES, TideBars } from "./TideBars";

const tide: Pick<TideOut, "ap" | "counts" | "dap"> = {
  ap: 57.925,
  counts: { Cls: 19, Loc: 9, Both: 7, Dupe: 0, Bkg: 1158, Miss: 43 },
  dap: { Cls: 12.004, Loc: 6.19, Both: 0.81, Dupe: 0, Bkg: 0.075, Miss: 15.6, FalsePos: 7.17, FalseNeg: 31.2 },
};

describe("TideBars", () => {
  it("shows every type's dAP and count, and the special dAPs without a count", () => {
    render(<TideBars tide={tide} scope="all classes" selected={null} onSelect={vi.fn()} />);
    for (const { value: t } of TIDE_TYPES) {
      const bar = screen.getByRole("button", { name: new RegExp(`^${t}: dAP`) });
      expect(bar.querySelector(`[data-dap="${t}"]`)!.textContent).toBe(tide.dap[t].toFixed(2));
    }
    expect(screen.getByRole("button", { name: /^Bkg:/ }).querySelector('[data-count="Bkg"]')!.textContent).toBe("1,158");
    for (const t of TIDE_SPECIAL) {
      expect(screen.queryByRole("button", { name: new RegExp(`^${t.value}:`) })).toBeNull();
      expect(document.querySelector(`[data-dap="${t.value}"]`)!.textContent).toBe(tide.dap[t.value].toFixed(2));
    }
    expect(screen.getByRole("figure")).toHaveTextContent("AP 57.92");
  });

  it("carries each type's definition in the bar's tooltip and in the legend", () => {
    render(<TideBars tide={tide} scope="circle" selected={null} onSelect={vi.fn()} />);
    const legend = screen.getByLabelText("TIDE error types");
    for (const t of [...TIDE_TYPES, ...TIDE_SPECIAL]) {
      expect(document.querySelector(`[data-tide="${t.value}"]`)!.getAttribute("title")).toBe(`${t.title}: ${t.definition}`);
      expect(within(legend).getByText(t.definition)).toBeInTheDocument();
    }
  });

  it("a click selects a bar, a second click on it clears the selection", async () => {
    const user = userEvent.setup();
    const onSelect = vi.fn();
    const { rerender } = render(<TideBars tide={tide} scope="all" selected={null} onSelect={onSelect} />);
    await user.click(screen.getByRole("button", { name: /^Loc:/ }));
    expect(onSelect).toHaveBeenLastCalledWith("Loc");
    rerender(<TideBars tide={tide} scope="all" selected="Loc" onSelect={onSelect} />);
    expect(screen.getByRole("button", { name: /^Loc:/ })).toHaveAttribute("aria-pressed", "true");
    await user.click(screen.getByRole("button", { name: /^Loc:/ }));
    expect(onSelect).toHaveBeenLastCalledWith(null);
  });

  it("draws every bar on the longest one's scale; a negative dAP draws nothing", () => {
    expect(barShare(31.2, tide.dap)).toBe(1);
    expect(barShare(15.6, tide.dap)).toBeCloseTo(0.5);
    expect(barShare(-1, tide.dap)).toBe(0);
    expect(barShare(0, { ...tide.dap, Cls: 0, Loc: 0, Both: 0, Bkg: 0, Miss: 0, FalsePos: 0, FalseNeg: 0 })).toBe(0);
    expect(formatDap(0.005)).toBe("0.01");
  });
});

const diagram: ReliabilityOut = {
  label: "all", count: 10, ece: 0.12, mce: 0.3,
  bins: [
    { low: 0, high: 0.5, count: 4, confidence: 0.3, accuracy: 0.0 },
    { low: 0.5, high: 0.75, count: 0, confidence: null, accuracy: null },
    { low: 0.75, high: 1, count: 6, confidence: 0.9, accuracy: 1.0 },
  ],
};

describe("ReliabilityDiagram", () => {
  it("draws a bar and a confidence tick per non-empty bin, a count bar per bin, and the diagonal", () => {
    const { container } = render(<ReliabilityDiagram diagram={diagram} metric="D-ECE" />);
    expect(container.querySelectorAll(".accuracy-bar")).toHaveLength(2);
    expect(container.querySelectorAll(".confidence-tick")).toHaveLength(2);
    expect(container.querySelectorAll(".count-bar")).toHaveLength(3);
    expect(container.querySelectorAll(".diagonal")).toHaveLength(1);
    // The fuller bin's count bar is the tallest; the empty bin's has no height.
    const heights = [...container.querySelectorAll(".count-bar")].map((r) => Number(r.getAttribute("height")));
    expect(heights[2]).toBeGreaterThan(heights[0]!);
    expect(heights[1]).toBe(0);
  });

  it("names the metric with its value and definition, and the legend defines every encoding", () => {
    render(<ReliabilityDiagram diagram={diagram} metric="ECE" />);
    expect(screen.getByTestId("ece")).toHaveTextContent("ECE 0.1200");
    expect(screen.getByTestId("ece")).toHaveAttribute("title", CALIBRATION_DEFINITIONS.ece);
    expect(screen.getByTestId("mce")).toHaveTextContent("MCE 0.3000");
    const legend = screen.getByRole("list", { name: "Reliability legend" });
    expect(legend).toHaveTextContent("Diagonal: perfect calibration");
    expect(legend).toHaveTextContent(CALIBRATION_DEFINITIONS.mce);
    expect(screen.getByRole("figure")).toHaveTextContent("Reliability of all classes: 10 predictions");
  });

  it("a bin's share of the ECE is its weight times its gap; the gaps sum to the ECE", () => {
    expect(binGap(diagram.bins[0]!, 10)).toBeCloseTo(0.12);
    expect(binGap(diagram.bins[1]!, 10)).toBe(0);
    expect(binGap(diagram.bins[2]!, 10)).toBeCloseTo(0.06);
  });
});

const significance: SignificanceOut = {
  base: "a", other: "b", conf: 0.1, iou: 0.5, other_conf: 0.1, other_iou: 0.5, segment: "All Frames", query: null,
  frame_count: 1234, resamples: 1000, seed: 7, level: 0.95, labels: ["cat", "dog"],
  intervals: [
    ...(["cat", "dog", "macro avg", "micro avg"] as const).flatMap((scope, k) =>
      (["precision", "recall", "f1-score"] as const).map((metric) => {
        const low = k === 0 ? 0.01 : k === 1 ? -0.2 : -0.05;
        const high = k === 0 ? 0.09 : k === 1 ? -0.0004 : 0.05;
        const significant = low > 0 || high < 0;
        return { scope, metric, base: 0.5, other: 0.5 + (low + high) / 2, delta: (low + high) / 2, low, high, significant,
          direction: significant ? (low > 0 ? "better" : "worse") : "same" } as const;
      })),
    ...(["cat", "dog", "macro avg"] as const).map((scope) =>
      ({ scope, metric: "ap", base: 0.4, other: 0.3, delta: -0.1, low: -0.15, high: -0.05, significant: true, direction: "worse" }) as const),
  ],
};

describe("SignificanceTable", () => {
  it("prints a delta with its interval", () => {
    expect(intervalText({ delta: 0.05, low: 0.0104, high: -0.0001 })).toBe("+0.050 [+0.010, +0.000]");
    expect(intervalText({ delta: -0.1, low: -0.2, high: -0.0004 })).toBe("-0.100 [-0.200, +0.000]");
  });

  it("lists the classes then the averages, each cell marked by its direction, significant ones starred", () => {
    render(<SignificanceTable significance={significance} />);
    expect(significanceRows(significance)).toEqual(["cat", "dog", "macro avg", "micro avg"]);
    const table = screen.getByRole("table", { name: "Significance: b against a" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => within(r).getByRole("rowheader").textContent)).toEqual(["cat", "dog", "macro avg", "micro avg"]);
    const cat = rows[0]!.querySelectorAll("td");
    expect(cat[0]!.textContent).toBe("+0.050 [+0.010, +0.090] *");
    expect(cat[0]).toHaveClass("verdict-better");
    const dog = rows[1]!.querySelectorAll("td");
    expect(dog[2]).toHaveAttribute("data-direction", "worse");
    const macro = rows[2]!.querySelectorAll("td");
    expect(macro[1]!.textContent).toBe("+0.000 [-0.050, +0.050]");
    expect(macro[1]).toHaveAttribute("data-significant", "false");
    // AP: per class and macro; micro has none (a dash), and its header says what AP is.
    expect(cat[3]!.textContent).toBe("-0.100 [-0.150, -0.050] *");
    expect(cat[3]).toHaveAttribute("data-direction", "worse");
    expect(rows[3]!.querySelectorAll("td")[3]!.textContent).toBe("-");
    expect(within(table).getByTitle(/AP at each set's IoU over every prediction/)).toHaveTextContent("Δ AP [low, high]");
  });

  it("shows the resamples, seed, level and frames, and defines significance", () => {
    render(<SignificanceTable significance={significance} />);
    expect(screen.getByTestId("bootstrap-settings")).toHaveTextContent("Paired bootstrap over 1,234 frames: 1,000 resamples, seed 7, 95% percentile intervals");
    expect(screen.getByLabelText("Significance legend")).toHaveTextContent("the 95% interval excludes zero");
    expect(screen.getByLabelText("Significance legend")).toHaveTextContent("2.5th to 97.5th percentiles");
  });
});
