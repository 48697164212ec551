"""Evaluation of frame partitions, in-process or as Ray tasks, merged exactly.

Every piece of state a detection evaluation keeps is local to a frame, so the
evaluations of disjoint sets of frames merge into exactly the evaluation of their union
(``DetectionEvaluation.merge_all``). ``evaluate`` matches each partition on its own (a
Ray task each with ``executor="ray"``), then merges the kept matchings on the driver:
every query after that (``coco_summary``, ``report`` at any confidence and IoU...) is
bit-identical to the single-process evaluation's. ``evaluate_coco`` (boxes, masks,
keypoints) and ``evaluate_parquet`` (a stored dataset, whose tasks read their own
Parquet rows; ``InferenceSet.evaluate(partitions=, ray=)``) also put each partition's rows
back at their place in the files, so the kept arrays are the one-process ones. Ray is an
optional extra (``pip install 'shoal[ray]'``); ``executor="local"`` runs the same path
in-process.
"""

from shoal.distributed._parquet import ParquetPartition, ParquetRows, split_parquet
from shoal.distributed._partitions import CocoPartition, split_coco, split_columns
from shoal.distributed._run import Executor, evaluate, evaluate_coco, evaluate_parquet

__all__ = [
    "CocoPartition",
    "Executor",
    "ParquetPartition",
    "ParquetRows",
    "evaluate",
    "evaluate_coco",
    "evaluate_parquet",
    "split_coco",
    "split_columns",
    "split_parquet",
]
