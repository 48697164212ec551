import { describe, expect, it } from "vitest";
import { applyPatch, DEFAULT_SORT, formatHash, parseHash, type AppState, type ExampleSelection } from "./urlState";

/** The state of an empty hash: nothing chosen, the defaults. */
const EMPTY_STATE: AppState = {
  view: "metrics", project: null, dataset: null, sets: [], conf: null, iou: null, overrides: {}, iouOverrides: {}, segment: null, frame: null,
  selection: null, sort: DEFAULT_SORT, page: 0, metricClass: null, shown: null, values: "absolute", shareOf: "row", object: null,
  query: null, otherConf: null, otherIou: null, protocol: "coco", change: null, tide: null, insights: "errors", byMetric: null, metricBin: null,
  labelErrorKind: null, review: null, labelErrorPage: 0, issue: null, issueElement: null,
  embModel: null, embKind: "frame", embMethod: "umap", colorBy: "outcome", campaign: null, campaignIssue: null,
};

const FULL: AppState = {
  view: "scenarios", project: "my shapes", dataset: "val & test", sets: ["yolo v8", "a/b"], conf: 0.35, iou: 0.6,
  overrides: { circle: 0.5, "big truck": 0.2 }, iouOverrides: { "big truck": 0.75 }, segment: "All Frames", frame: "f#1",
  selection: { kind: "cell", truth: "big truck", predicted: "background" }, sort: "iou", page: 3,
  metricClass: "big truck", shown: "a/b", values: "percentage", shareOf: "column", object: "prediction:17",
  query: "width > 10 and has('big truck')", otherConf: 0.7, otherIou: 0.75, protocol: "labelbox", change: "still_wrong", tide: "Loc",
  insights: "label-errors", byMetric: "quality.contrast", metricBin: 0,
  labelErrorKind: "wrong_class", review: "confirmed", labelErrorPage: 2, issue: "white dogs & co", issueElement: 7,
  embModel: "clip/vit b", embKind: "crop", embMethod: "pca", colorBy: "metadata:weather & light", campaign: "more dogs & co", campaignIssue: "white dogs",
};

describe("URL state", () => {
  it("round-trips every field, names with spaces and symbols included", () => {
    expect(parseHash(`#${formatHash(FULL)}`)).toEqual(FULL);
  });

  it("round-trips every kind of example selection and every sort", () => {
    const selections: ExampleSelection[] = [
      { kind: "cell", truth: "a,b", predicted: "c:d=e&f" },
      { kind: "fn" },
      { kind: "fp" },
      { kind: "confused_as", label: "big truck" },
      { kind: "confused_from", label: "#circle" },
      { kind: "multilabel", label: "big truck", cell: "fn" },
      { kind: "multilabel", label: "a&b", cell: "tn" },
    ];
    for (const selection of selections) {
      for (const sort of ["confidence-disagreement", "confidence-agreement", "iou", "area", "metric:brightness:asc", "metric:relative_area:desc"] as const) {
        const state: AppState = { ...EMPTY_STATE, selection, sort, page: 1 };
        expect(parseHash(`#${formatHash(state)}`)).toEqual(state);
      }
    }
  });

  it("writes the selection in the examples endpoint's terms, the page 1-based", () => {
    const hash = (patch: Partial<AppState>) => formatHash({ ...EMPTY_STATE, ...patch });
    expect(hash({ selection: { kind: "cell", truth: "circle", predicted: "square" }, page: 2 })).toBe("view=metrics&truth=circle&predicted=square&page=3");
    expect(hash({ selection: { kind: "fn" } })).toBe("view=metrics&outcome=FN");
    expect(hash({ selection: { kind: "fp" }, sort: "area" })).toBe("view=metrics&outcome=FP&sort=area");
    expect(hash({ selection: { kind: "confused_as", label: "circle" } })).toBe("view=metrics&confused_as=circle");
    expect(hash({ selection: { kind: "confused_from", label: "circle" } })).toBe("view=metrics&confused_from=circle");
    expect(hash({ selection: { kind: "multilabel", label: "cat", cell: "fp" } })).toBe("view=metrics&ml_class=cat&ml_cell=fp");
    expect(parseHash("#ml_class=cat&ml_cell=xx").selection).toBeNull();
    const ner = { kind: "ner", match: "overlap", errorsOnly: true, entityType: "PER" } as const;
    expect(hash({ selection: ner, page: 1 })).toBe("view=metrics&ner_match=overlap&ner_errors=1&ner_type=PER&page=2");
    expect(parseHash("#ner_match=overlap&ner_errors=1&ner_type=PER").selection).toEqual(ner);
    expect(parseHash("#ner_type=LOC").selection).toEqual({ kind: "ner", match: "exact", errorsOnly: false, entityType: "LOC" });
    expect(parseHash("#ner_match=partial").selection).toBeNull();
    expect(parseHash("#truth=circle&predicted=square&page=3")).toMatchObject({ selection: { kind: "cell", truth: "circle", predicted: "square" }, page: 2 });
  });

  it("leaves defaults out and reads an empty hash as the empty state", () => {
    expect(formatHash(EMPTY_STATE)).toBe("view=metrics");
    expect(parseHash("")).toEqual(EMPTY_STATE);
    // the first page, the default sort, and a page without a selection are left out
    expect(formatHash({ ...EMPTY_STATE, selection: { kind: "fn" }, page: 0 })).toBe("view=metrics&outcome=FN");
    expect(formatHash({ ...EMPTY_STATE, page: 4 })).toBe("view=metrics");
  });

  it("keeps the matrix toggles, the metric class, the set shown and the opened object", () => {
    const hash = formatHash({ ...EMPTY_STATE, metricClass: "circle", shown: "b", values: "percentage", shareOf: "value", object: "label:3" });
    expect(hash).toBe("view=metrics&class=circle&show=b&values=percentage&share_of=value&object=label%3A3");
    expect(parseHash("#values=bogus&share_of=diagonal")).toMatchObject({ values: "absolute", shareOf: "row" });
  });

  it("a switch to another project drops what named the old one's classes and sets", () => {
    const state: AppState = { ...FULL, project: "a" };
    const next = applyPatch(state, { project: "b" });
    expect(next).toMatchObject({ metricClass: null, shown: null, object: null, selection: null });
    expect(applyPatch({ ...FULL, project: null }, { project: "a" }).metricClass).toBe("big truck");
  });

  it("By metric's metric and bin (1-based in the URL) round-trip; the bin goes when what it bins changes", () => {
    const state: AppState = { ...EMPTY_STATE, insights: "by-metric", byMetric: "brightness", metricBin: 2 };
    expect(formatHash(state)).toBe("view=metrics&insights=by-metric&metric=brightness&bin=3");
    expect(parseHash(`#${formatHash(state)}`)).toEqual(state);
    expect(parseHash("#metric=area&bin=0").metricBin).toBeNull();
    expect(parseHash("#metric=area&bin=x").metricBin).toBeNull();
    expect(parseHash("#bin=2").metricBin).toBeNull();
    expect(applyPatch(state, { conf: 0.5 }).metricBin).toBeNull();
    expect(applyPatch(state, { byMetric: "area" }).metricBin).toBeNull();
    expect(applyPatch(state, { metricClass: "circle" }).metricBin).toBeNull();
    expect(applyPatch(state, { byMetric: "area", metricBin: 1 }).metricBin).toBe(1);
    expect(applyPatch(state, { view: "metrics" }).metricBin).toBe(2);
    expect(applyPatch({ ...state, project: "a" }, { project: "b" })).toMatchObject({ byMetric: null, metricBin: null });
  });

  it("ignores bad values", () => {
    const s = parseHash("#view=nope&conf=1.5&iou=abc&overrides={bad&set=a&set=b&set=c");
    expect(s.view).toBe("metrics");
    expect(s.conf).toBeNull();
    expect(s.iou).toBeNull();
    expect(s.overrides).toEqual({});
    expect(s.sets).toEqual(["a", "b"]);
  });

  it("keeps per-class IoU overrides in (0, 1] and drops the rest", () => {
    const s = parseHash(`#iouOverrides=${encodeURIComponent(JSON.stringify({ cat: 0.75, dog: 0, bird: 1.5, fox: "x", owl: 1 }))}`);
    expect(s.iouOverrides).toEqual({ cat: 0.75, owl: 1 });
    expect(parseHash(formatHash({ ...s, view: "metrics" })).iouOverrides).toEqual({ cat: 0.75, owl: 1 });
  });

  it("reads bad selections, sorts and pages as the defaults", () => {
    for (const hash of ["#truth=circle", "#predicted=circle", "#truth=&predicted=x", "#outcome=TP", "#outcome=fn", "#confused_as=", "#confused_from="]) {
      expect(parseHash(hash).selection, hash).toBeNull();
    }
    expect(parseHash("#sort=random").sort).toBe("confidence-disagreement");
    expect(parseHash("#sort=").sort).toBe("confidence-disagreement");
    for (const page of ["0", "-2", "1.5", "abc", "", "1e3", "99999999999", "0x10"]) {
      expect(parseHash(`#outcome=FP&page=${page}`).page, page).toBe(0);
    }
    expect(parseHash("#outcome=FP&page=12").page).toBe(11);
    expect(parseHash("#page=12").page).toBe(0); // no selection, no page
    // more than one selection: a cell first, then confused as / from, then the outcome
    expect(parseHash("#outcome=FN&confused_from=b&confused_as=a&truth=x&predicted=y").selection).toEqual({ kind: "cell", truth: "x", predicted: "y" });
    expect(parseHash("#outcome=FN&confused_from=b&confused_as=a").selection).toEqual({ kind: "confused_as", label: "a" });
    expect(parseHash("#outcome=FN&confused_from=b").selection).toEqual({ kind: "confused_from", label: "b" });
  });
});

describe("applyPatch", () => {
  const shown: AppState = {
    ...EMPTY_STATE, project: "shapes", dataset: "scenes", sets: ["a"], conf: 0.3,
    selection: { kind: "cell", truth: "circle", predicted: "square" }, sort: "area", page: 4,
  };

  it("starts the examples on their first page when the thresholds, segment, sets or dataset change; the selection stays", () => {
    for (const patch of [{ conf: 0.4 }, { iou: 0.7 }, { overrides: { circle: 0.5 } }, { segment: "night" }, { sets: ["b"] }, { sets: ["a", "b"] }, { dataset: "other" }] as Partial<AppState>[]) {
      const next = applyPatch(shown, patch);
      expect(next.page, JSON.stringify(patch)).toBe(0);
      expect(next.selection).toEqual(shown.selection);
      expect(next.sort).toBe("area");
    }
  });

  it("another project drops the selection (other classes); a new selection or sort starts on the first page", () => {
    expect(applyPatch(shown, { project: "digits", dataset: null, sets: [] })).toMatchObject({ selection: null, page: 0, sort: "area" });
    expect(applyPatch(shown, { selection: { kind: "fn" } })).toMatchObject({ selection: { kind: "fn" }, page: 0 });
    expect(applyPatch(shown, { sort: "iou" })).toMatchObject({ sort: "iou", page: 0 });
    expect(applyPatch(shown, { selection: { kind: "fp" }, page: 2 }).page).toBe(2);
  });

  it("keeps the page when nothing it depends on changes, or a missing name is filled in", () => {
    expect(applyPatch(shown, { page: 5 }).page).toBe(5);
    expect(applyPatch(shown, { view: "scenarios" }).page).toBe(4);
    expect(applyPatch(shown, { frame: "0001" }).page).toBe(4);
    expect(applyPatch(shown, { conf: 0.3, sets: ["a"], segment: null })).toEqual(shown); // the same values
    const fromLink = { ...shown, project: null, dataset: null, sets: [] };
    expect(applyPatch(fromLink, { project: "shapes", dataset: "scenes", sets: ["a"] })).toEqual(shown);
  });
});

describe("the label-error queue in the URL", () => {
  it("keeps its kind, review status and 1-based page; bad values read as none; what it lists changing starts it over", () => {
    const state = parseHash("#view=insights&insights=label-errors&le_kind=loose_box&review=open&le_page=3");
    expect([state.labelErrorKind, state.review, state.labelErrorPage]).toEqual(["loose_box", "open", 2]);
    expect(parseHash(`#${formatHash(state)}`)).toEqual(state);
    const bad = parseHash("#le_kind=nope&review=maybe&le_page=0");
    expect([bad.labelErrorKind, bad.review, bad.labelErrorPage]).toEqual([null, null, 0]);
    for (const patch of [{ labelErrorKind: "missing" }, { review: null }, { metricClass: "circle" }, { segment: "night" }, { query: "x > 1" }, { sets: ["b"] }] as Partial<AppState>[]) {
      expect(applyPatch(state, patch).labelErrorPage, JSON.stringify(patch)).toBe(0);
    }
    expect(applyPatch(state, { conf: 0.5 }).labelErrorPage).toBe(2);
    expect(applyPatch(state, { review: "confirmed", labelErrorPage: 1 }).labelErrorPage).toBe(1);
  });
});

describe("issues in the URL", () => {
  it("keeps the issue and the element reviewed (its position); an element without an issue or a bad one reads as none", () => {
    const state = parseHash("#view=issues&project=p&issue=white%20dogs&element=12");
    expect([state.view, state.issue, state.issueElement]).toEqual(["issues", "white dogs", 12]);
    expect(parseHash(`#${formatHash(state)}`)).toEqual(state);
    expect(parseHash("#view=issues&element=3").issueElement).toBeNull();
    expect(parseHash("#view=issues&issue=a&element=x").issueElement).toBeNull();
    expect(parseHash("#view=issues&issue=a&element=0").issueElement).toBe(0);
  });

  it("another issue or project closes the review; another project closes the issue", () => {
    const state = parseHash("#view=issues&project=p&dataset=d&issue=a&element=4");
    expect(applyPatch(state, { issue: "b" }).issueElement).toBeNull();
    expect(applyPatch(state, { issue: "b", issueElement: 2 }).issueElement).toBe(2);
    expect(applyPatch(state, { conf: 0.4 }).issueElement).toBe(4);
    const moved = applyPatch(state, { project: "q" });
    expect([moved.issue, moved.issueElement]).toEqual([null, null]);
  });

  it("keeps the embedding view's model, points, method and color-by; another dataset forgets the model", () => {
    const state = parseHash("#view=embeddings&project=p&dataset=d&emb=m1&emb_kind=crop&emb_method=pca&color_by=metric:sharpness");
    expect([state.view, state.embModel, state.embKind, state.embMethod, state.colorBy]).toEqual(["embeddings", "m1", "crop", "pca", "metric:sharpness"]);
    expect(parseHash("#emb_kind=x&emb_method=tsne")).toMatchObject({ embKind: "frame", embMethod: "umap", colorBy: "outcome" });
    expect(applyPatch(state, { conf: 0.2 }).embModel).toBe("m1");
    expect(applyPatch(state, { dataset: "e" }).embModel).toBeNull();
    expect(applyPatch(state, { dataset: "e" }).embKind).toBe("crop");
  });

  it("keeps the campaign opened; another project forgets it", () => {
    const state = parseHash("#view=campaigns&project=p&dataset=d&campaign=more%20dogs");
    expect([state.view, state.campaign]).toEqual(["campaigns", "more dogs"]);
    expect(applyPatch(state, { dataset: "e" }).campaign).toBe("more dogs");
    expect(applyPatch(state, { project: "q" }).campaign).toBeNull();
  });
});
