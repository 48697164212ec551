"""Quality metrics in the web app (a real browser over a real `shoal serve`, the recipe of
tests/test_browser.py): a dataset without quality metrics says so in Insights "By
metric" and offers to compute them; the button starts the server's job, whose end
brings the quality metrics into the ranking the REST API answers. Screenshots at 1440
and 1024 px go to test-artifacts/browser/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import shoal
from shoal.demo import build_demo_projects
from shoal.server._webapp import WEBAPP_DIR
from test_browser import (  # the fixtures are imported so that pytest finds them here
    CHROMIUM,
    DATASET_API,
    DETECTOR,
    SHAPES,
    _start,
    _stop,
    browser,
    eventually,
    page,
)
from test_browser_controls import both_widths

__all__ = ["browser", "page"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo projects, the shapes dataset written again (same frames, labels and
    images): a new version, so it has no quality metrics until they are computed."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (`make test` installs it)")
    if not (WEBAPP_DIR / "index.html").is_file():
        pytest.skip("the web app is not built (`make test` builds it: npm run build in web/)")
    pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    home = tmp_path_factory.mktemp("quality-home")
    store = shoal.Store(home)
    build_demo_projects(store, scale=0.2)
    dataset = store.project("shapes").dataset("rendered-scenes")
    dataset.project.create_dataset(
        dataset.name, dataset.tables(), replace=True, image_root=dataset.image_root
    )
    return home


@pytest.fixture(scope="module")
def server(demo_home: Path) -> Iterator[str]:
    process, base = _start(demo_home)
    yield base
    _stop(process)


def _ranked(api: httpx.Client) -> list[str]:
    answer = api.get(f"{DATASET_API}/inference-sets/{DETECTOR}/metric-importance")
    assert answer.status_code == 200, answer.text
    return [m["metric"] for m in answer.json()["metrics"]]


def _shown(page: Any) -> list[str]:
    return [b.get_attribute("data-metric") for b in page.locator("button.metric-row").all()]


def test_by_metric_offers_to_compute_quality_and_ranks_it_when_done(page: Any, server: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as api:
        state = api.get(f"{DATASET_API}/quality").json()
        assert state["state"] == "none" and not state["computed"]
        before = _ranked(api)
        assert "brightness" not in before
        page.goto(f"{server}/#view=insights&{SHAPES}&set={DETECTOR}&insights=by-metric")
        notice = page.get_by_test_id("quality-progress")
        notice.wait_for()
        assert "not computed for this dataset" in (notice.text_content() or "")
        eventually(lambda: _shown(page), before)
        both_widths(page, "quality-not-computed")

        page.get_by_role("button", name="Compute them").click()
        # The job runs on the server; when it ends the notice goes and the ranking is
        # fetched again, now with the quality metrics, as the API ranks them.
        eventually(lambda: api.get(f"{DATASET_API}/quality").json()["state"], "done", 60)
        final = api.get(f"{DATASET_API}/quality").json()
        assert final["computed"] and final["images_read"] == final["total"] > 0
        after = _ranked(api)
        assert "brightness" in after and "crop_sharpness" in after
        eventually(lambda: _shown(page), after)
        assert notice.count() == 0
        both_widths(page, "quality-computed")
