/**
 * The JSON the server answers, named for the app: thin aliases over `schema.ts`, which
 * openapi-typescript generates from the server's OpenAPI schema (`web/openapi.json`,
 * written from src/shoal/server/_models.py). Regenerate both with `make web-types`; a
 * test and `npm run build` fail when `schema.ts` is stale, a Python test when
 * `openapi.json` is.
 *
 * Hand-written here: only what the schema cannot say (a few constants, the app's own
 * `FrameExample` / `FrameObject`, and the table rows, whose metadata columns vary).
 */
import type { KeypointSchema, ObjectGeometry } from "../lib/shapes";
import type { components, paths } from "./schema";

type Schemas = components["schemas"];

/** The last label of every confusion matrix. */
export const BACKGROUND = "background";

/** A confidence threshold: one for every class, or one per class name. */
export type Confidence = Schemas["ReportOut"]["conf"];

// ------------------------------------------------------------------ results
/** `ClassificationReport.to_dict()`: classes as records, the averages, accuracy, conf, iou. */
export type ClassificationReportDict = Schemas["ReportOut"];
/** One class of a report; `ap` is null for classification, -1 without ground truth. */
export type ClassRow = Schemas["ClassRow"];
/** A `micro avg` / `macro avg` / `weighted avg` row. */
export type AverageRow = Schemas["AverageRow"];
export const AVERAGE_NAMES = ["micro avg", "macro avg", "weighted avg"] as const;
export type AverageName = (typeof AVERAGE_NAMES)[number];

/** `ConfusionMatrix.to_dict()`: rows are ground truth, columns predictions; the last label is "background". */
export type ConfusionMatrixDict = Schemas["ConfusionMatrixOut"];
/** `PRCurve.to_dict()`: one point per distinct confidence cut-off, highest first. */
export type PRCurveDict = Schemas["PRCurveOut"];
/** `ThresholdChoice.to_dict()`: the confidence with the best F1. */
export type ThresholdChoiceDict = Schemas["ThresholdOut"];

/** `CocoSummary.to_dict()`: the 12 statistics (-1: nothing to measure) and per-class AP/AR. */
export type CocoSummaryDict = Schemas["CocoSummaryOut"];
/** The keypoint protocol's summary (`iou_type` keypoints): 10 statistics, AR20 per class. */
export type KeypointSummaryDict = Schemas["KeypointSummaryOut"];
/** A metrics result's `coco_summary`: boxes' and masks' 12 statistics, or keypoints' 10. */
export type AnyCocoSummary = CocoSummaryDict | KeypointSummaryDict;
/** The 12 statistics in pycocotools' order (checked against the schema's names). */
export const COCO_STAT_NAMES = [
  "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl",
] as const satisfies ReadonlyArray<Exclude<keyof CocoSummaryDict, "per_class">>;

/** What each statistic measures, as pycocotools prints it (docs/metrics.md). */
export const COCO_STAT_DEFINITIONS: Record<(typeof COCO_STAT_NAMES)[number], string> = {
  AP: "Average precision over IoU 0.50:0.95, all areas, 100 detections per image",
  AP50: "Average precision at IoU 0.50, all areas, 100 detections per image",
  AP75: "Average precision at IoU 0.75, all areas, 100 detections per image",
  APs: "Average precision over IoU 0.50:0.95, small objects (area < 32²)",
  APm: "Average precision over IoU 0.50:0.95, medium objects (32² to 96²)",
  APl: "Average precision over IoU 0.50:0.95, large objects (area > 96²)",
  AR1: "Average recall over IoU 0.50:0.95 with 1 detection per image",
  AR10: "Average recall over IoU 0.50:0.95 with 10 detections per image",
  AR100: "Average recall over IoU 0.50:0.95 with 100 detections per image",
  ARs: "Average recall over IoU 0.50:0.95, small objects, 100 detections per image",
  ARm: "Average recall over IoU 0.50:0.95, medium objects, 100 detections per image",
  ARl: "Average recall over IoU 0.50:0.95, large objects, 100 detections per image",
};

/** pycocotools' 10 keypoint statistics (OKS instead of IoU; maxDets 20; medium and large only). */
export const KEYPOINT_STAT_NAMES = [
  "AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl",
] as const satisfies ReadonlyArray<Exclude<keyof KeypointSummaryDict, "per_class">>;

export const KEYPOINT_STAT_DEFINITIONS: Record<(typeof KEYPOINT_STAT_NAMES)[number], string> = {
  AP: "Average precision over OKS 0.50:0.95, all areas, 20 detections per image",
  AP50: "Average precision at OKS 0.50",
  AP75: "Average precision at OKS 0.75",
  APm: "Average precision over OKS 0.50:0.95, medium objects (32² to 96²)",
  APl: "Average precision over OKS 0.50:0.95, large objects (area > 96²)",
  AR: "Average recall over OKS 0.50:0.95, 20 detections per image",
  AR50: "Average recall at OKS 0.50",
  AR75: "Average recall at OKS 0.75",
  ARm: "Average recall over OKS 0.50:0.95, medium objects",
  ARl: "Average recall over OKS 0.50:0.95, large objects",
};

/** What a detection evaluation matched on (`MetricsResult.iou_type`), for a caption. */
export const IOU_TYPE_NAMES: Readonly<Record<string, string>> = {
  bbox: "boxes (box IoU)",
  segm: "masks (mask IoU)",
  keypoints: "keypoints (OKS)",
  polylines: "polylines (Fréchet distance)",
  points: "points (distance)",
};

/** One example of the examples endpoint: an object's outcome with its stored id and box. */
export type ExampleOut = Schemas["Example"];
/** An object's outcome (a row of `Outcomes.records()`). */
export type OutcomeRecord = Omit<ExampleOut, "source_id" | "box" | "geometry">;
export type Outcome = OutcomeRecord["outcome"];

/** The app's shape for drawing: an object's outcome with its box, [x, y, width, height] in pixels. */
export interface FrameObject extends OutcomeRecord {
  box: [number, number, number, number];
  /** A mask, polygon, keypoints, polyline or point, drawn instead of the box. */
  geometry?: ObjectGeometry;
}

/** The app's shape for drawing: one frame with its image and objects at an operating point. */
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
  /** Keypoint names and skeleton by class, for objects with keypoints. */
  keypointSchemas?: Readonly<Record<string, KeypointSchema>>;
  /** A text frame's text (its `text` metadata, no image): shown instead of an image. */
  text?: string;
}

/** `MetricCheck.to_dict()`: `succeeds` is null when no threshold is set. */
export type MetricCheckDict = Schemas["MetricCheckOut"];
export const THRESHOLD_METRICS = ["precision", "recall", "f1_score"] as const;
export type ThresholdMetric = (typeof THRESHOLD_METRICS)[number];
export type Thresholds = Schemas["Thresholds"];
/** `SegmentResult.to_dict()`: exactly one entry of the regression-test payload. */
export type SegmentResultDict = Schemas["SegmentResultOut"];

/** One cell of `/compare`: both counts, the delta, whether it is better (null: unchanged) and the hover text. */
export type ComparisonCellDict = Schemas["CellOut"];
/** `/compare`: the server's names for the two sets and the segment, `Comparison.to_dict()` and every cell. */
export type ComparisonOut = Schemas["ComparisonOut"];

// ------------------------------------------------------------------ REST API
/** Every 4xx (and the rare 5xx) body. */
export type ErrorBodyDict = Schemas["ErrorBody"];
export type ClassInfoDict = Schemas["ClassOut"];
export type ProjectOut = Schemas["ProjectOut"];
export type DatasetOut = Schemas["DatasetOut"];
export type InferenceSetOut = Schemas["InferenceSetOut"];
export type SegmentOut = Schemas["SegmentOut"];
/** `PATCH .../segments/{g}` body: given thresholds change, null removes one. */
export type SegmentUpdate = Schemas["SegmentUpdate"];
export type SegmentCreate = Schemas["SegmentCreate"];

/** A frame row (`frame_id`, `image_uri`, `width`, `height` and metadata columns). */
export type FrameRow = { frame_id: string; image_uri?: string | null; width?: number | null; height?: number | null } & Record<string, unknown>;
interface BoxRow {
  frame_id: string;
  class_name: string;
  x: number | null;
  y: number | null;
  width: number | null;
  height: number | null;
  [column: string]: unknown;
}
/** A labels row (`shoal.tables.LABELS_SCHEMA`). */
export interface LabelRow extends BoxRow {
  label_id: string;
}
/** A predictions row (`shoal.tables.PREDICTIONS_SCHEMA`). */
export interface PredictionRow extends BoxRow {
  prediction_id: string;
  confidence: number | null;
}

/** `FramesPage`: frames carry their `image_url`. */
export type FramesPage = Omit<Schemas["FramesPage"], "frames"> & { frames: Array<FrameRow & { image_url: string }> };
/** `FrameDetail`: predictions by inference set name. */
export type FrameDetail = Omit<Schemas["FrameDetail"], "frame" | "labels" | "predictions"> & {
  frame: FrameRow;
  labels: LabelRow[];
  predictions: Record<string, PredictionRow[]>;
};

type MetricsQuery = NonNullable<paths["/api/v1/projects/{project}/datasets/{dataset}/metrics"]["get"]["parameters"]["query"]>;
export type MetricsInclude = NonNullable<MetricsQuery["include"]>[number];
/** `MetricsResult`: what was not included is null; `iou_thresholds` is the evaluation's IoU grid. */
export type MetricsResult = Schemas["MetricsResult"];
export type MetricsOut = Schemas["MetricsOut"];
export type ExamplesPage = Schemas["ExamplesPage"];
/** A multi-label inference set's metrics (per class with its 2x2 counts, the four averages). */
export type MultiLabelMetricsOut = Schemas["MultiLabelMetricsOut"];
export type MultiLabelClassRow = Schemas["MultiLabelClassRow"];
export type MultiLabelExamplesOut = Schemas["MultiLabelExamplesOut"];
export type MultiLabelFrameOut = Schemas["MultiLabelFrameOut"];

// ------------------------------------------------------------------ summary, changes, queries
/** `/summary`: every inference set per segment; with base and other, their comparison. */
export type SummaryOut = Schemas["SummaryOut"];
export type SegmentSummaryOut = Schemas["SegmentSummaryOut"];
export type SetScoresOut = Schemas["SetScoresOut"];
/** `/compare/examples`: fixed / broken / still wrong counts, per class with a verdict, a page of examples. */
export type ChangedExamplesPage = Schemas["ChangedExamplesPage"];
export type ChangedExampleOut = Schemas["ChangedExampleOut"];
/** `/query/completions`: what a frames query can name. */
export type CompletionsOut = Schemas["CompletionsOut"];
export type MetricInfosOut = Schemas["MetricInfosOut"];
/** `POST .../examples/segment` body. */
export type SegmentFromExamples = Schemas["SegmentFromExamples"];
/** Per-class COCO AP, AP50, AP75 and AR100 (`coco_summary.per_class`). */
export type CocoClassOut = Schemas["CocoClassOut"];

// ------------------------------------------------------------------ insights (docs/insights.md, docs/calibration.md)
/** `/tide`: TIDE's error counts and dAP (AP points, 0-100), overall and per class. */
export type TideOut = Schemas["TideOut"];
export type TideClassOut = Schemas["TideClassOut"];
export type TideDapOut = Schemas["TideDapOut"];
/** A TIDE error type with objects behind it (the examples' `tide=` filter). */
export type TideType = keyof Schemas["TideCountsOut"];
/** `/calibration`: reliability diagrams with ECE or D-ECE, overall and per predicted class. */
export type CalibrationOut = Schemas["CalibrationOut"];
export type ReliabilityOut = Schemas["ReliabilityOut"];
/** `/metric-importance`: every metric ranked by importance (normalized mutual information with being right). */
export type MetricImportanceListOut = Schemas["MetricImportanceListOut"];
export type MetricImportanceOut = Schemas["MetricImportanceOut"];
/** `/metric-performance`: one metric's precision and FNR per quantile bin, its distribution and importance. */
export type MetricPerformanceOut = Schemas["MetricPerformanceOut"];
export type MetricBinOut = Schemas["MetricBinOut"];
export type HistogramOut = Schemas["HistogramOut"];
export type AssociationOut = Schemas["AssociationOut"];
/** `/compare/significance`: paired-bootstrap intervals of the metric deltas. */
export type SignificanceOut = Schemas["SignificanceOut"];
export type DeltaIntervalOut = Schemas["DeltaIntervalOut"];
/** `/label-errors`: one page of the label-error queue, highest score first, with reviews. */
export type LabelErrorsOut = Schemas["LabelErrorsOut"];
export type LabelErrorOut = Schemas["LabelErrorOut"];
export type LabelErrorKind = LabelErrorOut["kind"];
export type LabelErrorReviewOut = Schemas["LabelErrorReviewOut"];
export type LabelErrorReview = Schemas["LabelErrorReview"];
/** An issue of the project (a review can collect its candidate's object in one). */
export type IssueOut = Schemas["IssueOut"];
export type IssueCreate = Schemas["IssueCreate"];
export type IssueUpdate = Schemas["IssueUpdate"];
/** An element of an issue: its place (stable), what it is, its review status and note. */
export type IssueElementOut = Schemas["IssueElementOut"];
export type IssueElementModel = Schemas["IssueElementModel"];
/** `POST .../issues/{i}/elements/from-cell` body: the objects of one confusion-matrix cell. */
export type IssueElementsFromCell = Schemas["IssueElementsFromCell"];
/** `POST .../issues/{i}/elements/from-query` body: the frames a query matches within a segment. */
export type IssueElementsFromQuery = Schemas["IssueElementsFromQuery"];
/** `POST .../issues/{i}/elements`: added, skipped (already in it), and the issue. */
export type IssueElementsAdded = Schemas["IssueElementsAdded"];
/** `GET .../issues/{i}/before-after`: every inference set before and after the fix, on the issue's frames and on all. */
export type BeforeAfterOut = Schemas["BeforeAfterOut"];
export type BeforeAfterPairOut = Schemas["BeforeAfterPairOut"];
/** `/similar`: the frames or label crops nearest some seeds, nearest first. */
export type SimilarElementsOut = Schemas["SimilarElementsOut"];
