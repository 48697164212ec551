// @vitest-environment jsdom
import { fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { FrameExample } from "../api/types";
import fixture from "../fixtures/shapes_frames.json";
import { AnnotatedImage } from "./AnnotatedImage";
import { ExampleGrid } from "./ExampleGrid";
import { FrameView } from "./FrameView";

const frames = fixture.frames as FrameExample[];
const frame = frames[0]!;
// The demo frames' objects, lowest IoU first (as the examples endpoint answers sort=iou&order=asc).
const examples = frames
  .flatMap((f) => f.objects.map((object) => ({ frame: f, object })))
  .sort((a, b) => a.object.iou - b.object.iou);

function grid(overrides: Partial<Parameters<typeof ExampleGrid>[0]> = {}) {
  const props = {
    examples: examples.slice(0, 4), sort: "iou" as const, onSortChange: vi.fn(), page: 0, pageSize: 4,
    total: examples.length, onPageChange: vi.fn(), onOpen: vi.fn(), ...overrides,
  };
  render(<ExampleGrid {...props} />);
  return props;
}

describe("AnnotatedImage", () => {
  it("overlays boxes in the image's natural pixels", () => {
    const { container } = render(<AnnotatedImage frame={frame} width={160} />);
    const svg = container.querySelector("svg")!;
    expect(svg.getAttribute("viewBox")).toBe("0 0 320 240");
    const rects = container.querySelectorAll("rect");
    expect(rects).toHaveLength(frame.objects.length);
    const o = frame.objects[0]!;
    const r = container.querySelector(`rect[data-kind="${o.kind}"][data-id="${o.id}"]`)!;
    expect(r.getAttribute("x")).toBe(String(o.box[0]));
    expect(r.getAttribute("width")).toBe(String(o.box[2]));
    expect(container.querySelector("img")).toHaveAttribute("src", frame.image_url);
  });
  it("adopts the image's natural size when it loads", () => {
    const { container } = render(<AnnotatedImage frame={frame} />);
    const img = container.querySelector("img")!;
    Object.defineProperty(img, "naturalWidth", { value: 640 });
    Object.defineProperty(img, "naturalHeight", { value: 480 });
    fireEvent.load(img);
    expect(container.querySelector("svg")!.getAttribute("viewBox")).toBe("0 0 640 480");
  });
  it("dashes predictions and emphasizes chosen objects", () => {
    const pred = frame.objects.find((o) => o.kind === "prediction")!;
    const { container } = render(<AnnotatedImage frame={frame} emphasize={[{ kind: "prediction", id: pred.id }]} />);
    const r = container.querySelector(`rect[data-kind="prediction"][data-id="${pred.id}"]`)!;
    expect(r).toHaveAttribute("stroke-dasharray");
    expect(r).toHaveAttribute("data-emphasized", "true");
    expect(container.querySelector('rect[data-kind="ground_truth"]')).not.toHaveAttribute("stroke-dasharray");
  });
});

describe("ExampleGrid", () => {
  it("shows each example's outcome, reason, confidence and IoU", () => {
    grid();
    const items = screen.getAllByRole("listitem");
    expect(items).toHaveLength(4);
    const o = examples[0]!.object;
    expect(items[0]).toHaveTextContent(o.label);
    expect(items[0]).toHaveTextContent(o.outcome);
    expect(items[0]).toHaveTextContent(/conf (\d\.\d\d|-) · IoU \d\.\d\d/);
  });
  it("changes the sort", async () => {
    const user = userEvent.setup();
    const p = grid();
    await user.selectOptions(screen.getByRole("combobox", { name: "Sort by" }), "confidence-disagreement");
    expect(p.onSortChange).toHaveBeenCalledWith("confidence-disagreement");
    const options = within(screen.getByRole("combobox", { name: "Sort by" })).getAllByRole("option").map((o) => o.textContent);
    expect(options).toEqual(["High-confidence disagreements", "Low-confidence agreements", "IoU", "Box size"]);
  });
  it("offers the dataset's metrics after the built-in sorts", async () => {
    const props = grid({ metricSorts: [
      { value: "metric:brightness:asc", title: "brightness, lowest first" },
      { value: "metric:brightness:desc", title: "brightness, highest first" },
    ] });
    const select = screen.getByRole("combobox");
    const group = within(select).getByRole("group", { name: "Metrics" });
    expect(within(group).getAllByRole("option").map((o) => o.textContent)).toEqual(["brightness, lowest first", "brightness, highest first"]);
    await userEvent.selectOptions(select, "metric:brightness:desc");
    expect(props.onSortChange).toHaveBeenCalledWith("metric:brightness:desc");
  });
  it("pages", async () => {
    const user = userEvent.setup();
    const p = grid();
    expect(screen.getByRole("button", { name: "Previous" })).toBeDisabled();
    expect(screen.getByText(new RegExp(`1–4 of ${examples.length}`))).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(p.onPageChange).toHaveBeenCalledWith(1);
  });
  it("disables Next on the last page and says when empty", () => {
    grid({ examples: [], total: 0 });
    expect(screen.getByRole("button", { name: "Next" })).toBeDisabled();
    expect(screen.getByText(/No examples/)).toBeInTheDocument();
  });
  it("opens an example", async () => {
    const user = userEvent.setup();
    const p = grid();
    await user.click(screen.getAllByRole("button", { name: /^Open frame/ })[1]!);
    expect(p.onOpen).toHaveBeenCalledWith(examples[1]);
  });
});

describe("FrameView", () => {
  it("toggles ground truth and predictions", async () => {
    const user = userEvent.setup();
    const { container } = render(<FrameView frame={frame} />);
    const nGt = frame.objects.filter((o) => o.kind === "ground_truth").length;
    const nPred = frame.objects.length - nGt;
    const gt = screen.getByRole("button", { name: "Ground truth" });
    expect(gt).toHaveAttribute("aria-pressed", "true");
    await user.click(gt);
    expect(gt).toHaveAttribute("aria-pressed", "false");
    expect(container.querySelectorAll("rect")).toHaveLength(nPred);
    expect(screen.getAllByRole("row")).toHaveLength(nPred + 1);
    await user.click(screen.getByRole("button", { name: "Predictions" }));
    expect(container.querySelectorAll("rect")).toHaveLength(0);
    await user.click(gt);
    expect(container.querySelectorAll("rect")).toHaveLength(nGt);
  });
  it("lists objects with outcome, reason, confidence, IoU and box", () => {
    render(<FrameView frame={frame} />);
    const o = frame.objects[0]!;
    const row = screen.getAllByRole("row")[1]!;
    expect(row).toHaveTextContent(o.outcome);
    expect(row).toHaveTextContent(o.box.map((v) => Math.round(v)).join(", "));
  });
  it("closes", async () => {
    const user = userEvent.setup();
    const onClose = vi.fn();
    render(<FrameView frame={frame} onClose={onClose} />);
    await user.click(screen.getByRole("button", { name: "Close" }));
    expect(onClose).toHaveBeenCalled();
  });
});
