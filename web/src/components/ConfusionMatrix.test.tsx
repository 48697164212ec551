// @vitest-environment jsdom
import { fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ComparisonCellDict, ConfusionMatrixDict } from "../api/types";
import { BACKGROUND } from "../api/types";
import compare from "../fixtures/shapes_compare.json";
import shapes from "../fixtures/shapes_matrix.json";
import { shareColor } from "../lib/color";
import { ConfusionMatrix, MATRIX_TABLE_PAGE_SIZE, NOT_APPLICABLE_REASON, type MatrixComparison } from "./ConfusionMatrix";

const m: ConfusionMatrixDict = {
  labels: ["cat", "dog", "background"],
  matrix: [
    [12, 3, 25],
    [2, 30, 8],
    [5, 1, 0],
  ],
  conf: 0.5,
  iou: 0.5,
};

const cell = (truth: string, predicted: string) =>
  screen.getByRole("button", { name: new RegExp(`^truth ${truth}, predicted ${predicted}:`) });

/** A cell's hover text: what its accessible name says after "truth T, predicted P: " (the hover card's share line). */
const hoverText = (el: HTMLElement) => (el.getAttribute("aria-label") ?? "").replace(/^truth .*?, predicted .*?: /, "");

describe("ConfusionMatrix", () => {
  it("is a table with truth rows and prediction columns, background last", () => {
    render(<ConfusionMatrix matrix={m} />);
    const table = screen.getByRole("table");
    const headers = within(table).getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers).toEqual(["truth \\ predicted", "cat", "dog", "background"]);
    expect(within(table).getAllByRole("rowheader").map((h) => h.textContent)).toEqual(["cat", "dog", "background"]);
    expect(cell("cat", "background")).toHaveTextContent("25");
  });

  it("hover shows the count of its row's total by default, and column / value on toggle", async () => {
    const user = userEvent.setup();
    render(<ConfusionMatrix matrix={m} />);
    expect(hoverText(cell("cat", "cat"))).toBe("12 of 40 (30.0%)");
    await user.click(screen.getByRole("button", { name: "Column" }));
    expect(screen.getByRole("button", { name: "Column" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByRole("button", { name: "Row" })).toHaveAttribute("aria-pressed", "false");
    expect(hoverText(cell("cat", "cat"))).toBe("12 of 19 (63.2%)");
    await user.click(screen.getByRole("button", { name: "Value" }));
    expect(hoverText(cell("cat", "cat"))).toBe("12 of 86 (14.0%)");
  });

  it("Percentage shows shares in the cells", async () => {
    const user = userEvent.setup();
    render(<ConfusionMatrix matrix={m} />);
    await user.click(screen.getByRole("button", { name: "Percentage" }));
    expect(cell("cat", "cat")).toHaveTextContent("30.0%");
    expect(screen.getByRole("button", { name: "Absolute" })).toHaveAttribute("aria-pressed", "false");
  });

  it("colors cells darker for larger shares", () => {
    render(<ConfusionMatrix matrix={m} />);
    expect(cell("cat", "dog").style.background).not.toBe(cell("dog", "dog").style.background);
    expect(cell("dog", "dog").style.background).not.toBe("rgb(255, 255, 255)");
  });

  it("draws background x background as not applicable, hatched, saying why, and never selects it", async () => {
    const user = userEvent.setup();
    const onSelectCell = vi.fn();
    const { container } = render(<ConfusionMatrix matrix={m} onSelectCell={onSelectCell} />);
    const corner = cell("background", "background");
    expect(corner).toHaveTextContent(/^$/); // no 0: nothing is counted there
    expect(corner).toHaveAttribute("aria-disabled", "true");
    expect(corner).not.toHaveAttribute("aria-pressed");
    expect(hoverText(corner)).toBe(NOT_APPLICABLE_REASON);
    expect(corner.style.background).toBe(""); // the hatch is the stylesheet's, not a share's color
    expect(corner.closest("td")).toHaveClass("not-applicable");
    expect(container.querySelectorAll("td.not-applicable")).toHaveLength(1);
    await user.hover(corner);
    const card = screen.getByTestId("matrix-hover-card");
    expect(within(card).getByTestId("not-applicable-reason")).toHaveTextContent(NOT_APPLICABLE_REASON);
    expect(card).not.toHaveTextContent(/of \d+/); // no share of a denominator
    await user.click(corner);
    expect(onSelectCell).not.toHaveBeenCalled();
    // The legend names the hatch the same way, in both scales.
    const legend = screen.getByLabelText("Color scale");
    expect(within(legend).getByText(/not applicable \(background × background/)).toHaveAttribute("title", NOT_APPLICABLE_REASON);
    // Other background cells are ordinary counts.
    expect(cell("background", "cat")).toHaveTextContent("5");
    expect(cell("cat", "background")).not.toHaveAttribute("aria-disabled");
  });

  it("has no not-applicable cell without a background", () => {
    const { container } = render(<ConfusionMatrix matrix={{ ...m, labels: ["cat", "dog", "bird"] }} />);
    expect(container.querySelector("td.not-applicable")).toBeNull();
    expect(screen.queryByText(/not applicable/)).toBeNull();
    expect(cell("bird", "bird")).toHaveTextContent("0");
  });

  it("FN highlights every row's misses and confusions, FP every column's, with their sum", async () => {
    const user = userEvent.setup();
    const onHighlight = vi.fn();
    const { container } = render(<ConfusionMatrix matrix={m} onHighlight={onHighlight} />);
    const lit = () => Array.from(container.querySelectorAll("td[data-highlighted] button")).map((b) => b.getAttribute("data-cell"));
    await user.click(screen.getByRole("button", { name: "FN" }));
    expect(lit()).toEqual(["0,1", "0,2", "1,0", "1,2"]);
    expect(onHighlight).toHaveBeenLastCalledWith([["cat", "dog"], ["cat", "background"], ["dog", "cat"], ["dog", "background"]], { kind: "fn" });
    expect(screen.getByTestId("highlight-count")).toHaveTextContent("38");
    await user.click(screen.getByRole("button", { name: "FP" }));
    expect(lit()).toEqual(["0,1", "1,0", "2,0", "2,1"]);
    expect(screen.getByTestId("highlight-count")).toHaveTextContent("11");
    expect(screen.getByRole("button", { name: "FN" })).toHaveAttribute("aria-pressed", "false");
    await user.click(screen.getByRole("button", { name: "FP" }));
    expect(lit()).toEqual([]);
    expect(screen.queryByTestId("highlight-count")).toBeNull();
  });

  it("Confused As X highlights column X's confusions, Confused From X row X's, and says so", async () => {
    const user = userEvent.setup();
    const { container } = render(<ConfusionMatrix matrix={m} />);
    const lit = () => Array.from(container.querySelectorAll("td[data-highlighted] button")).map((b) => b.getAttribute("data-cell"));
    await user.selectOptions(screen.getByRole("combobox", { name: "Confused As class" }), "dog");
    await user.click(screen.getByRole("button", { name: "Confused As" }));
    expect(lit()).toEqual(["0,1"]);
    expect(screen.getByText(/predictions of dog whose ground truth is another class/)).toBeInTheDocument();
    await user.selectOptions(screen.getByRole("combobox", { name: "Confused As class" }), "cat");
    expect(lit()).toEqual(["1,0"]);
    expect(screen.getByTestId("highlight-count")).toHaveTextContent("2");
    await user.click(screen.getByRole("button", { name: "Confused From" }));
    expect(lit()).toEqual(["0,1"]);
    expect(screen.getByTestId("highlight-count")).toHaveTextContent("3");
  });

  it("documents all four buttons under them", () => {
    render(<ConfusionMatrix matrix={m} />);
    const details = screen.getByText("What each button outlines").closest("details")!;
    const items = within(details).getAllByRole("listitem").map((li) => li.textContent);
    expect(items).toHaveLength(4);
    expect(items[0]).toMatch(/^False negatives: every ground truth not found as its own class/);
    expect(items[3]).toMatch(/^Confused From X: ground truth of X predicted as another class/);
  });

  it("a controlled highlight (from a link) presses its button and shows its class", () => {
    const { container } = render(<ConfusionMatrix matrix={m} highlight={{ kind: "confusedFrom", label: "dog" }} />);
    expect(screen.getByRole("button", { name: "Confused From" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByRole("combobox", { name: "Confused From class" })).toHaveValue("dog");
    expect(Array.from(container.querySelectorAll("td[data-highlighted] button")).map((b) => b.getAttribute("data-cell"))).toEqual(["1,0"]);
  });

  it("hovering a cell shows a card naming truth, prediction, count, share and denominator", async () => {
    const user = userEvent.setup();
    render(<ConfusionMatrix matrix={m} />);
    await user.hover(cell("cat", "background"));
    const card = screen.getByTestId("matrix-hover-card");
    expect(card).toHaveTextContent("Ground truthcat");
    expect(card).toHaveTextContent("Predictednone (ground truth no prediction found)");
    expect(card).toHaveTextContent("Count25");
    expect(card).toHaveTextContent("Share25 of 40 (62.5%)");
    expect(card).toHaveTextContent("Denominator40: its row's total");
    expect(cell("cat", "background")).not.toHaveAttribute("title");
    await user.unhover(cell("cat", "background"));
    expect(screen.queryByTestId("matrix-hover-card")).toBeNull();
  });

  it("the color scale runs to the largest cell shown, and the legend says its share", async () => {
    const user = userEvent.setup();
    render(<ConfusionMatrix matrix={m} />);
    // Value: the largest cell is dog/dog, 30 of 86.
    await user.click(screen.getByRole("button", { name: "Value" }));
    expect(screen.getByTestId("scale-max")).toHaveTextContent("34.9%");
    expect(cell("dog", "dog").style.background).toBe("rgb(8, 69, 148)");
  });

  it("clicking a cell selects it; arrow keys move focus; Enter selects", async () => {
    const user = userEvent.setup();
    const onSelectCell = vi.fn();
    render(<ConfusionMatrix matrix={m} onSelectCell={onSelectCell} selectedCell={["dog", "cat"]} />);
    await user.click(cell("cat", "dog"));
    expect(onSelectCell).toHaveBeenCalledWith("cat", "dog");
    expect(cell("dog", "cat")).toHaveAttribute("aria-pressed", "true");
    expect(cell("cat", "dog")).toHaveAttribute("tabindex", "0");
    await user.keyboard("{ArrowDown}{ArrowRight}");
    expect(cell("dog", "background")).toHaveFocus();
    await user.keyboard("{Enter}");
    expect(onSelectCell).toHaveBeenLastCalledWith("dog", "background");
    expect(cell("cat", "dog")).toHaveAttribute("tabindex", "-1");
  });

  it("a class filter (from the report) dims cells not involving it", () => {
    const { container } = render(<ConfusionMatrix matrix={m} filterLabel="dog" />);
    const dimmed = Array.from(container.querySelectorAll("td.dimmed button")).map((b) => b.getAttribute("data-cell"));
    expect(dimmed).toEqual(["0,0", "0,2", "2,0", "2,2"]);
  });

  it("renders the real demo matrix", () => {
    render(<ConfusionMatrix matrix={shapes as ConfusionMatrixDict} />);
    expect(screen.getAllByRole("rowheader")).toHaveLength(shapes.labels.length);
  });
});

/**
 * A comparison as `/compare` answers it, over literal counts: `improved` and `text` stand for
 * whatever the server says (the component shows them as they are, never works them out).
 */
function serverComparison(
  labels: string[],
  base: number[][],
  other: number[][],
  said: (truth: string, predicted: string) => { improved: boolean | null; text: string } = () => ({ improved: null, text: "" }),
): MatrixComparison {
  const cells = labels.flatMap((truth, i) =>
    labels.map((predicted, j) => ({
      truth, predicted, base: base[i]![j]!, other: other[i]![j]!, delta: other[i]![j]! - base[i]![j]!,
      ...said(truth, predicted),
    })),
  );
  return { labels, cells };
}

describe("ConfusionMatrix delta mode", () => {
  const better = new Set(["straight/straight", "background/straight"]);
  const worse = new Set(["straight/delta", "delta/delta"]);
  const comparison = serverComparison(
    ["straight", "delta", "background"],
    [[2, 2, 1], [0, 5, 0], [3, 0, 0]],
    [[12, 12, 1], [0, 4, 0], [1, 0, 0]],
    (t, p) => ({
      improved: better.has(`${t}/${p}`) ? true : worse.has(`${t}/${p}`) ? false : null,
      text: t === "straight" && p === "delta" ? "delta - straight +10 (2 -> 12)" : `the server's words for ${t}/${p}`,
    }),
  );
  it("shows signed deltas with the server's hover text", () => {
    render(<ConfusionMatrix comparison={comparison} />);
    expect(cell("straight", "straight")).toHaveTextContent("+10");
    expect(cell("straight", "delta")).toHaveTextContent("+10");
    expect(hoverText(cell("straight", "delta"))).toBe("delta - straight +10 (2 -> 12)");
    expect(hoverText(cell("straight", "straight"))).toBe("the server's words for straight/straight");
    expect(screen.queryByRole("button", { name: "Percentage" })).toBeNull();
  });
  it("colors what the server calls better blue and worse red", () => {
    render(<ConfusionMatrix comparison={comparison} />);
    const rgbOf = (el: HTMLElement) => el.style.background.match(/\d+/g)!.map(Number);
    const [r1, , b1] = rgbOf(cell("straight", "straight"));
    expect(b1!).toBeGreaterThan(r1!); // better: blue
    const [r2, , b2] = rgbOf(cell("straight", "delta"));
    expect(r2!).toBeGreaterThan(b2!); // worse: red
    const [r3, , b3] = rgbOf(cell("delta", "delta"));
    expect(r3!).toBeGreaterThan(b3!); // fewer true positives: red
    const [r4, , b4] = rgbOf(cell("background", "straight"));
    expect(b4!).toBeGreaterThan(r4!); // fewer false positives: blue
    expect(cell("straight", "background").style.background).toBe("rgb(255, 255, 255)");
  });
  it("shows every cell of the demo comparison as Python answered it", () => {
    const answer = compare as unknown as { confusion_matrix: { labels: string[] }; cells: ComparisonCellDict[] };
    render(<ConfusionMatrix comparison={{ labels: answer.confusion_matrix.labels, cells: answer.cells }} />);
    for (const c of answer.cells) {
      if (c.truth === BACKGROUND && c.predicted === BACKGROUND) {
        expect(cell(c.truth, c.predicted)).toHaveAttribute("aria-disabled", "true");
        expect(hoverText(cell(c.truth, c.predicted))).toBe(NOT_APPLICABLE_REASON);
        continue;
      }
      expect(hoverText(cell(c.truth, c.predicted))).toBe(c.text);
      expect(cell(c.truth, c.predicted)).toHaveTextContent(c.delta > 0 ? `+${c.delta}` : String(c.delta));
      const [r, , b] = cell(c.truth, c.predicted).style.background.match(/\d+/g)!.map(Number);
      if (c.improved === null) expect(cell(c.truth, c.predicted).style.background).toBe("rgb(255, 255, 255)");
      else expect(c.improved ? b! > r! : r! > b!).toBe(true);
    }
  });
  it("refuses cells that are not the labels' grid", () => {
    const { labels, cells } = comparison;
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect(() => render(<ConfusionMatrix comparison={{ labels, cells: cells.slice(1) }} />)).toThrow(/needs 9 cells, not 8/);
    const swapped = [cells[1]!, cells[0]!, ...cells.slice(2)];
    expect(() => render(<ConfusionMatrix comparison={{ labels, cells: swapped }} />)).toThrow(/cell 0 is \(straight, delta\)/);
    vi.restoreAllMocks();
  });
});

describe("ConfusionMatrix with many classes", () => {
  const n = 30;
  const labels = [...Array.from({ length: n }, (_, i) => `c${i}`), "background"];
  const matrix = labels.map((_, i) => labels.map((__, j) => (i === n && j === n ? 0 : i === j ? 10 : (i + j) % 7 === 0 ? 1 : 0)));
  const big: ConfusionMatrixDict = { labels, matrix, conf: 0.5 };

  it("becomes a table filterable by class", async () => {
    const user = userEvent.setup();
    const onSelectCell = vi.fn();
    render(<ConfusionMatrix matrix={big} onSelectCell={onSelectCell} />);
    expect(screen.queryByRole("button", { name: /^truth c0, predicted/ })).toBeNull();
    await user.selectOptions(screen.getByRole("combobox", { name: "Class" }), "c3");
    const rows = screen.getAllByRole("row").slice(1);
    for (const row of rows) {
      const [truth, predicted] = [within(row).getByRole("rowheader").textContent, row.querySelector("td")!.textContent];
      expect(truth === "c3" || predicted === "c3").toBe(true);
    }
    expect(rows[0]).toHaveTextContent("c3c310");
    await user.click(within(rows[0]!).getByRole("button", { name: "c3" }));
    expect(onSelectCell).toHaveBeenCalledWith("c3", "c3");
  });

  it("lists the cells involving the class, largest count first, then matrix order", () => {
    render(<ConfusionMatrix matrix={m} maxGridClasses={1} filterLabel="dog" />);
    const table = screen.getByRole("table", { name: "Confusion matrix as a table" });
    expect(within(table).getByRole("columnheader", { name: "Count" })).toHaveAttribute("aria-sort", "descending");
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => Array.from(r.children).slice(0, 3).map((c) => c.textContent))).toEqual([
      ["dog", "dog", "30"],
      ["dog", "background", "8"],
      ["cat", "dog", "3"],
      ["dog", "cat", "2"],
      ["background", "dog", "1"],
    ]);
    expect(rows[0]!.children[3]).toHaveTextContent("30 of 40 (75.0%)");
  });

  it("a selected row is marked; Enter on a row selects its cell", async () => {
    const user = userEvent.setup();
    const onSelectCell = vi.fn();
    render(<ConfusionMatrix matrix={big} onSelectCell={onSelectCell} selectedCell={["c2", "c2"]} filterLabel="c2" />);
    const selected = screen.getAllByRole("button", { name: "c2", pressed: true });
    expect(selected).toHaveLength(1);
    expect(selected[0]!.closest("tr")).toHaveClass("selected");
    expect(selected[0]!.closest("tr")).toHaveTextContent("c2c210");
    const other = screen.getAllByRole("button", { pressed: false }).find((b) => b.closest("tr")?.querySelector("td")?.textContent === "c5")!;
    other.focus();
    await user.keyboard("{Enter}");
    expect(onSelectCell).toHaveBeenLastCalledWith("c2", "c5");
  });

  it("pages long tables, biggest cells first, and a filter starts again on page 1", async () => {
    const user = userEvent.setup();
    // 60 classes, every cell non-empty: 3,721 rows, counts unique and descending in row-major order.
    const many = Array.from({ length: 60 }, (_, k) => `k${k}`);
    const all = [...many, BACKGROUND];
    const counts = all.map((_, i) => all.map((__, j) => 4000 - (i * all.length + j)));
    render(<ConfusionMatrix matrix={{ labels: all, matrix: counts, conf: 0.5 }} />);
    const table = screen.getByRole("table", { name: "Confusion matrix as a table" });
    const pager = screen.getByRole("navigation", { name: "Cell pages" });
    expect(pager).toHaveTextContent(`cells 1–${MATRIX_TABLE_PAGE_SIZE} of 3721`);
    const counted = () => within(table).getAllByRole("row").slice(1).map((r) => Number(r.children[2]!.textContent));
    expect(counted()).toEqual(Array.from({ length: MATRIX_TABLE_PAGE_SIZE }, (_, k) => 4000 - k));
    await user.click(within(pager).getByRole("button", { name: "Next" }));
    expect(pager).toHaveTextContent(`cells ${MATRIX_TABLE_PAGE_SIZE + 1}–${2 * MATRIX_TABLE_PAGE_SIZE} of 3721`);
    expect(counted()[0]).toBe(4000 - MATRIX_TABLE_PAGE_SIZE);
    await user.selectOptions(screen.getByRole("combobox", { name: "Class" }), "k1");
    // k1's row (61 cells) and column (60 more): three pages, starting on the first.
    expect(screen.getByRole("navigation", { name: "Cell pages" })).toHaveTextContent(`cells 1–${MATRIX_TABLE_PAGE_SIZE} of 121`);
    expect(counted()[0]).toBe(4000 - 1); // row 0, column k1
  });

  it("says so when no cell matches", async () => {
    const user = userEvent.setup();
    render(<ConfusionMatrix matrix={big} filterLabel="c1" />);
    // c0's confusions are with c7, c14, c21 and c28: none involves c1.
    await user.click(screen.getByRole("button", { name: "Confused As" }));
    expect(screen.getByRole("cell", { name: "No cells match." })).toBeInTheDocument();
  });

  it("takes the filter from the parent when controlled (a report row selection)", () => {
    const onFilter = vi.fn();
    render(<ConfusionMatrix matrix={big} filterLabel="c5" onFilterLabelChange={onFilter} />);
    expect(screen.getByRole("combobox", { name: "Class" })).toHaveValue("c5");
    fireEvent.change(screen.getByRole("combobox", { name: "Class" }), { target: { value: "" } });
    expect(onFilter).toHaveBeenCalledWith(null);
  });

  it("FN in the table keeps only rows of ground truth not found as its class", async () => {
    const user = userEvent.setup();
    const withMisses = { ...big, matrix: big.matrix.map((row, i) => row.map((v, j) => (j === n && i < 3 ? 4 : v))) };
    render(<ConfusionMatrix matrix={withMisses} />);
    await user.click(screen.getByRole("button", { name: "FN" }));
    const rows = screen.getAllByRole("row").slice(1);
    const expected = withMisses.matrix.flatMap((row, i) => row.filter((v, j) => i < n && j !== i && v > 0)).length;
    expect(rows).toHaveLength(Math.min(expected, MATRIX_TABLE_PAGE_SIZE));
    expect(rows.length).toBeGreaterThanOrEqual(3);
    rows.forEach((r) => {
      const [truth, predicted] = [r.querySelector("th")!.textContent, r.querySelector("td")!.textContent];
      expect(truth).not.toBe("background");
      expect(predicted).not.toBe(truth);
    });
  });

  it("delta mode in table form lists changed cells, largest change first", () => {
    const other = matrix.map((row, i) => row.map((v, j) => (i === 1 && j === 2 ? v + 5 : v)));
    render(<ConfusionMatrix comparison={serverComparison(labels, matrix, other)} />);
    const first = screen.getAllByRole("row")[1]!;
    expect(first).toHaveTextContent("c1c205+5");
    expect(screen.getByRole("columnheader", { name: "Delta" })).toHaveAttribute("aria-sort", "descending");
  });

  it("delta mode in table form ranks a larger decrease above a smaller increase", () => {
    const other = matrix.map((row, i) => row.map((v, j) => (i === 1 && j === 2 ? v + 2 : i === 4 && j === 4 ? v - 7 : v)));
    render(<ConfusionMatrix comparison={serverComparison(labels, matrix, other)} />);
    const [first, second] = screen.getAllByRole("row").slice(1);
    expect(first).toHaveTextContent("c4c4103-7");
    expect(second).toHaveTextContent("c1c202+2");
  });
});

describe("ConfusionMatrix in dark mode", () => {
  it("draws low shares dark and the largest bright, with a legend of the same scale", () => {
    document.documentElement.setAttribute("data-mantine-color-scheme", "dark");
    try {
      // cat x dog empty: the background corner is not applicable, so another cell shows the scale's 0.
      const { container } = render(<ConfusionMatrix matrix={{ ...m, matrix: [[12, 0, 25], [2, 30, 8], [5, 1, 0]] }} />);
      const legend = screen.getByLabelText("Color scale");
      expect(legend).toHaveTextContent("brightest at the largest cell shown");
      const swatch = legend.querySelector(".swatch-scale") as HTMLElement;
      expect(swatch.style.background).toContain(shareColor(0, "dark"));
      expect(swatch.style.background).toContain(shareColor(1, "dark"));
      const backgrounds = [...container.querySelectorAll<HTMLElement>("[style]")].map((td) => td.style.background);
      expect(backgrounds).toContain(shareColor(0, "dark"));
      expect(backgrounds).not.toContain(shareColor(0, "light"));
    } finally {
      document.documentElement.removeAttribute("data-mantine-color-scheme");
    }
  });
});
