// @vitest-environment jsdom
import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { SegmentSummaryOut, SetScoresOut } from "../api/types";
import { classColor } from "../lib/color";
import { metricDots, SegmentDots } from "./SegmentDots";

const scores = (set: string, p: number, r: number, f: number): SetScoresOut => ({
  inference_set: set, segment_name: "night", segment_type: "scenario", uuid: "u", frame_count: 12, stale: null, succeeds: null,
  precision: { score: p, threshold: 0.8, succeeds: p >= 0.8 },
  recall: { score: r, threshold: null, succeeds: null },
  f1_score: { score: f, threshold: 0.5, succeeds: f >= 0.5 },
  false_positives: { count: 1 }, false_negatives: { count: 2 }, total_confusions: { count: 0 },
  mean_ap: 0.4, coco_ap: 0.3,
} as unknown as SetScoresOut);

const segment = {
  segment: "night", segment_type: "scenario", frame_count: 12, stale: null,
  thresholds: { precision: 0.8, recall: null, f1_score: 0.5 },
  results: [scores("yolo", 0.9, 0.6, 0.72), scores("detr", 0.7, 0.75, 0.724)],
} as unknown as SegmentSummaryOut;

describe("SegmentDots", () => {
  it("takes each set's score and the thresholds from the summary, one color per set in every row", () => {
    const rows = metricDots(segment);
    expect(rows.map((r) => r.key)).toEqual(["precision", "recall", "f1_score"]);
    expect(rows.map((r) => r.threshold)).toEqual([0.8, null, 0.5]);
    expect(rows[1]!.dots).toEqual([
      { set: "yolo", score: 0.6, color: classColor(0) },
      { set: "detr", score: 0.75, color: classColor(1) },
    ]);
  });

  it("draws a dot per set per metric, a line only where a threshold is set, and a legend", () => {
    const { container } = render(<SegmentDots segment={segment} />);
    expect(container.querySelectorAll("circle[data-set]")).toHaveLength(6);
    expect(screen.getByTestId("threshold-precision")).toBeInTheDocument();
    expect(screen.queryByTestId("threshold-recall")).toBeNull();
    expect(screen.getByRole("img", { name: /^Precision: yolo 0.900, detr 0.700; threshold 0.8/ })).toBeInTheDocument();
    const legend = screen.getByLabelText("Legend");
    expect(within(legend).getByText(/yolo/)).toBeInTheDocument();
    expect(within(legend).getByText(/detr/)).toBeInTheDocument();
    expect(within(legend).getByText(/threshold/)).toBeInTheDocument();
    // a higher score sits further right
    const cx = (set: string) => Number(container.querySelector(`circle[data-set="${set}"]`)!.getAttribute("cx"));
    expect(cx("yolo")).toBeGreaterThan(0);
    const precision = screen.getByRole("img", { name: /^Precision/ });
    const px = (set: string) => Number(precision.querySelector(`circle[data-set="${set}"]`)!.getAttribute("cx"));
    expect(px("yolo")).toBeGreaterThan(px("detr"));
  });
});
