"""The demo projects: real data, real models, built offline and deterministically."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pytest
from PIL import Image

from shoal.demo import build_demo_projects
from shoal.engine.classification import ClassificationEvaluation
from shoal.engine.detection.evaluator import DetectionEvaluation
from shoal.store import Dataset, Project, Store

SCALE = 0.1


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Store, list[Project], list[tuple[int, int]]]:
    store = Store(tmp_path_factory.mktemp("demo-home"))
    calls: list[tuple[int, int]] = []
    projects = build_demo_projects(store, scale=SCALE, progress=lambda d, t: calls.append((d, t)))
    return store, projects, calls


def _only_dataset(project: Project) -> Dataset:
    """The project's labeled dataset (besides it: the unlabeled corpus, which
    tagged-digits does not have)."""
    if project.name == "tagged-digits":
        (labeled,) = project.datasets()
        return labeled
    labeled, unlabeled = project.datasets()
    assert unlabeled.name == "unlabeled" and unlabeled.labels().num_rows == 0
    return labeled


def test_projects_datasets_inference_sets_and_segments(
    built: tuple[Store, list[Project], list[tuple[int, int]]],
) -> None:
    store, projects, _ = built
    assert [p.name for p in projects] == ["digits", "shapes", "tagged-digits"]
    assert {p.name for p in store.projects()} >= {"digits", "shapes", "tagged-digits"}
    digits, shapes, _ = projects  # tagged-digits: tests/test_multilabel_store.py
    assert digits.task == "classification" and shapes.task == "detection"
    assert [c.name for c in digits.classes()] == [str(d) for d in range(10)]
    expected_sets = {"digits": {"logreg-4x4", "mlp-64"}, "shapes": {"threshold-cc", "adaptive-cc"}}
    for project in (digits, shapes):
        dataset = _only_dataset(project)
        assert {i.name for i in dataset.inference_sets()} == expected_sets[project.name]
        segments = {s.name: s for s in dataset.segments()}
        for split in ("train", "val", "test"):
            assert segments[split].type == "split"
        sizes = [len(segments[s].frame_ids()) for s in ("train", "val", "test")]
        assert sum(sizes) == dataset.frames().num_rows
        assert set().union(*(segments[s].frame_ids() for s in ("train", "val", "test"))) == set(
            dataset.frames().column("frame_id").to_pylist()
        )
        assert any(s.type == "scenario" for s in segments.values())
        regression = [s for s in segments.values() if s.type == "regression_test"]
        assert regression
        for segment in regression:
            for value in segment.thresholds.values():
                assert isinstance(value, float) and 0.0 <= value <= 1.0


def test_images_are_pngs_of_the_recorded_size(
    built: tuple[Store, list[Project], list[tuple[int, int]]],
) -> None:
    store, projects, _ = built
    for project in projects:
        dataset = _only_dataset(project)
        root = dataset.image_root
        assert (
            root is not None
            and root == (store.home.path / "demo" / project.name / "images").resolve()
        )
        frames = dataset.frames().to_pylist()
        assert len(list(root.glob("*.png"))) == len(frames)
        for frame in frames:
            with Image.open(root / frame["image_uri"]) as image:
                assert image.format == "PNG"
                assert image.size == (frame["width"], frame["height"])


def test_classification_predictions_have_full_probabilities(
    built: tuple[Store, list[Project], list[tuple[int, int]]],
) -> None:
    _, (digits, *_), _ = built
    dataset = _only_dataset(digits)
    for inference_set in dataset.inference_sets():
        predictions = inference_set.predictions()
        assert predictions.num_rows == dataset.frames().num_rows
        for row in predictions.slice(0, 20).to_pylist():
            probabilities = row["probabilities"]
            assert len(probabilities) == 10
            assert sum(probabilities) == pytest.approx(1.0, abs=1e-4)
            assert row["confidence"] == pytest.approx(max(probabilities))
            assert row["class_name"] == str(probabilities.index(max(probabilities)))


def test_the_better_digits_model_is_more_accurate(
    built: tuple[Store, list[Project], list[tuple[int, int]]],
) -> None:
    _, (digits, *_), _ = built
    dataset = _only_dataset(digits)
    test = dataset.segment("test").frame_ids()
    accuracy = {}
    for inference_set in dataset.inference_sets():
        evaluation = inference_set.evaluate()
        assert isinstance(evaluation, ClassificationEvaluation)
        accuracy[inference_set.name] = evaluation.accuracy(frames=test)
    assert accuracy["mlp-64"] > accuracy["logreg-4x4"]


def test_the_stronger_detector_has_higher_ap(
    built: tuple[Store, list[Project], list[tuple[int, int]]],
) -> None:
    _, (_, shapes, _), _ = built
    dataset = _only_dataset(shapes)
    ap = {}
    for inference_set in dataset.inference_sets():
        evaluation = inference_set.evaluate()
        assert isinstance(evaluation, DetectionEvaluation)
        ap[inference_set.name] = evaluation.coco_summary()["AP"]
    assert ap["adaptive-cc"] > ap["threshold-cc"] >= 0.0
    embeddings = dataset.inference_set("adaptive-cc").predictions()
    assert embeddings.num_rows > 0


def test_crop_embeddings_name_their_predictions(
    built: tuple[Store, list[Project], list[tuple[int, int]]],
) -> None:
    store, (_, shapes, _), _ = built
    inference_set = _only_dataset(shapes).inference_set("adaptive-cc")
    embeddings = store.read_table(inference_set._object(), "embeddings.parquet")
    for model in ("adaptive-cc/shape-features", "shapes-crop-mlp/hidden"):
        rows = embeddings.filter(pc.equal(embeddings.column("model_id"), model))
        assert (
            rows.column("target_id").to_pylist()
            == inference_set.predictions().column("prediction_id").to_pylist()
        )


def test_progress_counts_up_to_the_total(
    built: tuple[Store, list[Project], list[tuple[int, int]]],
) -> None:
    _, _, calls = built
    totals = {total for _, total in calls}
    assert len(totals) == 1
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[0] == 0 and done[-1] == totals.pop()


def _snapshot(projects: list[Project]) -> dict[str, object]:
    tables: dict[str, object] = {}
    for project in projects:
        dataset = _only_dataset(project)
        tables[f"{project.name}/frames"] = dataset.frames()
        tables[f"{project.name}/labels"] = dataset.labels()
        for inference_set in dataset.inference_sets():
            tables[f"{project.name}/{inference_set.name}"] = inference_set.predictions()
        for segment in dataset.segments():
            tables[f"{project.name}/segment/{segment.name}"] = (
                segment.frame_ids(),
                segment.thresholds,
            )
        for every in project.datasets():
            tables[f"{project.name}/{every.name}/embeddings"] = every.embeddings()
            for model in every.embedding_models():
                for kind in ("frame", "crop"):
                    if (model.frames if kind == "frame" else model.labels) == 0:
                        continue
                    for method in ("pca", "umap"):
                        if every.projection_state(model.model, kind=kind, method=method) == (
                            "missing"
                        ):
                            continue
                        kept = every.projection(model.model, kind=kind, method=method)
                        key = f"{project.name}/{every.name}/{model.model}/{kind}/{method}"
                        tables[key] = kept.xy.tobytes()
    return tables


def test_rebuild_replaces_and_gives_identical_tables(tmp_path: Path) -> None:
    store = Store(tmp_path)
    first = _snapshot(build_demo_projects(store, scale=0.05))
    image = tmp_path / "demo" / "shapes" / "images" / "0000.png"
    first_bytes = image.read_bytes()
    second_projects = build_demo_projects(store, scale=0.05)
    assert sorted(p.name for p in store.projects()) == ["digits", "shapes", "tagged-digits"]
    second = _snapshot(second_projects)
    assert first.keys() == second.keys()
    for key, value in first.items():
        other = second[key]
        if hasattr(value, "equals"):
            assert value.equals(other), key
        else:
            assert value == other, key
    assert image.read_bytes() == first_bytes
