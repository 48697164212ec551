"""Shoal: find where your models fail.

Evaluate detections or classifications once, then ask for any metric at any
confidence and IoU threshold, for any segment of frames, instantly::

    import shoal

    ev = shoal.evaluate_detections("instances_val.json", "results.json")
    print(ev.coco_summary())
    print(ev.report(conf=0.3, iou=0.5))
    print(ev.confusion_matrix(conf=0.3, iou=0.5))
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Every name loads its module on first use, so ``import shoal`` costs almost nothing
# and a script (or ``shoal eval``) pays only for what it touches: evaluating COCO files
# never loads classification, pyarrow or DuckDB.
_LAZY = {
    "evaluate_detections": "shoal._evaluate",
    "predictions_from_table": "shoal._evaluate",
    "ClassificationEvaluation": "shoal.engine.classification",
    "evaluate_classifications": "shoal.engine.classification",
    "Classes": "shoal.engine.detection.annotations",
    "GroundTruth": "shoal.engine.detection.annotations",
    "Predictions": "shoal.engine.detection.annotations",
    "COCO_IOU_THRESHOLDS": "shoal.engine.detection.evaluator",
    "DetectionEvaluation": "shoal.engine.detection.evaluator",
    "COCO_STAT_NAMES": "shoal.engine.detection.metrics",
    "CocoSummary": "shoal.engine.detection.metrics",
    "CocoParams": "shoal.engine.detection.metrics",
    "BoxSimilarity": "shoal.engine.detection.similarity",
    "PairSimilarity": "shoal.engine.detection.similarity",
    "Evaluation": "shoal.engine.evaluation",
    "ClassificationReport": "shoal.engine.metrics",
    "ConfusionMatrix": "shoal.engine.metrics",
    "Outcomes": "shoal.engine.metrics",
    "PRCurve": "shoal.engine.metrics",
    "ThresholdChoice": "shoal.engine.metrics",
    "InputError": "shoal.errors",
    "ShoalError": "shoal.errors",
    "read_coco_ground_truth": "shoal.formats.coco",
    "read_coco_results": "shoal.formats.coco",
    "Client": "shoal.client",
    "Store": "shoal.store",
    "ClassInfo": "shoal.store",
    "IssueElement": "shoal.store",
    "MetricInfo": "shoal.store",
    "ElementRef": "shoal.store",
    "EmbeddingModelInfo": "shoal.store",
    "Projection": "shoal.store",
    "Campaign": "shoal.store",
    "CampaignRun": "shoal.store",
    "CampaignSeed": "shoal.store",
    "Candidate": "shoal.store",
    "DatasetTables": "shoal.tables",
    "InferenceTables": "shoal.tables",
    "LabeledFrame": "shoal.sdk",
    "LabeledDataset": "shoal.sdk",
    "InferencesFrame": "shoal.sdk",
    "Inferences": "shoal.sdk",
    "from_coco": "shoal.formats.coco_tables",
    "from_coco_results": "shoal.formats.coco_tables",
    "as_coco": "shoal.formats.coco_tables",
    "as_coco_results": "shoal.formats.coco_tables",
    "from_yolo": "shoal.formats.yolo",
    "from_yolo_predictions": "shoal.formats.yolo",
    "as_yolo": "shoal.formats.yolo",
    "from_voc": "shoal.formats.voc",
    "as_voc": "shoal.formats.voc",
    "from_cvat": "shoal.formats.cvat",
    "as_cvat": "shoal.formats.cvat",
    "from_labelbox": "shoal.formats.labelbox",
    "as_labelbox": "shoal.formats.labelbox",
    "from_classification_csv": "shoal.formats.classification_csv",
    "from_classification_predictions_csv": "shoal.formats.classification_csv",
    "as_classification_csv": "shoal.formats.classification_csv",
    "as_classification_predictions_csv": "shoal.formats.classification_csv",
    "from_text_boxes": "shoal.formats.text_boxes",
    "from_text_labels": "shoal.formats.text_boxes",
}

if TYPE_CHECKING:
    from shoal._evaluate import evaluate_detections, predictions_from_table
    from shoal.client import Client
    from shoal.engine.classification import ClassificationEvaluation, evaluate_classifications
    from shoal.engine.detection.annotations import Classes, GroundTruth, Predictions
    from shoal.engine.detection.evaluator import COCO_IOU_THRESHOLDS, DetectionEvaluation
    from shoal.engine.detection.metrics import COCO_STAT_NAMES, CocoParams, CocoSummary
    from shoal.engine.detection.similarity import BoxSimilarity, PairSimilarity
    from shoal.engine.evaluation import Evaluation
    from shoal.engine.metrics import (
        ClassificationReport,
        ConfusionMatrix,
        Outcomes,
        PRCurve,
        ThresholdChoice,
    )
    from shoal.errors import InputError, ShoalError
    from shoal.formats.classification_csv import (
        as_classification_csv,
        as_classification_predictions_csv,
        from_classification_csv,
        from_classification_predictions_csv,
    )
    from shoal.formats.coco import read_coco_ground_truth, read_coco_results
    from shoal.formats.coco_tables import as_coco, as_coco_results, from_coco, from_coco_results
    from shoal.formats.cvat import as_cvat, from_cvat
    from shoal.formats.labelbox import as_labelbox, from_labelbox
    from shoal.formats.text_boxes import from_text_boxes, from_text_labels
    from shoal.formats.voc import as_voc, from_voc
    from shoal.formats.yolo import as_yolo, from_yolo, from_yolo_predictions
    from shoal.sdk import Inferences, InferencesFrame, LabeledDataset, LabeledFrame
    from shoal.store import (
        Campaign,
        CampaignRun,
        CampaignSeed,
        Candidate,
        ClassInfo,
        ElementRef,
        EmbeddingModelInfo,
        IssueElement,
        MetricInfo,
        Projection,
        Store,
    )
    from shoal.tables import DatasetTables, InferenceTables


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'shoal' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "COCO_IOU_THRESHOLDS",
    "COCO_STAT_NAMES",
    "BoxSimilarity",
    "Campaign",
    "CampaignRun",
    "CampaignSeed",
    "Candidate",
    "ClassInfo",
    "Classes",
    "ClassificationEvaluation",
    "ClassificationReport",
    "Client",
    "CocoParams",
    "CocoSummary",
    "ConfusionMatrix",
    "DatasetTables",
    "DetectionEvaluation",
    "ElementRef",
    "EmbeddingModelInfo",
    "Evaluation",
    "GroundTruth",
    "InferenceTables",
    "Inferences",
    "InferencesFrame",
    "InputError",
    "IssueElement",
    "LabeledDataset",
    "LabeledFrame",
    "MetricInfo",
    "Outcomes",
    "PRCurve",
    "PairSimilarity",
    "Predictions",
    "Projection",
    "ShoalError",
    "Store",
    "ThresholdChoice",
    "as_classification_csv",
    "as_classification_predictions_csv",
    "as_coco",
    "as_coco_results",
    "as_cvat",
    "as_labelbox",
    "as_voc",
    "as_yolo",
    "evaluate_classifications",
    "evaluate_detections",
    "from_classification_csv",
    "from_classification_predictions_csv",
    "from_coco",
    "from_coco_results",
    "from_cvat",
    "from_labelbox",
    "from_text_boxes",
    "from_text_labels",
    "from_voc",
    "from_yolo",
    "from_yolo_predictions",
    "predictions_from_table",
    "read_coco_ground_truth",
    "read_coco_results",
]
__version__ = "0.1.0"
