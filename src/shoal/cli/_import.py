"""``shoal import FORMAT PATH``: bring datasets and model results into the store.

Ground-truth formats create (or with ``--replace``, overwrite) a dataset; prediction
formats create an inference set on an existing dataset. Everything is read and
validated before anything is written.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shoal.cli._progress import ProgressBar
from shoal.cli._projects import home_option, open_store
from shoal.cli._quality import compute_with_bar
from shoal.errors import InputError
from shoal.formats import FORMATS, Format, ReadOptions

# How CLI messages name the readers' options.
_CLI_SPELLING = {
    "class_names": "--class-names FILE",
    "image_sizes": "--image-sizes FILE (frame_id,width,height) or --images DIR",
    "images": "--images DIR",
}


def _existing_folder(text: str) -> Path:
    folder = Path(text)
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not a folder")
    return folder


def _options(args: argparse.Namespace, dataset: Any) -> ReadOptions:
    return ReadOptions(
        path=args.path,
        dataset=dataset,
        class_names=args.class_names,
        coords=args.coords,
        image_sizes=args.image_sizes,
        images=args.images,
        honor_ignore=args.honor_ignore,
    )


def _read(args: argparse.Namespace, spec: Format, dataset: Any) -> Any:
    """The format's tables; an error without a file names the one being imported."""
    from shoal.formats._rows import option_spelling  # loads Arrow: only when importing

    print(f"reading {args.path} ...", file=sys.stderr)
    with _located(args.path), option_spelling(_CLI_SPELLING):
        tables = spec.read(_options(args, dataset))
    return tables if args.embeddings is None else _with_embeddings(args.embeddings, tables, dataset)


def _with_embeddings(path: Path, tables: Any, dataset: Any) -> Any:
    """``tables`` with the vectors of the Parquet file ``path``, checked as the SDK checks
    them (known frames; a crop's target is a label, or a prediction of these tables)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from shoal.sdk._columns import dataset_tables, inference_tables, read_embeddings
    from shoal.tables import DatasetTables, InferenceTables

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as error:
        raise InputError(
            f"cannot read the embeddings as Parquet ({error})", source=str(path)
        ) from None
    with _located(path):
        vectors = read_embeddings({name: table.column(name) for name in table.column_names})
        if tables.embeddings.num_rows:
            vectors = pa.concat_tables([tables.embeddings, vectors.cast(tables.embeddings.schema)])
        if isinstance(tables, DatasetTables):
            checked = dataset_tables(tables.frames, tables.labels, vectors, source=str(path))
            # The labels as read (their schema keeps what the format's exporter needs).
            return DatasetTables(tables.frames, tables.labels, checked.embeddings)
        checked_set = inference_tables(tables.predictions, vectors, dataset, source=str(path))
        return InferenceTables(tables.predictions, checked_set.embeddings)


@contextlib.contextmanager
def _located(path: Path) -> Iterator[None]:
    """Bad-input errors raised after a file was parsed (when tables are built or
    stored) name that file too."""
    try:
        yield
    except InputError as error:
        if type(error) is InputError and error.source is None:
            raise error.located(str(path)) from None
        raise


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
        choices=("detection", "classification", "multilabel", "ner"),
        help="task of a new project (default: the format's)",
    )
    parser.add_argument(
        "--images",
        type=_existing_folder,
        help="the local folder images are served from (named by frame id: <frame_id>.jpg...); "
        "YOLO and text formats also read image sizes from their headers (needs Pillow)",
    )
    parser.add_argument(
        "--class-names",
        help="a class-names file (obj.names, one a line) for YOLO and text formats: class "
        "ids index it",
    )
    parser.add_argument(
        "--image-sizes",
        type=Path,
        metavar="FILE",
        help='image sizes for YOLO and relative text boxes: a CSV "frame_id,width,height" '
        'or a JSON {"frame_id": [width, height]}',
    )
    parser.add_argument(
        "--coords",
        choices=("xywh", "xyx2y2", "rel_xcycwh"),
        default="xywh",
        help="box layout of text-boxes and text-labels files (default: %(default)s)",
    )
    parser.add_argument(
        "--honor-ignore",
        action="store_true",
        help='coco: annotations marked "ignore": 1 are ignored ground truth (by default the '
        "flag does not count, as in pycocotools, and is kept as an attribute)",
    )
    parser.add_argument(
        "--embeddings",
        type=Path,
        metavar="FILE",
        help="vectors stored with the import (e.g. an unlabeled corpus's): a Parquet file of "
        "frame_id, vector (or embedding), optional model_id and, for a crop, target_id "
        "(label_id or prediction_id)",
    )
    parser.add_argument(
        "--replace", action="store_true", help="overwrite a dataset or inference set of that name"
    )
    parser.add_argument(
        "--no-quality",
        action="store_true",
        help="do not compute quality metrics after the import (brightness, sharpness, box "
        "geometry...; docs/quality.md); `shoal quality` computes them later",
    )
    parser.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="predictions (detection): match them now in partitions of the frames as Ray "
        "tasks on the cluster at ADDRESS ('auto', 'local', ray://HOST:PORT) that read their "
        "own rows of the stored files, and keep the matching (docs/distributed.md)",
    )
    parser.add_argument(
        "--partitions",
        type=int,
        metavar="N",
        help="with --ray, the number of partitions (default: one per CPU of the cluster); "
        "alone, match now in N partitions in this process",
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
    distribute = getattr(args, "ray", None) is not None or getattr(args, "partitions", None)
    if distribute and not spec.predictions:
        raise InputError("--ray and --partitions match an inference set: import predictions")
    partitions = getattr(args, "partitions", None)
    if partitions is not None and partitions < 1:
        raise InputError(f"--partitions must be at least 1, got {partitions}")
    if spec.predictions:
        if args.dataset is None:
            raise InputError(
                f"importing {args.format} needs --dataset: the dataset the predictions are on"
            )
        if project is None:
            raise InputError(f"no project named {args.project!r}: import its dataset first")
        dataset = project.dataset(args.dataset)
        tables = _read(args, spec, dataset.tables())
        name = args.name or args.path.stem
        with ProgressBar(f"storing {name}") as bar, _located(args.path):
            inference_set = dataset.create_inference_set(
                name, tables, replace=args.replace, progress=bar
            )
        count = inference_set.to_dict()["num_predictions"]
        print(
            f"imported inference set {name!r} on {project.name}/{dataset.name}: {count:,} predictions "
            f"in {time.perf_counter() - started:.1f} s"
        )
        if distribute:
            where = f"on Ray ({args.ray})" if args.ray is not None else "in this process"
            matched = time.perf_counter()
            with ProgressBar(f"matching {name} in partitions {where}") as bar:
                inference_set.evaluate(partitions=args.partitions, ray=args.ray, progress=bar)
            print(f"matched in partitions {where} in {time.perf_counter() - matched:.1f} s")
        if not args.no_quality and project.task == "detection":
            compute_with_bar(inference_set)  # classification predictions have no box
        return 0
    tables = _read(args, spec, None)
    name = args.dataset or args.path.stem
    if project is None:
        # Another import may create it meanwhile: then that project is simply used.
        project = store.get_or_create_project(args.project, task=task)
    with ProgressBar(f"storing {name}") as bar, _located(args.path):
        dataset = project.create_dataset(
            name, tables, replace=args.replace, image_root=args.images, progress=bar
        )
    info = dataset.to_dict()
    print(
        f"imported dataset {name!r} into {project.name}: {info['num_frames']:,} frames, "
        f"{info['num_labels']:,} labels in {time.perf_counter() - started:.1f} s"
    )
    if not args.no_quality:
        compute_with_bar(dataset)
    return 0
