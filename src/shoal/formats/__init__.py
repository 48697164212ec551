"""Readers and writers of annotation and prediction files, and the one registry of the
formats Shoal imports (:data:`FORMATS`), which every face (``shoal import``, scripts)
uses to turn a format name and a path into Shoal's tables.

The registry loads a format's module only when that format is read, so importing
``shoal.formats`` (as ``shoal eval`` does) stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from shoal._types import Task
from shoal.formats.coco import read_coco_ground_truth, read_coco_results

if TYPE_CHECKING:
    from shoal.tables import DatasetTables, InferenceTables

__all__ = ["FORMATS", "Format", "ReadOptions", "read_coco_ground_truth", "read_coco_results"]


@dataclass(frozen=True)
class ReadOptions:
    """What a format reader may need besides the path.

    ``dataset``: the dataset predictions are on (prediction formats). ``class_names``: a
    names file (YOLO, text formats). ``coords``: the box layout of text formats.
    ``image_sizes``: a CSV (``frame_id,width,height``) or JSON (``{"frame_id": [width,
    height]}``) file of image sizes; else ``images``: a folder of images named by frame id
    (``<frame_id>.jpg``...) whose headers give the sizes. ``honor_ignore``: COCO
    ``ignore`` flags count (see :mod:`shoal.formats.coco`).
    """

    path: Path
    dataset: DatasetTables | None = None
    class_names: str | None = None
    coords: Literal["xywh", "xyx2y2", "rel_xcycwh"] = "xywh"
    image_sizes: Path | None = None
    images: Path | None = None
    honor_ignore: bool = False


@dataclass(frozen=True)
class Format:
    """One importable format: ``read(options)`` gives a dataset's tables, or (when
    ``predictions``) an inference set's on ``options.dataset``."""

    help: str
    predictions: bool
    task: Task
    read: Callable[[ReadOptions], Any]


def _image_sizes(options: ReadOptions) -> dict[str, tuple[int, int]] | None:
    """The sizes ``options`` give: the sizes file, else the images folder's headers."""
    from shoal.formats._rows import image_sizes_file, image_sizes_from_folder

    if options.image_sizes is not None:
        return image_sizes_file(options.image_sizes)
    if options.images is not None:
        return image_sizes_from_folder(options.images)
    return None


def _dataset(options: ReadOptions) -> DatasetTables:
    if options.dataset is None:
        raise ValueError("a prediction format needs ReadOptions.dataset")
    return options.dataset


def _coco(options: ReadOptions) -> DatasetTables:
    from shoal.formats.coco_tables import from_coco

    return from_coco(options.path, ignore_flag=options.honor_ignore)


def _coco_results(options: ReadOptions) -> InferenceTables:
    from shoal.formats.coco_tables import from_coco_results

    return from_coco_results(options.path, _dataset(options))


def _yolo(options: ReadOptions) -> DatasetTables:
    from shoal.formats.yolo import from_yolo

    return from_yolo(
        options.path, class_names=options.class_names, image_sizes=_image_sizes(options)
    )


def _yolo_predictions(options: ReadOptions) -> InferenceTables:
    from shoal.formats.yolo import from_yolo_predictions

    return from_yolo_predictions(
        options.path,
        _dataset(options),
        class_names=options.class_names,
        image_sizes=_image_sizes(options),
    )


def _voc(options: ReadOptions) -> DatasetTables:
    from shoal.formats.voc import from_voc

    return from_voc(options.path)


def _cvat(options: ReadOptions) -> DatasetTables:
    from shoal.formats.cvat import from_cvat

    return from_cvat(options.path)


def _labelbox(options: ReadOptions) -> InferenceTables:
    from shoal.formats.labelbox import from_labelbox

    return from_labelbox(options.path, _dataset(options))


def _csv(options: ReadOptions) -> DatasetTables:
    from shoal.formats.classification_csv import from_classification_csv

    return from_classification_csv(options.path)


def _csv_predictions(options: ReadOptions) -> InferenceTables:
    from shoal.formats.classification_csv import from_classification_predictions_csv

    dataset = _dataset(options)
    names = options.class_names
    return from_classification_predictions_csv(
        options.path, names if names is not None else dataset.class_names
    )


def _multilabel_csv(options: ReadOptions) -> DatasetTables:
    from shoal.formats.multilabel_csv import from_multilabel_csv

    return from_multilabel_csv(options.path)


def _multilabel_csv_predictions(options: ReadOptions) -> InferenceTables:
    from shoal.formats.multilabel_csv import from_multilabel_predictions_csv

    return from_multilabel_predictions_csv(options.path, _dataset(options))


def _conll(options: ReadOptions) -> DatasetTables:
    from shoal.formats.conll import from_conll

    return from_conll(options.path)


def _conll_predictions(options: ReadOptions) -> InferenceTables:
    from shoal.formats.conll import from_conll_predictions

    return from_conll_predictions(options.path, _dataset(options))


def _labelbox_checklist(options: ReadOptions) -> InferenceTables:
    from shoal.formats.labelbox_checklist import from_labelbox_checklist

    return from_labelbox_checklist(options.path, _dataset(options))


def _labelbox_ner(options: ReadOptions) -> InferenceTables:
    from shoal.formats.labelbox_ner import from_labelbox_ner_predictions

    return from_labelbox_ner_predictions(options.path, _dataset(options))


def _text_boxes(options: ReadOptions) -> InferenceTables:
    from shoal.formats.text_boxes import from_text_boxes

    dataset = _dataset(options)
    sizes = _image_sizes(options)
    return from_text_boxes(
        options.path,
        coords=options.coords,
        image_sizes=dataset if sizes is None else sizes,
        class_names=options.class_names,
        known_classes=dataset.class_names,
    )


def _text_labels(options: ReadOptions) -> DatasetTables:
    from shoal.formats.text_boxes import from_text_labels

    return from_text_labels(
        options.path,
        coords=options.coords,
        image_sizes=_image_sizes(options),
        class_names=options.class_names,
    )


FORMATS: dict[str, Format] = {
    "coco": Format("COCO instances JSON (ground truth)", False, "detection", _coco),
    "coco-results": Format("COCO results JSON (predictions)", True, "detection", _coco_results),
    "yolo": Format("Ultralytics data.yaml or a YOLO labels folder", False, "detection", _yolo),
    "yolo-predictions": Format(
        "YOLO prediction rows (class xc yc w h conf)", True, "detection", _yolo_predictions
    ),
    "voc": Format("Pascal VOC XML folder", False, "detection", _voc),
    "cvat": Format("CVAT for images 1.1 XML", False, "detection", _cvat),
    "labelbox": Format("Labelbox NDJSON predictions", True, "detection", _labelbox),
    "text-boxes": Format(
        "one text file per image: class conf box (see --coords)", True, "detection", _text_boxes
    ),
    "text-labels": Format(
        "one text file per image: class box (ground truth; see --coords)",
        False,
        "detection",
        _text_labels,
    ),
    "csv": Format("classification CSV: frame_id,label[,...]", False, "classification", _csv),
    "csv-predictions": Format(
        "classification CSV: frame_id,predicted,confidence[,p_<class>...]",
        True,
        "classification",
        _csv_predictions,
    ),
    "multilabel-csv": Format(
        "multi-label CSV: frame_id,labels (classes joined by ';')[,...]",
        False,
        "multilabel",
        _multilabel_csv,
    ),
    "labelbox-checklist": Format(
        "Labelbox NDJSON checklist answers (multi-label predictions)",
        True,
        "multilabel",
        _labelbox_checklist,
    ),
    "multilabel-csv-predictions": Format(
        "multi-label CSV: frame_id,p_<class>... (a score per class)",
        True,
        "multilabel",
        _multilabel_csv_predictions,
    ),
    "conll": Format(
        "CoNLL NER file (token ... tag; blank lines between sentences)", False, "ner", _conll
    ),
    "conll-predictions": Format(
        "CoNLL NER file of predicted tags, the dataset's sentences and tokens",
        True,
        "ner",
        _conll_predictions,
    ),
    "labelbox-ner": Format(
        "Labelbox NDJSON text entities (predictions on an NER dataset's frames)",
        True,
        "ner",
        _labelbox_ner,
    ),
}
