"""``shoal embeddings``: a dataset's embedding models (``ls``), its 2D projection kept in
the store (``project``, under a progress bar) and vectors added from files (``import``).
The store does the work (``Dataset.embedding_models``, ``Dataset.projection``,
``Dataset.add_embeddings``); this module only lays the answers out."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from shoal.cli._output import print_table, write_json
from shoal.cli._progress import ProgressBar
from shoal.cli._projects import home_option, open_store

__all__ = ["register"]


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "embeddings",
        help="a dataset's embedding models, 2D projections and vector imports",
        description=(
            "List a dataset's embedding models (ls), compute or read its 2D projection kept "
            "in the store (project), or add vectors from a file (import). See docs/embeddings.md."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    ls = actions.add_parser("ls", help="the dataset's embedding models and their vector counts")
    ls.add_argument("project", help="the project")
    ls.add_argument("dataset", help="the dataset")
    ls.add_argument(
        "--json", type=Path, metavar="OUT", help="also write them as JSON ('-': stdout)"
    )
    home_option(ls)
    ls.set_defaults(run=_ls)

    project = actions.add_parser(
        "project",
        help="the 2D projection of the dataset's vectors (computed once, kept in the store)",
        description=(
            "The 2D projection of the frames' (or crops': labels, then each inference set's "
            "predictions) vectors of one model: read from the store when current, else "
            "computed (UMAP by default; above 20,000 vectors fitted on a sample and the rest "
            "placed; PCA is quick) and kept."
        ),
    )
    project.add_argument("project", help="the project")
    project.add_argument("dataset", help="the dataset")
    project.add_argument(
        "--embedding", metavar="MODEL", help="the embedding model (needed when there are several)"
    )
    project.add_argument(
        "--kind", choices=("frame", "crop"), default="frame",
        help="frames or crops (label and prediction crops); default: frame",
    )  # fmt: skip
    project.add_argument(
        "--method", choices=("umap", "pca"), default="umap",
        help="UMAP (clusters) or PCA (a fast first look); default: umap",
    )  # fmt: skip
    project.add_argument(
        "--json", type=Path, metavar="OUT",
        help="also write the summary, points and elements as JSON ('-': stdout)",
    )  # fmt: skip
    home_option(project)
    project.set_defaults(run=_project)

    imports = actions.add_parser(
        "import",
        help="add vectors to a dataset or inference set from a Parquet or .npz file",
        description=(
            "Add vectors from FILE: Parquet with frame_id, target_id, model_id and vector "
            "columns, or .npz with ids and vectors (and --model). The file's vectors of each "
            "model and kind replace those in the dataset's table (or the inference set's); the "
            "frames, labels and predictions stay as they are."
        ),
    )
    imports.add_argument("project", help="the project")
    imports.add_argument("dataset", help="the dataset")
    imports.add_argument("file", type=Path, help="a .parquet or .npz file of vectors")
    imports.add_argument(
        "--inference-set", metavar="SET",
        help="add them to this inference set (frame vectors and prediction crops)",
    )  # fmt: skip
    imports.add_argument(
        "--model", metavar="MODEL",
        help="the embedding model of a .npz file (or of a Parquet file without model_id)",
    )  # fmt: skip
    imports.add_argument(
        "--kind", choices=("frame", "crop"), default="frame",
        help="a .npz file's ids: frame ids (frame) or label / prediction ids (crop); "
        "default: frame",
    )  # fmt: skip
    home_option(imports)
    imports.set_defaults(run=_import)


def _ls(args: argparse.Namespace) -> int:
    dataset = open_store(args).project(args.project).dataset(args.dataset)
    infos = dataset.embedding_models()
    answer = {
        "project": args.project,
        "dataset": args.dataset,
        "models": [info.to_dict() for info in infos],
    }
    if write_json(args.json, answer):
        return 0
    rows = [
        [
            info.model,
            str(info.dimension),
            str(info.frames),
            str(info.labels),
            ", ".join(f"{name}: {count}" for name, count in info.predictions.items()) or "-",
        ]
        for info in infos
    ]
    print_table(
        ["model", "dimension", "frames", "label crops", "prediction crops"],
        rows,
        right=("dimension", "frames", "label crops"),
        title=f"Embedding models of {args.project}/{args.dataset}",
    )
    return 0


def _project(args: argparse.Namespace) -> int:
    dataset = open_store(args).project(args.project).dataset(args.dataset)
    with ProgressBar(f"{args.method} projection") as bar:
        kept = dataset.projection(args.embedding, kind=args.kind, method=args.method, progress=bar)
    summary = {
        "project": args.project,
        "dataset": args.dataset,
        **kept.to_dict(),
        "state": "current",
    }
    if args.json is not None:
        elements = [
            {"source": source, "inference_set": set_name, "id": element, "frame_id": frame}
            for source, set_name, element, frame in zip(
                kept.sources.to_pylist(),
                kept.inference_sets.to_pylist(),
                kept.element_ids.to_pylist(),
                kept.frame_ids.to_pylist(),
                strict=True,
            )
        ]
        if write_json(args.json, {**summary, "points": kept.xy.tolist(), "elements": elements}):
            return 0
    bounds = kept.bounds()
    rows = [
        ["model", kept.model],
        ["kind", kept.kind],
        ["method", kept.method],
        ["points", str(len(kept))],
        *([source, str(count)] for source, count in kept.source_counts().items()),
        ["fitted on", str(kept.fitted_on)],
        ["x", f"{bounds['x'][0]:.3f} .. {bounds['x'][1]:.3f}"],
        ["y", f"{bounds['y'][0]:.3f} .. {bounds['y'][1]:.3f}"],
        ["computed at", kept.computed_at],
    ]
    print_table(["", ""], rows, title=f"Projection of {args.project}/{args.dataset}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from shoal.store import read_embeddings_file

    dataset = open_store(args).project(args.project).dataset(args.dataset)
    table = read_embeddings_file(args.file, model=args.model, kind=args.kind)
    with ProgressBar("adding embeddings") as bar:
        dataset.add_embeddings(
            table, inference_set=args.inference_set, source=str(args.file), progress=bar
        )
    where = f"inference set {args.inference_set!r}" if args.inference_set else "the dataset"
    print(f"added {table.num_rows} vectors to {where} of {args.project}/{args.dataset}")
    return 0
