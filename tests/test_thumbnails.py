"""The thumbnail cache is bounded (issue 11, defect 13): sizes snap to a few steps,
never above the image's own, and the cache holds at most its size in bytes, least
recently used thumbnails removed first."""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("PIL")

from fastapi.testclient import TestClient
from PIL import Image

import shoal
from shoal.server import create_app
from shoal.server._thumbnails import THUMBNAIL_STEPS, ThumbnailCache, snapped_size

API = "/api/v1/projects/imgs/datasets/d/frames"


def noise_image(path: Path, width: int, height: int, seed: int) -> Path:
    """A PNG of random pixels (so that its thumbnails do not compress to nothing)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def picture_size(png: bytes) -> tuple[int, int]:
    with Image.open(BytesIO(png)) as opened:
        assert opened.format == "PNG"
        return opened.size


def cached_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.png"))


def test_sizes_snap_up_to_a_step_and_never_above_the_image():
    assert snapped_size(16, 5000) == 32
    assert snapped_size(33, 5000) == 64
    assert snapped_size(64, 5000) == 64
    assert snapped_size(1024, 5000) == 1024
    assert snapped_size(1000, 300) == 300
    assert snapped_size(200, 150) == 150
    assert list(THUMBNAIL_STEPS) == sorted(THUMBNAIL_STEPS)


def test_every_requested_size_of_one_image_makes_at_most_one_file_per_step(tmp_path):
    image = noise_image(tmp_path / "a.png", 300, 200, seed=1)
    cache = ThumbnailCache(tmp_path / "cache")
    answers = {size: cache.thumbnail(image, size) for size in range(16, 1025, 7)}
    # Steps at or above the image's 300 pixels are the image's own size: one file.
    assert len(cached_files(tmp_path / "cache")) == len([s for s in THUMBNAIL_STEPS if s < 300]) + 1
    for size, png in answers.items():
        longest = max(picture_size(png))
        assert longest == min(snapped_size(size, 300), 300) >= min(size, 300)
    # Never upscaled: asking for 1024 of a 300 x 200 image gives 300 x 200.
    assert picture_size(cache.thumbnail(image, 1024)) == (300, 200)
    assert cache.thumbnail(image, 1024) == cache.thumbnail(image, 512)


def test_the_cache_keeps_its_bound_and_removes_the_least_recently_used(tmp_path):
    images = [noise_image(tmp_path / f"{i}.png", 200, 200, seed=i) for i in range(6)]
    probe = ThumbnailCache(tmp_path / "probe")
    largest = max(len(probe.thumbnail(image, 128)) for image in images)
    bound = int(largest * 3.5)  # room for three thumbnails of this kind, not four
    folder = tmp_path / "cache"
    cache = ThumbnailCache(folder, max_bytes=bound)
    file_of = {}
    for i in range(3):
        before = set(cached_files(folder))
        cache.thumbnail(images[i], 128)
        (file_of[i],) = set(cached_files(folder)) - before
        os.utime(file_of[i], (100 * (i + 1), 100 * (i + 1)))  # used at 100, 200, 300
    cache.thumbnail(images[0], 128)  # a hit: image 0 is now the most recently used
    assert set(cached_files(folder)) == set(file_of.values())
    cache.thumbnail(images[3], 128)  # over the bound: image 1 (used at 200) goes
    assert not file_of[1].exists()
    assert file_of[0].exists() and file_of[2].exists() and len(cached_files(folder)) == 3
    for image in images[4:]:
        cache.thumbnail(image, 128)
        on_disk = sum(path.stat().st_size for path in cached_files(folder))
        assert on_disk <= bound and cache.total_bytes == on_disk


def test_a_new_cache_counts_what_an_earlier_process_left(tmp_path):
    image = noise_image(tmp_path / "a.png", 100, 100, seed=3)
    ThumbnailCache(tmp_path / "cache").thumbnail(image, 64)
    again = ThumbnailCache(tmp_path / "cache")
    assert again.total_bytes == cached_files(tmp_path / "cache")[0].stat().st_size
    with pytest.raises(ValueError, match="positive"):
        ThumbnailCache(tmp_path / "cache", max_bytes=0)


@pytest.fixture
def served(tmp_path: Path) -> tuple[TestClient, Path]:
    root = tmp_path / "images"
    root.mkdir()
    names = [f"{i}.png" for i in range(6)]
    for i, name in enumerate(names):
        noise_image(root / name, 240, 160, seed=10 + i)
    (root / "notes.txt").write_text("not an image")
    store = shoal.Store(tmp_path / "home")
    frames = pa.table({"frame_id": [*names, "text"], "image_uri": [*names, "notes.txt"]})
    labels = pa.table(
        {
            "label_id": ["l"],
            "frame_id": [names[0]],
            "class_name": ["a"],
            "x": [1.0],
            "y": [1.0],
            "width": [2.0],
            "height": [2.0],
        }
    )
    store.create_project("imgs").create_dataset(
        "d", shoal.DatasetTables.build(frames, labels), image_root=root
    )
    one = len(ThumbnailCache(tmp_path / "probe").thumbnail(root / names[0], 256))
    app = create_app(store, thumbnail_cache_bytes=int(one * 3.5))
    return TestClient(app, base_url="http://localhost"), tmp_path / "home" / "thumbnails"


def test_the_server_snaps_sizes_and_bounds_its_cache(served):
    client, folder = served
    for size in (17, 40, 100, 200, 256, 300, 700, 1024):
        answer = client.get(f"{API}/0.png/thumbnail", params={"size": size})
        assert answer.status_code == 200, answer.text
        assert max(picture_size(answer.content)) == snapped_size(size, 240)
    # Eight sizes asked for, four renderings made: 32, 64, 128 and the image's own 240.
    assert len(cached_files(folder)) <= 4
    limit = client.app.state.shoal.thumbnails.max_bytes
    assert sum(path.stat().st_size for path in cached_files(folder)) <= limit
    for i in range(6):
        answer = client.get(f"{API}/{i}.png/thumbnail", params={"size": 256})
        assert answer.status_code == 200 and picture_size(answer.content) == (240, 160)
        assert sum(path.stat().st_size for path in cached_files(folder)) <= limit
    assert client.get(f"{API}/text/thumbnail").status_code == 415
