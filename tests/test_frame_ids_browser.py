"""Frame ids that no path segment can carry from a browser (``.`` and ``..``: a WHATWG
URL parser resolves ``%2E%2E`` as ``..``), reached through the query routes
``GET .../frame?frame_id=``, ``.../frame/image?frame_id=`` and
``.../frame/thumbnail?frame_id=``: over REST against the files themselves, and in a real
browser (the recipe of tests/test_browser.py), where the app asks every frame this way.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pyarrow as pa
import pytest

import shoal
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

PROJECT, DATASET, MODEL = "odd ids", "frames", "model"
DATASET_API = f"/api/v1/projects/{quote(PROJECT)}/datasets/{DATASET}"
# Each frame: its id, its image's size, and the class of its one object (so that what the
# app shows can only be that frame's).
FRAMES = {
    "..": ((50, 20), "dotdot"),
    ".": ((40, 30), "dot"),
    "a/../b": ((30, 44), "slashdots"),
    "image": ((36, 36), "imagey"),
    "plain": ((64, 48), "plain"),
}


@pytest.fixture(scope="module")
def odd_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from PIL import Image

    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (`make test` installs it)")
    if not (WEBAPP_DIR / "index.html").is_file():
        pytest.skip("the web app is not built (`make test` builds it: npm run build in web/)")
    pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    home = tmp_path_factory.mktemp("odd-ids")
    images = home / "images"
    images.mkdir()
    ids = list(FRAMES)
    for k, ((width, height), _) in enumerate(FRAMES.values()):
        Image.new("RGB", (width, height), (40 * k, 200 - 30 * k, 90)).save(images / f"{k}.png")
    store = shoal.Store(home / "store")
    project = store.create_project(PROJECT, classes=[cls for _, cls in FRAMES.values()])
    frames = pa.table(
        {
            "frame_id": ids,
            "image_uri": [f"{k}.png" for k in range(len(ids))],
            "width": [size[0] for size, _ in FRAMES.values()],
            "height": [size[1] for size, _ in FRAMES.values()],
        }
    )
    boxes = {"x": [2.0] * len(ids), "y": [2.0] * len(ids), "width": [10.0] * len(ids),
             "height": [10.0] * len(ids)}  # fmt: skip
    classes = [cls for _, cls in FRAMES.values()]
    labels = pa.table(
        {"label_id": [f"l{k}" for k in range(len(ids))], "frame_id": ids, "class_name": classes,
         **boxes}
    )  # fmt: skip
    dataset = project.create_dataset(
        DATASET, shoal.DatasetTables.build(frames, labels), image_root=images
    )
    predictions = pa.table(
        {"frame_id": ids, "class_name": classes, **boxes, "confidence": [0.9] * len(ids)}
    )
    dataset.create_inference_set(MODEL, shoal.InferenceTables.build(predictions))
    return home


@pytest.fixture(scope="module")
def server(odd_home: Path) -> Iterator[str]:
    process, base = _start(odd_home / "store")
    yield base
    _stop(process)


@pytest.fixture(scope="module")
def api(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as client:
        yield client


def _image_bytes(home: Path, frame_id: str) -> bytes:
    return (home / "images" / f"{list(FRAMES).index(frame_id)}.png").read_bytes()


def test_every_frame_id_reaches_its_frame_image_and_thumbnail_by_query(
    api: httpx.Client, odd_home: Path
) -> None:
    from PIL import Image

    listed = api.get(f"{DATASET_API}/frames").json()["frames"]
    image_urls = {row["frame_id"]: row["image_url"] for row in listed}
    assert set(image_urls) == set(FRAMES)
    for frame_id, ((width, height), cls) in FRAMES.items():
        detail = api.get(
            f"{DATASET_API}/frame", params={"frame_id": frame_id, "inference_set": MODEL}
        )
        assert detail.status_code == 200, (frame_id, detail.text)
        body = detail.json()
        assert body["frame"]["frame_id"] == frame_id
        assert [(row["frame_id"], row["class_name"]) for row in body["labels"]] == [(frame_id, cls)]
        assert [row["class_name"] for row in body["predictions"][MODEL]] == [cls]
        assert body["image_url"] == image_urls[frame_id]
        image = api.get(f"{DATASET_API}/frame/image", params={"frame_id": frame_id})
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert image.content == _image_bytes(odd_home, frame_id), frame_id
        # The URL the server gives is one a browser keeps as it is: for "." and "..", the query.
        assert api.get(body["image_url"]).content == image.content
        if frame_id in (".", ".."):
            assert "/frame/image?frame_id=" in body["image_url"]
        thumbnail = api.get(
            f"{DATASET_API}/frame/thumbnail", params={"frame_id": frame_id, "size": 32}
        )
        assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/png"
        small = Image.open(io.BytesIO(thumbnail.content))
        assert max(small.size) <= 32 and small.size[0] / small.size[1] == pytest.approx(
            width / height, rel=0.1
        )
    missing = api.get(f"{DATASET_API}/frame", params={"frame_id": "..."})
    assert missing.status_code == 404 and "'...'" in missing.json()["detail"]
    no_id = api.get(f"{DATASET_API}/frame/image")
    assert no_id.status_code == 422 and no_id.headers["content-type"].startswith("application/json")
    bad_size = api.get(f"{DATASET_API}/frame/thumbnail", params={"frame_id": "..", "size": 5})
    assert bad_size.status_code == 422


def _watch_frame_requests(page: Any) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda response: (
            seen.append((response.url, response.status)) if "/frame" in response.url else None
        ),
    )
    return seen


def _loaded_image_width(image: Any) -> int:
    width: int = image.evaluate("(img) => img.complete ? img.naturalWidth : 0")
    return width


@pytest.mark.parametrize("frame_id", ["..", "."])
def test_the_frame_view_shows_a_frame_whose_id_is_a_dot_segment(
    page: Any, server: str, frame_id: str
) -> None:
    (width, _), cls = FRAMES[frame_id]
    seen = _watch_frame_requests(page)
    page.goto(
        f"{server}/#view=frame&project={quote(PROJECT)}&dataset={DATASET}&set={MODEL}"
        f"&frame={quote(frame_id, safe='')}"
    )
    # Such an id by path would be the dataset's own route: the reason for the query form.
    resolved = page.evaluate(
        "(path) => new URL(path, location.href).pathname",
        f"{DATASET_API}/frames/%2E%2E/image",
    )
    assert resolved == f"{DATASET_API}/image"
    frame = page.get_by_role("region", name=f"Frame {frame_id}", exact=True)
    frame.wait_for()
    objects = frame.get_by_role("table", name=f"Objects in frame {frame_id}")
    eventually(
        lambda: sorted(objects.locator("tbody th").all_inner_texts()),
        [cls, cls],  # its ground truth and its prediction, no other frame's
    )
    image = frame.locator("img")
    eventually(lambda: _loaded_image_width(image), width)
    assert seen and all(status == 200 for _, status in seen), seen
    assert any(f"frame_id={quote(frame_id)}" in url for url, _ in seen), seen
    shot(page, f"frame-id-{'dotdot' if frame_id == '..' else 'dot'}")


def test_examples_of_dot_frames_show_their_thumbnails_and_open_them(page: Any, server: str) -> None:
    seen = _watch_frame_requests(page)
    page.goto(
        f"{server}/#view=metrics&project={quote(PROJECT)}&dataset={DATASET}&set={MODEL}"
        "&truth=dotdot&predicted=dotdot"
    )
    grid = page.get_by_role("region", name="dotdot → dotdot")
    open_buttons = grid.get_by_role("button", name="Open frame ..")
    open_buttons.first.wait_for()
    thumbnail = grid.locator("img").first
    eventually(lambda: _loaded_image_width(thumbnail) > 0, True)
    open_buttons.first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("region", name="Frame ..", exact=True).wait_for()
    eventually(lambda: _loaded_image_width(dialog.locator("img").first), FRAMES[".."][0][0])
    assert seen and all(status == 200 for _, status in seen), seen
    shot(page, "frame-id-dotdot-example")
