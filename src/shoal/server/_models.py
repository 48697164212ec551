"""Request and response bodies: the OpenAPI schema is built from these."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SkipValidation

from shoal._types import ConfDescription, Task
from shoal.formats._validation import MAX_JSON_INTEGER

Unit = Field(ge=0.0, le=1.0)
MAX_NAME_LENGTH = 200
MAX_QUERY_LENGTH = 4000  # the query compiler's
MAX_DESCRIPTION_LENGTH = 10_000  # the store's (a segment's description)

# The store's rules for names (shoal.store.check_name, check_class_name) as the schema
# states them; tests/test_server_schema.py checks the two agree.
_CONTROL = r"\x00-\x1f\x7f-\x9f"  # Unicode's control characters (category Cc)
_EDGE = rf"[^\s/\\{_CONTROL}]"  # first and last: no space, slash or control character
_INNER = rf"[^/\\{_CONTROL}]"
_EDGE_NOT_DOT = rf"[^.\s/\\{_CONTROL}]"
NAME_PATTERN = (  # and neither "." nor ".."
    rf"^(?:{_EDGE_NOT_DOT}|{_EDGE_NOT_DOT}{_EDGE}|\.{_EDGE_NOT_DOT}|{_EDGE}{_INNER}+{_EDGE})$"
)
CLASS_NAME_PATTERN = rf"^[^{_CONTROL}]+$"
# The store checks names (a 400 that says what is wrong with one); the schema states
# the same rule for clients and generators.
Name = Annotated[
    str,
    Field(
        description=f"1 to {MAX_NAME_LENGTH} characters; no '/', '\\' or control character, "
        "no space at either end, not '.' or '..'",
        json_schema_extra={
            "minLength": 1,
            "maxLength": MAX_NAME_LENGTH,
            "pattern": NAME_PATTERN,
        },
    ),
]
# A name that finds something: the same rule, checked here (422), as the store only
# looks it up.
LookupName = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=NAME_PATTERN)]
ClassName = Annotated[
    str,
    Field(
        description=f"1 to {MAX_NAME_LENGTH} characters; no control character",
        json_schema_extra={
            "minLength": 1,
            "maxLength": MAX_NAME_LENGTH,
            "pattern": CLASS_NAME_PATTERN,
        },
    ),
]


def _whole_float_as_int(value: Any) -> Any:
    """7.0 is the integer 7 (in JSON, and in JSON Schema), even in a strict model."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[
    int,
    Field(ge=-MAX_JSON_INTEGER, le=MAX_JSON_INTEGER),
    BeforeValidator(_whole_float_as_int),
]
# What a JSON body may hold (shoal.formats._validation's rule, checked for every body
# before a handler runs): whole numbers within ±(2**53 - 1); other numbers; any string
# (the JSON text is UTF-8, so no lone surrogate); lists and objects (at most 64 deep,
# holding values by the same rule, which the schema leaves unsaid: a recursive schema
# is one TypeScript cannot name).
RowValue = (
    JsonInt
    | Annotated[float, Field(json_schema_extra={"not": {"type": "integer"}})]
    | str
    | bool
    | list[Any]
    | dict[str, Any]
    | None
)
# Rows are validated by the upload's commit (column by column, naming the record), not
# value by value here: the schema documents them, pydantic only checks their shape.
Row = dict[str, SkipValidation[RowValue]]


class Body(BaseModel):
    # strict: true is not 1.0, "1" is not 1 (as the schema says)
    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorBody(BaseModel):
    """Every 4xx (and the rare 5xx) answer."""

    error: str = Field(description="short name, e.g. not_found, validation_error")
    detail: str = Field(description="what is wrong, in one line")
    where: str | None = Field(description="the field, parameter, path or record at fault")


# ------------------------------------------------------------------ projects
class ClassIn(Body):
    name: ClassName
    id: JsonInt | None = None
    color: str | None = None
    ignore: bool = False


class ClassOut(BaseModel):
    name: str
    id: int
    color: str
    ignore: bool


class ProjectCreate(Body):
    name: Name
    task: Task = "detection"
    classes: list[ClassName | ClassIn] = []
    default_conf: float | None = Field(None, ge=0.0, le=1.0)  # 0.1; multilabel 0.5
    default_iou: float = Field(0.5, gt=0.0, le=1.0)


class ProjectUpdate(Body):
    default_conf: float | None = Field(None, ge=0.0, le=1.0)
    default_iou: float | None = Field(None, gt=0.0, le=1.0)
    add_classes: list[ClassName | ClassIn] = []


class ProjectOut(BaseModel):
    name: str
    task: str
    default_conf: float
    default_iou: float
    created_at: str
    classes: list[ClassOut]
    datasets: list[str]


class DatasetOut(BaseModel):
    name: str
    version: int
    num_frames: int
    num_labels: int
    created_at: str
    inference_sets: list[str]
    segments: list[str]
    has_image_root: bool


class InferenceSetOut(BaseModel):
    name: str
    dataset: str
    version: int
    num_predictions: int
    created_at: str


# ------------------------------------------------------------------ segments
class Thresholds(BaseModel):
    precision: float | None
    recall: float | None
    f1_score: float | None


class SegmentOut(BaseModel):
    uuid: str
    name: str
    type: str
    query: str | None
    description: str = Field(description="free text about the segment ('' when none)")
    thresholds: Thresholds
    frame_count: int
    stale: str | None = Field(
        None,
        description="why the segment's saved query no longer runs on the dataset (a replace "
        "removed or retyped a field it reads); null when it is in order",
    )


class SegmentCreate(Body):
    name: Name
    type: Literal["split", "regression_test", "scenario"] = "scenario"
    frames: list[str] | None = None
    query: str | None = Field(
        None, max_length=MAX_QUERY_LENGTH, description="a query over metadata (docs/queries.md)"
    )
    description: str = Field("", max_length=MAX_DESCRIPTION_LENGTH)
    precision: float | None = Field(None, ge=0.0, le=1.0)
    recall: float | None = Field(None, ge=0.0, le=1.0)
    f1_score: float | None = Field(None, ge=0.0, le=1.0)


class SegmentFromExamples(Body):
    """A segment saved from an examples selection (its frames come from the selection)."""

    name: Name
    type: Literal["split", "regression_test", "scenario"] = "scenario"
    description: str = Field("", max_length=MAX_DESCRIPTION_LENGTH)


class SegmentUpdate(Body):
    """Fields given change; a threshold given as null is removed. ``add_frames`` and
    ``remove_frames`` edit a segment of listed frames (not a saved query's)."""

    name: Name | None = None
    type: Literal["split", "regression_test", "scenario"] | None = None
    description: str | None = Field(None, max_length=MAX_DESCRIPTION_LENGTH)
    add_frames: list[str] = Field(default_factory=list, description="frame ids to add")
    remove_frames: list[str] = Field(default_factory=list, description="frame ids to remove")
    precision: float | None = Field(None, ge=0.0, le=1.0)
    recall: float | None = Field(None, ge=0.0, le=1.0)
    f1_score: float | None = Field(None, ge=0.0, le=1.0)


# -------------------------------------------------------------------- issues
IssueStatusName = Literal["open", "in_progress", "resolved"]
ElementStatusName = Literal["open", "confirmed", "fixed", "dismissed"]
MAX_ISSUE_TEXT = 10_000


class IssueElementModel(Body):
    """An element to collect: a frame (``element_id`` null), or a label or prediction
    (crop; a prediction names its ``inference_set``) of a frame of the dataset."""

    dataset: str = Field(max_length=MAX_NAME_LENGTH)
    frame_id: str = Field(max_length=1000)
    element_kind: Literal["frame", "label", "prediction"] = "frame"
    element_id: str | None = Field(None, max_length=1000)
    inference_set: str | None = Field(None, max_length=MAX_NAME_LENGTH)


class IssueElementOut(BaseModel):
    position: int = Field(description="stable: removing an element keeps the others'")
    dataset: str
    frame_id: str
    element_kind: Literal["frame", "label", "prediction"]
    element_id: str | None
    inference_set: str | None
    status: ElementStatusName
    note: str
    added_at: str
    updated_at: str


class IssueCounts(BaseModel):
    open: int
    confirmed: int
    fixed: int
    dismissed: int


class IssueOut(BaseModel):
    uuid: str
    name: str = Field(description="the issue's title, unique in the project")
    description: str
    notes: str = Field(description="the description (its former name)")
    owner: str
    status: IssueStatusName
    created_at: str
    updated_at: str
    counts: IssueCounts = Field(description="elements by status")
    elements: list[IssueElementOut]


class IssueCreate(Body):
    name: Name
    description: str = Field("", max_length=MAX_ISSUE_TEXT)
    notes: str | None = Field(None, max_length=MAX_ISSUE_TEXT, description="alias of description")
    owner: str = Field("", max_length=MAX_NAME_LENGTH)
    elements: list[IssueElementModel] = []


class IssueUpdate(Body):
    status: IssueStatusName | None = None
    description: str | None = Field(None, max_length=MAX_ISSUE_TEXT)
    notes: str | None = Field(None, max_length=MAX_ISSUE_TEXT, description="alias of description")
    owner: str | None = Field(None, max_length=MAX_NAME_LENGTH)
    add_elements: list[IssueElementModel] = []


class IssueElementsIn(Body):
    elements: list[IssueElementModel] = Field(max_length=1_000_000)


class IssueElementsFromQuery(Body):
    """The frames a query matches in a segment (both narrow; at least one is needed)."""

    dataset: LookupName
    query: str | None = Field(None, max_length=10_000, description="docs/queries.md")
    segment: str | None = Field(
        None, max_length=MAX_NAME_LENGTH, description='a segment ("All Frames": every frame)'
    )


class IssueElementsFromCell(Body):
    """The objects counted in one confusion-matrix cell, as ``GET .../examples?truth=&
    predicted=`` lists them."""

    dataset: LookupName
    inference_set: LookupName
    truth: str = Field(max_length=1000, description='matrix row ("background" for none)')
    predicted: str = Field(max_length=1000, description='matrix column ("background")')
    segment: str | None = Field(None, max_length=MAX_NAME_LENGTH)
    query: str | None = Field(None, max_length=10_000)


class IssueElementsAdded(BaseModel):
    added: int
    skipped: int = Field(description="elements the issue held already")
    issue: IssueOut


class IssueElementUpdate(Body):
    status: ElementStatusName | None = None
    note: str | None = Field(None, max_length=MAX_ISSUE_TEXT)


class BeforeAfterScoresOut(BaseModel):
    frame_count: int
    precision: float
    recall: float
    f1_score: float
    false_positives: int
    false_negatives: int
    total_confusions: int
    mean_ap: float | None
    coco_ap: float | None


class BeforeAfterDeltaOut(BaseModel):
    precision: float | None
    recall: float | None
    f1_score: float | None
    false_positives: float | None
    false_negatives: float | None
    total_confusions: float | None
    mean_ap: float | None
    coco_ap: float | None


class BeforeAfterPairOut(BaseModel):
    before: BeforeAfterScoresOut
    after: BeforeAfterScoresOut
    delta: BeforeAfterDeltaOut = Field(description="after - before (null where either is)")


class SetBeforeAfterOut(BaseModel):
    inference_set: str
    issue_frames: BeforeAfterPairOut
    all_frames: BeforeAfterPairOut


class BeforeAfterOut(BaseModel):
    issue: str
    before: str = Field(description="the dataset before the fix")
    after: str = Field(description="the dataset after it")
    conf: float | dict[str, float]
    iou: float
    frames: int = Field(description="the issue's frames in the dataset before")
    sets: list[SetBeforeAfterOut]


# ------------------------------------------------------------------- uploads
class UploadChunk(Body):
    """Rows in the ``shoal.tables`` column names; any of the four lists may be empty."""

    frames: list[Row] = []
    labels: list[Row] = []
    predictions: list[Row] = []
    embeddings: list[Row] = []


class UploadOut(BaseModel):
    upload_id: str
    chunks: list[int]
    rows: dict[str, int]


class _Commit(Body):
    project: LookupName = Field(description="the project to store into")
    name: Name = Field(description="the new dataset's or inference set's name")
    replace: bool = False


class KeypointSchemaIn(Body):
    names: list[str] = Field(max_length=10_000)
    skeleton: list[list[int]] = Field(default=[], max_length=100_000)
    sigmas: list[float] = Field(default=[], description="OKS sigmas; empty: COCO's defaults")


class DatasetCommit(_Commit):
    kind: Literal["dataset"]
    dataset: None = Field(None, description="(a dataset names no dataset)")
    keypoint_schemas: dict[str, KeypointSchemaIn] = Field(
        default={},
        description="keypoint names, skeleton and sigmas by class (docs/store.md#geometry)",
    )


class InferenceSetCommit(_Commit):
    kind: Literal["inference_set"]
    dataset: LookupName = Field(description="the dataset the inference set is on")
    box_areas: bool = Field(
        False,
        description="masks count their box's area in COCO's area ranges (pycocotools' "
        "loadRes for results whose first record has a bbox); default: the mask's",
    )


UploadCommit = Annotated[DatasetCommit | InferenceSetCommit, Field(discriminator="kind")]


class CommitOut(BaseModel):
    kind: str
    project: str
    dataset: str
    name: str
    version: int
    rows: dict[str, int]


# -------------------------------------------------------------------- frames
class FramesPage(BaseModel):
    total: int
    offset: int
    limit: int
    frames: list[dict[str, Any]]


class KeypointSchemaOut(BaseModel):
    """A class's keypoints (``shoal.engine.keypoints.KeypointSchema.to_dict()``)."""

    names: list[str] = Field(description="the order of a keypoints list's (x, y, v) triples")
    skeleton: list[list[int]] = Field(description="pairs of 1-based keypoint numbers drawn joined")
    sigmas: list[float] = Field(description="each keypoint's OKS sigma")


class FrameDetail(BaseModel):
    frame: dict[str, Any]
    image_url: str
    labels: list[dict[str, Any]] = Field(
        description="the frame's label rows; with geometry (docs/store.md#geometry) also "
        "shape, mask ({height, width, counts}: COCO compressed RLE), polygon, keypoints "
        "and points"
    )
    predictions: dict[str, list[dict[str, Any]]]
    keypoint_schemas: dict[str, KeypointSchemaOut] = Field(
        default_factory=dict,
        description="keypoint names and skeleton of each class that has keypoints",
    )


# ------------------------------------------------------------------- metrics


class AverageRow(BaseModel):
    """One average of a report (scikit-learn's meaning)."""

    model_config = ConfigDict(populate_by_name=True)

    precision: float
    recall: float
    f1_score: float = Field(alias="f1-score")
    support: int = Field(description="ground-truth count: tp + fn")


class ClassRow(AverageRow):
    """One class of a report: ``ClassificationReport.to_dict()["classes"][i]``."""

    label: str = Field(description="the class (any name: rows are records, not keys)")
    tp: int
    fp: int
    fn: int
    ap: float | None = Field(
        description="AP at the report's IoU (-1 without ground truth); null for classification"
    )


class ReportOut(BaseModel):
    """``ClassificationReport.to_dict()``: per-class counts and ratios at one operating
    point, with averages. ``ClassificationReport.from_dict`` reads it back;
    ``to_sklearn_dict()`` gives scikit-learn's ``output_dict`` shape in Python."""

    classes: list[ClassRow]
    averages: dict[Literal["micro avg", "macro avg", "weighted avg"], AverageRow] = Field(
        description='"micro avg", "macro avg" and "weighted avg" where they apply'
    )
    accuracy: float | None = Field(description="single-label classification; null for detection")
    conf: ConfDescription
    iou: ConfDescription | None = Field(
        description="the IoU threshold, or each class's (detection); null for classification"
    )


class ConfusionMatrixOut(BaseModel):
    labels: list[str]
    matrix: list[list[int]]
    conf: ConfDescription
    iou: ConfDescription | None = None


class ThresholdOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    label: str
    conf: float
    f1_score: float = Field(alias="f1-score")
    precision: float
    recall: float


class PRCurveOut(BaseModel):
    label: str
    thresholds: list[float]
    precision: list[float]
    recall: list[float]
    f1: list[float] = Field(description="each point's F1 score")
    best: ThresholdOut = Field(
        description="the point with the highest F1 (highest confidence on ties)"
    )
    ap: float
    iou: ConfDescription | None = None


class CocoClassOut(BaseModel):
    AP: float | None
    AP50: float | None
    AP75: float | None
    AR100: float | None


class CocoSummaryOut(BaseModel):
    """``CocoSummary.to_dict()`` of boxes and masks: pycocotools' 12 statistics (-1: no
    ground truth to measure against) and per-class values; ``CocoSummary.from_dict``
    reads it back."""

    AP: float | None
    AP50: float | None
    AP75: float | None
    APs: float | None
    APm: float | None
    APl: float | None
    AR1: float | None
    AR10: float | None
    AR100: float | None
    ARs: float | None
    ARm: float | None
    ARl: float | None
    per_class: dict[str, CocoClassOut]


class KeypointClassOut(BaseModel):
    AP: float | None
    AP50: float | None
    AP75: float | None
    AR20: float | None = Field(description="recall at the last cap (20 detections)")


class KeypointSummaryOut(BaseModel):
    """``CocoSummary.to_dict()`` of keypoints: pycocotools' 10 keypoint statistics (OKS
    thresholds, 20 detections per image, medium and large areas) and per-class values."""

    AP: float | None
    AP50: float | None
    AP75: float | None
    APm: float | None
    APl: float | None
    AR: float | None
    AR50: float | None
    AR75: float | None
    ARm: float | None
    ARl: float | None
    per_class: dict[str, KeypointClassOut]


class MetricsResult(BaseModel):
    inference_set: str
    version: int
    conf: ConfDescription = Field(description="this set's confidence threshold")
    iou: ConfDescription | None = Field(
        description="this set's IoU threshold, or each class's (null: classification)"
    )
    report: ReportOut | None = None
    confusion_matrix: ConfusionMatrixOut | None = None
    coco_summary: CocoSummaryOut | KeypointSummaryOut | None = Field(
        None, description="detection only; the keypoint protocol's for iou_type keypoints"
    )
    pr_curves: dict[str, PRCurveOut] | None = None
    best_thresholds: dict[str, ThresholdOut] | None = None
    iou_thresholds: list[float] = Field(
        description="the IoU thresholds matched so far, ascending (detection: COCO's ten and "
        "any other asked for, which are the fastest to ask; empty for classification)"
    )
    iou_type: str | None = Field(
        None,
        description='what detection matched on: "bbox", "segm" (mask IoU), "keypoints" (OKS), '
        '"polylines" or "points" (distance within a tolerance); null for classification',
    )


class MetricsOut(BaseModel):
    dataset: str
    segment: str
    query: str | None = Field(description="the frames query that narrowed the segment")
    conf: ConfDescription
    iou: ConfDescription | None
    protocol: Literal["coco", "labelbox"] = Field(
        "coco", description="the matching rule the numbers follow (detection)"
    )
    results: list[MetricsResult]


class Example(BaseModel):
    kind: str
    id: int
    source_id: str | None = Field(description="the label_id or prediction_id")
    frame_id: str
    label: str
    confidence: float | None
    outcome: str
    reason: str
    partner_id: int
    partner_label: str
    iou: float
    area: float
    box: list[float] | None
    geometry: dict[str, Any] | None = Field(
        None,
        description="detection objects with geometry (docs/store.md#geometry): shape, mask, "
        "polygon, keypoints, points; null for a box",
    )


class ExamplesPage(BaseModel):
    inference_set: str
    version: int = Field(description="the inference set version every example is from")
    dataset_version: int = Field(description="the dataset version every example is from")
    conf: ConfDescription
    iou: ConfDescription = Field(description="the IoU threshold, or each class's")
    protocol: Literal["coco", "labelbox"] = Field(
        "coco", description="the matching rule the outcomes follow (detection)"
    )
    total: int
    offset: int
    limit: int
    examples: list[Example]


class DeltaMatrix(BaseModel):
    labels: list[str]
    base: list[list[int]]
    other: list[list[int]]
    delta: list[list[int]]
    conf: ConfDescription
    iou: float | None
    other_conf: ConfDescription = Field(description="the other side's confidence threshold")
    other_iou: float | None = Field(description="the other side's IoU threshold")


class CellOut(BaseModel):
    truth: str
    predicted: str
    base: int
    other: int
    delta: int
    improved: bool | None
    text: str


class Delta(BaseModel):
    base: float
    other: float
    delta: float


class ComparedVersions(BaseModel):
    """The inference set versions an answer was computed from (each side is one)."""

    base: int
    other: int


class ComparisonOut(BaseModel):
    """The server's names for the two sets and the segment, plus
    ``Comparison.to_dict()`` (which ``Comparison.from_dict`` reads back) and every
    matrix cell."""

    base: str
    other: str
    segment: str
    query: str | None = Field(description="the frames query that narrowed the segment")
    conf: ConfDescription
    iou: float | None
    classes: dict[str, dict[str, Delta]] = Field(
        description="per class, per metric (precision, recall, f1-score, tp, fp, fn, "
        "support; ap for detection): base, other and delta"
    )
    confusion_matrix: DeltaMatrix
    accuracy: Delta | None = Field(description="single-label classification; null for detection")
    versions: ComparedVersions
    cells: list[CellOut]
    summary: list[str]
    verdicts: dict[str, Literal["better", "worse", "same"]] = Field(
        description="per class: its F1 score's change, other against base"
    )
    other_conf: ConfDescription = Field(description="the other's confidence threshold")
    other_iou: float | None = Field(description="the other's IoU threshold (null: classification)")


class MetricCheckOut(BaseModel):
    score: float
    threshold: float | None
    succeeds: bool | None


class CountOut(BaseModel):
    score: int


class SegmentResultOut(BaseModel):
    segment_name: str
    frame_count: int
    precision: MetricCheckOut
    recall: MetricCheckOut
    f1_score: MetricCheckOut
    false_positives: CountOut
    false_negatives: CountOut
    total_confusions: CountOut
    segment_type: str
    uuid: str
    succeeds: bool | None = Field(
        description="the segment's verdict: false if the segment is stale or any thresholded "
        "metric fails, true if all pass, null when no threshold is set"
    )
    stale: str | None = Field(
        None,
        description="why the segment's frames cannot be known (its saved query no longer "
        "runs); a stale segment fails with scores of 0 on 0 frames",
    )


class DeltaIntervalOut(BaseModel):
    scope: str = Field(
        description='a class, "macro avg" or "micro avg" ("ap": a class or "macro avg", '
        "the mean AP over the classes with ground truth)"
    )
    metric: Literal["precision", "recall", "f1-score", "ap"] = Field(
        description="ap: AP at the side's IoU over every prediction, as the report's"
    )
    base: float
    other: float
    delta: float = Field(description="other - base, on every compared frame")
    low: float = Field(description="the interval's lower end (percentile bootstrap)")
    high: float = Field(description="the interval's upper end")
    significant: bool = Field(description="whether the interval excludes zero")
    direction: Literal["better", "worse", "same"] = Field(
        description="the other against the base where significant, else same"
    )


class SignificanceOut(BaseModel):
    """``Significance.to_dict()`` (which ``Significance.from_dict`` reads back) with
    where it was computed."""

    base: str
    other: str
    segment: str
    query: str | None
    conf: ConfDescription
    iou: float | None
    other_conf: ConfDescription
    other_iou: float | None
    labels: list[str] = Field(description="the compared classes (those of /compare)")
    frame_count: int = Field(description="the frames resampled")
    resamples: int
    seed: int
    level: float = Field(description="the intervals' coverage (0.95: 2.5th-97.5th percentiles)")
    intervals: list[DeltaIntervalOut]


class ReliabilityBinOut(BaseModel):
    low: float
    high: float
    count: int
    confidence: float | None = Field(description="mean confidence; null when the bin is empty")
    accuracy: float | None = Field(
        description="fraction of true positives (detection: the bin's precision); null when empty"
    )


class ReliabilityOut(BaseModel):
    label: str = Field(description='a class (by predicted class), or "all"')
    count: int
    ece: float
    mce: float
    bins: list[ReliabilityBinOut]


class CalibrationOut(BaseModel):
    """``Calibration.to_dict()`` with where it was computed."""

    inference_set: str
    segment: str
    query: str | None
    task: Task
    metric: Literal["ECE", "D-ECE"]
    conf: ConfDescription
    iou: float | None
    overall: ReliabilityOut
    classes: list[ReliabilityOut]


# ---------------------------------------------------------------- campaigns
CampaignKindName = Literal["frame", "crop"]
CandidateStatusName = Literal["pending", "accepted", "rejected"]
MAX_CAMPAIGN_K = 10_000
MAX_CAMPAIGN_TEXT = 10_000


class CampaignSeedIn(Body):
    """A seed: a frame (``element_id`` null), or a label or prediction (crop; a prediction
    names its ``inference_set``) of a dataset of the project (issue elements' shape)."""

    dataset: str = Field(max_length=MAX_NAME_LENGTH)
    frame_id: str = Field(max_length=1000)
    element_kind: Literal["frame", "label", "prediction"] = "frame"
    element_id: str | None = Field(None, max_length=1000)
    inference_set: str | None = Field(None, max_length=MAX_NAME_LENGTH)


class CampaignSeedOut(BaseModel):
    dataset: str
    source: Literal["frame", "label", "prediction"]
    id: str = Field(description="the frame, label or prediction id")
    frame_id: str
    inference_set: str | None


class CandidateCounts(BaseModel):
    pending: int
    accepted: int
    rejected: int
    total: int


class CampaignOut(BaseModel):
    uuid: str
    name: str
    description: str
    issue: str | None = Field(description="the issue the seeds came from, if any")
    corpus: str = Field(description="the dataset searched (typically unlabeled)")
    embedding: str = Field(description="the embedding model")
    kind: CampaignKindName
    metric: Literal["cosine", "euclidean"]
    k: int
    k_per: Literal["seed", "total"]
    status: Literal["open", "closed"]
    created_at: str
    updated_at: str
    run_at: str | None = Field(description="when it last ran; null: never")
    corpus_version: int | None = Field(description="the corpus version of the last run")
    exact: bool | None = Field(description="exact search answered the last run")
    stale: bool | None = Field(
        description="the corpus changed since the last run (run again); null: never ran"
    )
    seeds: list[CampaignSeedOut]
    counts: CandidateCounts


class CampaignCreate(Body):
    """Seeds: an issue's elements (``issue``; dismissed ones left out) or ``seeds``."""

    name: Name
    corpus: LookupName
    issue: str | None = Field(None, max_length=MAX_NAME_LENGTH)
    seeds: list[CampaignSeedIn] | None = Field(None, max_length=10_000)
    embedding: str | None = Field(None, max_length=1000, description="the corpus's one model")
    kind: CampaignKindName | None = Field(
        None, description="default: crop when every seed is a label or prediction, else frame"
    )
    metric: Literal["cosine", "euclidean"] = "cosine"
    k: int = Field(10, ge=1, le=MAX_CAMPAIGN_K)
    k_per: Literal["seed", "total"] = "seed"
    description: str = Field("", max_length=MAX_CAMPAIGN_TEXT)


class CampaignUpdate(Body):
    name: Name | None = None
    description: str | None = Field(None, max_length=MAX_CAMPAIGN_TEXT)
    status: Literal["open", "closed"] | None = None
    k: int | None = Field(None, ge=1, le=MAX_CAMPAIGN_K)
    k_per: Literal["seed", "total"] | None = None


class CandidateOut(BaseModel):
    key: str = Field(description="names the candidate in reviews (ElementRef.key)")
    source: Literal["frame", "label", "prediction"]
    inference_set: str | None
    id: str
    frame_id: str
    rank: int | None = Field(description="1 = nearest; null: reviewed, not found by the last run")
    distance: float | None = Field(description="to its nearest seed")
    seed: int | None = Field(description="its nearest seed's position in seeds")
    status: CandidateStatusName
    note: str
    reviewed_at: str | None


class CandidatesPage(BaseModel):
    total: int = Field(description="candidates of the status asked (all when none)")
    offset: int
    counts: CandidateCounts
    candidates: list[CandidateOut]


class CandidateReview(Body):
    keys: list[Annotated[str, Field(max_length=1000)]] = Field(min_length=1, max_length=100_000)
    status: CandidateStatusName
    note: str | None = Field(None, max_length=MAX_CAMPAIGN_TEXT)


class CandidatesReviewed(BaseModel):
    candidates: list[CandidateOut]
    counts: CandidateCounts


class CampaignRunOut(BaseModel):
    found: int
    new: int
    kept: int = Field(description="reviews kept: candidates found again")
    dropped: int = Field(description="pending candidates not found again")
    unranked: int = Field(description="reviewed candidates not found again (kept, unranked)")
    exact: bool


class CampaignJobOut(BaseModel):
    id: str
    kind: Literal["campaign"]
    state: Literal["queued", "running", "done", "failed"]
    done: int = Field(description="seeds searched (+1 when stored)")
    total: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    result: CampaignRunOut | None
    error: str | None
