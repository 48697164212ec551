import { describe, expect, it } from "vitest";
import type { FrameObject } from "../api/types";
import { classificationClasses, metricSortOf, metricSorts, outcomeText, pageCount, sortFor, sortsFor } from "./examples";

const obj = (o: Partial<FrameObject>): FrameObject => ({
  kind: "prediction", id: 1, frame_id: "f", label: "cat", confidence: 0.5, outcome: "TP", reason: "",
  partner_id: -1, partner_label: "", iou: 0, area: 1, box: [0, 0, 1, 1], ...o,
});

describe("examples", () => {
  it("counts pages", () => {
    expect(pageCount(0, 10)).toBe(1);
    expect(pageCount(21, 10)).toBe(3);
  });
  it("describes outcomes", () => {
    expect(outcomeText(obj({}))).toBe("TP");
    expect(outcomeText(obj({ outcome: "FP", reason: "class_confusion", partner_label: "dog" }))).toBe("FP · class confusion (truth dog)");
  });
});

describe("classification examples", () => {
  it("have no IoU or box-size sorts; such a sort reads as the default", () => {
    expect(sortsFor("classification").map((s) => s.value)).toEqual(["confidence-disagreement", "confidence-agreement"]);
    expect(sortsFor("detection").map((s) => s.value)).toContain("iou");
    expect(sortFor("classification", "area")).toBe("confidence-disagreement");
    expect(sortFor("classification", "confidence-agreement")).toBe("confidence-agreement");
    expect(sortFor("detection", "iou")).toBe("iou");
  });

  it("name their true and predicted class from either side", () => {
    expect(classificationClasses(obj({ kind: "ground_truth", label: "2", partner_label: "1" }))).toEqual({ truth: "2", predicted: "1" });
    expect(classificationClasses(obj({ kind: "prediction", label: "1", partner_label: "2" }))).toEqual({ truth: "2", predicted: "1" });
    expect(classificationClasses(obj({ kind: "ground_truth", label: "2", partner_label: "" }))).toEqual({ truth: "2", predicted: null });
  });
});

describe("metric sorts", () => {
  const metrics = [
    { name: "brightness", level: "frame", type: "float", inference_set: null },
    { name: "relative_area", level: "label", type: "float", inference_set: null },
    { name: "aspect_ratio", level: "frame", type: "float", inference_set: null },
    { name: "aspect_ratio", level: "label", type: "float", inference_set: null },
    { name: "vendor", level: "frame", type: "string", inference_set: null },
    { name: "hard", level: "prediction", type: "bool", inference_set: "a" },
    { name: "uncertainty", level: "prediction", type: "float", inference_set: "b" },
  ];
  it("offer each numeric metric once, both ways, with the set's own prediction metrics", () => {
    expect(metricSorts(metrics, "a").map((s) => s.value)).toEqual([
      "metric:aspect_ratio:asc", "metric:aspect_ratio:desc", "metric:brightness:asc", "metric:brightness:desc",
      "metric:hard:asc", "metric:hard:desc", "metric:relative_area:asc", "metric:relative_area:desc",
    ]);
    expect(metricSorts(metrics, "b").map((s) => s.value)).toContain("metric:uncertainty:desc");
    expect(metricSorts(metrics, "a")[0]!.title).toBe("aspect_ratio, lowest first");
  });
  it("read back from their value and survive the task check", () => {
    expect(metricSortOf("metric:brightness:desc")).toEqual({ name: "brightness", order: "desc" });
    expect(metricSortOf("metric:metric.brightness:asc")).toEqual({ name: "metric.brightness", order: "asc" });
    expect(metricSortOf("iou")).toBeNull();
    expect(metricSortOf("metric:bad name:asc")).toBeNull();
    expect(sortFor("classification", "metric:brightness:asc")).toBe("metric:brightness:asc");
  });
});
