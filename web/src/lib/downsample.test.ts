import { describe, expect, it } from "vitest";
import { lttbIndices, type XY } from "./downsample";

const line = (n: number): XY[] => Array.from({ length: n }, (_, i) => ({ x: i, y: Math.sin(i / 50) }));

describe("lttbIndices", () => {
  it("returns every index when under the threshold", () => {
    expect(lttbIndices(line(5), 10)).toEqual([0, 1, 2, 3, 4]);
    expect(lttbIndices([], 10)).toEqual([]);
  });
  it("keeps first and last and about `threshold` points, ascending", () => {
    const idx = lttbIndices(line(10000), 500);
    expect(idx[0]).toBe(0);
    expect(idx[idx.length - 1]).toBe(9999);
    expect(idx.length).toBe(500);
    for (let k = 1; k < idx.length; k++) expect(idx[k]!).toBeGreaterThan(idx[k - 1]!);
  });
  it("keeps the indices it is asked to keep", () => {
    const idx = lttbIndices(line(10000), 100, [1234, 5555, -1, 99999]);
    expect(idx).toContain(1234);
    expect(idx).toContain(5555);
    expect(idx.length).toBeLessThanOrEqual(102);
  });
  it("keeps a spike", () => {
    const pts = line(1000).map((p) => ({ ...p, y: 0 }));
    pts[437] = { x: 437, y: 100 };
    expect(lttbIndices(pts, 50)).toContain(437);
  });
});
