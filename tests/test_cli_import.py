"""``shoal import``: files in, projects out, bad input named, nothing half-written."""

from __future__ import annotations

import json

import numpy as np
import pytest

from shoal.cli import main
from shoal.store import Store

from coco_oracle import pycocotools_stats, write_coco_sample
from conftest import run_cli, validation_folder


@pytest.fixture
def coco_files(tmp_path):
    return write_coco_sample(tmp_path, seed=17, num_images=12, results_file="model.json")


def test_import_coco_then_evaluate_equals_pycocotools(coco_files, capsys):
    gt, dt, folder = coco_files
    home = str(folder / "home")
    assert main(["import", "coco", str(folder / "gt.json"), "--project", "p", "--home", home]) == 0
    assert (
        main(
            [
                "import",
                "coco-results",
                str(folder / "model.json"),
                "--project",
                "p",
                "--dataset",
                "gt",
                "--home",
                home,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "imported dataset 'gt' into p: 12 frames" in out
    assert f"imported inference set 'model' on p/gt: {len(dt):,} predictions" in out
    model = Store(home).project("p").dataset("gt").inference_set("model")
    assert model.evaluate().coco_summary().stats == pytest.approx(
        pycocotools_stats(gt, dt), abs=1e-12
    )


def test_names_in_use_need_replace(coco_files):
    _, _, folder = coco_files
    home = str(folder / "home")
    args = ["import", "coco", str(folder / "gt.json"), "--project", "p", "--home", home]
    assert run_cli(*args).returncode == 0
    again = run_cli(*args)
    assert again.returncode == 2
    assert "--replace" in again.stderr and "Traceback" not in again.stderr
    assert run_cli(*args, "--replace").returncode == 0
    assert Store(home).project("p").dataset("gt").version == 2


def test_bad_results_are_named_and_change_nothing(coco_files):
    _, dt, folder = coco_files
    home = str(folder / "home")
    assert (
        run_cli(
            "import", "coco", str(folder / "gt.json"), "--project", "p", "--home", home
        ).returncode
        == 0
    )
    dt[5]["bbox"][2] = float("nan")
    bad = folder / "bad.json"
    bad.write_text(json.dumps(dt).replace("NaN", "-1"))
    done = run_cli(
        "import", "coco-results", str(bad), "--project", "p", "--dataset", "gt", "--home", home
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith(f"shoal: error: {bad}: record 5: ")
    assert Store(home).project("p").dataset("gt").inference_sets() == []
    assert sorted(p.name for p in (folder / "home" / "staging").iterdir()) == []


def test_predictions_need_a_dataset(coco_files):
    _, _, folder = coco_files
    done = run_cli(
        "import",
        "coco-results",
        str(folder / "model.json"),
        "--project",
        "p",
        "--home",
        str(folder / "h"),
    )
    assert done.returncode == 2
    assert "needs --dataset" in done.stderr


def test_import_voc_and_its_detections_from_the_public_fixture(tmp_path):
    folder = (
        validation_folder("rafaelpadilla-review-object-detection-metrics") / "data" / "database"
    )
    home = str(tmp_path)
    assert (
        main(
            [
                "import",
                "voc",
                str(folder / "gts" / "pascalvoc_format"),
                "--project",
                "voc",
                "--dataset",
                "db",
                "--home",
                home,
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "import",
                "coco-results",
                str(folder / "dets" / "coco_format" / "coco_dets.json"),
                "--project",
                "voc",
                "--dataset",
                "db",
                "--name",
                "dets",
                "--home",
                home,
            ]
        )
        == 0
    )
    dataset = Store(home).project("voc").dataset("db")
    assert (dataset.frames().num_rows, dataset.labels().num_rows) == (100, 273)
    assert dataset.inference_set("dets").predictions().num_rows == 452
    # VOC's "difficult" boxes are ignored ground truth: predictions on them do not count.
    difficult = sum(dataset.labels().column("ignore").to_pylist())
    assert difficult > 0
    report = dataset.inference_set("dets").evaluate().report(0.0, 0.5)
    assert int(report.support.sum()) == 273 - difficult
    assert int(report.tp.sum() + report.fp.sum()) < 452


def test_import_classification_csv(tmp_path):
    rng = np.random.default_rng(3)
    names = ["cat", "dog"]
    truth = rng.choice(names, 30)
    lines = ["frame_id,label"] + [f"f{i},{c}" for i, c in enumerate(truth)]
    (tmp_path / "labels.csv").write_text("\n".join(lines) + "\n")
    p = rng.random(30)
    predicted = np.where(p > 0.5, "dog", "cat")
    rows = ["frame_id,predicted,confidence,p_cat,p_dog"] + [
        f"f{i},{predicted[i]},{max(p[i], 1 - p[i]):.6f},{1 - p[i]:.6f},{p[i]:.6f}"
        for i in range(30)
    ]
    (tmp_path / "preds.csv").write_text("\n".join(rows) + "\n")
    home = str(tmp_path / "home")
    assert (
        main(["import", "csv", str(tmp_path / "labels.csv"), "--project", "c", "--home", home]) == 0
    )
    assert (
        main(
            [
                "import",
                "csv-predictions",
                str(tmp_path / "preds.csv"),
                "--project",
                "c",
                "--dataset",
                "labels",
                "--home",
                home,
            ]
        )
        == 0
    )
    project = Store(home).project("c")
    assert project.task == "classification"
    evaluation = project.dataset("labels").inference_set("preds").evaluate()
    assert evaluation.accuracy() == pytest.approx(float(np.mean(truth == predicted)))


# ----------------------------------------------------- label files alone, tried as a new user


def _labels_folder(tmp_path, rows_by_frame: dict[str, list[str]]):
    folder = tmp_path / "labels"
    folder.mkdir()
    for frame_id, rows in rows_by_frame.items():
        (folder / f"{frame_id}.txt").write_text("".join(f"{row}\n" for row in rows))
    return folder


def _import(tmp_path, capsys, *args: str) -> tuple[int, str]:
    code = main(["import", *args, "--project", "p", "--home", str(tmp_path / "home")])
    return code, capsys.readouterr().err


def test_yolo_labels_alone_need_sizes_said_as_cli_flags(tmp_path, capsys):
    folder = _labels_folder(tmp_path, {"a": ["0 0.5 0.5 0.2 0.4"], "b": ["1 0.25 0.5 0.5 0.5"]})
    (tmp_path / "obj.names").write_text("cat\ndog\n")
    names = ["--class-names", str(tmp_path / "obj.names")]
    code, err = _import(tmp_path, capsys, "yolo", str(folder), *names)
    assert code == 2
    assert "--image-sizes FILE" in err and "image_sizes" not in err.replace("--image-sizes", "")
    code, err = _import(tmp_path, capsys, "yolo", str(folder))
    assert code == 2 and "--class-names FILE" in err and "class_names" not in err
    sizes = tmp_path / "sizes.csv"
    sizes.write_text("frame_id,width,height\na,100,50\nb,200,80\n")
    code, _ = _import(tmp_path, capsys, "yolo", str(folder), *names, "--image-sizes", str(sizes))
    assert code == 0
    labels = Store(tmp_path / "home").project("p").dataset("labels").labels().to_pylist()
    boxes = {
        r["frame_id"]: (r["class_name"], r["x"], r["y"], r["width"], r["height"]) for r in labels
    }
    assert boxes == {"a": ("cat", 40.0, 15.0, 20.0, 20.0), "b": ("dog", 0.0, 20.0, 100.0, 40.0)}


def test_text_labels_import_with_sizes_from_the_images(tmp_path, capsys):
    pytest.importorskip("PIL")
    from PIL import Image

    folder = _labels_folder(tmp_path, {"a": ["cat 0.5 0.5 0.2 0.4"], "b": []})
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (100, 50)).save(images / "a.jpg")
    Image.new("RGB", (30, 20)).save(images / "b.png")
    code, _ = _import(
        tmp_path, capsys, "text-labels", str(folder), "--coords", "rel_xcycwh",
        "--images", str(images),
    )  # fmt: skip
    assert code == 0
    dataset = Store(tmp_path / "home").project("p").dataset("labels")
    frames = {f["frame_id"]: (f["width"], f["height"]) for f in dataset.frames().to_pylist()}
    assert frames == {"a": (100, 50), "b": (30, 20)}
    (row,) = dataset.labels().to_pylist()
    assert (row["class_name"], row["x"], row["y"], row["width"], row["height"]) == (
        "cat", 40.0, 15.0, 20.0, 20.0,
    )  # fmt: skip


def test_image_sizes_json_and_bad_files(tmp_path, capsys):
    folder = _labels_folder(tmp_path, {"a": ["cat 0.5 0.5 0.2 0.4"]})
    sizes = tmp_path / "sizes.json"
    sizes.write_text(json.dumps({"a": [100, 50]}))
    rel = ["--coords", "rel_xcycwh"]
    assert (
        _import(tmp_path, capsys, "text-labels", str(folder), *rel, "--image-sizes", str(sizes))[0]
        == 0
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("frame_id,width,height\na,100,-5\n")
    code, err = _import(
        tmp_path, capsys, "text-labels", str(folder), *rel, "--image-sizes", str(bad)
    )
    assert code == 2 and f"{bad}: record line 2: image height -5 is not a positive" in err


def test_text_boxes_class_ids_without_class_names_are_refused(tmp_path, capsys):
    gt = _labels_folder(tmp_path, {"a": ["cat 1 2 3 4"]})
    assert _import(tmp_path, capsys, "text-labels", str(gt), "--dataset", "gt")[0] == 0
    detections = tmp_path / "dets"
    detections.mkdir()
    (detections / "a.txt").write_text("0 0.9 1 2 3 4\n")
    args = ["text-boxes", str(detections), "--dataset", "gt"]
    code, err = _import(tmp_path, capsys, *args)
    assert code == 2
    assert f"{detections / 'a.txt'}: record line 1: class '0' is a class id" in err
    assert "--class-names FILE" in err
    names = tmp_path / "names.txt"
    names.write_text("cat\n")
    assert _import(tmp_path, capsys, *args, "--class-names", str(names))[0] == 0
    predictions = Store(tmp_path / "home").project("p").dataset("gt").inference_set("dets")
    assert predictions.predictions().column("class_name").to_pylist() == ["cat"]


def test_a_missing_images_folder_is_refused(tmp_path, capsys):
    gt = _labels_folder(tmp_path, {"a": ["cat 1 2 3 4"]})
    with pytest.raises(SystemExit) as exit_:
        main(["import", "text-labels", str(gt), "--project", "p", "--images",
              str(tmp_path / "missing"), "--home", str(tmp_path / "home")])  # fmt: skip
    assert exit_.value.code == 2
    assert "missing' is not a folder" in capsys.readouterr().err
    assert not (tmp_path / "home").exists() or not Store(tmp_path / "home").projects()


def test_errors_after_parsing_name_the_file(tmp_path, capsys):
    gt = _labels_folder(tmp_path, {"a": ["cat 1 2 3 4"]})
    assert _import(tmp_path, capsys, "text-labels", str(gt), "--dataset", "gt")[0] == 0
    results = tmp_path / "results.csv"
    results.write_text("frame_id,predicted,confidence\nzzz,cat,0.5\n")
    code, err = _import(tmp_path, capsys, "csv-predictions", str(results), "--dataset", "gt")
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"shoal: error: {results}: ") and "zzz" in last
    assert "np.str_" not in err


def test_nan_in_results_names_the_record_and_field(coco_files, capsys):
    _gt, dt, folder = coco_files
    home = str(folder / "home")
    assert main(["import", "coco", str(folder / "gt.json"), "--project", "p", "--home", home]) == 0
    text = json.dumps(dt)
    bad = folder / "nan.json"
    dt[3]["score"] = "SCORE"
    bad.write_text(json.dumps(dt).replace('"SCORE"', "NaN"))
    capsys.readouterr()
    code = main(["import", "coco-results", str(bad), "--project", "p", "--dataset", "gt",
                 "--home", home])  # fmt: skip
    assert code == 2
    assert f"{bad}: record 3: score nan is not in [0, 1]" in capsys.readouterr().err
    assert main(["eval", str(folder / "gt.json"), str(bad)]) == 2
    assert f"{bad}: record 3: score nan is not in [0, 1]" in capsys.readouterr().err
    assert text  # the good file is untouched


def test_shoal_eval_reads_what_as_coco_writes_with_string_ids(tmp_path, capsys):
    import shoal

    dataset = shoal.LabeledDataset()
    for frame_id in ("img-a", "img-b"):
        frame = shoal.LabeledFrame(frame_id=frame_id)
        frame.add_label_2d_bbox(label_id=f"{frame_id}/1", classification="cat",
                                top=1, left=2, width=30, height=40)  # fmt: skip
        dataset.add_frame(frame)
    tables = dataset.to_tables()
    shoal.as_coco(tables, tmp_path / "gt.json")
    results = [{"image_id": "img-a", "category_id": 1, "bbox": [2, 1, 30, 40], "score": 0.9}]
    (tmp_path / "dt.json").write_text(json.dumps(results))
    assert main(["eval", str(tmp_path / "gt.json"), str(tmp_path / "dt.json"), "--json",
                 str(tmp_path / "out.json")]) == 0  # fmt: skip
    stats = json.loads((tmp_path / "out.json").read_text())["coco"]
    assert stats["AR100"] == 0.5 and stats["AP"] == pytest.approx(0.50495, abs=1e-5)


def test_yolo_data_yaml_takes_its_sizes_from_the_images_folder(tmp_path, capsys):
    pytest.importorskip("PIL")
    from PIL import Image

    import shoal

    labeled = shoal.LabeledDataset()
    frame = shoal.LabeledFrame(frame_id="a")
    frame.add_image(width=100, height=50)
    frame.add_label_2d_bbox(label_id="1", classification="cat", left=40, top=15, width=20,
                            height=20)  # fmt: skip
    labeled.add_frame(frame)
    data_yaml = shoal.as_yolo(labeled.to_tables(), tmp_path / "yolo")
    code, err = _import(tmp_path, capsys, "yolo", str(data_yaml))
    assert code == 2 and "--image-sizes FILE" in err and "--images DIR" in err
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (100, 50)).save(photos / "a.png")
    assert _import(tmp_path, capsys, "yolo", str(data_yaml), "--images", str(photos))[0] == 0
    (row,) = Store(tmp_path / "home").project("p").dataset("data").labels().to_pylist()
    assert (row["x"], row["y"], row["width"], row["height"]) == (40.0, 15.0, 20.0, 20.0)
