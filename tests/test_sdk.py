"""The upload SDK: frame builders, bulk loading from columns, and their validation."""

from __future__ import annotations

import importlib.util
import json
import math
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from shoal.engine.detection.annotations import Classes
from shoal.engine.detection.evaluator import evaluate
from shoal.errors import InputError
from shoal.sdk import Inferences, InferencesFrame, LabeledDataset, LabeledFrame
from shoal.tables import to_ground_truth, to_predictions

# ---------------------------------------------------------------------------------------
# One small dataset and inference set, built both ways


def build_dataset() -> LabeledDataset:
    first = LabeledFrame(frame_id="img_1")
    first.add_image(image_url="data/img_1.jpg", width=640, height=480, sensor_id="cam")
    first.add_user_metadata("weather", "rain")
    first.add_user_metadata("count", 3)
    first.add_user_metadata("brightness", 0.5)
    first.add_user_metadata("night", False)
    first.add_label_2d_bbox(
        label_id="l1", classification="car", top=10, left=20, width=50, height=30, iscrowd=False
    )
    first.add_label_2d_bbox(
        label_id="l2",
        classification="person",
        top=0,
        left=0,
        width=5,
        height=5,
        area=20,
        ignore=True,
        user_attrs={"occluded": True},
    )
    first.add_label_2d_classification(label_id="l3", classification="daytime")
    first.add_frame_embedding(embedding=[1, 2, 3], model_id="m")
    first.add_crop_embedding(label_id="l1", embedding=[4, 5, 6], model_id="m")

    second = LabeledFrame(frame_id="img_2")
    second.add_user_metadata("weather", None)
    second.add_user_metadata("count", 5)
    second.add_user_metadata("night", True)
    second.add_label_2d_bbox(
        label_id="l4", classification="car", top=1.5, left=2.5, width=3, height=4, iscrowd=True
    )
    second.add_frame_embedding(embedding=np.array([7.0, 8.0, 9.0]), model_id="m")
    second.add_crop_embedding(label_id="l4", embedding=[0.5, 0.25])  # the default model

    dataset = LabeledDataset()
    dataset.add_frame(first)
    dataset.add_frame(second)
    return dataset


FRAME_COLUMNS: dict[str, list[Any]] = {
    "frame_id": ["img_1", "img_2"],
    "image_url": ["data/img_1.jpg", None],
    "width": [640, None],
    "height": [480, None],
    "sensor_id": ["cam", None],
    "weather": ["rain", None],
    "count": [3, 5],
    "brightness": [0.5, None],
    "night": [False, True],
}
LABEL_COLUMNS: dict[str, list[Any]] = {
    "label_id": ["l1", "l2", "l3", "l4"],
    "frame_id": ["img_1", "img_1", "img_1", "img_2"],
    "classification": ["car", "person", "daytime", "car"],
    "left": [20.0, 0.0, None, 2.5],
    "top": [10.0, 0.0, None, 1.5],
    "width": [50.0, 5.0, None, 3.0],
    "height": [30.0, 5.0, None, 4.0],
    "area": [None, 20.0, None, None],
    "iscrowd": [False, False, False, True],
    "ignore": [False, True, False, False],
    "attributes": [None, json.dumps({"occluded": True}), None, None],
}
EMBEDDING_COLUMNS: dict[str, list[Any]] = {
    "frame_id": ["img_1", "img_1", "img_2", "img_2"],
    "label_id": [None, "l1", None, "l4"],
    "model_id": ["m", "m", "m", "default"],
    "embedding": [[1, 2, 3], [4, 5, 6], [7, 8, 9], [0.5, 0.25]],
}


def build_inferences() -> Inferences:
    first = InferencesFrame(frame_id="img_1")
    first.add_inference_2d_bbox(
        label_id="p1", classification="car", top=10, left=20, width=50, height=30, confidence=0.9
    )
    first.add_inference_2d_classification(
        label_id="p2", classification="daytime", confidence=0.8, probabilities=[0.2, 0.8]
    )
    first.add_crop_embedding(label_id="p1", embedding=[1, 2], model_id="m")
    second = InferencesFrame(frame_id="img_2")
    second.add_inference_2d_bbox(
        label_id="p3", classification="person", top=1, left=2, width=3, height=4, confidence=0.4
    )
    second.add_frame_embedding(embedding=[3, 4], model_id="m")
    inferences = Inferences()
    inferences.add_frame(first)
    inferences.add_frame(second)
    return inferences


PREDICTION_COLUMNS: dict[str, list[Any]] = {
    "label_id": ["p1", "p2", "p3"],
    "frame_id": ["img_1", "img_1", "img_2"],
    "classification": ["car", "daytime", "person"],
    "left": [20.0, None, 2.0],
    "top": [10.0, None, 1.0],
    "width": [50.0, None, 3.0],
    "height": [30.0, None, 4.0],
    "confidence": [0.9, 0.8, 0.4],
    "probabilities": [None, [0.2, 0.8], None],
}
PREDICTION_EMBEDDING_COLUMNS: dict[str, list[Any]] = {
    "frame_id": ["img_1", "img_2"],
    "prediction_id": ["p1", None],
    "model_id": ["m", "m"],
    "vector": [[1, 2], [3, 4]],
}


class FakeSeries:
    """What the bulk path uses of a pandas Series."""

    def __init__(self, values: np.ndarray) -> None:
        self._values = values

    def to_numpy(self) -> np.ndarray:
        return self._values


class FakeDataFrame:
    """What the bulk path uses of a pandas DataFrame (pandas is not a dependency)."""

    def __init__(self, columns: dict[str, list[Any]]) -> None:
        self._series = {
            name: FakeSeries(as_pandas_array(values)) for name, values in columns.items()
        }

    @property
    def columns(self) -> list[str]:
        return list(self._series)

    def __getitem__(self, name: str) -> FakeSeries:
        return self._series[name]

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - present for duck typing only
        raise AssertionError("the bulk path must read columns, not records")


def as_pandas_array(values: list[Any]) -> np.ndarray:
    """The NumPy array pandas would hand out: NaN for missing numbers, object otherwise."""
    present = [v for v in values if v is not None]
    if all(isinstance(v, float) for v in present) and len(present) < len(values):
        return np.array([math.nan if v is None else v for v in values])
    if all(isinstance(v, bool) for v in present) or all(
        isinstance(v, int) and not isinstance(v, bool) for v in present
    ):
        return np.array(values) if len(present) == len(values) else np.array(values, dtype=object)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def as_arrow(columns: dict[str, list[Any]]) -> pa.Table:
    return pa.table(columns)


def assert_same_tables(left: Any, right: Any, names: tuple[str, ...]) -> None:
    for name in names:
        expected, actual = getattr(left, name), getattr(right, name)
        assert actual.schema.equals(expected.schema), name
        assert actual.equals(expected), (name, actual.to_pylist(), expected.to_pylist())


FORMS = {
    "mapping of lists": lambda columns: dict(columns),
    "pyarrow table": as_arrow,
    "pandas-like frame": FakeDataFrame,
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_dataset_builder_and_bulk_produce_the_same_tables(form):
    built = build_dataset().to_tables()
    convert = FORMS[form]
    frames = dict(FRAME_COLUMNS)
    if form == "pandas-like frame":
        # pandas holds a missing integer as NaN in a float column.
        frames["width"] = [640.0, None]
        frames["height"] = [480.0, None]
    bulk = LabeledDataset.from_columns(
        frames=convert(frames),
        labels=convert(LABEL_COLUMNS),
        embeddings=convert(EMBEDDING_COLUMNS),
    )
    assert_same_tables(built, bulk, ("frames", "labels", "embeddings"))


def test_dataset_tables_hold_what_the_builders_were_given():
    tables = build_dataset().to_tables()
    assert tables.frames.column_names == [
        "frame_id",
        "image_uri",
        "width",
        "height",
        "sensor_id",
        "weather",
        "count",
        "brightness",
        "night",
    ]
    assert tables.frames.schema.field("count").type == pa.int64()
    assert tables.frames.schema.field("brightness").type == pa.float64()
    assert tables.frames.schema.field("night").type == pa.bool_()
    assert tables.frames.column("brightness").to_pylist() == [0.5, None]
    first_label = tables.labels.to_pylist()[0]
    assert first_label == {
        "label_id": "l1",
        "frame_id": "img_1",
        "class_name": "car",
        "x": 20.0,
        "y": 10.0,
        "width": 50.0,
        "height": 30.0,
        "area": None,
        "iscrowd": False,
        "ignore": False,
        "attributes": None,
    }
    assert tables.embeddings.column("vector").to_pylist()[3] == [0.5, 0.25]
    assert tables.embeddings.column("model_id").to_pylist() == ["m", "m", "m", "default"]


def test_numpy_columns_load_with_nan_as_a_missing_box():
    labels = {
        "label_id": np.array(["l1", "l2"]),
        "frame_id": np.array(["img_1", "img_1"]),
        "class_name": np.array(["car", "daytime"]),
        "x": np.array([1.0, np.nan]),
        "y": np.array([2.0, np.nan]),
        "width": np.array([3.0, np.nan]),
        "height": np.array([4.0, np.nan]),
    }
    tables = LabeledDataset.from_columns(frames={"frame_id": np.array(["img_1"])}, labels=labels)
    assert tables.labels.column("x").to_pylist() == [1.0, None]
    assert tables.labels.column("iscrowd").to_pylist() == [False, False]


def test_embeddings_load_from_a_two_dimensional_array():
    vectors = np.arange(6, dtype=np.float64).reshape(3, 2)
    tables = LabeledDataset.from_columns(
        frames={"frame_id": ["a", "b", "c"]},
        embeddings={"frame_id": ["a", "b", "c"], "vector": vectors},
    )
    assert tables.embeddings.column("vector").to_pylist() == vectors.tolist()
    assert tables.embeddings.column("target_id").null_count == 3
    assert set(tables.embeddings.column("model_id").to_pylist()) == {"default"}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_inference_builder_and_bulk_produce_the_same_tables(form):
    built = build_inferences().to_tables()
    convert = FORMS[form]
    bulk = Inferences.from_columns(
        predictions=convert(PREDICTION_COLUMNS), embeddings=convert(PREDICTION_EMBEDDING_COLUMNS)
    )
    assert_same_tables(built, bulk, ("predictions", "embeddings"))
    assert built.predictions.column("probabilities").to_pylist()[1] == pytest.approx([0.2, 0.8])


def test_probabilities_load_from_a_two_dimensional_array():
    probabilities = np.array([[0.25, 0.75], [1.0, 0.0]])
    tables = Inferences.from_columns(
        predictions={
            "frame_id": ["a", "b"],
            "class_name": ["x", "y"],
            "confidence": np.array([0.75, 1.0]),
            "probabilities": probabilities,
        }
    )
    assert tables.predictions.column("probabilities").to_pylist() == probabilities.tolist()
    assert tables.predictions.column("prediction_id").to_pylist() == ["1", "2"]


def test_frame_ids_restrict_inferences_to_the_dataset():
    dataset = build_dataset()
    tables = dataset.to_tables()
    for known in (tables, dataset, ["img_1", "img_2"], pa.array(["img_1", "img_2"])):
        assert build_inferences().to_tables(frame_ids=known).predictions.num_rows == 3
    with pytest.raises(InputError, match="unknown frame 'img_2'"):
        build_inferences().to_tables(frame_ids=["img_1"])
    with pytest.raises(InputError, match="embedding of unknown frame 'img_2'"):
        Inferences.from_columns(
            predictions={k: v[:2] for k, v in PREDICTION_COLUMNS.items()},
            embeddings=PREDICTION_EMBEDDING_COLUMNS,
            frame_ids=["img_1"],
        )


def test_empty_builders_give_empty_valid_tables():
    tables = LabeledDataset().to_tables()
    assert (tables.frames.num_rows, tables.labels.num_rows, tables.embeddings.num_rows) == (0, 0, 0)
    assert Inferences().to_tables().predictions.num_rows == 0
    frame_only = LabeledDataset()
    frame_only.add_frame(LabeledFrame(frame_id="lonely"))
    assert frame_only.to_tables().frames.column("image_uri").to_pylist() == [None]


def test_aquarium_extras_are_kept_as_metadata():
    frame = LabeledFrame(
        frame_id="f", date_captured=datetime(2024, 5, 1, 12, 30), device_id="truck_7"
    )
    frame.add_image(image_url="f.jpg", sensor_id="front")
    frame.add_label_2d_bbox(
        label_id="a", classification="car", top=0, left=0, width=1, height=1, sensor_id="front"
    )
    dataset = LabeledDataset()
    dataset.add_frame(frame)
    row = dataset.to_tables().frames.to_pylist()[0]
    assert row["date_captured"] == "2024-05-01T12:30:00"
    assert row["device_id"] == "truck_7"
    assert row["sensor_id"] == "front"
    numbered = LabeledFrame(frame_id="g")
    numbered.add_user_metadata("device_id", 7)
    with pytest.raises(InputError, match="metadata 'device_id' is int, but it is str in frame 'f'"):
        dataset.add_frame(numbered)


# ---------------------------------------------------------------------------------------
# Round trip to the engine


def test_builders_round_trip_through_a_real_evaluation():
    frame = LabeledFrame(frame_id="img")
    frame.add_image(image_url="img.jpg", width=200, height=200)
    frame.add_label_2d_bbox(
        label_id="found", classification="car", top=0, left=0, width=10, height=10
    )
    frame.add_label_2d_bbox(
        label_id="missed", classification="car", top=50, left=50, width=10, height=10
    )
    empty = LabeledFrame(frame_id="empty")
    dataset = LabeledDataset()
    dataset.add_frame(frame)
    dataset.add_frame(empty)

    guesses = InferencesFrame(frame_id="img")
    guesses.add_inference_2d_bbox(  # IoU 81 / 100 with "found": a true positive
        label_id="hit", classification="car", top=1, left=1, width=9, height=9, confidence=0.9
    )
    guesses.add_inference_2d_bbox(  # overlaps nothing: a false positive
        label_id="stray",
        classification="car",
        top=100,
        left=100,
        width=10,
        height=10,
        confidence=0.8,
    )
    inferences = Inferences()
    inferences.add_frame(guesses)

    dataset_tables = dataset.to_tables()
    ground_truth = to_ground_truth(dataset_tables, Classes.from_names(["car", "person"]))
    predictions = to_predictions(inferences.to_tables(frame_ids=dataset_tables), ground_truth)
    report = evaluate(ground_truth, predictions).report(conf=0.0, iou=0.5)
    assert report.labels == ("car",)
    assert (int(report.tp[0]), int(report.fp[0]), int(report.fn[0])) == (1, 1, 1)
    # At IoU 0.85 the hit no longer matches: no true positive, two misses of each kind.
    strict = evaluate(ground_truth, predictions).report(conf=0.0, iou=0.85)
    assert (int(strict.tp[0]), int(strict.fp[0]), int(strict.fn[0])) == (0, 2, 2)
    # Above the hit's confidence only the stray prediction is gone... and the hit too.
    high = evaluate(ground_truth, predictions).report(conf=0.85, iou=0.5)
    assert (int(high.tp[0]), int(high.fp[0]), int(high.fn[0])) == (1, 0, 1)


def test_bulk_round_trip_matches_the_builder_round_trip():
    classes = Classes.from_names(["car", "person"])
    dataset = LabeledDataset.from_columns(
        frames={"frame_id": ["img"]},
        labels={
            "label_id": ["found", "missed"],
            "frame_id": ["img", "img"],
            "class_name": ["car", "car"],
            "x": [0.0, 50.0],
            "y": [0.0, 50.0],
            "width": [10.0, 10.0],
            "height": [10.0, 10.0],
        },
    )
    inferences = Inferences.from_columns(
        predictions={
            "frame_id": np.array(["img", "img"]),
            "class_name": np.array(["car", "car"]),
            "left": np.array([1.0, 100.0]),
            "top": np.array([1.0, 100.0]),
            "width": np.array([9.0, 10.0]),
            "height": np.array([9.0, 10.0]),
            "confidence": np.array([0.9, 0.8]),
        },
        frame_ids=dataset,
    )
    ground_truth = to_ground_truth(dataset, classes)
    report = evaluate(ground_truth, to_predictions(inferences, ground_truth)).report(iou=0.5)
    assert (int(report.tp[0]), int(report.fp[0]), int(report.fn[0])) == (1, 1, 1)


# ---------------------------------------------------------------------------------------
# Validation at the point of use


def labeled_frame() -> LabeledFrame:
    frame = LabeledFrame(frame_id="f1")
    frame.add_label_2d_bbox(label_id="a", classification="car", top=0, left=0, width=1, height=1)
    return frame


def inference_frame() -> InferencesFrame:
    frame = InferencesFrame(frame_id="f1")
    frame.add_inference_2d_bbox(
        label_id="a", classification="car", top=0, left=0, width=1, height=1, confidence=0.5
    )
    return frame


BOX = {"classification": "car", "top": 0, "left": 0, "width": 1, "height": 1}
PREDICTED_BOX = {**BOX, "confidence": 0.5}

LABEL_ERRORS = [
    ({"label_id": "b", **BOX, "classification": 7}, "classification must be a non-empty string"),
    ({"label_id": "b", **BOX, "classification": ""}, "classification must be a non-empty string"),
    ({"label_id": "b", **BOX, "top": math.nan}, "top nan is not finite"),
    ({"label_id": "b", **BOX, "left": math.inf}, "left inf is not finite"),
    ({"label_id": "b", **BOX, "width": -1}, "width -1 is negative"),
    ({"label_id": "b", **BOX, "height": -0.5}, "height -0.5 is negative"),
    ({"label_id": "b", **BOX, "width": "3"}, "width must be a number"),
    ({"label_id": "b", **BOX, "height": True}, "height must be a number"),
    ({"label_id": "b", **BOX, "area": -2}, "area -2 is negative"),
    ({"label_id": "b", **BOX, "iscrowd": 1}, "iscrowd must be True or False"),
    ({"label_id": "b", **BOX, "user_attrs": {"x": object()}}, "not JSON-serializable"),
    ({"label_id": "b", **BOX, "user_attrs": {"x": math.nan}}, "not JSON-serializable"),
    ({"label_id": "b", **BOX, "user_attrs": [1]}, "user_attrs must be a mapping"),
    ({"label_id": "b", **BOX, "sensor_id": 3}, "sensor_id must be a non-empty string"),
    ({"label_id": "a", **BOX}, "duplicate label id within the frame"),
]


@pytest.mark.parametrize(("arguments", "message"), LABEL_ERRORS)
def test_bad_boxes_are_refused_naming_frame_and_label(arguments, message):
    frame = labeled_frame()
    with pytest.raises(InputError, match=message) as caught:
        frame.add_label_2d_bbox(**arguments)
    assert f"frame 'f1', label '{arguments['label_id']}'" in str(caught.value)
    assert frame.label_ids == ["a"]


@pytest.mark.parametrize("label_id", [None, "", 12])
def test_a_label_id_must_be_a_non_empty_string(label_id):
    with pytest.raises(InputError, match="frame 'f1': label_id must be a non-empty string"):
        labeled_frame().add_label_2d_bbox(label_id=label_id, **BOX)


def test_bad_classification_labels_are_refused():
    frame = labeled_frame()
    with pytest.raises(InputError, match="frame 'f1', label 'c': classification must be"):
        frame.add_label_2d_classification(label_id="c", classification=None)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="frame 'f1', label 'a': duplicate label id"):
        frame.add_label_2d_classification(label_id="a", classification="day")


def test_a_refused_object_leaves_its_id_free():
    frame = inference_frame()
    with pytest.raises(InputError, match=r"confidence 1\.5 is greater than 1"):
        frame.add_inference_2d_bbox(label_id="b", **{**PREDICTED_BOX, "confidence": 1.5})
    frame.add_inference_2d_bbox(label_id="b", **PREDICTED_BOX)
    assert frame.prediction_ids == ["a", "b"]


PREDICTION_ERRORS = [
    ({**PREDICTED_BOX, "confidence": 1.5}, "confidence 1.5 is greater than 1"),
    ({**PREDICTED_BOX, "confidence": -0.1}, "confidence -0.1 is negative"),
    ({**PREDICTED_BOX, "confidence": math.nan}, "confidence nan is not finite"),
    ({**PREDICTED_BOX, "confidence": None}, "confidence must be a number"),
    ({**PREDICTED_BOX, "classification": 3}, "classification must be a non-empty string"),
    ({**PREDICTED_BOX, "width": -4}, "width -4 is negative"),
    ({**PREDICTED_BOX, "top": math.inf}, "top inf is not finite"),
]


@pytest.mark.parametrize(("arguments", "message"), PREDICTION_ERRORS)
def test_bad_predicted_boxes_are_refused_naming_frame_and_prediction(arguments, message):
    with pytest.raises(InputError, match=message) as caught:
        inference_frame().add_inference_2d_bbox(label_id="b", **arguments)
    assert "frame 'f1', prediction 'b'" in str(caught.value)


CLASSIFICATION_ERRORS = [
    ({"confidence": 2}, "confidence 2 is greater than 1"),
    ({"confidence": 0.5, "classification": ["x"]}, "classification must be a non-empty string"),
    ({"confidence": 0.5, "probabilities": [0.5, 1.5]}, r"probabilities must be in \[0, 1\]"),
    ({"confidence": 0.5, "probabilities": [0.5, math.nan]}, "probabilities has a value that is"),
    ({"confidence": 0.5, "probabilities": []}, "probabilities must be a non-empty list"),
    ({"confidence": 0.5, "probabilities": [[0.5], [0.5]]}, "probabilities must be a non-empty"),
    ({"confidence": 0.5, "probabilities": ["x"]}, "probabilities is not a list of numbers"),
]


@pytest.mark.parametrize(("arguments", "message"), CLASSIFICATION_ERRORS)
def test_bad_predicted_classes_are_refused(arguments, message):
    arguments = {"classification": "day", **arguments}
    with pytest.raises(InputError, match=message) as caught:
        inference_frame().add_inference_2d_classification(label_id="c", **arguments)
    assert "frame 'f1', prediction 'c'" in str(caught.value)


def test_a_duplicate_prediction_id_within_a_frame_is_refused():
    with pytest.raises(InputError, match="frame 'f1', prediction 'a': duplicate prediction id"):
        inference_frame().add_inference_2d_classification(
            label_id="a", classification="day", confidence=0.5
        )


@pytest.mark.parametrize("frame_id", [None, "", 5])
def test_a_frame_id_must_be_a_non_empty_string(frame_id):
    with pytest.raises(InputError, match="frame_id must be a non-empty string"):
        LabeledFrame(frame_id=frame_id)
    with pytest.raises(InputError, match="frame_id must be a non-empty string"):
        InferencesFrame(frame_id=frame_id)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"width": 0}, "image width 0 is not positive"),
        ({"height": -3}, "image height -3 is not positive"),
        ({"width": 640.5}, "image width must be a whole number"),
        ({"image_url": 5}, "image_url must be a non-empty string"),
        ({"date_captured": 5}, "date_captured must be a non-empty string"),
    ],
)
def test_bad_images_are_refused(arguments, message):
    with pytest.raises(InputError, match=f"frame 'f1': {message}"):
        LabeledFrame(frame_id="f1").add_image(**arguments)


def test_a_frame_holds_one_image_from_one_sensor():
    frame = LabeledFrame(frame_id="f1")
    frame.add_image(image_url="a.jpg", sensor_id="front")
    with pytest.raises(InputError, match="frame 'f1': a second image"):
        frame.add_image(image_url="b.jpg")
    with pytest.raises(InputError, match="frame 'f1', label 'a': sensor 'rear' is not the frame's"):
        frame.add_label_2d_bbox(label_id="a", sensor_id="rear", **BOX)
    labels_first = LabeledFrame(frame_id="f2")
    labels_first.add_label_2d_classification(label_id="a", classification="x", sensor_id="rear")
    with pytest.raises(InputError, match="sensor 'front' is not the frame's sensor 'rear'"):
        labels_first.add_image(sensor_id="front")
    guesses = InferencesFrame(frame_id="f3")
    guesses.add_inference_2d_bbox(label_id="a", sensor_id="front", **PREDICTED_BOX)
    with pytest.raises(InputError, match="frame 'f3', prediction 'b': sensor 'rear'"):
        guesses.add_inference_2d_bbox(label_id="b", sensor_id="rear", **PREDICTED_BOX)


def test_a_frame_added_twice_is_refused():
    dataset = LabeledDataset()
    dataset.add_frame(LabeledFrame(frame_id="f1"))
    with pytest.raises(InputError, match="frame 'f1': the frame was already added"):
        dataset.add_frame(LabeledFrame(frame_id="f1"))
    inferences = Inferences()
    frame = InferencesFrame(frame_id="f1")
    inferences.add_frame(frame)
    with pytest.raises(InputError, match="frame 'f1': the frame was already added"):
        inferences.add_frame(frame)
    assert len(dataset) == len(inferences) == 1


def test_add_frame_takes_the_matching_frame_kind():
    with pytest.raises(InputError, match="add_frame takes a LabeledFrame, got InferencesFrame"):
        LabeledDataset().add_frame(InferencesFrame(frame_id="f"))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="add_frame takes an InferencesFrame, got LabeledFrame"):
        Inferences().add_frame(LabeledFrame(frame_id="f"))  # type: ignore[arg-type]


def test_a_label_id_used_in_two_frames_is_found_by_to_tables():
    dataset = LabeledDataset()
    for frame_id in ("f1", "f2"):
        frame = LabeledFrame(frame_id=frame_id)
        frame.add_label_2d_bbox(label_id="same", **BOX)
        dataset.add_frame(frame)
    with pytest.raises(InputError, match="record 1: duplicate label id 'same'"):
        dataset.to_tables()


# ---------------------------------------------------------------------------------------
# Metadata types


def test_a_metadata_key_keeps_one_type_across_frames():
    dataset = LabeledDataset()
    first = LabeledFrame(frame_id="f1")
    first.add_user_metadata("speed", 3)
    dataset.add_frame(first)
    for value, kind in (("fast", "str"), (2.5, "float"), (True, "bool")):
        other = LabeledFrame(frame_id=f"other_{kind}")
        other.add_user_metadata("speed", value)
        with pytest.raises(
            InputError,
            match=f"frame 'other_{kind}': metadata 'speed' is {kind}, but it is int in frame 'f1'",
        ):
            dataset.add_frame(other)
    assert dataset.frame_ids == ["f1"]
    agreeing = LabeledFrame(frame_id="f2")
    agreeing.add_user_metadata("speed", np.int64(7))
    missing = LabeledFrame(frame_id="f3")
    missing.add_user_metadata("speed", None)
    dataset.add_frame(agreeing)
    dataset.add_frame(missing)
    assert dataset.to_tables().frames.column("speed").to_pylist() == [3, 7, None]


def test_nan_metadata_is_a_missing_float():
    dataset = LabeledDataset()
    frame = LabeledFrame(frame_id="f1")
    frame.add_user_metadata("ratio", math.nan)
    dataset.add_frame(frame)
    frames = dataset.to_tables().frames
    assert frames.schema.field("ratio").type == pa.float64()
    assert frames.column("ratio").to_pylist() == [None]


def test_a_type_conflict_introduced_after_add_frame_is_found_by_to_tables():
    dataset = LabeledDataset()
    first, second = LabeledFrame(frame_id="f1"), LabeledFrame(frame_id="f2")
    first.add_user_metadata("road", "wet")
    dataset.add_frame(first)
    dataset.add_frame(second)
    second.add_user_metadata("road", 1)
    with pytest.raises(InputError, match="metadata 'road' is int, but it is str in frame 'f1'"):
        dataset.to_tables()


def test_val_type_types_none_and_widens_int_to_float():
    dataset = LabeledDataset()
    first, second = LabeledFrame(frame_id="f1"), LabeledFrame(frame_id="f2")
    first.add_user_metadata("score", None, val_type="float")
    first.add_user_metadata("never_set", None)
    second.add_user_metadata("score", 2, val_type="float")
    second.add_user_metadata("never_set", None)
    dataset.add_frame(first)
    dataset.add_frame(second)
    frames = dataset.to_tables().frames
    assert frames.schema.field("score").type == pa.float64()
    assert frames.column("score").to_pylist() == [None, 2.0]
    assert frames.schema.field("never_set").type == pa.string()
    conflicting = LabeledFrame(frame_id="f3")
    conflicting.add_user_metadata("score", None, val_type="str")
    with pytest.raises(InputError, match="metadata 'score' is str, but it is float"):
        dataset.add_frame(conflicting)


@pytest.mark.parametrize(
    ("key", "value", "val_type", "message"),
    [
        ("weather", ["rain"], None, "metadata 'weather' must be a bool, int, float, str or None"),
        (
            "weather",
            {"a": 1},
            None,
            "metadata 'weather' must be a bool, int, float, str or None, got dict",
        ),
        ("weather", "rain", "int", "metadata 'weather' is str, but val_type is 'int'"),
        ("weather", 1.5, "int", "metadata 'weather' is float, but val_type is 'int'"),
        (
            "weather",
            "rain",
            "text",
            "metadata 'weather' val_type 'text' is not one of bool, int, float, str",
        ),
        ("frame_id", "x", None, "metadata key 'frame_id' is reserved"),
        ("split", "train", None, "metadata key 'split' is reserved"),
        ("_private", 1, None, "metadata key '_private' is reserved"),
        ("", 1, None, "metadata key must be a non-empty string"),
        (3, 1, None, "metadata key must be a non-empty string"),
    ],
)
def test_bad_metadata_is_refused(key, value, val_type, message):
    with pytest.raises(InputError, match=f"frame 'f1': {message}"):
        LabeledFrame(frame_id="f1").add_user_metadata(key, value, val_type)


def test_a_metadata_key_is_set_once_per_frame():
    frame = LabeledFrame(frame_id="f1", device_id="d")
    frame.add_user_metadata("weather", "rain")
    with pytest.raises(InputError, match="frame 'f1': metadata 'weather' is already set"):
        frame.add_user_metadata("weather", "sun")
    with pytest.raises(InputError, match="metadata 'device_id' is already set"):
        frame.add_user_metadata("device_id", "e")
    stamped = LabeledFrame(frame_id="f2", date_captured="2024-01-01")
    with pytest.raises(InputError, match="metadata 'date_captured' is already set"):
        stamped.add_image(date_captured="2024-01-02")


def test_bulk_metadata_types_follow_the_columns():
    tables = LabeledDataset.from_columns(
        frames={
            "frame_id": np.array(["a", "b"]),
            "count": np.array([1, 2], dtype=np.int32),
            "ratio": np.array([0.5, np.nan]),
            "kind": ["x", None],
        }
    )
    assert tables.frames.schema.field("count").type == pa.int64()
    assert tables.frames.column("ratio").to_pylist() == [0.5, None]  # NaN is missing
    with pytest.raises(InputError, match="metadata key 'num_labels' is reserved"):
        LabeledDataset.from_columns(frames={"frame_id": ["a"], "num_labels": [3]})


# ---------------------------------------------------------------------------------------
# Embeddings


@pytest.mark.parametrize(
    ("embedding", "message"),
    [
        ([], "embedding must be a non-empty list of numbers, got shape"),
        ([[1.0, 2.0]], r"embedding must be a non-empty list of numbers, got shape \(1, 2\)"),
        ([1.0, math.nan], "embedding has a value that is not finite"),
        ([1.0, 1e39], "embedding has a value that is not finite"),
        (["a", "b"], "embedding is not a list of numbers"),
        (3.0, r"embedding must be a non-empty list of numbers, got shape \(\)"),
    ],
)
def test_bad_embedding_vectors_are_refused(embedding, message):
    with pytest.raises(InputError, match=f"frame 'f1': {message}"):
        labeled_frame().add_frame_embedding(embedding=embedding)
    with pytest.raises(InputError, match=f"frame 'f1', label 'a': {message}"):
        labeled_frame().add_crop_embedding(label_id="a", embedding=embedding)


def test_a_crop_embedding_needs_a_known_label():
    with pytest.raises(InputError, match="frame 'f1', label 'zz': crop embedding of a label the"):
        labeled_frame().add_crop_embedding(label_id="zz", embedding=[1.0])
    with pytest.raises(InputError, match="frame 'f1', prediction 'zz': crop embedding of a pred"):
        inference_frame().add_crop_embedding(label_id="zz", embedding=[1.0])


def test_one_vector_per_object_and_model():
    frame = labeled_frame()
    frame.add_frame_embedding(embedding=[1.0, 2.0])
    frame.add_frame_embedding(embedding=[1.0, 2.0], model_id="other")
    frame.add_crop_embedding(label_id="a", embedding=[1.0, 2.0])
    with pytest.raises(InputError, match="frame 'f1': a second frame embedding of model 'default'"):
        frame.add_frame_embedding(embedding=[1.0, 2.0])
    with pytest.raises(InputError, match="frame 'f1', label 'a': a second crop embedding"):
        frame.add_crop_embedding(label_id="a", embedding=[1.0, 2.0])
    with pytest.raises(InputError, match="model_id must be a non-empty string"):
        frame.add_frame_embedding(embedding=[1.0, 2.0], model_id="")


def test_one_model_has_one_vector_length():
    frame = labeled_frame()
    frame.add_frame_embedding(embedding=[1.0, 2.0, 3.0], model_id="m")
    with pytest.raises(
        InputError,
        match="frame 'f1', label 'a': crop embedding of model 'm' has "
        "length 2, but the model's other vectors have length 3",
    ):
        frame.add_crop_embedding(label_id="a", embedding=[1.0, 2.0], model_id="m")
    frame.add_crop_embedding(label_id="a", embedding=[1.0, 2.0], model_id="small")

    dataset = LabeledDataset()
    dataset.add_frame(frame)
    other = LabeledFrame(frame_id="f2")
    other.add_frame_embedding(embedding=[1.0, 2.0], model_id="m")
    with pytest.raises(
        InputError, match="frame 'f2': embeddings of model 'm' have length 2, but 3 in frame 'f1'"
    ):
        dataset.add_frame(other)
    inferences = Inferences()
    first, second = InferencesFrame(frame_id="f1"), InferencesFrame(frame_id="f2")
    first.add_frame_embedding(embedding=[1.0])
    second.add_frame_embedding(embedding=[1.0, 2.0])
    inferences.add_frame(first)
    with pytest.raises(InputError, match="embeddings of model 'default' have length 2, but 1"):
        inferences.add_frame(second)


def test_a_length_conflict_introduced_after_add_frame_is_found_by_to_tables():
    dataset = LabeledDataset()
    first, second = LabeledFrame(frame_id="f1"), LabeledFrame(frame_id="f2")
    first.add_frame_embedding(embedding=[1.0, 2.0])
    dataset.add_frame(first)
    dataset.add_frame(second)
    second.add_frame_embedding(embedding=[1.0])
    with pytest.raises(
        InputError,
        match=r"record 1: frame 'f2': embedding of model 'default' "
        r"has length 1, but 2 at frame 'f1'",
    ):
        dataset.to_tables()


EMBEDDINGS_FRAMES = {"frame_id": ["f1", "f2"]}
EMBEDDINGS_LABELS = {
    "label_id": ["a", "b"],
    "frame_id": ["f1", "f2"],
    "class_name": ["car", "car"],
    "x": [0.0, 0.0],
    "y": [0.0, 0.0],
    "width": [1.0, 1.0],
    "height": [1.0, 1.0],
}


@pytest.mark.parametrize(
    ("embeddings", "message"),
    [
        (
            {"frame_id": ["f1", "f2"], "vector": [[1.0, 2.0], [1.0]]},
            "frame 'f2': embedding of model 'default' has length 1, but 2 at frame 'f1'",
        ),
        ({"frame_id": ["f1"], "vector": [[]]}, "frame 'f1': embedding has no vector"),
        ({"frame_id": ["f1"], "vector": [None]}, "frame 'f1': embedding has no vector"),
        (
            {"frame_id": ["f1", "f2"], "vector": [[1.0], [math.inf]]},
            "record 1: frame 'f2': embedding has a value that is not finite",
        ),
        (
            {"frame_id": ["f1"], "label_id": ["zz"], "vector": [[1.0]]},
            "frame 'f1', label 'zz': crop embedding of a label that does not exist",
        ),
        (
            {"frame_id": ["f1"], "label_id": ["b"], "vector": [[1.0]]},
            "frame 'f1', label 'b': crop embedding of a label of frame 'f2'",
        ),
        (
            {"frame_id": ["f1", "f2", "f1"], "label_id": ["a", None, "a"], "vector": [[1.0]] * 3},
            "record 0: frame 'f1', label 'a': more than one embedding of model 'default'",
        ),
        (
            {"frame_id": ["f3"], "vector": [[1.0]]},
            "embedding refers to unknown frame 'f3'",
        ),
        ({"frame_id": ["f1"], "vector": [[1.0]], "dims": [1]}, "embeddings column 'dims' is not"),
        ({"frame_id": ["f1"], "vector": [["a"]]}, "embeddings column 'vector' cannot be read"),
    ],
)
def test_bulk_embeddings_are_validated(embeddings, message):
    with pytest.raises(InputError, match=message):
        LabeledDataset.from_columns(
            frames=EMBEDDINGS_FRAMES, labels=EMBEDDINGS_LABELS, embeddings=embeddings
        )


def test_bulk_inference_crop_embeddings_name_predictions():
    with pytest.raises(InputError, match="prediction 'p9': crop embedding of a prediction that"):
        Inferences.from_columns(
            predictions=PREDICTION_COLUMNS,
            embeddings={"frame_id": ["img_1"], "label_id": ["p9"], "vector": [[1.0]]},
        )


# ---------------------------------------------------------------------------------------
# Bulk columns


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"score": [0.1, 0.2, 0.3]}, "predictions column 'score' is not known"),
        ({"x": [1.0, 2.0, 3.0]}, "predictions column 'x' is given twice"),
        ({"confidence": [0.1, 0.2]}, "predictions columns differ in length"),
        ({"confidence": [0.1, 1.2, 0.3]}, r"record 1: confidence 1.2 is not in \[0, 1\]"),
        ({"confidence": np.array([0.1, np.nan, 0.3])}, "record 1: confidence nan is not in"),
        ({"confidence": np.ones((3, 1))}, "column 'confidence' must be one-dimensional"),
        ({"confidence": "0.5"}, "column 'confidence' is not a sequence of values"),
        ({"confidence": [0.1, "high", 0.3]}, "column 'confidence' cannot be read"),
        ({"width": [1.0, None, -3.0]}, "record 2: prediction box .* has a negative width"),
        ({"left": np.array([np.nan, np.nan, 2.0])}, "record 0: prediction has a partial box"),
        (
            {"probabilities": [[0.5, 0.5], [0.2, 0.8], None]},
            "frame 'img_1', prediction 'p1': probabilities are for classification",
        ),
        (
            {"probabilities": [None, [0.2, 1.8], None]},
            r"prediction 'p2': probability 1.8 is not in \[0, 1\]",
        ),
    ],
)
def test_bulk_predictions_are_validated(change, message):
    with pytest.raises(InputError, match=message):
        Inferences.from_columns(predictions={**PREDICTION_COLUMNS, **change})


def test_probabilities_have_one_length():
    frame = InferencesFrame(frame_id="f")
    frame.add_inference_2d_classification(
        label_id="a", classification="x", confidence=0.5, probabilities=[0.5, 0.5]
    )
    frame.add_inference_2d_classification(
        label_id="b", classification="x", confidence=0.5, probabilities=[1.0]
    )
    inferences = Inferences()
    inferences.add_frame(frame)
    with pytest.raises(InputError, match="frame 'f', prediction 'b': 1 probabilities, but 2 at"):
        inferences.to_tables()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ([1, 2, 3], "cannot read frames from a list"),
        ("frames.csv", "cannot read frames from a str"),
        ({1: ["a"]}, "frames column name 1 is not a string"),
        ({"frame_id": ["a"], "image_url": ["x"], "image_uri": ["y"]}, "'image_uri' is given twice"),
        ({"frame_id": ["a", "a"]}, "duplicate frame id 'a'"),
        ({"frame_id": ["a"], "width": [1.5]}, "frame column 'width' is double, expected int32"),
    ],
)
def test_bulk_frames_are_validated(source, message):
    with pytest.raises(InputError, match=message):
        LabeledDataset.from_columns(frames=source)


def test_bulk_labels_are_validated():
    with pytest.raises(InputError, match="labels column 'colour' is not known"):
        LabeledDataset.from_columns(
            frames={"frame_id": ["a"]}, labels={**EMBEDDINGS_LABELS, "colour": ["r", "g"]}
        )
    with pytest.raises(InputError, match="label refers to unknown frame 'f2'"):
        LabeledDataset.from_columns(frames={"frame_id": ["f1"]}, labels=EMBEDDINGS_LABELS)
    with pytest.raises(InputError, match="label table has no 'class_name' column"):
        LabeledDataset.from_columns(
            frames=EMBEDDINGS_FRAMES,
            labels={k: v for k, v in EMBEDDINGS_LABELS.items() if k != "class_name"},
        )


def _benchmark_module(name: str) -> ModuleType:
    """``benchmarks/<name>.py``, loaded as a module (the benchmarks are not a package)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"shoal_bench_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bulk_loading_many_predictions_from_numpy():
    # Speed is measured in benchmarks/sdk_bulk.py; this checks the result at size.
    count = 200_000
    columns = _benchmark_module("sdk_bulk").prediction_columns(count)
    tables = Inferences.from_columns(predictions=columns)
    assert tables.predictions.num_rows == count
    assert tables.predictions.column("prediction_id")[count - 1].as_py() == f"p{count - 1}"
    np.testing.assert_array_equal(tables.predictions.column("x").to_numpy(), columns["left"])
