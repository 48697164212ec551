"""Shoal: find where your models fail.

Evaluate detections or classifications once, then ask for any metric at any
confidence and IoU threshold, for any segment of frames, instantly::

    import shoal

    ev = shoal.evaluate_detections("instances_val.json", "results.json")
    print(ev.coco_summary())
    print(ev.report(conf=0.3, iou=0.5))
    print(ev.confusion_matrix(conf=0.3, iou=0.5))
"""

from shoal._evaluate import evaluate_detections, predictions_from_table
from shoal.engine.classification import ClassificationEvaluation, evaluate_classifications
from shoal.engine.detection.annotations import Classes, GroundTruth, Predictions
from shoal.engine.detection.evaluator import COCO_IOU_THRESHOLDS, DetectionEvaluation
from shoal.engine.detection.metrics import COCO_STAT_NAMES, CocoSummary, Outcomes
from shoal.engine.metrics import ClassificationReport, ConfusionMatrix, PRCurve, ThresholdChoice
from shoal.errors import InputError, ShoalError
from shoal.formats.coco import read_coco_ground_truth, read_coco_results

__all__ = [
    "COCO_IOU_THRESHOLDS",
    "COCO_STAT_NAMES",
    "Classes",
    "ClassificationEvaluation",
    "ClassificationReport",
    "CocoSummary",
    "ConfusionMatrix",
    "DetectionEvaluation",
    "GroundTruth",
    "InputError",
    "Outcomes",
    "PRCurve",
    "Predictions",
    "ShoalError",
    "ThresholdChoice",
    "evaluate_classifications",
    "evaluate_detections",
    "predictions_from_table",
    "read_coco_ground_truth",
    "read_coco_results",
]
__version__ = "0.1.0"
