import { describe, expect, it } from "vitest";
import { classColor, deltaColor, luminance, parseColor, shareColor, textColorOn } from "./color";

describe("color", () => {
  it("share scale runs from white to dark, monotonically", () => {
    expect(shareColor(0)).toBe("rgb(255, 255, 255)");
    expect(shareColor(1)).toBe("rgb(8, 69, 148)");
    const l = [0, 0.25, 0.5, 0.75, 1].map((s) => luminance(shareColor(s)));
    for (let k = 1; k < l.length; k++) expect(l[k]!).toBeLessThan(l[k - 1]!);
  });
  it("dark scheme: the scale runs from the dark panel gray to a saturated light blue, brighter with the share", () => {
    expect(shareColor(0, "dark")).toBe("rgb(37, 38, 43)");
    expect(shareColor(1, "dark")).toBe("rgb(77, 171, 247)");
    const l = [0, 0.25, 0.5, 0.75, 1].map((s) => luminance(shareColor(s, "dark")));
    for (let k = 1; k < l.length; k++) expect(l[k]!).toBeGreaterThan(l[k - 1]!);
    expect(textColorOn(shareColor(0, "dark"))).toBe("#fff");
    expect(textColorOn(shareColor(1, "dark"))).toBe("#000");
    // Unchanged deltas are the dark "nothing"; a larger change stands out more.
    expect(deltaColor(0, null, 5, "dark")).toBe(shareColor(0, "dark"));
    expect(luminance(deltaColor(10, true, 10, "dark"))).toBeGreaterThan(luminance(deltaColor(1, true, 10, "dark")));
  });
  it("clamps out-of-range and NaN shares", () => {
    expect(shareColor(2)).toBe(shareColor(1));
    expect(shareColor(-1)).toBe(shareColor(0));
    expect(shareColor(NaN)).toBe(shareColor(0));
  });
  it("picks readable text", () => {
    expect(textColorOn(shareColor(0))).toBe("#000");
    expect(textColorOn(shareColor(1))).toBe("#fff");
  });
  it("deltas: blue when improved, red when worse, white when unchanged", () => {
    const [gr, , gb] = parseColor(deltaColor(5, true, 5));
    expect(gb).toBeGreaterThan(gr);
    const [br, , bb] = parseColor(deltaColor(5, false, 5));
    expect(br).toBeGreaterThan(bb);
    expect(deltaColor(0, null, 5)).toBe("rgb(255, 255, 255)");
    expect(luminance(deltaColor(1, true, 10))).toBeGreaterThan(luminance(deltaColor(10, true, 10)));
  });
  it("parses hex and rgb and rejects others", () => {
    expect(parseColor("#4e79a7")).toEqual([78, 121, 167]);
    expect(parseColor("rgb(1, 2, 3)")).toEqual([1, 2, 3]);
    expect(() => parseColor("red")).toThrow();
  });
  it("cycles the class palette", () => {
    expect(classColor(0)).toBe("#4e79a7");
    expect(classColor(10)).toBe(classColor(0));
    expect(classColor(-1)).toBe(classColor(9));
  });
});
