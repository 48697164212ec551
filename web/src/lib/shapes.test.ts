import { describe, expect, it } from "vitest";
import { decodeCounts, decodeMask, geometryOf, keypointsOf, maskFillPath, maskOutlinePath, shapesIn, skeletonSegments, svgPoints } from "./shapes";

const KNOWN = { height: 4, width: 5 };

/** COCO's compressed counts of run lengths (pycocotools' rleToString), to build fixtures. */
function encodeCounts(runs: number[]): string {
  let out = "";
  runs.forEach((run, i) => {
    let x = i > 2 ? run - runs[i - 2]! : run;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = (c & 0x10) !== 0 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  });
  return out;
}

function runsOf(mask: number[][]): number[] {
  const h = mask.length;
  const w = mask[0]!.length;
  const runs: number[] = [];
  let value = 0;
  let run = 0;
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      if (mask[y]![x] !== value) {
        runs.push(run);
        value = mask[y]![x]!;
        run = 0;
      }
      run += 1;
    }
  }
  runs.push(run);
  return runs;
}

describe("RLE decoding", () => {
  it("reads counts strings pycocotools wrote", () => {
    // pycocotools.mask.encode(np.asfortranarray(m)) for m = zeros((10, 20)); m[2:6, 3:9] = 1
    // gives b"P146000000000\\3": background 32, then 4 on / 6 off for six columns, then the rest.
    expect(decodeCounts("P146000000000\\3")).toEqual([32, 4, 6, 4, 6, 4, 6, 4, 6, 4, 6, 4, 114]);
    // A large first run, and differences that go negative.
    expect(decodeCounts(encodeCounts([100000, 3, 7, 1, 9, 250]))).toEqual([100000, 3, 7, 1, 9, 250]);
    expect(() => decodeCounts("d0 ")).toThrow(/not COCO/);
  });
  it("decodes a known mask to rows of pixels", () => {
    const mask = [
      [0, 0, 1, 0, 0],
      [0, 1, 1, 0, 1],
      [0, 1, 0, 0, 1],
      [0, 0, 0, 0, 1],
    ];
    // pycocotools.mask.encode(np.asfortranarray(np.array(mask, np.uint8)))["counts"]
    const rle = { ...KNOWN, counts: "521061" };
    expect(encodeCounts(runsOf(mask))).toBe(rle.counts);
    expect(Array.from(decodeMask(rle))).toEqual(mask.flat());
    // Fill: one rectangle per run within a column.
    expect(maskFillPath(rle)).toBe("M1 1h1v2h-1zM2 0h1v2h-1zM4 1h1v3h-1z");
    // Outline: every edge between object and background, as segments.
    const outline = maskOutlinePath(rle);
    const edges = (outline.match(/[hv]\d+/g) ?? []).reduce((sum, s) => sum + Number(s.slice(1)), 0);
    // Perimeter of the two 4-connected parts: the L of 4 pixels (10) and the bar of 3 (8).
    expect(edges).toBe(18);
    expect(outline).toContain("M1 1v2"); // the left side of column 1
  });
  it("handles an empty mask and a run that crosses columns", () => {
    expect(maskOutlinePath({ height: 3, width: 3, counts: encodeCounts([9]) })).toBe("");
    expect(maskFillPath({ height: 3, width: 3, counts: encodeCounts([2, 4, 3]) })).toBe("M0 2h1v1h-1zM1 0h1v3h-1z");
  });
});

describe("geometry", () => {
  it("reads a row's geometry; box rows have none", () => {
    expect(geometryOf({ shape: "box", mask: null })).toBeUndefined();
    expect(geometryOf({ x: 1 })).toBeUndefined();
    expect(geometryOf({ shape: "polyline", points: [0, 1, 2, 3] })).toEqual({ shape: "polyline", mask: null, polygon: null, keypoints: null, points: [0, 1, 2, 3] });
  });
  it("names keypoints and joins the labeled ones by the skeleton", () => {
    const schema = { names: ["nose", "eye", "ear"], skeleton: [[1, 2], [2, 3], [1, 3]] };
    const points = keypointsOf([1, 2, 2, 3, 4, 1, 0, 0, 0], schema);
    expect(points.map((p) => [p.name, p.v])).toEqual([["nose", 2], ["eye", 1], ["ear", 0]]);
    expect(skeletonSegments(points, schema)).toEqual([[1, 2, 3, 4]]);
    expect(keypointsOf([5, 6, 2])[0]!.name).toBe("1");
    expect(svgPoints([1, 2, 3, 4.5])).toBe("1,2 3,4.5");
  });
  it("lists the shapes present for the legend", () => {
    expect(shapesIn([undefined, { shape: "point" }, { shape: "mask" }, { shape: "mask" }])).toEqual(["mask", "point"]);
  });
});
