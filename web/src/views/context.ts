import type { ProjectOut } from "../api/types";
import type { ThresholdValues } from "../components/ThresholdSliders";
import type { Confidence } from "../api/types";
import type { ExampleSort } from "../lib/examples";
import type { Normalization } from "../lib/matrix";
import type { AppState, CellValues, MatchingProtocol, ChangeKind, ExampleSelection, InsightsSection, LabelErrorKindName, ReviewFilter, TideKind } from "../lib/urlState";

export const ALL_FRAMES = "All Frames";

/** What every view works on: the chosen project, dataset, inference sets and operating point. */
export interface ViewContext {
  project: ProjectOut;
  dataset: string;
  /** One or two inference sets; the first is the base. */
  sets: string[];
  /** The slider values (the project's defaults unless changed). */
  thresholds: ThresholdValues;
  /** What the engine gets: one number, or per class when overridden. */
  conf: Confidence;
  iou: number;
  /**
   * The IoU the metrics and examples routes get: `iou`, or per class when the per-class IoU
   * overrides are set (unset: `iou`). Other routes match every class at `iou`.
   */
  matchIou?: Confidence;
  /** Metrics (detection): the matching rule (unset: COCO's). */
  protocol?: MatchingProtocol;
  /** The selected segment ("All Frames" by default). */
  segment: string;
  /** The examples below the matrix (Metrics): what, in which order, which page (0-based). */
  selection: ExampleSelection | null;
  sort: ExampleSort;
  page: number;
  /** Metrics' state kept in the URL (see AppState). */
  metricClass: string | null;
  shown: string | null;
  values: CellValues;
  shareOf: Normalization;
  frame: string | null;
  object: string | null;
  /** A frames query narrowing every view (unset or null: none). */
  query?: string | null;
  /** The second inference set's own thresholds (unset or null: linked to the first's). */
  other?: { conf: number; iou: number } | null;
  /** Compare: the changed examples listed (unset or null: none). */
  change?: ChangeKind | null;
  /** Insights: the TIDE bar listed (unset or null: none). */
  tide?: TideKind | null;
  /** Insights: the sub-tab shown (unset: the error breakdown). */
  insights?: InsightsSection;
  /** Insights, By metric: the metric shown and its bin listed (unset or null: the most important, none). */
  byMetric?: string | null;
  metricBin?: number | null;
  /** Insights, Label errors: the kind and review status shown (unset or null: all) and the 0-based page. */
  labelErrorKind?: LabelErrorKindName | null;
  review?: ReviewFilter | null;
  labelErrorPage?: number;
  update: (patch: Partial<AppState>) => void;
}

export function classNames(project: ProjectOut): string[] {
  return project.classes.filter((c) => !c.ignore).map((c) => c.name);
}

export function classColors(project: ProjectOut): Record<string, string> {
  return Object.fromEntries(project.classes.map((c) => [c.name, c.color]));
}
