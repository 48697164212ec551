"""A stored dataset matched in partitions whose tasks read their own Parquet rows
(``shoal.distributed.evaluate_parquet`` through ``InferenceSet.evaluate(partitions=, ray=)``):
the matching kept in the store equals the one-process matching array for array, so every
later query is bit-identical; in-process and on a local two-worker Ray cluster."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shoal.distributed import ParquetRows, split_parquet
from shoal.engine.detection.evaluator import DetectionEvaluation
from shoal.errors import InputError
from shoal.store import Store
from shoal.tables import DatasetTables, InferenceTables
from test_distributed import assert_identical

from coco_oracle import coco_sample


def _stored(home: Path, seed: int, *, shuffle: bool, num_images: int = 40):
    """A detection project's inference set; ``shuffle`` scatters each frame's labels
    and predictions over the files (rows not grouped by frame)."""
    _, _, dataset_tables, inference_tables = coco_sample(seed=seed, num_images=num_images)
    if shuffle:
        rng = np.random.default_rng(seed)
        dataset_tables = dataclasses.replace(
            dataset_tables,
            labels=dataset_tables.labels.take(rng.permutation(dataset_tables.labels.num_rows)),
        )
        predictions = inference_tables.predictions
        inference_tables = dataclasses.replace(
            inference_tables, predictions=predictions.take(rng.permutation(predictions.num_rows))
        )
    project = Store(home).create_project("p", task="detection")
    dataset = project.create_dataset("val", dataset_tables)
    return dataset.create_inference_set("m", inference_tables)


def _kept_equal(a: DetectionEvaluation, b: DetectionEvaluation) -> None:
    sa, sb = a.kept_state(), b.kept_state()
    assert sa.keys() == sb.keys()
    for name in sa:
        assert sa[name].dtype == sb[name].dtype, name
        assert np.array_equal(sa[name], sb[name]), name


def _kept_row(model):
    """The stored object of the inference set's kept matching (None: never matched)."""
    return model.store._row(
        "SELECT object FROM evaluations WHERE inference_set_id = ?", (model.id,)
    )


def _files(model) -> tuple[Path, Path, Path]:
    row, dataset_row = model._get(), model.dataset._get()
    home = model.store.home
    folder = home.object_path(dataset_row["object"])
    return (
        folder / "frames.parquet",
        folder / "labels.parquet",
        home.object_path(row["object"]) / "predictions.parquet",
    )


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("num_parts", [1, 2, 3])
def test_partitions_in_process_keep_the_one_process_matching(tmp_path, shuffle, num_parts):
    local = _stored(tmp_path / "local", 5, shuffle=shuffle).evaluate()
    model = _stored(tmp_path / "parts", 5, shuffle=shuffle)
    progress: list[tuple[int, int]] = []
    merged = model.evaluate(
        partitions=num_parts, progress=lambda done, total: progress.append((done, total))
    )
    assert progress == [(k, num_parts) for k in range(1, num_parts + 1)]
    assert model.evaluate() is merged  # the store's cached evaluation from now on
    assert isinstance(local, DetectionEvaluation) and isinstance(merged, DetectionEvaluation)
    _kept_equal(merged, local)
    assert_identical(merged, local)
    # Kept in the store: a new process loads it (no matching again) and answers the same.
    kept = model.store._row(
        "SELECT object FROM evaluations WHERE inference_set_id = ?", (model.id,)
    )
    reopened = Store(tmp_path / "parts").project("p").dataset("val").inference_set("m")
    again = reopened.evaluate()
    assert isinstance(again, DetectionEvaluation)
    _kept_equal(again, local)
    assert (
        reopened.store._row(
            "SELECT object FROM evaluations WHERE inference_set_id = ?", (model.id,)
        )["object"]
        == kept["object"]
    )
    # The store's queries (the same sequence on both: an evaluation remembers the IoUs
    # it was asked): metrics at the defaults, off the grid, on a segment.
    local_model = Store(tmp_path / "local").project("p").dataset("val").inference_set("m")
    include = ["report", "confusion_matrix", "coco_summary"]
    for conf, iou in ((None, None), (0.37, 0.62), (0.2, 0.3)):
        assert (
            reopened.metrics(conf=conf, iou=iou, include=include).to_dict()
            == local_model.metrics(conf=conf, iou=iou, include=include).to_dict()
        )
    first = local.frame_ids[:7].tolist()
    segment = reopened.dataset.create_segment("first", frames=first)
    local_segment = local_model.dataset.create_segment("first", frames=first)
    assert (
        reopened.metrics(segment=segment).to_dict()
        == local_model.metrics(segment=local_segment).to_dict()
    )


def test_grouped_files_give_each_task_one_run_of_rows(tmp_path):
    model = _stored(tmp_path, 8, shuffle=False)
    parts = split_parquet(*_files(model), 3)
    assert len(parts) == 3
    for part in parts:
        assert len(part.labels.runs) <= 1 and len(part.predictions.runs) <= 1
    # Every row once; frames with all their rows.
    frames, labels, predictions = (pq.read_table(f) for f in _files(model))
    for table, rows in (
        (labels, [p.labels for p in parts]),
        (predictions, [p.predictions for p in parts]),
    ):
        assert sorted(np.concatenate([r.rows for r in rows]).tolist()) == list(
            range(table.num_rows)
        )
    for part in parts:
        own = set(part.frames.read().column("frame_id").to_pylist())
        assert set(part.labels.read().column("frame_id").to_pylist()) <= own
        assert set(part.predictions.read().column("frame_id").to_pylist()) <= own
    assert sum(len(p.frames) for p in parts) == frames.num_rows
    # Shuffled files: the rows of a partition are scattered, still every row once.
    shuffled = _stored(tmp_path / "s", 8, shuffle=True)
    parts = split_parquet(*_files(shuffled), 3)
    assert any(len(p.predictions.runs) > 1 for p in parts)
    assert sum(len(p.predictions) for p in parts) == pq.read_metadata(_files(shuffled)[2]).num_rows


def test_rows_are_read_from_the_row_groups_that_hold_them(tmp_path):
    path = tmp_path / "t.parquet"
    table = pa.table({"frame_id": [str(i % 13) for i in range(1000)], "v": np.arange(1000)})
    pq.write_table(table, path, row_group_size=64)
    for runs in ([[0, 1000]], [[70, 140]], [[5, 6], [63, 65], [500, 700], [999, 1000]], []):
        rows = ParquetRows(str(path), ("v",), np.asarray(runs, np.int64).reshape(-1, 2))
        expected = np.concatenate([np.arange(a, b) for a, b in runs] or [np.zeros(0, int)])
        assert rows.read().column("v").to_numpy().tolist() == expected.tolist()
        assert len(rows) == expected.size
    with pytest.raises(InputError, match="row 1000 is past the file's 1000 rows"):
        ParquetRows(str(path), ("v",), np.asarray([[990, 1001]])).read()


def test_what_partitions_refuse(tmp_path):
    model = _stored(tmp_path, 2, shuffle=False, num_images=6)
    with pytest.raises(InputError, match="at least 1"):
        model.evaluate(partitions=0)
    with pytest.raises(InputError, match="iou_thresholds does not combine"):
        model.evaluate(partitions=2, iou_thresholds=[0.3])
    with pytest.raises(InputError, match="at least 1"):
        split_parquet(*_files(model), 0)
    # More partitions than frames: one per frame.
    assert len(split_parquet(*_files(model), 50)) == 6
    project = Store(tmp_path / "c").create_project("c", task="classification")
    frames = pa.table({"frame_id": ["a", "b"]})
    labels = pa.table({"label_id": ["la", "lb"], "frame_id": ["a", "b"], "class_name": ["x", "y"]})
    dataset = project.create_dataset("d", DatasetTables.build(frames, labels))
    predictions = pa.table(
        {
            "prediction_id": ["pa", "pb"],
            "frame_id": ["a", "b"],
            "class_name": ["x", "x"],
            "confidence": [0.9, 0.8],
        }
    )
    classified = dataset.create_inference_set("m", InferenceTables.build(predictions))
    with pytest.raises(InputError, match="only detection matching runs in partitions"):
        classified.evaluate(partitions=2)


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
@pytest.mark.parametrize("shuffle", [False, True])
def test_ray_tasks_reading_their_rows_keep_the_one_process_matching(tmp_path, local_ray, shuffle):
    local = _stored(tmp_path / "local", 21, shuffle=shuffle, num_images=60).evaluate()
    assert isinstance(local, DetectionEvaluation)
    model = _stored(tmp_path / "ray", 21, shuffle=shuffle, num_images=60)
    for num_parts in (2, 5, None):  # None: one per CPU of the cluster
        merged = model.evaluate(partitions=num_parts, ray="auto")
        assert isinstance(merged, DetectionEvaluation)
        _kept_equal(merged, local)
        assert_identical(merged, local)
    reopened = Store(tmp_path / "ray").project("p").dataset("val").inference_set("m")
    assert (
        reopened.metrics(conf=0.4, iou=0.55).to_dict()
        == (Store(tmp_path / "local").project("p").dataset("val").inference_set("m"))
        .metrics(conf=0.4, iou=0.55)
        .to_dict()
    )


@pytest.mark.slow
def test_shoal_eval_joins_a_running_cluster_with_ray_auto(tmp_path, local_ray):
    from coco_oracle import write_coco_sample

    write_coco_sample(tmp_path, seed=4, num_images=20, results_file="dt.json")
    files = [str(tmp_path / "gt.json"), str(tmp_path / "dt.json")]
    outputs = {}
    for extra, out in (([], "single.json"), (["--ray", "auto", "--partitions", "2"], "ray.json")):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "shoal.cli",
                "eval",
                *files,
                *extra,
                "--json",
                str(tmp_path / out),
            ],
            check=True,
            capture_output=True,
        )
        outputs[out] = (tmp_path / out).read_text()
    import json

    single, on_ray = (json.loads(outputs[k]) for k in ("single.json", "ray.json"))
    for key in ("coco", "report", "confusion_matrix"):
        assert on_ray[key] == single[key], key


@pytest.mark.slow
def test_ray_tasks_match_stored_masks_like_one_process(tmp_path, local_ray):
    from shoal.formats.coco_tables import category_ids, from_coco, from_coco_results

    from conftest import validation_folder

    folder = validation_folder("cocoapi-val2014-fake100")
    sets = []
    for home in ("one", "ray"):
        dataset = from_coco(folder / "instances_val2014_100.json")
        classes = [{"name": n, "id": i} for n, i in category_ids(dataset).items()]
        project = Store(tmp_path / home).create_project("p", classes=classes)
        results = from_coco_results(folder / "instances_val2014_fakesegm100_results.json", dataset)
        sets.append(project.create_dataset("d", dataset).create_inference_set("m", results))
    one = sets[0].evaluate()
    on_ray = sets[1].evaluate(partitions=2, ray="auto")
    assert isinstance(one, DetectionEvaluation) and isinstance(on_ray, DetectionEvaluation)
    assert on_ray.similarity is not None and on_ray.similarity.iou_type == "segm"
    _kept_equal(on_ray, one)


def test_shoal_import_matches_predictions_in_partitions(tmp_path, capsys):
    from shoal.cli import main

    from coco_oracle import write_coco_sample

    write_coco_sample(tmp_path, seed=6, num_images=25, results_file="dt.json")
    models = []
    for home, extra in (("one", []), ("parts", ["--partitions", "3"])):
        common = ["--project", "p", "--home", str(tmp_path / home), "--no-quality"]
        assert main(["import", "coco", str(tmp_path / "gt.json"), *common, "--dataset", "d"]) == 0
        predictions = ["coco-results", str(tmp_path / "dt.json"), "--dataset", "d", "--name", "m"]
        assert main(["import", *predictions, *common, *extra]) == 0
        models.append(Store(tmp_path / home).project("p").dataset("d").inference_set("m"))
    assert "matched in partitions in this process" in capsys.readouterr().out
    # Kept by the import (the other set was never matched): loaded, not matched again.
    assert _kept_row(models[0]) is None
    kept = _kept_row(models[1])["object"]
    _kept_equal(models[1].evaluate(), models[0].evaluate())
    assert _kept_row(models[1])["object"] == kept
    ground_truth = [
        "coco",
        str(tmp_path / "gt.json"),
        "--project",
        "q",
        "--home",
        str(tmp_path / "x"),
    ]
    assert main(["import", *ground_truth, "--partitions", "2"]) == 2
    assert "match an inference set: import predictions" in capsys.readouterr().err
    assert main(["import", *predictions, "--project", "p", "--home", str(tmp_path / "one"),
                 "--name", "m2", "--partitions", "0"]) == 2  # fmt: skip
    assert "at least 1" in capsys.readouterr().err


@pytest.mark.slow
def test_shoal_import_with_ray_local_keeps_the_one_process_matching(tmp_path):
    pytest.importorskip("ray")
    from coco_oracle import write_coco_sample

    write_coco_sample(tmp_path, seed=7, num_images=25, results_file="dt.json")
    models = []
    for home, extra in (("one", []), ("ray", ["--ray", "local", "--partitions", "2"])):
        common = ["--project", "p", "--home", str(tmp_path / home), "--no-quality"]
        for command in (
            ["coco", str(tmp_path / "gt.json"), "--dataset", "d"],
            ["coco-results", str(tmp_path / "dt.json"), "--dataset", "d", "--name", "m", *extra],
        ):
            # A subprocess: the command starts (and stops) its own local Ray.
            done = subprocess.run(
                [sys.executable, "-m", "shoal.cli", "import", *command, *common],
                capture_output=True,
                text=True,
                check=True,
            )
        models.append(Store(tmp_path / home).project("p").dataset("d").inference_set("m"))
    assert "matched in partitions on Ray (local)" in done.stdout
    kept = _kept_row(models[1])["object"]
    _kept_equal(models[1].evaluate(), models[0].evaluate())
    assert _kept_row(models[1])["object"] == kept
