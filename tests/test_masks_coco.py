"""read_coco_masks (shoal.formats.coco) against pycocotools' COCO, loadRes and annToRLE:
ground-truth polygons, compressed and uncompressed RLE; results as RLE (compressed or
not), polygons, or boxes only; loadRes' box and area rules; errors naming the record."""

from __future__ import annotations

import contextlib
import copy
import io
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO

from shoal.engine.masks import MaskSimilarity, encode_mask, masks_to_strings
from shoal.errors import InputError
from shoal.formats import _json_columns as scanner
from shoal.formats.coco import parse_coco_ground_truth, read_coco_masks
from test_masks import coco_rle, random_mask

FAKE100 = Path(__file__).resolve().parents[2] / "shared" / "validation" / "cocoapi-val2014-fake100"
GROUND_TRUTH = FAKE100 / "instances_val2014_100.json"
RESULTS = FAKE100 / "instances_val2014_fakesegm100_results.json"
needs_fake100 = pytest.mark.skipif(
    not RESULTS.exists(), reason=f"the shared validation set {FAKE100} is not on this machine"
)


def load_res(gt_document: dict, results: list) -> tuple[COCO, COCO]:
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = copy.deepcopy(gt_document)
        gt.createIndex()
        return gt, gt.loadRes(copy.deepcopy(results))


def text(counts: str | bytes) -> str:
    return counts.decode() if isinstance(counts, bytes) else counts


def strings_of(similarity: MaskSimilarity) -> tuple[list[str], list[str]]:
    return masks_to_strings(similarity.gt_masks), masks_to_strings(similarity.dt_masks)


@needs_fake100
def test_fake100_masks_boxes_and_areas_equal_pycocotools():
    document = json.loads(GROUND_TRUTH.read_text())
    results = json.loads(RESULTS.read_text())
    _, dt, similarity = read_coco_masks(GROUND_TRUTH, RESULTS)
    coco_gt, coco_dt = load_res(document, results)
    gt_strings, dt_strings = strings_of(similarity)
    for row, annotation in enumerate(document["annotations"]):
        assert gt_strings[row] == text(coco_gt.annToRLE(annotation)["counts"])
    assert int(similarity.gt_masks.area.sum()) > 0
    np.testing.assert_array_equal(
        similarity.gt_crowd, [a["iscrowd"] for a in document["annotations"]]
    )
    loaded = [coco_dt.anns[i] for i in range(1, len(results) + 1)]
    assert dt_strings == [a["segmentation"]["counts"] for a in loaded]
    # These results carry no bbox: loadRes takes the mask's toBbox and its area.
    np.testing.assert_array_equal(dt.box, [a["bbox"] for a in loaded])
    np.testing.assert_array_equal(dt.area, [a["area"] for a in loaded])
    np.testing.assert_array_equal(dt.ids, [a["id"] for a in loaded])


@needs_fake100
def test_results_with_boxes_keep_them_and_take_their_area():
    document = json.loads(GROUND_TRUTH.read_text())
    results = json.loads(RESULTS.read_text())
    rng = np.random.default_rng(0)
    for record in results:
        record["bbox"] = rng.uniform(0, 100, 4).round(2).tolist()
    _, dt, _ = read_coco_masks(document, results)
    _, coco_dt = load_res(document, results)
    loaded = [coco_dt.anns[i] for i in range(1, len(results) + 1)]
    np.testing.assert_array_equal(dt.box, [np.asarray(a["bbox"], float) for a in loaded])
    np.testing.assert_array_equal(dt.area, [a["area"] for a in loaded])
    np.testing.assert_array_equal(dt.box, [r["bbox"] for r in results])


@needs_fake100
def test_a_bbox_on_later_records_only_is_kept_with_the_masks_area():
    document = json.loads(GROUND_TRUTH.read_text())
    results = json.loads(RESULTS.read_text())
    results[5]["bbox"] = [1.0, 2.0, 3.0, 4.0]
    _, dt, _ = read_coco_masks(document, results)
    _, coco_dt = load_res(document, results)
    loaded = [coco_dt.anns[i] for i in range(1, len(results) + 1)]
    np.testing.assert_array_equal(dt.box, [np.asarray(a["bbox"], float) for a in loaded])
    np.testing.assert_array_equal(dt.area, [a["area"] for a in loaded])
    assert dt.box[5].tolist() == [1.0, 2.0, 3.0, 4.0]


def small_document(rng: np.random.Generator) -> tuple[dict, list]:
    """Three images, polygons, compressed and uncompressed RLE ground truth (crowds)."""
    images = [
        {"id": i + 1, "height": 30 + i, "width": 40 - i, "file_name": f"{i}.jpg"} for i in range(3)
    ]
    annotations = []
    for index in range(12):
        image = images[index % 3]
        h, w = image["height"], image["width"]
        kind = index % 4
        if kind == 0:
            segmentation = [rng.uniform(0, w, 8).tolist(), rng.uniform(0, h, 6).tolist()]
        elif kind == 1:
            segmentation = [[2.0, 3.0, 10.0, 4.0], [5.0, 5.0, 3.0, 3.0]]  # boxes
        elif kind == 2:
            segmentation = {
                "size": [h, w],
                "counts": coco_rle(random_mask(rng, h, w))["counts"].decode(),
            }
        else:
            segmentation = {
                "size": [h, w],
                "counts": encode_mask(random_mask(rng, h, w)).counts.tolist(),
            }
        annotations.append(
            {
                "id": 100 + index, "image_id": image["id"], "category_id": 1 + index % 2,
                "segmentation": segmentation, "area": 10.0 + index, "bbox": [0, 0, 5, 5],
                "iscrowd": int(kind == 3),
            }
        )  # fmt: skip
    categories = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    document = {"images": images, "annotations": annotations, "categories": categories}
    results = []
    for index in range(15):
        image = images[index % 3]
        h, w = image["height"], image["width"]
        results.append(
            {
                "image_id": image["id"], "category_id": 1 + index % 2,
                "segmentation": {"size": [h, w], "counts": coco_rle(random_mask(rng, h, w))["counts"].decode()},
                "score": float(rng.random()),
            }
        )  # fmt: skip
    return document, results


@pytest.mark.parametrize("seed", range(5))
def test_every_segmentation_kind_reads_as_ann_to_rle(seed):
    rng = np.random.default_rng(seed)
    document, results = small_document(rng)
    gt, dt, similarity = read_coco_masks(document, results)
    coco_gt, coco_dt = load_res(document, results)
    gt_strings, dt_strings = strings_of(similarity)
    for row, annotation in enumerate(document["annotations"]):
        if isinstance(annotation["segmentation"], list) and len(annotation["segmentation"][0]) == 4:
            # pycocotools' annToRLE fails on boxes given as lists; frBbox of the array is its meaning.
            image = coco_gt.imgs[annotation["image_id"]]
            expected = coco_mask.merge(
                coco_mask.frPyObjects(
                    np.asarray(annotation["segmentation"], float), image["height"], image["width"]
                )
            )
        else:
            expected = coco_gt.annToRLE(annotation)
        assert gt_strings[row] == text(expected["counts"]), row
    loaded = [coco_dt.anns[i] for i in range(1, len(results) + 1)]
    assert dt_strings == [a["segmentation"]["counts"] for a in loaded]
    np.testing.assert_array_equal(dt.area, [a["area"] for a in loaded])
    np.testing.assert_array_equal(dt.box, [a["bbox"] for a in loaded])
    np.testing.assert_array_equal(gt.iscrowd, [a["iscrowd"] for a in document["annotations"]])


def test_polygon_and_box_only_results_when_the_first_record_has_a_bbox():
    rng = np.random.default_rng(3)
    document, results = small_document(rng)
    results[0]["bbox"] = [1.0, 1.0, 10.0, 12.0]
    for record in results[1:]:
        record["bbox"] = [float(v) for v in rng.uniform(0, 20, 4)]
    results[3]["segmentation"] = [rng.uniform(0, 25, 10).tolist()]  # a polygon
    del results[4]["segmentation"]  # loadRes: the box as a polygon
    uncompressed = results[6]["segmentation"]
    h, w = uncompressed["size"]
    runs = coco_mask.decode({"size": [h, w], "counts": uncompressed["counts"].encode()})
    uncompressed["counts"] = encode_mask(runs).counts.tolist()
    _, dt, similarity = read_coco_masks(document, results)
    _, coco_dt = load_res(document, results)
    _, dt_strings = strings_of(similarity)
    for row in range(len(results)):
        annotation = coco_dt.anns[row + 1]
        assert dt_strings[row] == text(coco_dt.annToRLE(annotation)["counts"]), row
        assert dt.area[row] == annotation["area"]
    np.testing.assert_array_equal(
        dt.box, [coco_dt.anns[i + 1]["bbox"] for i in range(len(results))]
    )


def expect_error(document, results, match, record=None):
    with pytest.raises(InputError, match=match) as caught:
        read_coco_masks(document, results)
    if record is not None:
        assert caught.value.record == record, caught.value


def test_bad_segmentations_are_named_by_record():
    rng = np.random.default_rng(4)
    document, results = small_document(rng)

    broken = copy.deepcopy(document)
    del broken["annotations"][3]["segmentation"]
    expect_error(broken, results, 'missing "segmentation"', "annotations[3]")

    broken = copy.deepcopy(document)
    broken["annotations"][2]["segmentation"]["counts"] = "00~"
    expect_error(broken, results, "counts character '~' at 2", "annotations[2]")

    broken = copy.deepcopy(document)
    broken["annotations"][6]["segmentation"]["size"] = [5, 5]
    expect_error(broken, results, r"size \[5, 5\] is not its image's", "annotations[6]")

    broken = copy.deepcopy(document)
    broken["annotations"][7]["segmentation"]["counts"] = [1, 2, 3]
    expect_error(broken, results, "cover 6 pixels", "annotations[7]")

    broken = copy.deepcopy(document)
    broken["annotations"][0]["segmentation"] = [[1.0, 2.0, 3.0, 4.0, 5.0]]
    expect_error(broken, results, "polygon 0 has 5 numbers", "annotations[0]")

    broken = copy.deepcopy(document)
    broken["annotations"][4]["segmentation"] = [[1.0, 2.0, "x", 4.0, 5.0, 6.0]]
    expect_error(broken, results, "not a finite number", "annotations[4]")

    broken = copy.deepcopy(document)
    del broken["images"][0]["height"]
    expect_error(broken, results, "no height and width", "annotations[0]")

    broken = copy.deepcopy(document)
    broken["annotations"][1]["segmentation"] = "nothing"
    expect_error(broken, results, "neither polygons nor an RLE", "annotations[1]")

    bad = copy.deepcopy(results)
    bad[7]["segmentation"]["counts"] = "o"
    expect_error(document, bad, "counts ends inside a number", 7)

    bad = copy.deepcopy(results)
    bad[2]["segmentation"]["size"] = [3, 3]
    expect_error(document, bad, "is not its image's", 2)

    bad = copy.deepcopy(results)
    del bad[9]["segmentation"]
    expect_error(document, bad, 'missing "segmentation"', 9)

    bad = copy.deepcopy(results)
    bad[0]["bbox"] = [0, 0, 3, 3]
    expect_error(document, bad, 'missing "bbox" .the first record has a bbox', 1)

    bad = copy.deepcopy(results)
    bad[1]["image_id"] = 99
    expect_error(document, bad, "image_id 99 is not in the ground truth", 1)


def test_the_parse_keeps_each_annotations_segmentation():
    document, _ = small_document(np.random.default_rng(5))
    parsed = parse_coco_ground_truth(document, keep_records=True)
    assert parsed.segmentations() == [a["segmentation"] for a in document["annotations"]]
    with pytest.raises(ValueError, match="keep_records"):
        parse_coco_ground_truth(json.dumps(document).encode()).segmentations()


def scanner_reads(text: bytes) -> bool:
    buffer = np.frombuffer(text, np.uint8)
    status, position = scanner.open_array(buffer)
    return status == scanner.SCAN_PAUSED and scanner.scan_segm_records(buffer, position) is not None


def columns_of(gt_document: dict, results) -> tuple:
    _, dt, similarity = read_coco_masks(gt_document, results)
    return dt, masks_to_strings(similarity.dt_masks), similarity.dt_masks


@pytest.mark.parametrize("seed", range(4))
def test_results_files_read_by_the_scanner_equal_the_parsed_values(seed):
    rng = np.random.default_rng(20 + seed)
    document, results = small_document(rng)
    if seed % 2:  # boxes on every record: kept, their areas taken
        for record in results:
            record["bbox"] = [float(v) for v in rng.uniform(0, 20, 4).round(3)]
    if seed == 2:  # keys in another order, other keys skipped, spaces
        results = [
            {"score": r["score"], "id": 7, "segmentation": {"counts": r["segmentation"]["counts"],
             "size": r["segmentation"]["size"]}, "category_id": r["category_id"],
             "image_id": r["image_id"], "extra": [1, {"a": "b"}]}
            for r in results
        ]  # fmt: skip
    text = json.dumps(results, indent=1 if seed == 2 else None).encode()
    assert b"\\\\" in text  # backslashes escaped in the file: read as one
    assert scanner_reads(text)
    scanned, scanned_strings, scanned_masks = columns_of(document, text)
    parsed, parsed_strings, parsed_masks = columns_of(document, results)
    assert scanned_strings == parsed_strings
    for column in ("frame", "label", "box", "score", "ids", "area"):
        np.testing.assert_array_equal(getattr(scanned, column), getattr(parsed, column))
    np.testing.assert_array_equal(scanned_masks.bbox, parsed_masks.bbox)


def test_results_the_scanner_leaves_to_the_exact_reading():
    rng = np.random.default_rng(30)
    document, results = small_document(rng)
    polygon = copy.deepcopy(results)
    polygon[0]["bbox"] = [0.0, 0.0, 5.0, 5.0]
    for record in polygon:
        record.setdefault("bbox", [1.0, 1.0, 4.0, 4.0])
    polygon[2]["segmentation"] = [[1.0, 1.0, 9.0, 2.0, 5.0, 8.0]]
    unicode_escape = json.dumps(results).replace("\\\\", "\\u005c", 1).encode()
    for variant in (polygon, unicode_escape):
        as_file = variant if isinstance(variant, bytes) else json.dumps(variant).encode()
        parsed = variant if not isinstance(variant, bytes) else json.loads(variant)
        assert not scanner_reads(as_file)
        assert columns_of(document, as_file)[1] == columns_of(document, parsed)[1]


def test_errors_in_a_scanned_file_name_the_record():
    rng = np.random.default_rng(31)
    document, results = small_document(rng)
    bad = copy.deepcopy(results)
    bad[4]["segmentation"]["counts"] = "00~"
    with pytest.raises(InputError, match="counts character '~' at 2") as caught:
        read_coco_masks(document, json.dumps(bad).encode())
    assert caught.value.record == 4
    bad = copy.deepcopy(results)
    bad[6]["segmentation"]["size"] = [2, 2]
    with pytest.raises(InputError, match="is not its image's") as caught:
        read_coco_masks(document, json.dumps(bad).encode())
    assert caught.value.record == 6
    bad = copy.deepcopy(results)
    bad[0]["bbox"] = [0, 0, 2, 2]
    with pytest.raises(InputError, match='missing "bbox"') as caught:
        read_coco_masks(document, json.dumps(bad).encode())
    assert caught.value.record == 1


def test_a_mapped_results_file_decoded_in_slices_reads_the_same(tmp_path, monkeypatch):
    from shoal.engine.masks import column

    rng = np.random.default_rng(32)
    document, results = small_document(rng)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    whole = columns_of(document, results)
    monkeypatch.setattr(column, "_SLICE_BYTES", 64)  # many slices, pages released between
    sliced = columns_of(document, path)
    assert sliced[1] == whole[1]
    for name in ("frame", "label", "box", "score", "area"):
        np.testing.assert_array_equal(getattr(sliced[0], name), getattr(whole[0], name))
    bad = copy.deepcopy(results)
    bad[11]["segmentation"]["counts"] = "0~"
    path.write_text(json.dumps(bad))
    with pytest.raises(InputError, match="counts character '~' at 1") as caught:
        read_coco_masks(document, path)
    assert caught.value.record == 11


def test_progress_runs_from_zero_to_done_over_both_files():
    document, results = small_document(np.random.default_rng(40))
    seen: list[tuple[int, int]] = []
    read_coco_masks(document, results, progress=lambda done, total: seen.append((done, total)))
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] > 0
    assert all(a[0] / a[1] <= b[0] / b[1] for a, b in itertools.pairwise(seen))
