"""Shoal's embedded project store: SQLite catalog, immutable Parquet objects, DuckDB queries.

No server to install: open a home directory (``$SHOAL_HOME``, default ``~/.shoal``) and
use it from as many processes as you like::

    store = shoal.Store()
    project = store.create_project("traffic", task="detection")
    dataset = project.create_dataset("val", shoal.from_coco("instances_val.json"))
    model = dataset.create_inference_set("yolo-v8", shoal.from_coco_results("results.json", dataset.tables()))
    model.metrics(include=["report"]).report   # the store's cached evaluation, at the defaults

Modules: ``_store`` (plumbing), ``_writes`` (staged writes, the data writer),
``_entities`` (the handles), ``_issues`` (issues: review, export, fixed labels),
``_classes`` (the class map), ``_names`` (the naming rule),
``_conversion`` (stored tables to the engine), ``_element_metrics`` (quality and
custom metrics of frames, labels and predictions), ``_evaluations`` (the evaluation and
segment caches), ``_metrics`` (a metrics query's answer), ``_query`` / ``_frames_query``
(the frame query language), ``_doctor`` (checking a home for damage, ``shoal doctor``).
"""

from shoal.store._campaigns import Campaign, CampaignRun, CampaignSeed, Candidate
from shoal.store._classes import ClassInfo
from shoal.store._doctor import Checkup, Finding, examine
from shoal.store._element_metrics import QUALITY_METRICS, MetricInfo
from shoal.store._embeddings_import import read_embeddings_bytes, read_embeddings_file
from shoal.store._entities import (
    ALL_FRAMES,
    Dataset,
    InferenceSet,
    Project,
    Segment,
)
from shoal.store._evaluations import CachedEvaluation, EvaluationCache
from shoal.store._home import default_home, holds_store
from shoal.store._issues import (
    BeforeAfter,
    ElementsAdded,
    Issue,
    IssueElement,
    IssueElementRecord,
    SetBeforeAfter,
)
from shoal.store._metrics import INCLUDE, Include, MatchingProtocol, Metrics
from shoal.store._names import MAX_NAME_LENGTH, check_class_name, check_name
from shoal.store._projection import Projection
from shoal.store._query import (
    MAX_DEPTH,
    MAX_LENGTH,
    CompiledQuery,
    FieldType,
    QueryError,
    compile_query,
    quote_identifier,
)
from shoal.store._similarity import ElementRef, EmbeddingModelInfo
from shoal.store._store import Store

__all__ = [
    "ALL_FRAMES",
    "INCLUDE",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NAME_LENGTH",
    "QUALITY_METRICS",
    "BeforeAfter",
    "CachedEvaluation",
    "Campaign",
    "CampaignRun",
    "CampaignSeed",
    "Candidate",
    "Checkup",
    "ClassInfo",
    "CompiledQuery",
    "Dataset",
    "ElementRef",
    "ElementsAdded",
    "EmbeddingModelInfo",
    "EvaluationCache",
    "FieldType",
    "Finding",
    "Include",
    "InferenceSet",
    "Issue",
    "IssueElement",
    "IssueElementRecord",
    "MatchingProtocol",
    "MetricInfo",
    "Metrics",
    "Project",
    "Projection",
    "QueryError",
    "Segment",
    "SetBeforeAfter",
    "Store",
    "check_class_name",
    "check_name",
    "compile_query",
    "default_home",
    "examine",
    "holds_store",
    "quote_identifier",
    "read_embeddings_bytes",
    "read_embeddings_file",
]
