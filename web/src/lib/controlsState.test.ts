import { describe, expect, it } from "vitest";
import { applyPatch, formatHash, parseHash } from "./urlState";

describe("URL state of the controls", () => {
  it("keeps the query, the second set's own thresholds and the changed examples listed", () => {
    const state = parseHash("#view=compare&set=a&set=b&conf=0.3&other_conf=0.6&other_iou=0.75&query=width%20%3E%2010&change=broken");
    expect(state).toMatchObject({ view: "compare", otherConf: 0.6, otherIou: 0.75, query: "width > 10", change: "broken" });
    expect(parseHash(`#${formatHash(state)}`)).toEqual(state);
  });

  it("reads the summary view, and bad values as the defaults (linked thresholds, no query, no change)", () => {
    expect(parseHash("#view=summary").view).toBe("summary");
    expect(parseHash("#other_conf=2&other_iou=x&query=%20%20&change=lost")).toMatchObject({ otherConf: null, otherIou: null, query: null, change: null });
  });

  it("a new query or second-set threshold starts the examples on their first page", () => {
    const shown = { ...parseHash("#set=a&truth=circle&predicted=square&page=3"), project: "p", dataset: "d" };
    expect(shown.page).toBe(2);
    for (const patch of [{ query: "width > 1" }, { otherConf: 0.4 }, { otherIou: 0.6 }]) {
      expect(applyPatch(shown, patch).page, JSON.stringify(patch)).toBe(0);
    }
    expect(applyPatch(shown, { view: "summary" }).page).toBe(2);
  });
});
