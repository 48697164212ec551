"""One COCO file, every path, one answer: ``shoal.evaluate_detections``, ``shoal eval``,
``from_coco`` + the store, and ``shoal import`` + the store give the same COCO
statistics, under both ignore policies (pycocotools' by default, the ``ignore`` flag
honoured when asked); pycocotools is the oracle for the default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import shoal
from shoal.cli import main
from shoal.errors import InputError
from shoal.store import Store

from coco_oracle import STAT_NAMES, pycocotools_stats, random_coco


def _with_ignore_flags(seed: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    gt, dt = random_coco(np.random.default_rng(seed), num_images=14, num_classes=5)
    rng = np.random.default_rng(seed + 100)
    for annotation in gt["annotations"]:
        if rng.random() < 0.3:
            annotation["ignore"] = 1
        elif rng.random() < 0.2:
            annotation["ignore"] = 0
    for image in gt["images"]:
        image["file_name"] = f"{image['id']}.jpg"
    return gt, dt


@pytest.fixture(params=[3, 11])
def files(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path, dict, list]:
    gt, dt = _with_ignore_flags(request.param)
    gt_path, dt_path = tmp_path / "gt.json", tmp_path / "results.json"
    gt_path.write_text(json.dumps(gt))
    dt_path.write_text(json.dumps(dt))
    return gt_path, dt_path, gt, dt


def _python(gt_path: Path, dt_path: Path, honor: bool) -> dict[str, float]:
    evaluation = shoal.evaluate_detections(gt_path, dt_path, ignore_flag=honor)
    return dict(evaluation.coco_summary().stats)


def _cli_eval(gt_path: Path, dt_path: Path, honor: bool, capsys: Any) -> dict[str, float]:
    out = gt_path.parent / f"eval-{honor}.json"
    flags = ["--honor-ignore"] if honor else []
    assert main(["eval", str(gt_path), str(dt_path), "--json", str(out), *flags]) == 0
    capsys.readouterr()
    return json.loads(out.read_text())["coco"]


def _python_store(gt_path: Path, dt_path: Path, honor: bool, home: Path) -> dict[str, float]:
    store = Store(home)
    project = store.create_project(f"py-{honor}", task="detection")
    dataset = project.create_dataset("gt", shoal.from_coco(gt_path, ignore_flag=honor))
    inference_set = dataset.create_inference_set(
        "model", shoal.from_coco_results(dt_path, dataset.tables())
    )
    return dict(inference_set.evaluate().coco_summary().stats)


def _cli_store(gt_path: Path, dt_path: Path, honor: bool, home: Path, capsys: Any) -> dict:
    project = f"cli-{honor}"
    flags = ["--honor-ignore"] if honor else []
    common = ["--project", project, "--home", str(home)]
    assert main(["import", "coco", str(gt_path), "--dataset", "gt", *common, *flags]) == 0
    assert main(["import", "coco-results", str(dt_path), "--dataset", "gt", *common]) == 0
    capsys.readouterr()
    inference_set = Store(home).project(project).dataset("gt").inference_set("results")
    return dict(inference_set.evaluate().coco_summary().stats)


@pytest.mark.parametrize("honor", [False, True])
def test_every_path_gives_the_same_coco_stats(files, honor, tmp_path, capsys):
    gt_path, dt_path, gt, dt = files
    python = _python(gt_path, dt_path, honor)
    assert _cli_eval(gt_path, dt_path, honor, capsys) == python
    # Bit for bit: the store orders frames and classes as the engine's reader does.
    for stored in (
        _python_store(gt_path, dt_path, honor, tmp_path / "home"),
        _cli_store(gt_path, dt_path, honor, tmp_path / "home", capsys),
    ):
        assert list(stored) == list(python)
        assert stored == python
    if not honor:
        pytest.importorskip("pycocotools")
        assert python == pycocotools_stats(gt, dt)


def test_the_ignore_flag_changes_the_numbers_only_when_honoured(files):
    gt_path, dt_path, gt, _dt = files
    default, honoured = _python(gt_path, dt_path, False), _python(gt_path, dt_path, True)
    assert default != honoured
    # Without any flag set, both policies are pycocotools'.
    for annotation in gt["annotations"]:
        annotation.pop("ignore", None)
    plain = gt_path.parent / "plain.json"
    plain.write_text(json.dumps(gt))
    assert _python(plain, dt_path, True) == _python(plain, dt_path, False)


def _pycocotools_honouring_ignore(gt: dict[str, Any], dt: list[dict[str, Any]]) -> dict:
    """pycocotools with its overwrite of ``ignore`` by ``iscrowd`` undone: a box is
    ignored when it is a crowd or flagged."""
    import contextlib
    import copy
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    class HonouringIgnore(COCOeval):  # type: ignore[misc]
        def _prepare(self) -> None:
            super()._prepare()
            for boxes in self._gts.values():
                for annotation in boxes:
                    flagged = bool(annotation.get("ignore_flag", 0))
                    annotation["ignore"] = int(bool(annotation["iscrowd"]) or flagged)

    document = copy.deepcopy(gt)
    for annotation in document["annotations"]:
        annotation["ignore_flag"] = annotation.pop("ignore", 0)
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = document
        coco_gt.createIndex()
        evaluator = HonouringIgnore(coco_gt, coco_gt.loadRes(copy.deepcopy(dt)), "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return dict(zip(STAT_NAMES, evaluator.stats.tolist(), strict=True))


def test_honoured_ignore_matches_pycocotools_told_to_keep_the_flag(files):
    pytest.importorskip("pycocotools")
    gt_path, dt_path, gt, dt = files
    honoured = _python(gt_path, dt_path, True)
    np.testing.assert_allclose(
        [honoured[n] for n in STAT_NAMES],
        [_pycocotools_honouring_ignore(gt, dt)[n] for n in STAT_NAMES],
        rtol=0,
        atol=1e-12,
    )


def test_the_default_keeps_the_flag_for_the_exporter(files):
    gt_path, _, gt, _ = files
    dataset = shoal.from_coco(gt_path)
    assert not any(dataset.labels.column("ignore").to_pylist())
    written = shoal.as_coco(dataset)
    flags = [a.get("ignore") for a in written["annotations"]]
    assert flags == [a.get("ignore") for a in gt["annotations"]]
    honoured = shoal.from_coco(gt_path, ignore_flag=True)
    assert honoured.labels.column("ignore").to_pylist() == [
        bool(a.get("ignore")) for a in gt["annotations"]
    ]


def test_a_ground_truth_file_is_refused_as_results_on_every_path(files, tmp_path, capsys):
    gt_path, _, _, _ = files
    home = str(tmp_path / "home")
    assert main(["import", "coco", str(gt_path), "--project", "p", "--home", home]) == 0
    capsys.readouterr()
    code = main(
        ["import", "coco-results", str(gt_path), "--project", "p", "--dataset", "gt",
         "--home", home]
    )  # fmt: skip
    assert code == 2
    assert "this is a ground-truth file, not results" in capsys.readouterr().err
    assert main(["eval", str(gt_path), str(gt_path)]) == 2
    assert "this is a ground-truth file, not results" in capsys.readouterr().err
    dataset = shoal.from_coco(gt_path)
    for call in (
        lambda: shoal.from_coco_results(gt_path, dataset),
        lambda: shoal.read_coco_results(gt_path, shoal.read_coco_ground_truth(gt_path)),
        lambda: shoal.evaluate_detections(gt_path, gt_path),
    ):
        with pytest.raises(InputError, match="this is a ground-truth file") as caught:
            call()
        assert caught.value.source == str(gt_path)


def test_results_without_scores_count_as_one(files, tmp_path):
    gt_path, _dt_path, _, dt = files
    unscored = [{k: v for k, v in r.items() if k != "score"} for r in dt]
    path = tmp_path / "unscored.json"
    path.write_text(json.dumps(unscored))
    predictions = shoal.read_coco_results(path, shoal.read_coco_ground_truth(gt_path))
    assert predictions.score.tolist() == [1.0] * len(dt)
    tables = shoal.from_coco_results(path, shoal.from_coco(gt_path))
    assert tables.predictions.column("confidence").to_pylist() == [1.0] * len(dt)


def test_results_listing_their_own_images_read_the_same_on_every_path(tmp_path):
    """A results object with its own images and categories (as some tools write) is
    matched by file_name and category name, by the engine's reader and the tables' alike."""
    gt, dt = _with_ignore_flags(5)
    names = {c["id"]: c["name"] for c in gt["categories"]}
    # The results number images and categories their own way.
    own_images = [
        {"id": 1000 + i, "file_name": im["file_name"]} for i, im in enumerate(gt["images"])
    ]
    image_of = {im["id"]: 1000 + i for i, im in enumerate(gt["images"])}
    own_categories = [{"id": 50 + k, "name": names[k]} for k in names]
    shaped = {
        "images": own_images,
        "categories": own_categories,
        "annotations": [
            {**r, "image_id": image_of[r["image_id"]], "category_id": 50 + r["category_id"]}
            for r in dt
        ],
    }
    gt_path, shaped_path, list_path = (
        tmp_path / "gt.json",
        tmp_path / "own.json",
        tmp_path / "dt.json",
    )
    gt_path.write_text(json.dumps(gt))
    shaped_path.write_text(json.dumps(shaped))
    list_path.write_text(json.dumps(dt))
    expected = _python(gt_path, list_path, False)
    assert _python(gt_path, shaped_path, False) == expected
    dataset = shoal.from_coco(gt_path)
    tables = shoal.from_coco_results(shaped_path, dataset)
    assert tables.predictions.equals(shoal.from_coco_results(list_path, dataset).predictions)
    with pytest.raises(InputError, match="matched to the ground truth's by file_name"):
        shoal.read_coco_results(shaped_path, shoal.read_coco_ground_truth(gt_path))
    gt_file_names = shoal.formats.coco.parse_coco_ground_truth(gt_path)
    predictions = shoal.read_coco_results(
        shaped_path,
        gt_file_names.ground_truth(),
        file_names=gt_file_names.frame_file_names(),
    )
    assert len(predictions) == len(dt)
