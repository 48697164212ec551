"""The COCO speed benchmark measures real child processes and compares stats honestly."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import orjson
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"shoal_bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


bench = _load("coco_eval")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ground_truth, predictions = _load("generate").generate(60, 3)
    folder = tmp_path_factory.mktemp("coco")
    (folder / "gt.json").write_bytes(orjson.dumps(ground_truth))
    (folder / "predictions.json").write_bytes(orjson.dumps(predictions))
    return folder


def test_children_report_stats_cpu_time_and_peak_memory(data: Path) -> None:
    runs = {e: bench.run_child(e, data, 120) for e in ("shoal", "shoal-1-thread", "pycocotools")}
    for engine, run in runs.items():
        assert run.error is None, engine
        assert run.wall_s > 0 and run.user_s > 0 and run.minor_faults > 0
        assert 20e6 < run.report["peak_rss_bytes"] < 2e9
        assert len(run.report["stats"]) == 12
    # Shoal equals pycocotools exactly, with any thread count.
    assert runs["shoal"].report["stats"] == runs["pycocotools"].report["stats"]
    assert runs["shoal-1-thread"].report["stats"] == runs["pycocotools"].report["stats"]


def test_stages_cover_the_process_and_give_the_same_stats(data: Path) -> None:
    runs = [bench.run_child("shoal-1-thread", data, 120, stages=True) for _ in range(2)]
    assert all(run.error is None for run in runs)
    table = bench.median_stages(runs)
    assert list(table)[:1] == ["import"] and list(table)[-3:] == [
        "summary",
        "python start + exit",
        "whole process",
    ]
    assert {"GT read", "results read", "matching"} <= set(table)
    # The stages are timed inside the child, the whole process by the parent around it.
    assert all(row["wall_s"] > 0 for row in table.values())
    assert table["python start + exit"]["wall_s"] < table["whole process"]["wall_s"]
    assert table["summary"]["peak_mb"] <= table["whole process"]["peak_mb"]
    plain = bench.run_child("shoal", data, 120)
    assert runs[0].report["stats"] == plain.report["stats"]


def test_a_child_loads_nothing_but_its_engine() -> None:
    """The harness's imports would be timed as every engine's start-up."""
    import ast

    tree = ast.parse((BENCHMARKS / "_coco_child.py").read_text())
    top_level = {
        alias.name
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert top_level == {"os", "sys"}


def test_queries_time_new_ious_off_and_below_the_grid(data: Path) -> None:
    run = bench.run_child("shoal", data, 120, queries=6)
    assert run.error is None
    for name in ("query_new_iou_ms", "query_new_iou_below_grid_ms"):
        timing = run.report[name]
        assert timing["count"] > 0 and 0 < timing["median"] <= timing["p95"] <= timing["max"]
    lines = bench.render_queries(bench.EngineResult("shoal", extra=run.report))
    assert any("first at a new IoU off the grid" in line for line in lines)


def test_the_store_is_timed_on_the_same_data(data: Path) -> None:
    runs = bench.measure_store(data, 1, 120)
    plain = bench.run_child("shoal", data, 120)
    for kind in ("first", "reopen"):
        (run,) = runs[kind]
        assert run.report["evaluate_s"] > 0
        assert run.report["stats"] == plain.report["stats"]
    assert any("first evaluation" in line for line in bench.render_store(runs))


def _result(engine: str, stats: list[float]) -> object:
    return bench.EngineResult(engine, stats=stats)


def test_reference_is_pycocotools_when_it_ran() -> None:
    results = {
        "shoal": _result("shoal", [0.5] * 12),
        "hotcoco": _result("hotcoco", [0.25] * 12),
        "pycocotools": _result("pycocotools", [0.5] * 12),
    }
    assert bench.reference_stats(results) == ([0.5] * 12, "pycocotools")


def test_without_pycocotools_the_reference_is_what_peers_agree_on_and_says_who() -> None:
    results = {
        "shoal": _result("shoal", [0.1] * 12),  # Shoal never votes for its own reference
        "hotcoco": _result("hotcoco", [0.5] * 12),
        "ultrafast-pycocotools": _result("ultrafast-pycocotools", [0.5] * 12),
        "faster-coco-eval": _result("faster-coco-eval", [0.5] * 11 + [0.4]),
        "pycocotools": bench.EngineResult("pycocotools", status="skipped"),
    }
    stats, text = bench.reference_stats(results)
    assert stats == [0.5] * 12
    assert "hotcoco and ultrafast-pycocotools agree on exactly" in text
    assert "(faster-coco-eval differs)" in text and "pycocotools skipped" in text
