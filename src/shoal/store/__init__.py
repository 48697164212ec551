"""Shoal's embedded project store: SQLite catalog, immutable Parquet objects, DuckDB queries.

No server to install: open a home directory (``$SHOAL_HOME``, default ``~/.shoal``) and
use it from as many processes as you like::

    store = shoal.Store()
    project = store.create_project("traffic", task="detection")
    dataset = project.create_dataset("val", shoal.from_coco("instances_val.json"))
    model = dataset.create_inference_set("yolo-v8", shoal.from_coco_results("results.json", dataset.tables()))
    model.evaluate().report(conf=project.default_conf, iou=project.default_iou)
"""

from shoal.store._home import default_home, holds_store
from shoal.store._store import (
    ALL_FRAMES,
    ClassInfo,
    Dataset,
    InferenceSet,
    Issue,
    IssueElement,
    Project,
    Segment,
    Store,
)

__all__ = [
    "ALL_FRAMES",
    "ClassInfo",
    "Dataset",
    "InferenceSet",
    "Issue",
    "IssueElement",
    "Project",
    "Segment",
    "Store",
    "default_home",
    "holds_store",
]
