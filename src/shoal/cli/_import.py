"""``shoal import FORMAT PATH``: bring datasets and model results into the store.

Ground-truth formats create (or with ``--replace``, overwrite) a dataset; prediction
formats create an inference set on an existing dataset. Everything is read and
validated before anything is written.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shoal.cli._progress import ProgressBar
from shoal.cli._projects import home_option, open_store
from shoal.errors import InputError


@dataclass(frozen=True)
class _Format:
    help: str
    predictions: bool  # makes an inference set (else a dataset)
    task: str
    read: Callable[[argparse.Namespace, Any], Any]  # (args, dataset tables or None) -> tables


def _class_names(args: argparse.Namespace) -> Any:
    return args.class_names


def _read_coco(args: argparse.Namespace, _: Any) -> Any:
    from shoal.formats.coco_tables import from_coco

    return from_coco(args.path)


def _read_coco_results(args: argparse.Namespace, dataset: Any) -> Any:
    from shoal.formats.coco_tables import from_coco_results

    return from_coco_results(args.path, dataset)


def _read_yolo(args: argparse.Namespace, _: Any) -> Any:
    from shoal.formats.yolo import from_yolo

    return from_yolo(args.path, class_names=_class_names(args))


def _read_yolo_predictions(args: argparse.Namespace, dataset: Any) -> Any:
    from shoal.formats.yolo import from_yolo_predictions

    return from_yolo_predictions(args.path, dataset, class_names=_class_names(args))


def _read_voc(args: argparse.Namespace, _: Any) -> Any:
    from shoal.formats.voc import from_voc

    return from_voc(args.path)


def _read_cvat(args: argparse.Namespace, _: Any) -> Any:
    from shoal.formats.cvat import from_cvat

    return from_cvat(args.path)


def _read_labelbox(args: argparse.Namespace, dataset: Any) -> Any:
    from shoal.formats.labelbox import from_labelbox

    return from_labelbox(args.path, dataset)


def _read_csv(args: argparse.Namespace, _: Any) -> Any:
    from shoal.formats.classification_csv import from_classification_csv

    return from_classification_csv(args.path)


def _read_csv_predictions(args: argparse.Namespace, dataset: Any) -> Any:
    from shoal.formats.classification_csv import from_classification_predictions_csv

    names = args.class_names
    if names is None:
        names = sorted(set(dataset.labels.column("class_name").to_pylist()))
    return from_classification_predictions_csv(args.path, names)


def _read_text_boxes(args: argparse.Namespace, dataset: Any) -> Any:
    from shoal.formats.text_boxes import from_text_boxes

    return from_text_boxes(
        args.path, coords=args.coords, image_sizes=dataset, class_names=_class_names(args)
    )


FORMATS: dict[str, _Format] = {
    "coco": _Format("COCO instances JSON (ground truth)", False, "detection", _read_coco),
    "coco-results": _Format(
        "COCO results JSON (predictions)", True, "detection", _read_coco_results
    ),
    "yolo": _Format(
        "Ultralytics data.yaml or a YOLO labels folder", False, "detection", _read_yolo
    ),
    "yolo-predictions": _Format(
        "YOLO prediction rows (class xc yc w h conf)", True, "detection", _read_yolo_predictions
    ),
    "voc": _Format("Pascal VOC XML folder", False, "detection", _read_voc),
    "cvat": _Format("CVAT for images 1.1 XML", False, "detection", _read_cvat),
    "labelbox": _Format("Labelbox NDJSON predictions", True, "detection", _read_labelbox),
    "text-boxes": _Format(
        "one text file per image: class conf box (see --coords)",
        True,
        "detection",
        _read_text_boxes,
    ),
    "csv": _Format("classification CSV: frame_id,label[,...]", False, "classification", _read_csv),
    "csv-predictions": _Format(
        "classification CSV: frame_id,predicted,confidence[,p_<class>...]",
        True,
        "classification",
        _read_csv_predictions,
    ),
}


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "import",
        help="import a dataset or a model's predictions into a project",
        description=(
            "Import ground truth as a dataset, or predictions as an inference set on a "
            "dataset. Formats: " + "; ".join(f"{k}: {f.help}" for k, f in FORMATS.items())
        ),
    )
    parser.add_argument("format", choices=sorted(FORMATS), help="the file format")
    parser.add_argument("path", type=Path, help="the file or folder to read")
    parser.add_argument("--project", required=True, help="project name (created if missing)")
    parser.add_argument(
        "--dataset",
        help="dataset name (default for ground truth: the file or folder name; "
        "required for predictions: the dataset they are on)",
    )
    parser.add_argument("--name", help="inference set name (predictions only; default: file name)")
    parser.add_argument(
        "--task",
        choices=("detection", "classification"),
        help="task of a new project (default: the format's)",
    )
    parser.add_argument("--images", type=Path, help="the local folder images are served from")
    parser.add_argument(
        "--class-names", help="a class-names file (obj.names) for YOLO and text formats"
    )
    parser.add_argument(
        "--coords",
        choices=("xywh", "xyx2y2", "rel_xcycwh"),
        default="xywh",
        help="box layout of text-boxes files (default: %(default)s)",
    )
    parser.add_argument(
        "--replace", action="store_true", help="overwrite a dataset or inference set of that name"
    )
    home_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    spec = FORMATS[args.format]
    store = open_store(args, create=True)
    started = time.perf_counter()
    task = args.task or spec.task
    names = [p.name for p in store.projects()]
    project = store.project(args.project) if args.project in names else None
    if spec.predictions:
        if args.dataset is None:
            raise InputError(
                f"importing {args.format} needs --dataset: the dataset the predictions are on"
            )
        if project is None:
            raise InputError(f"no project named {args.project!r}: import its dataset first")
        dataset = project.dataset(args.dataset)
        print(f"reading {args.path} ...", file=sys.stderr)
        tables = spec.read(args, dataset.tables())
        name = args.name or args.path.stem
        with ProgressBar(f"storing {name}") as bar:
            inference_set = dataset.create_inference_set(
                name, tables, replace=args.replace, progress=bar
            )
        count = inference_set.to_dict()["num_predictions"]
        print(
            f"imported inference set {name!r} on {project.name}/{dataset.name}: {count:,} predictions "
            f"in {time.perf_counter() - started:.1f} s"
        )
        return 0
    print(f"reading {args.path} ...", file=sys.stderr)
    tables = spec.read(args, None)
    name = args.dataset or args.path.stem
    if project is None:
        project = store.create_project(args.project, task=task)
    with ProgressBar(f"storing {name}") as bar:
        dataset = project.create_dataset(
            name, tables, replace=args.replace, image_root=args.images, progress=bar
        )
    info = dataset.to_dict()
    print(
        f"imported dataset {name!r} into {project.name}: {info['num_frames']:,} frames, "
        f"{info['num_labels']:,} labels in {time.perf_counter() - started:.1f} s"
    )
    return 0
