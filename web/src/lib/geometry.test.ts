import { describe, expect, it } from "vitest";
import { clipBox, fitScale } from "./geometry";

describe("geometry", () => {
  it("fits images", () => {
    expect(fitScale(320, 240, 160, 160)).toBe(0.5);
    expect(fitScale(100, 100, 400, 400, 2)).toBe(2);
    expect(fitScale(0, 10, 1, 1)).toBe(1);
  });
  it("clips boxes", () => {
    expect(clipBox([-5, -5, 10, 10], 100, 100)).toEqual([0, 0, 5, 5]);
    expect(clipBox([95, 0, 10, 10], 100, 100)).toEqual([95, 0, 5, 10]);
    expect(clipBox([200, 0, 10, 10], 100, 100)).toBeNull();
  });
});
