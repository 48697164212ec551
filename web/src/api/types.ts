/**
 * Shapes of Shoal's Python results as JSON, one type per `to_dict()`.
 *
 * Sources (keep in step with them):
 * - src/shoal/engine/metrics.py: ClassificationReport, ConfusionMatrix, PRCurve,
 *   ThresholdChoice
 * - src/shoal/engine/detection/metrics.py: CocoSummary, Outcomes
 * - src/shoal/analysis/regression.py: SegmentResult (the regression-test payload)
 * - src/shoal/analysis/compare.py: Comparison, Comparison.cell()
 * - src/shoal/store/_store.py: Project, Segment (to_dict)
 *
 * `FrameExample` is not a Python type yet: it is this app's proposal for what an examples
 * endpoint returns (a frame, its image URL and its objects' outcomes with boxes).
 */

/** The last label of every confusion matrix. */
export const BACKGROUND = "background";

/** A confidence threshold: one for every class, or one per class name. */
export type Confidence = number | Record<string, number>;

/** One class's row of `ClassificationReport.to_dict()`. */
export interface ClassRow {
  precision: number;
  recall: number;
  "f1-score": number;
  support: number;
  tp: number;
  fp: number;
  fn: number;
  /** Average precision; present for detection (and scored classification). -1: no ground truth. */
  ap?: number;
}

/** A `micro avg` / `macro avg` / `weighted avg` row (support is a float in Python). */
export interface AverageRow {
  precision: number;
  recall: number;
  "f1-score": number;
  support: number;
}

export const AVERAGE_NAMES = ["micro avg", "macro avg", "weighted avg"] as const;
export type AverageName = (typeof AVERAGE_NAMES)[number];

/**
 * `ClassificationReport.to_dict()`: class names map to rows, plus the averages, `conf`,
 * `iou` (detection only) and `accuracy` (single-label classification only).
 * Class order is the keys' insertion order (JSON objects keep it).
 */
export type ClassificationReportDict = {
  [label: string]: ClassRow | AverageRow | Confidence | number | undefined;
} & {
  "micro avg": AverageRow;
  "macro avg": AverageRow;
  "weighted avg": AverageRow;
  conf: Confidence;
  iou?: number;
  accuracy?: number;
};

/** `ConfusionMatrix.to_dict()`: rows are ground truth, columns predictions; the last label is "background". */
export interface ConfusionMatrixDict {
  labels: string[];
  matrix: number[][];
  conf: Confidence;
  iou?: number;
}

/** `PRCurve.to_dict()`: one point per distinct confidence cut-off, highest first. */
export interface PRCurveDict {
  /** A class name, or "all" for the micro-averaged curve. */
  label: string;
  thresholds: number[];
  precision: number[];
  recall: number[];
  ap: number;
  iou?: number;
}

/** `ThresholdChoice.to_dict()`: the confidence with the best F1. */
export interface ThresholdChoiceDict {
  label: string;
  conf: number;
  "f1-score": number;
  precision: number;
  recall: number;
}

export const COCO_STAT_NAMES = [
  "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl",
] as const;
export type CocoStatName = (typeof COCO_STAT_NAMES)[number];

/** `CocoSummary.to_dict()`: the 12 statistics (-1: nothing to measure) and per-class AP/AR. */
export type CocoSummaryDict = Record<CocoStatName, number> & {
  per_class: Record<string, { AP: number; AP50: number; AP75: number; AR100: number }>;
};

export type ObjectKind = "prediction" | "ground_truth";
export type Outcome = "TP" | "FP" | "FN";
export type Reason =
  | ""
  | "class_confusion"
  | "duplicate"
  | "localization"
  | "background"
  | "missed";

/** One row of `Outcomes.records()` (the columns of `Outcomes.to_dict()["columns"]`). */
export interface OutcomeRecord {
  kind: ObjectKind;
  id: number;
  frame_id: string;
  label: string;
  /** null (NaN in Python) for ground truth. */
  confidence: number | null;
  outcome: Outcome;
  reason: Reason;
  /** -1 when there is no partner. */
  partner_id: number;
  /** "" when there is no partner. */
  partner_label: string;
  /** IoU with the partner, 0 without one. */
  iou: number;
  area: number;
}

/** `Outcomes.to_dict()`: column-oriented. */
export interface OutcomesDict {
  conf: Confidence;
  iou: number;
  columns: { [K in keyof OutcomeRecord]: OutcomeRecord[K][] };
}

/** Proposed (not yet in Python): an object's outcome with its box, [x, y, width, height] in pixels. */
export interface FrameObject extends OutcomeRecord {
  box: [number, number, number, number];
}

/** Proposed (not yet in Python): one frame with its image and objects at an operating point. */
export interface FrameExample {
  frame_id: string;
  /** Where the browser loads the image from. */
  image_url: string;
  /** The image's natural size; boxes are in these pixels. */
  width: number;
  height: number;
  objects: FrameObject[];
  /** A smaller rendition (same aspect ratio); when given, `width` / `height` must be the full image's size. */
  thumbnail_url?: string;
}

/** `MetricCheck.to_dict()`: `succeeds` is null when no threshold is set. */
export interface MetricCheckDict {
  score: number;
  threshold: number | null;
  succeeds: boolean | null;
}

export const THRESHOLD_METRICS = ["precision", "recall", "f1_score"] as const;
export type ThresholdMetric = (typeof THRESHOLD_METRICS)[number];
export type Thresholds = Record<ThresholdMetric, number | null>;

export type SegmentType = "split" | "regression_test" | "scenario";

/** `SegmentResult.to_dict()`: exactly one entry of the regression-test payload. */
export interface SegmentResultDict {
  segment_name: string;
  frame_count: number;
  precision: MetricCheckDict;
  recall: MetricCheckDict;
  f1_score: MetricCheckDict;
  false_positives: { score: number };
  false_negatives: { score: number };
  total_confusions: { score: number };
  segment_type: SegmentType | string;
  uuid: string;
}

/** `Comparison.cell()`: `improved` is null when the count did not change. */
export interface ComparisonCellDict {
  truth: string;
  predicted: string;
  base: number;
  other: number;
  delta: number;
  improved: boolean | null;
  /** e.g. "delta - straight +10 (2 -> 12)" */
  text: string;
}

export const COMPARED_METRICS = ["precision", "recall", "f1-score", "tp", "fp", "fn", "support"] as const;
export type ComparedMetric = (typeof COMPARED_METRICS)[number];
export interface DeltaValue {
  base: number;
  other: number;
  delta: number;
}

/** `Comparison.to_dict()`: deltas are other - base. */
export interface ComparisonDict {
  classes: Record<string, Record<ComparedMetric, DeltaValue>>;
  confusion_matrix: {
    labels: string[];
    base: number[][];
    other: number[][];
    delta: number[][];
  };
  summary: string[];
}

/** `ClassInfo` in `Project.to_dict()["classes"]`. */
export interface ClassInfoDict {
  name: string;
  id: number;
  color: string;
  ignore: boolean;
}

/** `Segment.to_dict()`. */
export interface SegmentDict {
  uuid: string;
  name: string;
  type: SegmentType;
  query: string | null;
  thresholds: Thresholds;
  frame_count: number;
}

// ------------------------------------------------------------------ REST API
// Response shapes of the server (src/shoal/server/_models.py), all under /api/v1.

/** Every 4xx (and the rare 5xx) body: `ErrorBody`. */
export interface ErrorBodyDict {
  error: string;
  detail: string;
  where: string | null;
}

/** `ProjectOut`. */
export interface ProjectOut {
  name: string;
  task: "detection" | "classification" | string;
  default_conf: number;
  default_iou: number;
  created_at: string;
  classes: ClassInfoDict[];
  datasets: string[];
}

/** `DatasetOut`. */
export interface DatasetOut {
  name: string;
  version: number;
  num_frames: number;
  num_labels: number;
  created_at: string;
  inference_sets: string[];
  segments: string[];
  has_image_root: boolean;
}

/** `InferenceSetOut`. */
export interface InferenceSetOut {
  name: string;
  dataset: string;
  version: number;
  num_predictions: number;
  created_at: string;
}

/** `SegmentOut` (= `SegmentDict`). */
export type SegmentOut = SegmentDict;

/** `PATCH .../segments/{g}` body: given thresholds change, null removes one. */
export interface SegmentUpdate {
  name?: string;
  precision?: number | null;
  recall?: number | null;
  f1_score?: number | null;
}

/** A frame row (`frame_id`, `image_uri`, `width`, `height` and metadata columns). */
export type FrameRow = { frame_id: string; image_uri?: string | null; width?: number | null; height?: number | null } & Record<string, unknown>;

/** `FramesPage`: frames carry their `image_url`. */
export interface FramesPage {
  total: number;
  offset: number;
  limit: number;
  frames: Array<FrameRow & { image_url: string }>;
}

/** A labels row (`shoal.tables.LABELS_SCHEMA`). */
export interface LabelRow {
  label_id: string;
  frame_id: string;
  class_name: string;
  x: number | null;
  y: number | null;
  width: number | null;
  height: number | null;
  [column: string]: unknown;
}

/** A predictions row (`shoal.tables.PREDICTIONS_SCHEMA`). */
export interface PredictionRow {
  prediction_id: string;
  frame_id: string;
  class_name: string;
  x: number | null;
  y: number | null;
  width: number | null;
  height: number | null;
  confidence: number | null;
  [column: string]: unknown;
}

/** `FrameDetail`: predictions by inference set name. */
export interface FrameDetail {
  frame: FrameRow;
  image_url: string;
  labels: LabelRow[];
  predictions: Record<string, PredictionRow[]>;
}

export type MetricsInclude = "report" | "confusion_matrix" | "coco_summary" | "pr_curves" | "best_thresholds";

/** `MetricsResult`: what was not included is null. */
export interface MetricsResult {
  inference_set: string;
  version: number;
  report: ClassificationReportDict | null;
  confusion_matrix: ConfusionMatrixDict | null;
  coco_summary: CocoSummaryDict | null;
  pr_curves: Record<string, PRCurveDict> | null;
  best_thresholds: Record<string, ThresholdChoiceDict> | null;
}

/** `MetricsOut`. */
export interface MetricsOut {
  dataset: string;
  segment: string;
  conf: Confidence;
  iou: number | null;
  results: MetricsResult[];
}

/** `Example`: an outcome record with its stored id and box. */
export interface ExampleOut extends OutcomeRecord {
  source_id: string | null;
  box: [number, number, number, number] | null;
}

/** `ExamplesPage`. */
export interface ExamplesPage {
  inference_set: string;
  conf: Confidence;
  iou: number;
  total: number;
  offset: number;
  limit: number;
  examples: ExampleOut[];
}

/** `ComparisonOut`. */
export interface ComparisonOut extends ComparisonDict {
  base: string;
  other: string;
  segment: string;
  conf: Confidence;
  iou: number | null;
  cells: ComparisonCellDict[];
}
