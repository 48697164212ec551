"""Colors of a projection's points (Dataset.projection_colors, GET .../projection/colors):
each element's class, outcome, confusion type, confidence, its frame's precision, recall
and F1, metadata and metrics, checked against independent answers on the demo projects:
the examples endpoint's rows (outcomes, reasons), the per-frame report of
InferenceSet.metrics on a one-frame query (TP, FP, FN), the stored tables (classes,
confidences, metadata, metrics) and the frames a query selects."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from demo_api import DIGITS, SHAPES, api, error, ok, remote, store  # noqa: F401 (fixtures)
from shoal.errors import InputError, NotFoundError
from shoal.store._projection_colors import projection_colors

SHAPES_SETS = ("adaptive-cc", "threshold-cc")


class _Elements:
    """A projection's element columns (what colors read of a Projection)."""

    def __init__(self, rows: list[tuple[str, str | None, str, str]]) -> None:
        self.sources = pa.array([r[0] for r in rows], pa.string())
        self.inference_sets = pa.array([r[1] for r in rows], pa.string())
        self.element_ids = pa.array([r[2] for r in rows], pa.string())
        self.frame_ids = pa.array([r[3] for r in rows], pa.string())
        self.rows = rows


def _crops(dataset: Any) -> _Elements:
    labels = dataset.labels()
    rows = [
        ("label", None, i, f)
        for i, f in zip(labels["label_id"].to_pylist(), labels["frame_id"].to_pylist(), strict=True)
    ]
    for inference in dataset.inference_sets():
        predictions = inference.predictions()
        ids, frames = predictions["prediction_id"].to_pylist(), predictions["frame_id"].to_pylist()
        rows += [("prediction", inference.name, i, f) for i, f in zip(ids, frames, strict=True)]
    return _Elements(rows)


def _frames(dataset: Any) -> _Elements:
    return _Elements([("frame", None, f, f) for f in dataset.frames()["frame_id"].to_pylist()])


def _examples(api: Any, base: str, inference_set: str, **params: Any) -> list[dict[str, Any]]:  # noqa: F811
    rows: list[dict[str, Any]] = []
    while True:
        page = ok(
            api.get(
                f"{base}/inference-sets/{inference_set}/examples",
                params={"limit": 1000, "offset": len(rows), **params},
            )
        )
        rows += page["examples"]
        if len(rows) >= page["total"]:
            return rows


def _named(colors: Any) -> list[str | None]:
    categories = colors.categories
    return [None if c < 0 else categories[c] for c in colors.codes.tolist()]


def _confusion_of(row: dict[str, Any]) -> str:
    if row["outcome"] == "TP":
        return "TP"
    if row["reason"] == "class_confusion":
        return "wrong class"
    return f"{row['outcome']} ({row['reason']})"


def test_crop_outcomes_and_confusions_are_the_examples_rows(store: Any, api: Any) -> None:  # noqa: F811
    dataset = store.project("shapes").dataset("rendered-scenes")
    elements = _crops(dataset)
    outcome = projection_colors(dataset, elements, "outcome", inference_set="adaptive-cc")
    confusion = projection_colors(dataset, elements, "confusion", inference_set="adaptive-cc")
    assert outcome.type == "categorical" and outcome.values is None
    assert outcome.categories[:3] == ("TP", "FP", "FN")
    expected_outcome: dict[tuple[str, str | None, str], str] = {}
    expected_confusion: dict[tuple[str, str | None, str], str] = {}
    for name in SHAPES_SETS:
        for row in _examples(api, SHAPES, name):
            if row["kind"] == "prediction":
                key = ("prediction", name, row["source_id"])
            elif name == "adaptive-cc":  # labels are colored by the chosen set
                key = ("label", None, row["source_id"])
            else:
                continue
            expected_outcome[key] = row["outcome"]
            expected_confusion[key] = _confusion_of(row)
    keys = [(r[0], r[1], r[2]) for r in elements.rows]
    assert _named(outcome) == [expected_outcome.get(k) for k in keys]
    assert _named(confusion) == [expected_confusion.get(k) for k in keys]
    # Every outcome kind shows up on the demo, and predictions below conf have none.
    assert {"TP", "FP", "FN"} <= set(_named(outcome))
    assert {"wrong class", "FP (background)", "FN (missed)"} <= set(_named(confusion))
    assert None in _named(outcome)
    # At conf 0 every prediction is counted.
    everything = projection_colors(dataset, elements, "outcome", inference_set="adaptive-cc",
                                   conf=0.0)  # fmt: skip
    predicted = [n for n, r in zip(_named(everything), elements.rows, strict=True)
                 if r[0] == "prediction"]  # fmt: skip
    assert None not in predicted


def _frame_counts(inference: Any, frame_id: str, **point: Any) -> tuple[int, int, int]:
    report = inference.metrics(query=f"frame_id = '{frame_id}'", include=["report"], **point)
    classes = report.report.to_dict()["classes"]
    return tuple(sum(c[k] for c in classes) for k in ("tp", "fp", "fn"))  # type: ignore[return-value]


def _scores(tp: int, fp: int, fn: int) -> tuple[float | None, float | None, float | None]:
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    return precision, recall, f1


@pytest.mark.parametrize(("conf", "iou"), [(None, None), (0.4, 0.7)])
def test_frame_scores_are_the_report_of_each_frame(store: Any, conf: Any, iou: Any) -> None:  # noqa: F811
    dataset = store.project("shapes").dataset("rendered-scenes")
    inference = dataset.inference_set("threshold-cc")
    frames = _frames(dataset)
    point = {"conf": conf, "iou": iou}
    colors = {
        name: projection_colors(dataset, frames, name, inference_set="threshold-cc", **point)
        for name in ("precision", "recall", "f1", "outcome")
    }
    expected_outcomes = []
    for at, (_, _, frame_id, _) in enumerate(frames.rows):
        tp, fp, fn = _frame_counts(inference, frame_id, **point)
        for name, want in zip(("precision", "recall", "f1"), _scores(tp, fp, fn), strict=True):
            got = colors[name].values[at]
            assert np.isnan(got) if want is None else got == pytest.approx(want), (frame_id, name)
        expected_outcomes.append(
            {
                (False, False): "no errors",
                (True, False): "FP only",
                (False, True): "FN only",
                (True, True): "FP and FN",
            }[(fp > 0, fn > 0)]
        )
    assert _named(colors["outcome"]) == expected_outcomes
    f1 = colors["f1"]
    assert f1.type == "continuous" and f1.codes is None
    assert f1.min == np.nanmin(f1.values) and f1.max == np.nanmax(f1.values)


def test_a_crop_gets_its_frames_scores(store: Any) -> None:  # noqa: F811
    dataset = store.project("shapes").dataset("rendered-scenes")
    frames, crops = _frames(dataset), _crops(dataset)
    by_frame = projection_colors(dataset, frames, "recall", inference_set="adaptive-cc")
    recall_of = dict(zip(frames.frame_ids.to_pylist(), by_frame.values.tolist(), strict=True))
    per_crop = projection_colors(dataset, crops, "recall", inference_set="adaptive-cc")
    for (source, set_name, _, frame_id), got in zip(crops.rows, per_crop.values, strict=True):
        if source == "prediction" and set_name != "adaptive-cc":
            continue  # its own set's frame recall
        want = recall_of[frame_id]
        assert (np.isnan(got) and np.isnan(want)) or got == want


def test_frame_confusion_is_the_most_common_error(store: Any, api: Any) -> None:  # noqa: F811
    dataset = store.project("shapes").dataset("rendered-scenes")
    frames = _frames(dataset)
    colors = projection_colors(dataset, frames, "confusion", inference_set="adaptive-cc")
    order = ["wrong class", "FP (localization)", "FP (duplicate)", "FP (background)",
             "FN (localization)", "FN (missed)"]  # fmt: skip
    errors: dict[str, Counter[str]] = defaultdict(Counter)
    for row in _examples(api, SHAPES, "adaptive-cc"):
        if row["outcome"] != "TP":
            errors[str(row["frame_id"])][_confusion_of(row)] += 1
    expected = []
    for frame_id in frames.frame_ids.to_pylist():
        found = errors.get(frame_id)
        if not found:
            expected.append("no errors")
            continue
        top = max(found.values())
        expected.append(next(name for name in order if found[name] == top))
    assert _named(colors) == expected


def test_classes_confidence_and_scope(store: Any) -> None:  # noqa: F811
    dataset = store.project("shapes").dataset("rendered-scenes")
    crops, frames = _crops(dataset), _frames(dataset)
    classes = projection_colors(dataset, crops, "class", query="num_shapes >= 4")
    label_class = dict(zip(dataset.labels()["label_id"].to_pylist(),
                           dataset.labels()["class_name"].to_pylist(), strict=True))  # fmt: skip
    confidence = projection_colors(dataset, crops, "confidence", inference_set="adaptive-cc")
    prediction_tables = {s.name: s.predictions() for s in dataset.inference_sets()}
    prediction_class = {
        (name, i): (c, p)
        for name, table in prediction_tables.items()
        for i, c, p in zip(
            table["prediction_id"].to_pylist(),
            table["class_name"].to_pylist(),
            table["confidence"].to_pylist(),
            strict=True,
        )
    }
    in_query = set(dataset.query("num_shapes >= 4"))
    assert 0 < len(in_query) < dataset.frames().num_rows
    assert classes.in_scope.tolist() == [r[3] in in_query for r in crops.rows]
    named = _named(classes)
    for at, (source, set_name, element_id, _) in enumerate(crops.rows):
        if source == "label":
            assert named[at] == label_class[element_id]
        else:
            assert named[at] == prediction_class[(set_name, element_id)][0]
            assert confidence.values[at] == prediction_class[(set_name, element_id)][1]
    # A label's confidence is its matched prediction's (the examples' partner).
    outcomes = dataset.inference_set("adaptive-cc").outcomes_with_sources()
    rows = outcomes.outcomes
    label_ids = outcomes.labels["label_id"].to_pylist()
    prediction_confidence = outcomes.predictions["confidence"].to_pylist()
    partner = {
        label_ids[i - 1]: prediction_confidence[p - 1]
        for kind, i, p in zip(
            rows.kind.tolist(), rows.id.tolist(), rows.partner_id.tolist(), strict=True
        )
        if kind == "ground_truth" and p > 0
    }
    for at, (source, _, element_id, _) in enumerate(crops.rows):
        if source == "label":
            want = partner.get(element_id)
            got = confidence.values[at]
            assert np.isnan(got) if want is None else got == want, element_id
    # A frame's class is its most common label class (ties: the project's order).
    frame_classes = projection_colors(dataset, frames, "class")
    order = [c.name for c in dataset.project.classes()]
    per_frame: dict[str, Counter[str]] = defaultdict(Counter)
    for f, c in zip(dataset.labels()["frame_id"].to_pylist(),
                    dataset.labels()["class_name"].to_pylist(), strict=True):  # fmt: skip
        per_frame[f][c] += 1
    want = []
    for frame_id in frames.frame_ids.to_pylist():
        counts = per_frame.get(frame_id)
        want.append(None if not counts else min(counts, key=lambda c: (-counts[c], order.index(c))))
    assert _named(frame_classes) == want


def test_metadata_and_metrics_by_level(store: Any) -> None:  # noqa: F811
    dataset = store.project("shapes").dataset("rendered-scenes")
    crops = _crops(dataset)
    frames_table = dataset.frames()
    clutter = dict(zip(frames_table["frame_id"].to_pylist(), frames_table["clutter"].to_pylist(),
                       strict=True))  # fmt: skip
    colors = projection_colors(dataset, crops, "metadata:clutter")
    want = [clutter[r[3]] for r in crops.rows]
    if isinstance(want[0], (int, float)) and not isinstance(want[0], bool):
        assert colors.type == "continuous"
        assert colors.values.tolist() == pytest.approx(want)
    else:
        assert _named(colors) == [None if w is None else str(w).lower() for w in want]
    # An element metric of each element's own level: a label's, a prediction's of its set.
    sharpness = projection_colors(dataset, crops, "metric:crop_sharpness")
    label_metrics = dataset.element_metrics("label")
    expected = dict(zip(label_metrics["label_id"].to_pylist(),
                        label_metrics["crop_sharpness"].to_pylist(), strict=True))  # fmt: skip
    for name in SHAPES_SETS:
        table = dataset.inference_set(name).element_metrics()
        expected.update(
            {(name, i): v for i, v in zip(table["prediction_id"].to_pylist(),
                                          table["crop_sharpness"].to_pylist(), strict=True)}
        )  # fmt: skip
    for at, (source, set_name, element_id, _) in enumerate(crops.rows):
        want_value = expected[element_id] if source == "label" else expected[(set_name, element_id)]
        got = sharpness.values[at]
        assert np.isnan(got) if want_value is None else got == pytest.approx(want_value)
    # A frame metric reaches the frame's crops.
    brightness = projection_colors(dataset, crops, "metric:brightness")
    frame_metrics = dataset.element_metrics("frame")
    of_frame = dict(zip(frame_metrics["frame_id"].to_pylist(),
                        frame_metrics["brightness"].to_pylist(), strict=True))  # fmt: skip
    assert brightness.values.tolist() == pytest.approx([of_frame[r[3]] for r in crops.rows])


def test_classification_frames(store: Any, api: Any) -> None:  # noqa: F811
    dataset = store.project("digits").dataset("handwritten-digits")
    frames = _frames(dataset)
    outcome = projection_colors(dataset, frames, "outcome", inference_set="logreg-4x4")
    assert outcome.categories == ("correct", "wrong class", "below threshold")
    truth_rows = {
        str(row["frame_id"]): row
        for row in _examples(api, DIGITS, "logreg-4x4")
        if row["kind"] == "ground_truth"
    }
    named = {"TP": "correct", "class_confusion": "wrong class", "missed": "below threshold"}
    want = [
        named["TP" if truth_rows[f]["outcome"] == "TP" else truth_rows[f]["reason"]]
        for f in frames.frame_ids.to_pylist()
    ]
    assert _named(outcome) == want
    assert {"correct", "wrong class"} <= set(want)
    # Confusion: a wrong frame's pair "true class → predicted class" (the examples'
    # ground truth row and its partner), in the class order.
    confusion = projection_colors(dataset, frames, "confusion", inference_set="logreg-4x4")
    pairs = {
        f: ("correct" if w == "correct" else "below threshold" if w == "below threshold"
            else f"{truth_rows[f]['label']} → {truth_rows[f]['partner_label']}")
        for f, w in zip(frames.frame_ids.to_pylist(), want, strict=True)
    }  # fmt: skip
    assert _named(confusion) == [pairs[f] for f in frames.frame_ids.to_pylist()]
    order = [c.name for c in dataset.project.classes()]
    shown = [c.split(" → ") for c in confusion.categories[2:]]
    assert shown == sorted(shown, key=lambda p: (order.index(p[0]), order.index(p[1])))
    assert confusion.categories[:2] == ("correct", "below threshold") and len(shown) > 1
    # Confidence: the top-1 score, the largest of the stored probabilities.
    confidence = projection_colors(dataset, frames, "confidence", inference_set="logreg-4x4")
    predictions = dataset.inference_set("logreg-4x4").predictions()
    top = {f: max(p) for f, p in zip(predictions["frame_id"].to_pylist(),
                                     predictions["probabilities"].to_pylist(), strict=True)}  # fmt: skip
    assert confidence.values.tolist() == pytest.approx(
        [top[f] for f in frames.frame_ids.to_pylist()]
    )
    # Precision of a frame: 1 when right, 0 when wrong; classes are the labels'.
    precision = projection_colors(dataset, frames, "precision", inference_set="logreg-4x4")
    assert precision.values.tolist() == [1.0 if w == "correct" else (0.0 if w == "wrong class" else
                                         precision.values[i]) for i, w in enumerate(want)]  # fmt: skip
    classes = projection_colors(dataset, frames, "class")
    label_class = dict(zip(dataset.labels()["frame_id"].to_pylist(),
                           dataset.labels()["class_name"].to_pylist(), strict=True))  # fmt: skip
    assert _named(classes) == [label_class[f] for f in frames.frame_ids.to_pylist()]


def test_what_cannot_be_colored_is_said(store: Any) -> None:  # noqa: F811
    dataset = store.project("shapes").dataset("rendered-scenes")
    frames = _frames(dataset)
    with pytest.raises(InputError, match="cannot color by 'size'"):
        projection_colors(dataset, frames, "size")
    with pytest.raises(NotFoundError, match="no metadata key 'colour'"):
        projection_colors(dataset, frames, "metadata:colour")
    with pytest.raises(NotFoundError, match="no element metric 'blur'"):
        projection_colors(dataset, frames, "metric:blur")
    with pytest.raises(InputError, match=r"name the inference set .*'adaptive-cc'"):
        projection_colors(dataset, frames, "outcome")
    with pytest.raises(NotFoundError):
        projection_colors(dataset, frames, "outcome", inference_set="yolo")


# ------------------------------------------------------------------ REST
def _get(api: Any, base: str, **params: Any) -> Any:  # noqa: F811
    return api.get(f"{base}/projection/colors", params=params)


def test_rest_answers_the_librarys_colors_of_a_kept_projection(store: Any, api: Any) -> None:  # noqa: F811
    dataset = store.project("shapes").dataset("rendered-scenes")
    model = "shapes-crop-mlp/hidden"
    projection = dataset.projection(model, kind="crop", method="pca", compute=False)
    assert set(projection.sources.to_pylist()) == {"label", "prediction"}
    cases: list[dict[str, Any]] = [
        {"color_by": "outcome", "inference_set": "adaptive-cc"},
        {"color_by": "confusion", "inference_set": "threshold-cc", "conf": "0.5", "iou": 0.6},
        {"color_by": "f1", "inference_set": "adaptive-cc", "segment": "crowded"},
        {"color_by": "class", "query": "clutter > 0.5"},
        {"color_by": "metric:crop_sharpness"},
        {"color_by": "metadata:noise"},
    ]
    for params in cases:
        body = ok(_get(api, SHAPES, embedding=model, kind="crop", method="pca", **params))
        options = {k: v for k, v in params.items() if k != "color_by"}
        if "conf" in options:
            options["conf"] = float(options["conf"])
        expected = dataset.projection_colors(projection, params["color_by"], **options).to_dict()
        assert body == expected, params
        held = body["codes"] if body["type"] == "categorical" else body["values"]
        assert len(held) == len(projection)
    scoped = ok(_get(api, SHAPES, embedding=model, kind="crop", method="pca",
                                     color_by="class", segment="crowded"))  # fmt: skip
    crowded = set(dataset.segment("crowded").frame_ids())
    assert scoped["in_scope"] == [f in crowded for f in projection.frame_ids.to_pylist()]
    # Frames of the digits: the classification categories.
    digits = ok(_get(api, DIGITS, embedding="digits-mlp/hidden", method="umap",
                                     color_by="outcome", inference_set="mlp-64"))  # fmt: skip
    assert digits["categories"] == ["correct", "wrong class", "below threshold"]


def test_rest_refuses_what_it_cannot_color(api: Any) -> None:  # noqa: F811
    base = dict(embedding="shapes-crop-mlp/hidden", kind="crop", method="pca")
    # Not computed: a 404 saying how to compute it.
    missing = error(_get(api, SHAPES, embedding="adaptive-cc/shape-features",
                                         kind="crop", method="pca", color_by="class"), 404)  # fmt: skip
    assert "not computed" in missing["detail"]
    error(_get(api, SHAPES, **base, color_by="size"), 400)
    error(_get(api, SHAPES, **base, color_by="metric:blur"), 404)
    error(_get(api, SHAPES, **base, color_by="outcome", inference_set="yolo"), 404)
    error(_get(api, SHAPES, **base, color_by="outcome", segment="nope"), 404)
    error(_get(api, SHAPES, **base, color_by="outcome"), 400)  # which set?
    error(_get(api, SHAPES, **{**base, "kind": "pixel"}, color_by="class"), 422)
    error(_get(api, SHAPES, **base, color_by="outcome", inference_set="adaptive-cc",
                               conf="2"), 422)  # fmt: skip
    error(_get(api, SHAPES, **base, color_by="f1", inference_set="adaptive-cc",
                               query="nope >"), 400)  # fmt: skip


def test_the_client_reads_the_colors_back(store: Any, remote: Any) -> None:  # noqa: F811
    dataset = store.project("shapes").dataset("rendered-scenes")
    model = "shapes-scene-mlp/hidden"
    projection = dataset.projection(model, kind="frame", method="umap", compute=False)
    for color_by, options in (
        ("recall", {"inference_set": "adaptive-cc", "query": "num_shapes >= 3"}),
        ("confusion", {"inference_set": "threshold-cc"}),
    ):
        got = remote.projection_colors("shapes", "rendered-scenes", color_by, embedding=model,
                                       **options)  # fmt: skip
        want = dataset.projection_colors(projection, color_by, **options)
        assert got.to_dict() == want.to_dict()
        assert got.type == want.type and len(got) == len(projection)
    with pytest.raises(NotFoundError):
        remote.projection_colors("shapes", "rendered-scenes", "class",
                                 embedding="shapes-crop-mlp/hidden", kind="crop", method="umap",
                                 segment="nope")  # fmt: skip


def test_a_sets_frame_vectors_are_colored_by_that_set(store: Any, api: Any) -> None:  # noqa: F811
    """Frame vectors uploaded with an inference set (the digits sets' own embeddings) are
    that set's elements: their outcomes are the set's, whatever set is chosen."""
    dataset = store.project("digits").dataset("handwritten-digits")
    projection = dataset.projection("logreg-4x4/logits", kind="frame", method="pca")
    assert set(projection.inference_sets.to_pylist()) == {"logreg-4x4"}
    chosen_other = projection_colors(dataset, projection, "outcome", inference_set="mlp-64")
    own = projection_colors(dataset, _frames(dataset), "outcome", inference_set="logreg-4x4")
    by_frame = dict(zip(_frames(dataset).frame_ids.to_pylist(), _named(own), strict=True))
    assert _named(chosen_other) == [by_frame[f] for f in projection.frame_ids.to_pylist()]
    assert "wrong class" in _named(chosen_other)


def test_classification_frames_without_labels_have_no_outcome(tmp_path: Any) -> None:
    """Unlabelled frames sit between labelled ones: each labelled frame still gets its
    own outcome (the engine's ground truth row), an unlabelled one none."""
    from shoal.store import Store
    from shoal.tables import DatasetTables, InferenceTables

    ids = [f"f{i}" for i in range(10)]
    labelled = [f for i, f in enumerate(ids) if i % 3 != 1]
    truth = {f: "ab"[i % 2] for i, f in enumerate(ids)}
    predicted = {f: "ab"[(i // 2) % 2] for i, f in enumerate(ids)}
    home = Store(tmp_path / "home")
    project = home.create_project("c", task="classification", classes=["a", "b"])
    frames = pa.table({"frame_id": ids, "image_uri": ids})
    labels = pa.table({"label_id": labelled, "frame_id": labelled,
                       "class_name": [truth[f] for f in labelled]})  # fmt: skip
    dataset = project.create_dataset("d", DatasetTables.build(frames, labels))
    predictions = pa.table({"prediction_id": ids, "frame_id": ids,
                            "class_name": [predicted[f] for f in ids], "confidence": [0.9] * 10})  # fmt: skip
    inference = dataset.create_inference_set("m", InferenceTables.build(predictions))
    colors = projection_colors(dataset, _frames(dataset), "confusion")
    rows = inference.outcomes().where(kind="ground_truth")
    want: dict[str, str] = {}
    for frame, outcome, label, partner in zip(rows.frame_id.tolist(), rows.outcome.tolist(),
                                              rows.label.tolist(), rows.partner_label.tolist(),
                                              strict=True):  # fmt: skip
        want[str(frame)] = "correct" if outcome == "TP" else f"{label} \u2192 {partner}"
    assert _named(colors) == [want.get(f) for f in ids]
    assert sum(v is None for v in _named(colors)) == 3
    home.close()


def test_per_class_thresholds_color_as_the_library_says(store: Any, api: Any) -> None:  # noqa: F811
    dataset = store.project("shapes").dataset("rendered-scenes")
    model = "shapes-crop-mlp/hidden"
    projection = dataset.projection(model, kind="crop", method="umap", compute=False)
    per_class = {"circle": 0.2, "square": 0.6}
    body = ok(_get(api, SHAPES, embedding=model, kind="crop", color_by="outcome",
                   inference_set="adaptive-cc", conf=json.dumps(per_class)))  # fmt: skip
    expected = dataset.projection_colors(projection, "outcome", inference_set="adaptive-cc",
                                         conf=per_class)  # fmt: skip
    assert body == expected.to_dict()
    # Classes not named use 0: every prediction of the others is counted.
    predictions = dataset.inference_set("adaptive-cc").predictions()
    classes = dict(zip(predictions["prediction_id"].to_pylist(),
                       predictions["class_name"].to_pylist(), strict=True))  # fmt: skip
    elements = zip(projection.sources.to_pylist(), projection.inference_sets.to_pylist(),
                   projection.element_ids.to_pylist(), _named(expected), strict=True)  # fmt: skip
    others = [name for source, set_name, element_id, name in elements
              if source == "prediction" and set_name == "adaptive-cc"
              and classes[element_id] in ("triangle", "cross")]  # fmt: skip
    assert others and None not in others
