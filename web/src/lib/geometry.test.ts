import { describe, expect, it } from "vitest";
import { clipBox } from "./geometry";

describe("geometry", () => {
  it("clips boxes", () => {
    expect(clipBox([-5, -5, 10, 10], 100, 100)).toEqual([0, 0, 5, 5]);
    expect(clipBox([95, 0, 10, 10], 100, 100)).toEqual([95, 0, 5, 10]);
    expect(clipBox([200, 0, 10, 10], 100, 100)).toBeNull();
  });
});
