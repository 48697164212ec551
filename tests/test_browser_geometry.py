"""Masks, polygons, keypoints with their skeleton, polylines and points in the Frame view
of a real browser (the recipe of tests/test_browser.py), on a small project imported from
COCO segmentation and keypoint files, CVAT polylines/points and Labelbox lines: what is
drawn, the legend, and the metrics' iou_type; screenshots at 1440 and 1024 px."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import pytest

import shoal
from shoal.formats.coco_tables import category_ids, from_coco, from_coco_results
from shoal.formats.cvat import from_cvat
from shoal.formats.labelbox import from_labelbox
from shoal.server._webapp import WEBAPP_DIR
from test_browser import (  # the fixtures are imported so that pytest finds them here
    CHROMIUM,
    _start,
    _stop,
    browser,
    eventually,
    page,
    shot,
)

__all__ = ["browser", "page"]

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 320, 240
NAMES = [
    "nose",
    "left_eye",
    "right_eye",
    "left_shoulder",
    "right_shoulder",
    "left_hip",
    "right_hip",
]
SKELETON = [[1, 2], [1, 3], [2, 3], [4, 5], [4, 6], [5, 7], [6, 7], [1, 4], [1, 5]]


def _mask_rle(mask: np.ndarray) -> dict[str, Any]:
    from pycocotools import mask as mask_api

    encoded = mask_api.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [HEIGHT, WIDTH], "counts": encoded["counts"].decode()}


def _disc(cx: float, cy: float, r: float) -> np.ndarray:
    y, x = np.mgrid[:HEIGHT, :WIDTH]
    return ((x - cx) ** 2 + (y - cy) ** 2 <= r * r).astype(np.uint8)


def _person(
    cx: float, cy: float, jitter: float, rng: np.random.Generator, *, predicted: bool = False
) -> list[float]:
    offsets = [(0, -40), (-8, -46), (8, -46), (-22, -15), (22, -15), (-15, 35), (15, 35)]
    # Labels: the right eye hidden, the right hip not labeled; a model predicts every one.
    flags = [2] * 7 if predicted else [2, 2, 1, 2, 2, 2, 0]
    values: list[float] = []
    for (dx, dy), v in zip(offsets, flags, strict=True):
        x, y = cx + dx + rng.normal(0, jitter), cy + dy + rng.normal(0, jitter)
        values += [round(float(x), 1), round(float(y), 1), float(v)] if v else [0.0, 0.0, 0.0]
    return values


def _files(rng: np.random.Generator) -> tuple[dict, list[dict]]:
    images = [{"id": i, "file_name": f"{i}.png", "width": WIDTH, "height": HEIGHT} for i in (1, 2)]
    blob = _disc(230, 150, 45)
    ring = [40.0, 60.0, 140.0, 40.0, 160.0, 120.0, 90.0, 170.0, 30.0, 130.0]
    annotations = [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [30, 40, 130, 130], "area": 11500.0,
         "iscrowd": 0, "segmentation": [ring]},
        {"id": 2, "image_id": 1, "category_id": 2, "bbox": [185, 105, 91, 91], "area": float(blob.sum()),
         "iscrowd": 0, "segmentation": _mask_rle(blob)},
        {"id": 3, "image_id": 2, "category_id": 3, "bbox": [110, 70, 80, 100], "area": 6000.0,
         "iscrowd": 0, "keypoints": _person(150, 120, 0, rng), "num_keypoints": 6},
    ]  # fmt: skip
    predicted_polygon = np.zeros((HEIGHT, WIDTH), np.uint8)
    predicted_polygon[50:160, 45:150] = 1
    results = [
        {
            "image_id": 1,
            "category_id": 1,
            "score": 0.9,
            "segmentation": _mask_rle(predicted_polygon),
        },
        {
            "image_id": 1,
            "category_id": 2,
            "score": 0.7,
            "segmentation": _mask_rle(_disc(240, 145, 40)),
        },
        {
            "image_id": 2,
            "category_id": 3,
            "score": 0.8,
            "keypoints": _person(152, 118, 3, rng, predicted=True),
        },
    ]
    categories = [
        {"id": 1, "name": "cat"},
        {"id": 2, "name": "ball"},
        {"id": 3, "name": "person", "keypoints": NAMES, "skeleton": SKELETON},
    ]
    return {"images": images, "annotations": annotations, "categories": categories}, results


CVAT = f"""<annotations><version>1.1</version>
  <image id="0" name="3.png" width="{WIDTH}" height="{HEIGHT}">
    <polyline label="lane" points="10,230;120,150;200,120;310,100"/>
    <points label="tip" points="60,60;260,40"/>
  </image></annotations>"""
LABELBOX = [
    '{"uuid": "line", "dataRow": {"id": "3"}, "name": "lane", "confidence": 0.8,'
    ' "line": [{"x": 11, "y": 229}, {"x": 121, "y": 151}, {"x": 201, "y": 119}, {"x": 309, "y": 101}]}',
    '{"uuid": "tip", "dataRow": {"id": "3"}, "name": "tip", "confidence": 0.6, "point": {"x": 63, "y": 58}}',
]


@pytest.fixture(scope="module")
def shapes_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from PIL import Image, ImageDraw

    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (`make test` installs it)")
    if not (WEBAPP_DIR / "index.html").is_file():
        pytest.skip("the web app is not built (`make test` builds it: npm run build in web/)")
    pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    pytest.importorskip("pycocotools")
    home = tmp_path_factory.mktemp("shapes")
    images = home / "images"
    images.mkdir()
    for number in (1, 2, 3):
        image = Image.new("RGB", (WIDTH, HEIGHT), (70, 90, 80))
        draw = ImageDraw.Draw(image)
        draw.rectangle([0, 180, WIDTH, HEIGHT], fill=(110, 100, 80))
        if number == 1:
            draw.polygon(
                [(40, 60), (140, 40), (160, 120), (90, 170), (30, 130)], fill=(200, 150, 90)
            )
            draw.ellipse([185, 105, 275, 195], fill=(220, 220, 230))
        image.save(images / f"{number}.png")
    truth, results = _files(np.random.default_rng(4))
    store = shoal.Store(home / "store")
    # Image 1's masks and image 2's person as two datasets: each set is matched on the
    # geometry both sides carry (masks: mask IoU; keypoints: OKS).
    project = None
    for name, image_id in (("coco", 1), ("people", 2)):
        part = {
            **truth,
            "images": [i for i in truth["images"] if i["id"] == image_id],
            "annotations": [a for a in truth["annotations"] if a["image_id"] == image_id],
        }
        dataset = from_coco(part)
        if project is None:
            classes = [{"name": n, "id": i} for n, i in category_ids(dataset).items()]
            project = store.create_project("shapes", classes=classes)
        stored = project.create_dataset(name, dataset, image_root=images)
        own = [r for r in results if r["image_id"] == image_id]
        stored.create_inference_set("model", from_coco_results(own, dataset))
    (home / "lanes.xml").write_text(CVAT)
    (home / "lanes.ndjson").write_text("\n".join(LABELBOX))
    lanes = from_cvat(home / "lanes.xml")
    lanes_stored = store.create_project("lanes").create_dataset("cvat", lanes, image_root=images)
    lanes_stored.create_inference_set("model", from_labelbox(home / "lanes.ndjson", lanes))
    return home


@pytest.fixture(scope="module")
def server(shapes_home: Path) -> Iterator[str]:
    process, base = _start(shapes_home / "store")
    yield base
    _stop(process)


def _open_frame(page: Any, server: str, project: str, dataset: str, frame: str) -> Any:
    page.goto(
        f"{server}/#view=frame&project={project}&dataset={dataset}&set=model&frame={quote(frame)}"
    )
    region = page.get_by_role("region", name=f"Frame {frame}", exact=True)
    region.wait_for()
    return region


def test_metrics_say_what_was_matched(server: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as api:
        for project, dataset, iou_type in (
            ("shapes", "coco", "segm"),
            ("lanes", "cvat", "polylines"),
        ):
            body = api.get(
                f"/api/v1/projects/{project}/datasets/{dataset}/metrics",
                params={"inference_set": "model", "include": ["report", "coco_summary"]},
            ).json()
            assert body["results"][0]["iou_type"] == iou_type, body
        detail = api.get(
            "/api/v1/projects/shapes/datasets/people/frame",
            params={"frame_id": "2", "inference_set": "model"},
        ).json()
        assert detail["keypoint_schemas"]["person"]["names"] == NAMES
        assert detail["labels"][0]["shape"] == "keypoints"


@pytest.mark.parametrize("width", [1440, 1024])
def test_frame_view_draws_masks_polygons_and_keypoints(page: Any, server: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 1000})
    region = _open_frame(page, server, "shapes", "coco", "1")
    overlay = region.locator("svg").first
    eventually(lambda: overlay.locator('g[data-shape="polygon"] polygon').count(), 1)
    # The ground-truth ball is an RLE mask; both predictions are masks (dashed outlines).
    eventually(
        lambda: overlay.locator('g[data-kind="ground_truth"] [data-layer="mask-outline"]').count(),
        1,
    )
    eventually(
        lambda: overlay.locator('g[data-kind="prediction"] [data-layer="mask-outline"]').count(), 2
    )
    dashed = overlay.locator('g[data-kind="prediction"] [data-layer="mask-outline"]').first
    assert dashed.get_attribute("stroke-dasharray")
    legend = region.get_by_role("group", name="Shape legend")
    assert legend.locator("[data-shape]").evaluate_all(
        "(es) => es.map((e) => e.dataset.shape)"
    ) == [
        "mask",
        "polygon",
    ]
    # The image and the drawing line up: the polygon's centre on screen is the ring's,
    # scaled (its box also holds half the outline's width).
    image_box = region.locator("img").bounding_box()
    polygon_box = overlay.locator('g[data-shape="polygon"] polygon').bounding_box()
    scale = image_box["width"] / WIDTH
    centre_x = polygon_box["x"] + polygon_box["width"] / 2
    centre_y = polygon_box["y"] + polygon_box["height"] / 2
    assert abs(centre_x - (image_box["x"] + 95 * scale)) < 2
    assert abs(centre_y - (image_box["y"] + 105 * scale)) < 2
    assert abs(polygon_box["width"] - 130 * scale) < 8
    shot(page, f"geometry-masks-{width}")

    region = _open_frame(page, server, "shapes", "people", "2")
    overlay = region.locator("svg").first
    truth = overlay.locator('g[data-kind="ground_truth"][data-shape="keypoints"]')
    eventually(lambda: truth.locator('[data-layer="keypoint-visible"]').count(), 5)
    assert truth.locator('[data-layer="keypoint-hidden"]').count() == 1  # the right eye
    # Limbs touching the unlabeled right hip are not drawn: 9 - 2.
    assert truth.locator('[data-layer="skeleton"]').count() == 7
    prediction = overlay.locator('g[data-kind="prediction"][data-shape="keypoints"]')
    assert prediction.locator('[data-layer="skeleton"]').first.get_attribute("stroke-dasharray")
    assert "hollow hidden" in region.get_by_role("group", name="Shape legend").inner_text()
    # Matched by OKS (pycocotools gives this pair 0.867 with 7 keypoints of sigma 0.0629).
    rows = region.get_by_role("table", name="Objects in frame 2").locator("tbody tr")
    eventually(lambda: rows.locator("td:nth-child(4)").all_inner_texts(), ["TP", "TP"])
    shot(page, f"geometry-keypoints-{width}")


def test_frame_view_draws_polylines_and_points(page: Any, server: str) -> None:
    page.set_viewport_size({"width": 1440, "height": 1000})
    region = _open_frame(page, server, "lanes", "cvat", "3")
    overlay = region.locator("svg").first
    eventually(lambda: overlay.locator('g[data-shape="polyline"] polyline').count(), 2)
    assert (
        overlay.locator('g[data-shape="point"] circle').count() == 3
    )  # two labeled, one predicted
    rows = region.get_by_role("table", name="Objects in frame 3").locator("tbody tr")
    assert sorted(rows.locator("td:nth-child(3)").all_inner_texts()) == [
        "point", "point", "point", "polyline", "polyline"
    ]  # fmt: skip
    shot(page, "geometry-lanes-1440")


def test_example_gallery_draws_masks(page: Any, server: str) -> None:
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.goto(
        f"{server}/#view=metrics&project=shapes&dataset=coco&set=model&truth=ball&predicted=ball"
    )
    grid = page.get_by_role("region", name="ball → ball")
    grid.get_by_role("button", name="Open frame 1").first.wait_for()
    # The matched ball prediction's thumbnail draws its mask, not a box.
    eventually(lambda: grid.locator('[data-layer="mask-outline"]').count(), 1)
    assert grid.locator("rect[data-kind]").count() == 0
    shot(page, "geometry-gallery-1440")


def test_metrics_view_names_the_keypoint_protocol(page: Any, server: str) -> None:
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.goto(f"{server}/#view=metrics&project=shapes&dataset=people&set=model")
    summary = page.get_by_role("definition").first
    summary.wait_for()
    coco = page.locator("dl.coco")
    eventually(
        lambda: coco.locator("dt").all_inner_texts()[:6], ["AP", "AP50", "AP75", "APm", "APl", "AR"]
    )
    assert page.locator("[data-iou-type]").inner_text() == "keypoints (OKS)"
    per_class = page.get_by_role("table", name="Per-class AP and AR")
    assert per_class.locator("thead th").all_inner_texts()[-1] == "AR20"
    shot(page, "geometry-keypoints-metrics-1440")
