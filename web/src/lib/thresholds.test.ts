import { describe, expect, it } from "vitest";
import { effectiveConfidence, gridIndex, iouOf, parseIou, parseUnit, snapToGrid, withOverride } from "./thresholds";

const grid = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95];

describe("thresholds", () => {
  it("snaps to the nearest grid value", () => {
    expect(snapToGrid(0.52, grid)).toBe(0.5);
    expect(snapToGrid(0.9, grid)).toBe(0.8999999999999999);
    expect(snapToGrid(0.1, grid)).toBe(0.5);
    expect(snapToGrid(0.3, [])).toBe(0.3);
    expect(gridIndex(0.74, grid)).toBe(5);
  });
  it("parses unit values", () => {
    expect(parseUnit("0.8")).toEqual({ ok: true, value: 0.8 });
    expect(parseUnit(".8")).toEqual({ ok: true, value: 0.8 });
    expect(parseUnit(" 1 ")).toEqual({ ok: true, value: 1 });
    expect(parseUnit("")).toEqual({ ok: true, value: null });
    expect(parseUnit("", false).ok).toBe(false);
    expect(parseUnit("1.2").ok).toBe(false);
    expect(parseUnit("-0.1").ok).toBe(false);
    expect(parseUnit("abc").ok).toBe(false);
    expect(parseUnit("1e-1").ok).toBe(false);
  });
  it("sends one number without overrides, a full map with them", () => {
    expect(effectiveConfidence(0.3, {}, ["a", "b"])).toBe(0.3);
    expect(effectiveConfidence(0.3, { b: 0.6 }, ["a", "b"])).toEqual({ a: 0.3, b: 0.6 });
    expect(effectiveConfidence(0.3, { gone: 0.6 }, ["a", "b"])).toBe(0.3);
  });
  it("sets and removes overrides without mutating", () => {
    const o = { a: 0.2 };
    expect(withOverride(o, "b", 0.4)).toEqual({ a: 0.2, b: 0.4 });
    expect(withOverride(o, "a", null)).toEqual({});
    expect(o).toEqual({ a: 0.2 });
  });
});

describe("the IoU's whole range", () => {
  it("iouOf rounds float noise and sends a kept grid value as the grid has it", () => {
    const grid = [0.5, 0.55, 0.8999999999999999, 0.95];
    expect(iouOf(0.9000000000000001, grid)).toBe(0.8999999999999999);
    expect(iouOf(0.30000000000000004, grid)).toBe(0.3);
    expect(iouOf(0.05, [])).toBe(0.05);
  });

  it("parseIou takes 0.05..0.95 and refuses the rest", () => {
    expect(parseIou("0.33")).toEqual({ ok: true, value: 0.33 });
    expect(parseIou(".05")).toEqual({ ok: true, value: 0.05 });
    expect(parseIou("0.99")).toEqual({ ok: false, error: "must be between 0.05 and 0.95" });
    expect(parseIou("0.01").ok).toBe(false);
    expect(parseIou("").ok).toBe(false);
  });
});
