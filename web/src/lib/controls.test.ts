import { describe, expect, it } from "vitest";
import type { CompletionsOut } from "../api/types";
import { applyCompletion, completionsOf, formatDelta, otherPointOf, wordAt } from "./controls";

describe("per-model thresholds", () => {
  it("send the second set's own thresholds only when unlinked with two sets (IoU for detection)", () => {
    expect(otherPointOf(["a", "b"], { conf: 0.6, iou: 0.75 }, true)).toEqual({ otherConf: 0.6, otherIou: 0.75 });
    expect(otherPointOf(["a", "b"], { conf: 0.6, iou: 0.75 }, false)).toEqual({ otherConf: 0.6, otherIou: undefined });
    expect(otherPointOf(["a", "b"], null, true)).toEqual({});
    expect(otherPointOf(["a"], { conf: 0.6, iou: 0.75 }, true)).toEqual({});
  });
});

describe("deltas", () => {
  it("read 0 when they round to nothing, signed otherwise", () => {
    expect(formatDelta(0, true)).toBe("0");
    expect(formatDelta(-0.0004, true)).toBe("0");
    expect(formatDelta(0.0005, true)).toBe("+0.001");
    expect(formatDelta(-0.125, true)).toBe("-0.125");
    expect(formatDelta(0, false)).toBe("0");
    expect(formatDelta(3, false)).toBe("+3");
    expect(formatDelta(-2, false)).toBe("-2");
    expect(formatDelta(Number.NaN, true)).toBe("-");
  });
});

describe("query completion", () => {
  it("finds the word at the caret", () => {
    expect(wordAt("width > 3 and num_sh", 20)).toEqual({ word: "num_sh", start: 14 });
    expect(wordAt("width > ", 8)).toEqual({ word: "", start: 8 });
    expect(wordAt("meta.cam", 8)).toEqual({ word: "meta.cam", start: 0 });
    expect(wordAt("has(cir", 7)).toEqual({ word: "cir", start: 4 });
  });

  it("replaces the word by the completion: columns and keywords spaced, functions opened, classes quoted", () => {
    const answer: CompletionsOut = { fields: [{ name: "num_shapes", type: "int" }], functions: ["has"], classes: ["big 'truck'"], keywords: ["not"], truncated: false };
    expect(completionsOf(answer)).toEqual([
      { insert: "num_shapes", kind: "int" },
      { insert: "has(", kind: "function" },
      { insert: "has('big \\'truck\\'')", kind: "class" },
      { insert: "not", kind: "keyword" },
    ]);
    const withLabels: CompletionsOut = { ...answer, label_fields: [{ name: "class_name", type: "string" }, { name: "relative_area", type: "float" }] };
    expect(completionsOf(withLabels)[1]).toEqual({ insert: "relative_area", kind: "label float" });
    expect(completionsOf(withLabels)).toHaveLength(5);
    expect(applyCompletion("x > 1 and num_sh", 10, 6, "num_shapes")).toEqual({ text: "x > 1 and num_shapes ", caret: 21 });
    expect(applyCompletion("ha > 1", 0, 2, "has(")).toEqual({ text: "has( > 1", caret: 4 });
  });
});
