import { describe, expect, it } from "vitest";
import { EMPTY_STATE, formatHash, parseHash, type AppState } from "./urlState";

describe("URL state", () => {
  it("round-trips every field, names with spaces and symbols included", () => {
    const state: AppState = {
      view: "scenarios", project: "my shapes", dataset: "val & test", sets: ["yolo v8", "a/b"], conf: 0.35, iou: 0.6,
      overrides: { circle: 0.5, "big truck": 0.2 }, segment: "All Frames", frame: "f#1",
    };
    expect(parseHash(`#${formatHash(state)}`)).toEqual(state);
  });

  it("leaves defaults out and reads an empty hash as the empty state", () => {
    expect(formatHash(EMPTY_STATE)).toBe("view=metrics");
    expect(parseHash("")).toEqual(EMPTY_STATE);
  });

  it("ignores bad values", () => {
    const s = parseHash("#view=nope&conf=1.5&iou=abc&overrides={bad&set=a&set=b&set=c");
    expect(s.view).toBe("metrics");
    expect(s.conf).toBeNull();
    expect(s.iou).toBeNull();
    expect(s.overrides).toEqual({});
    expect(s.sets).toEqual(["a", "b"]);
  });
});
