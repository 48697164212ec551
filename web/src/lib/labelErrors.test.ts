import { describe, expect, it } from "vitest";
import { exportFileName, kindInfo, LABEL_ERROR_KINDS, moveSelection, nextStatus, reviewKeyAction, statusWithIssue } from "./labelErrors";

describe("label-error review", () => {
  it("maps j/k, arrows, c, d, i, Enter/o and Esc to their actions, and leaves other keys alone", () => {
    expect(["j", "ArrowDown", "k", "ArrowUp", "c", "d", "i", "Enter", "o", "Escape"].map(reviewKeyAction)).toEqual(
      ["next", "next", "previous", "previous", "confirm", "dismiss", "issue", "open", "open", "clear"],
    );
    expect(reviewKeyAction("x")).toBeNull();
    expect(reviewKeyAction("ArrowRight")).toBeNull(); // the tab rows' key
  });

  it("moves within a page, across to the next or previous page, and stays at either end", () => {
    expect(moveSelection(null, 1, 12, 0, 3)).toEqual({ index: 0, page: 0 });
    expect(moveSelection(null, -1, 12, 0, 3)).toEqual({ index: 11, page: 0 });
    expect(moveSelection(4, 1, 12, 0, 3)).toEqual({ index: 5, page: 0 });
    expect(moveSelection(11, 1, 12, 0, 3)).toEqual({ index: 0, page: 1 });
    expect(moveSelection(0, -1, 12, 1, 3)).toEqual({ index: -1, page: 0 }); // the previous page's last, once loaded
    expect(moveSelection(0, -1, 12, 0, 3)).toEqual({ index: 0, page: 0 });
    expect(moveSelection(3, 1, 4, 2, 3)).toEqual({ index: 3, page: 2 });
    expect(moveSelection(null, 1, 0, 0, 0)).toBeNull();
  });

  it("confirm and dismiss toggle back to open; an issue confirms an open candidate", () => {
    expect(nextStatus("open", "confirm")).toBe("confirmed");
    expect(nextStatus("confirmed", "confirm")).toBe("open");
    expect(nextStatus("confirmed", "dismiss")).toBe("dismissed");
    expect(nextStatus("dismissed", "dismiss")).toBe("open");
    expect(statusWithIssue("open")).toBe("confirmed");
    expect(statusWithIssue("dismissed")).toBe("dismissed");
  });

  it("defines every kind's score, and names the export file after the set", () => {
    expect(LABEL_ERROR_KINDS.map((k) => k.value)).toEqual(["missing", "spurious", "wrong_class", "loose_box"]);
    expect(kindInfo("missing").score).toContain("1 − its largest IoU");
    expect(kindInfo("spurious").score).toContain("R_class × R_image × (1 − w)");
    expect(exportFileName("adaptive-cc", "coco")).toBe("adaptive-cc-label-errors.json");
    expect(exportFileName("my set/v2", "csv")).toBe("my_set_v2-label-errors.csv");
  });
});
