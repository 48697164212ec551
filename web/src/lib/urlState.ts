/** The app's state in the URL hash, so a reload or a shared link restores the view. Pure. */
import { EXAMPLE_SORTS, metricSortOf, type ExampleSort } from "./examples";
import type { Normalization } from "./matrix";

/** The matrix's cell values: counts or shares. */
export type CellValues = "absolute" | "percentage";

export type MatchingProtocol = "coco" | "labelbox";

export type View = "metrics" | "scenarios" | "compare" | "summary" | "insights" | "frame" | "issues" | "embeddings" | "campaigns";
export const VIEW_NAMES: readonly View[] = ["metrics", "scenarios", "compare", "summary", "insights", "frame", "issues", "embeddings", "campaigns"];

/** Compare's examples: the ground truth fixed, broken or still wrong from base to other. */
export type ChangeKind = "fixed" | "broken" | "still_wrong";
const CHANGE_KINDS: readonly ChangeKind[] = ["fixed", "broken", "still_wrong"];

/** Insights: the TIDE bar whose objects are listed. */
export type TideKind = "Cls" | "Loc" | "Both" | "Dupe" | "Bkg" | "Miss";
const TIDE_KINDS: readonly TideKind[] = ["Cls", "Loc", "Both", "Dupe", "Bkg", "Miss"];

/**
 * Insights' sub-tabs (`insights=`), in the order they are shown: TIDE's error breakdown,
 * the label-error queue, calibration. A new sub-tab adds its value and title here and its
 * panel in InsightsView.
 */
export type InsightsSection = "errors" | "label-errors" | "calibration" | "by-metric";
export const INSIGHTS_SECTIONS: ReadonlyArray<{ value: InsightsSection; title: string }> = [
  { value: "errors", title: "Error breakdown" },
  { value: "label-errors", title: "Label errors" },
  { value: "calibration", title: "Calibration" },
  { value: "by-metric", title: "By metric" },
];
export const DEFAULT_INSIGHTS: InsightsSection = "errors";

/** Insights, Label errors: the kind and review status the queue is narrowed to. */
export type LabelErrorKindName = "missing" | "spurious" | "wrong_class" | "loose_box";
const LABEL_ERROR_KIND_NAMES: readonly LabelErrorKindName[] = ["missing", "spurious", "wrong_class", "loose_box"];
export type ReviewFilter = "open" | "confirmed" | "dismissed";
const REVIEW_FILTER_NAMES: readonly ReviewFilter[] = ["open", "confirmed", "dismissed"];

/** What the examples below the matrix show (Metrics). */
export type ExampleSelection =
  | { kind: "cell"; truth: string; predicted: string }
  | { kind: "fn" }
  | { kind: "fp" }
  | { kind: "confused_as"; label: string }
  | { kind: "confused_from"; label: string }
  /** Multi-label: the frames in one cell of a class's 2x2 matrix (URL `ml_class` + `ml_cell`). */
  | { kind: "multilabel"; label: string; cell: MultiLabelCell }
  /** NER: the matching shown and the sentences listed (URL `ner_match`, `ner_errors=1`, `ner_type`). */
  | { kind: "ner"; match: NerMatchName; errorsOnly: boolean; entityType: string | null };

export type NerMatchName = "exact" | "overlap";

export type MultiLabelCell = "tp" | "fp" | "fn" | "tn";
export const MULTILABEL_CELLS: readonly MultiLabelCell[] = ["tp", "fp", "fn", "tn"];

export const DEFAULT_SORT: ExampleSort = "confidence-disagreement";
const NORMALIZATIONS: readonly Normalization[] = ["row", "column", "value"];

export interface AppState {
  view: View;
  project: string | null;
  dataset: string | null;
  /** One or two inference sets; the first is the base. */
  sets: string[];
  /** null: the project's default. */
  conf: number | null;
  iou: number | null;
  overrides: Record<string, number>;
  /** Per-class IoU thresholds that replace `iou` for those classes (detection; Metrics and its examples). */
  iouOverrides: Record<string, number>;
  /** null: "All Frames". */
  segment: string | null;
  /** The frame the Frame view shows. */
  frame: string | null;
  /** The examples shown below the matrix (null: none). */
  selection: ExampleSelection | null;
  /** Their order, and the 0-based page of them. */
  sort: ExampleSort;
  page: number;
  /** Metrics: the PR curve's "metric class" (null: all classes), which also filters the matrix. */
  metricClass: string | null;
  /** Metrics: the inference set shown when two are chosen (null: the first). */
  shown: string | null;
  /** Metrics: the matrix's Absolute / Percentage and Row / Column / Value. */
  values: CellValues;
  shareOf: Normalization;
  /** Metrics: the example opened over the frame (`frame`): its kind and engine id. */
  object: string | null;
  /** A frames query narrowing every view (null: none). */
  query: string | null;
  /** The second inference set's own thresholds (null: linked, the same as the first's). */
  otherConf: number | null;
  otherIou: number | null;
  /** Metrics (detection): the matching rule, COCO's (default) or Labelbox's. */
  protocol: MatchingProtocol;
  /** Compare: the changed examples listed (null: none). */
  change: ChangeKind | null;
  /** Insights: the TIDE bar listed (null: none); its class is `metricClass`. */
  tide: TideKind | null;
  /** Insights: the sub-tab shown. */
  insights: InsightsSection;
  /** Insights, By metric: the metric shown (null: the most important) and its bin listed (0-based; null: none). */
  byMetric: string | null;
  metricBin: number | null;
  /** Insights, Label errors: the kind and review status shown (null: all), and the 0-based page. */
  labelErrorKind: LabelErrorKindName | null;
  review: ReviewFilter | null;
  labelErrorPage: number;
  /** Issues: the issue opened (null: the list) and the element its review dialog shows (the element's `position` in the issue; null: closed). */
  issue: string | null;
  issueElement: number | null;
  /** Embeddings: the model (null: the first), frames or crops, UMAP or PCA, and what colors the points. */
  embModel: string | null;
  embKind: "frame" | "crop";
  embMethod: "umap" | "pca";
  colorBy: string;
  /** Campaigns: the campaign opened (null: none), and the issue a new one starts from (null: none). */
  campaign: string | null;
  campaignIssue: string | null;
}

export const DEFAULT_COLOR_BY = "outcome";

function unit(text: string | null): number | null {
  if (text === null || text.trim() === "") return null;
  const v = Number(text);
  return Number.isFinite(v) && v >= 0 && v <= 1 ? v : null;
}

const isUnit = (v: number) => v >= 0 && v <= 1;
const isIou = (v: number) => v > 0 && v <= 1;

function overridesOf(text: string | null, accepts: (v: number) => boolean = isUnit): Record<string, number> {
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return {};
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v === "number" && accepts(v)) out[k] = v;
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * The selection, in the examples endpoint's own terms: `truth=` + `predicted=` (a matrix
 * cell), `outcome=FN` / `outcome=FP`, `confused_as=` or `confused_from=`. Incomplete or
 * unknown ones read as none; when several are given the first of that order wins.
 */
function selectionOf(q: URLSearchParams): ExampleSelection | null {
  const truth = q.get("truth");
  const predicted = q.get("predicted");
  if (truth && predicted) return { kind: "cell", truth, predicted };
  const mlClass = q.get("ml_class");
  const mlCell = q.get("ml_cell") as MultiLabelCell | null;
  if (mlClass && mlCell && MULTILABEL_CELLS.includes(mlCell)) return { kind: "multilabel", label: mlClass, cell: mlCell };
  const nerMatch = q.get("ner_match");
  const nerErrors = q.get("ner_errors") === "1";
  const nerType = q.get("ner_type") || null;
  if (nerMatch === "overlap" || nerErrors || nerType) {
    return { kind: "ner", match: nerMatch === "overlap" ? "overlap" : "exact", errorsOnly: nerErrors, entityType: nerType };
  }
  const as = q.get("confused_as");
  if (as) return { kind: "confused_as", label: as };
  const from = q.get("confused_from");
  if (from) return { kind: "confused_from", label: from };
  const outcome = q.get("outcome");
  if (outcome === "FN") return { kind: "fn" };
  if (outcome === "FP") return { kind: "fp" };
  return null;
}

function writeSelection(q: URLSearchParams, s: ExampleSelection | null): void {
  switch (s?.kind) {
    case "cell":
      q.set("truth", s.truth);
      q.set("predicted", s.predicted);
      break;
    case "fn":
      q.set("outcome", "FN");
      break;
    case "fp":
      q.set("outcome", "FP");
      break;
    case "confused_as":
      q.set("confused_as", s.label);
      break;
    case "confused_from":
      q.set("confused_from", s.label);
      break;
    case "multilabel":
      q.set("ml_class", s.label);
      q.set("ml_cell", s.cell);
      break;
    case "ner":
      if (s.match !== "exact") q.set("ner_match", s.match);
      if (s.errorsOnly) q.set("ner_errors", "1");
      if (s.entityType) q.set("ner_type", s.entityType);
      break;
  }
}

function sortOf(text: string | null): ExampleSort {
  if (text !== null && metricSortOf(text) !== null) return text as ExampleSort;
  return EXAMPLE_SORTS.some((s) => s.value === text) ? (text as ExampleSort) : DEFAULT_SORT;
}

/** `page=` is 1-based (as the grid shows it); anything but a whole number from 1 reads as the first page. */
function pageOf(text: string | null): number {
  if (text === null || !/^\d{1,9}$/.test(text.trim())) return 0;
  return Math.max(0, Number(text.trim()) - 1);
}

/** A 1-based bin number in the URL as a 0-based index; null when absent or bad. */
function binOf(text: string | null): number | null {
  if (text === null || !/^\d{1,9}$/.test(text.trim()) || Number(text.trim()) < 1) return null;
  return Number(text.trim()) - 1;
}

/** The state in a hash (`#view=metrics&project=p&set=a&set=b&conf=0.3`); unknown or bad values fall back. */
export function parseHash(hash: string): AppState {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  const view = q.get("view");
  const selection = selectionOf(q);
  return {
    view: VIEW_NAMES.includes(view as View) ? (view as View) : "metrics",
    project: q.get("project") || null,
    dataset: q.get("dataset") || null,
    sets: q.getAll("set").filter((s) => s !== "").slice(0, 2),
    conf: unit(q.get("conf")),
    iou: unit(q.get("iou")),
    overrides: overridesOf(q.get("overrides")),
    iouOverrides: overridesOf(q.get("iouOverrides"), isIou),
    segment: q.get("segment") || null,
    frame: q.get("frame") || null,
    selection,
    sort: sortOf(q.get("sort")),
    page: selection ? pageOf(q.get("page")) : 0,
    metricClass: q.get("class") || null,
    shown: q.get("show") || null,
    values: q.get("values") === "percentage" ? "percentage" : "absolute",
    shareOf: NORMALIZATIONS.includes(q.get("share_of") as Normalization) ? (q.get("share_of") as Normalization) : "row",
    object: q.get("object") || null,
    query: q.get("query")?.trim() || null,
    otherConf: unit(q.get("other_conf")),
    otherIou: unit(q.get("other_iou")),
    protocol: q.get("protocol") === "labelbox" ? "labelbox" : "coco",
    change: CHANGE_KINDS.includes(q.get("change") as ChangeKind) ? (q.get("change") as ChangeKind) : null,
    tide: TIDE_KINDS.includes(q.get("tide") as TideKind) ? (q.get("tide") as TideKind) : null,
    insights: INSIGHTS_SECTIONS.find((s) => s.value === q.get("insights"))?.value ?? DEFAULT_INSIGHTS,
    byMetric: q.get("metric") || null,
    metricBin: q.get("metric") ? binOf(q.get("bin")) : null,
    labelErrorKind: LABEL_ERROR_KIND_NAMES.includes(q.get("le_kind") as LabelErrorKindName) ? (q.get("le_kind") as LabelErrorKindName) : null,
    review: REVIEW_FILTER_NAMES.includes(q.get("review") as ReviewFilter) ? (q.get("review") as ReviewFilter) : null,
    labelErrorPage: pageOf(q.get("le_page")),
    issue: q.get("issue") || null,
    issueElement: q.get("issue") && /^\d{1,9}$/.test(q.get("element")?.trim() ?? "") ? Number(q.get("element")!.trim()) : null,
    embModel: q.get("emb") || null,
    embKind: q.get("emb_kind") === "crop" ? "crop" : "frame",
    embMethod: q.get("emb_method") === "pca" ? "pca" : "umap",
    colorBy: q.get("color_by")?.trim() || DEFAULT_COLOR_BY,
    campaign: q.get("campaign") || null,
    campaignIssue: q.get("campaign_issue") || null,
  };
}

/** The hash of a state (defaults left out), without the leading "#". */
export function formatHash(state: AppState): string {
  const q = new URLSearchParams();
  q.set("view", state.view);
  if (state.project) q.set("project", state.project);
  if (state.dataset) q.set("dataset", state.dataset);
  for (const s of state.sets) q.append("set", s);
  if (state.conf !== null) q.set("conf", String(state.conf));
  if (state.iou !== null) q.set("iou", String(state.iou));
  if (Object.keys(state.overrides).length > 0) q.set("overrides", JSON.stringify(state.overrides));
  if (Object.keys(state.iouOverrides).length > 0) q.set("iouOverrides", JSON.stringify(state.iouOverrides));
  if (state.segment) q.set("segment", state.segment);
  if (state.frame) q.set("frame", state.frame);
  writeSelection(q, state.selection);
  if (state.sort !== DEFAULT_SORT) q.set("sort", state.sort);
  if (state.page > 0 && state.selection) q.set("page", String(state.page + 1));
  if (state.metricClass) q.set("class", state.metricClass);
  if (state.shown) q.set("show", state.shown);
  if (state.values !== "absolute") q.set("values", state.values);
  if (state.shareOf !== "row") q.set("share_of", state.shareOf);
  if (state.object) q.set("object", state.object);
  if (state.query) q.set("query", state.query);
  if (state.otherConf !== null) q.set("other_conf", String(state.otherConf));
  if (state.otherIou !== null) q.set("other_iou", String(state.otherIou));
  if (state.protocol !== "coco") q.set("protocol", state.protocol);
  if (state.change) q.set("change", state.change);
  if (state.tide) q.set("tide", state.tide);
  if (state.insights !== DEFAULT_INSIGHTS) q.set("insights", state.insights);
  if (state.byMetric) q.set("metric", state.byMetric);
  if (state.byMetric && state.metricBin !== null) q.set("bin", String(state.metricBin + 1));
  if (state.labelErrorKind) q.set("le_kind", state.labelErrorKind);
  if (state.review) q.set("review", state.review);
  if (state.labelErrorPage > 0) q.set("le_page", String(state.labelErrorPage + 1));
  if (state.issue) q.set("issue", state.issue);
  if (state.issue && state.issueElement !== null) q.set("element", String(state.issueElement));
  if (state.embModel) q.set("emb", state.embModel);
  if (state.embKind !== "frame") q.set("emb_kind", state.embKind);
  if (state.embMethod !== "umap") q.set("emb_method", state.embMethod);
  if (state.colorBy !== DEFAULT_COLOR_BY) q.set("color_by", state.colorBy);
  if (state.campaign) q.set("campaign", state.campaign);
  if (state.campaignIssue) q.set("campaign_issue", state.campaignIssue);
  return q.toString();
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A change to the state, with what follows from it: the examples start on their first
 * page again when the thresholds, segment, inference sets, project or dataset change, the
 * selection or the sort (unless the patch names a page). Another project has other classes,
 * so its selection goes too; a selection stays over the rest. Filling in a project or
 * dataset the state had none of (the app choosing the first) is not a change.
 */
export function applyPatch(state: AppState, patch: Partial<AppState>): AppState {
  const next = { ...state, ...patch };
  const changed = (key: keyof AppState) => key in patch && !same(state[key], next[key]);
  const switched = (key: "project" | "dataset") => changed(key) && state[key] !== null;
  if (switched("project") && !("selection" in patch)) next.selection = null;
  // Another project's classes and inference sets: what named this one's go.
  if (switched("project")) {
    if (!("issue" in patch)) next.issue = null;
    if (!("campaign" in patch)) next.campaign = null;
    if (!("campaignIssue" in patch)) next.campaignIssue = null;
    if (!("metricClass" in patch)) next.metricClass = null;
    if (!("shown" in patch)) next.shown = null;
    if (!("object" in patch)) next.object = null;
    if (!("tide" in patch)) next.tide = null;
    if (!("byMetric" in patch)) next.byMetric = null;
  }
  // Another issue's elements have other positions.
  if ((changed("issue") || switched("project")) && !("issueElement" in patch)) next.issueElement = null;
  // Embedding models are a dataset's own.
  if ((switched("project") || switched("dataset")) && !("embModel" in patch)) next.embModel = null;
  // A bin is of one metric's bins at one operating point, on one segment.
  const rebinned = switched("project") || switched("dataset") || changed("sets") ||
    (["conf", "iou", "overrides", "iouOverrides", "segment", "query", "byMetric", "metricClass"] as const).some(changed);
  if (rebinned && !("metricBin" in patch)) next.metricBin = null;
  // The label-error queue starts on its first page again when what it lists changes.
  const requeued = switched("project") || switched("dataset") || changed("sets") ||
    (["segment", "query", "metricClass", "labelErrorKind", "review"] as const).some(changed);
  if (requeued && !("labelErrorPage" in patch)) next.labelErrorPage = 0;
  const moved =
    switched("project") || switched("dataset") || (changed("sets") && state.sets.length > 0) ||
    (["conf", "iou", "overrides", "iouOverrides", "protocol", "segment", "selection", "sort", "query", "otherConf", "otherIou", "change"] as const).some(changed);
  if (moved && !("page" in patch)) next.page = 0;
  return next;
}
