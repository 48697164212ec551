"""``shoal demo``: make a small COCO sample offline and evaluate it, to see Shoal work."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from shoal.cli._arguments import positive_float, positive_int, tcp_port, unit_float

if TYPE_CHECKING:
    from shoal.store import Store

DEMO_IMAGES = 400
DEMO_SEED = 7


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "demo",
        help="generate a small COCO sample and evaluate it",
        description=(
            "Write a deterministic COCO-like sample (ground truth and a model's results, made "
            "here with no network) and run `shoal eval` on it."
        ),
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="where to write the sample (default: $SHOAL_HOME/demo/coco, ~/.shoal by default)",
    )
    parser.add_argument(
        "--images",
        type=positive_int,
        default=DEMO_IMAGES,
        help="how many images the sample has (default: %(default)s)",
    )
    parser.add_argument(
        "--build",
        action="store_true",
        help="build the demo projects (digits, shapes) into the store instead",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help=(
            "build the demo projects if the store lacks them, then serve the web app and "
            "the REST API on them (what `make demo` runs)"
        ),
    )
    parser.add_argument(
        "--home", type=Path, default=None, help="the store's home for --build and --serve"
    )
    parser.add_argument("--host", default="127.0.0.1", help="for --serve (default: %(default)s)")
    parser.add_argument(
        "--port", type=tcp_port, default=8000, help="for --serve (default: %(default)s)"
    )
    parser.add_argument(
        "--scale",
        type=positive_float,
        default=1.0,
        help="size of the demo projects when built (default: 1)",
    )
    parser.add_argument("--conf", type=unit_float, default=0.3, help="default: %(default)s")
    parser.add_argument("--iou", type=unit_float, default=0.5, help="default: %(default)s")
    parser.set_defaults(run=run)


def write_sample(directory: Path, num_images: int) -> tuple[Path, Path]:
    """Write ``gt.json`` and ``predictions.json``; the same arguments give the same bytes."""
    from shoal.demo.synthetic import generate_coco

    gt, predictions = generate_coco(num_images, seed=DEMO_SEED)
    directory.mkdir(parents=True, exist_ok=True)
    gt_path, dt_path = directory / "gt.json", directory / "predictions.json"
    # Write beside and rename, so an interrupted run never leaves half a file.
    for path, content in ((gt_path, gt), (dt_path, predictions)):
        partial = path.with_suffix(".json.partial")
        partial.write_bytes(orjson.dumps(content))
        partial.replace(path)
    return gt_path, dt_path


def build_and_serve(args: argparse.Namespace) -> int:
    """``--build``: (re)build the demo projects and print what each model scores on each.
    ``--serve``: build them only when the store lacks one, then serve the web app."""
    from shoal.demo import DEMO_PROJECT_NAMES
    from shoal.store import Store

    store = Store(args.home)
    present = {project.name for project in store.projects()}
    if args.build or not present.issuperset(DEMO_PROJECT_NAMES):
        _build_and_summarize(store, args.scale)
    else:
        print(f"demo projects {', '.join(DEMO_PROJECT_NAMES)} found in {store.home.path}")
    if not args.serve:
        print(f"\nstore: {store.home.path} (see `shoal ls`, `shoal show digits`)")
        return 0
    from shoal.cli import _serve

    return _serve.run(_serve.arguments(home=store.home.path, host=args.host, port=args.port))


def _build_and_summarize(store: Store, scale: float) -> None:
    from shoal.cli._progress import ProgressBar
    from shoal.demo import build_demo_projects

    with ProgressBar("building demo projects") as bar:
        projects = build_demo_projects(store, progress=bar, scale=scale)
    for project in projects:
        conf, iou = project.default_conf, project.default_iou
        for dataset in project.datasets():
            print(
                f"{project.name} ({project.task}): dataset {dataset.name}, "
                f"{dataset.frames().num_rows:,} frames"
            )
            if dataset.labels().num_rows == 0:
                print("  no labels: the corpus of collection campaigns (nothing to score)")
                continue
            for inference_set in dataset.inference_sets():
                if project.task == "multilabel":
                    numbers = inference_set.multilabel_metrics().to_dict()
                    print(
                        f"  {inference_set.name}: subset accuracy "
                        f"{numbers['subset_accuracy']:.3f}, Hamming loss "
                        f"{numbers['hamming_loss']:.3f}, mean AP "
                        f"{numbers['mean_average_precision']:.3f} at threshold {conf:g}"
                    )
                    continue
                evaluation = inference_set.evaluate()
                report = evaluation.report(conf, iou)
                summary = evaluation.coco_summary()
                scores = (
                    f"mAP {summary.stats['AP']:.3f}"
                    if summary is not None
                    else f"accuracy {evaluation.report().accuracy or 0.0:.3f}"
                )
                micro = report.averages()["micro avg"]
                print(
                    f"  {inference_set.name}: {scores}; at conf {conf:g}: precision "
                    f"{micro['precision']:.3f}, recall {micro['recall']:.3f}, F1 {micro['f1-score']:.3f}"
                )


def _default_directory() -> Path:
    from shoal.store import default_home

    return default_home() / "demo" / "coco"


def run(args: argparse.Namespace) -> int:
    from shoal.cli import _eval

    if args.build or args.serve:
        return build_and_serve(args)

    directory = args.dir if args.dir is not None else _default_directory()
    gt_path, dt_path = write_sample(directory, args.images)
    print(f"Demo sample: {gt_path} and {dt_path}\n")
    eval_args = argparse.Namespace(
        ground_truth=gt_path,
        predictions=dt_path,
        conf=args.conf,
        iou=args.iou,
        protocol="coco",
        pixel_inclusive=False,
        honor_ignore=False,
        json=None,
    )
    return _eval.run(eval_args)
