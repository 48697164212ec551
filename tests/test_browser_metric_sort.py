"""The examples' sort by a metric in a real browser (issue 13, section 3): the sort menu
offers the dataset's quality and custom metrics from GET .../element-metrics, and the
grid shows the examples in the order the API gives for that sort. Screenshots at 1440
and 1024 px go to test-artifacts/browser/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

import shoal
from shoal.demo import build_demo_projects
from shoal.server._webapp import WEBAPP_DIR
from test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DATASET_API,
    DETECTOR,
    SHAPES,
    _start,
    _stop,
    eventually,
    shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def sort_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (`make test` installs it)")
    if not (WEBAPP_DIR / "index.html").is_file():
        pytest.skip("the web app is not built (`make test` builds it: npm run build in web/)")
    pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    home: Path = tmp_path_factory.mktemp("metric-sort-home")
    store = shoal.Store(home)
    build_demo_projects(store, scale=0.1)
    dataset = store.project("shapes").dataset("rendered-scenes")
    frames = dataset.frames().column("frame_id").to_pylist()
    rng = np.random.default_rng(4)
    dataset.add_custom_metric(
        "night_score", dict(zip(frames, rng.random(len(frames)).round(4).tolist(), strict=True))
    )
    store.close()
    process, base = _start(home)
    yield base
    _stop(process)


@pytest.fixture(scope="module")
def sort_browser(sort_server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.mark.parametrize("width", [1440, 1024])
def test_the_examples_sort_by_a_metric_as_the_api_does(
    sort_browser: Any, sort_server: str, width: int
) -> None:
    context = sort_browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with httpx.Client(base_url=sort_server, timeout=30) as api:
        metrics = api.get(f"{DATASET_API}/element-metrics").json()["metrics"]
        names = sorted(
            {
                m["name"]
                for m in metrics
                if m["type"] != "string"
                and (m["level"] != "prediction" or m["inference_set"] == DETECTOR)
            }
        )
        assert "night_score" in names and "brightness" in names  # custom and quality
        page.goto(f"{sort_server}/#view=metrics&{SHAPES}&set={DETECTOR}")
        page.get_by_role("table", name=f"Classification report: {DETECTOR}").wait_for()
        page.get_by_role("region", name=f"Confusion matrix: {DETECTOR}").locator(
            'button[data-cell="4,1"]'
        ).click()  # background -> square: false positives
        grid = page.get_by_role("region", name="background → square")
        select = grid.get_by_label("Sort by")
        group = select.locator("optgroup[label='Metrics'] option")
        eventually(
            lambda: group.evaluate_all("(options) => options.map((o) => o.value)"),
            [f"metric:{n}:{order}" for n in names for order in ("asc", "desc")],
        )
        for name, order in (("night_score", "desc"), ("relative_area", "asc")):
            select.select_option(f"metric:{name}:{order}")
            expected = api.get(
                f"{DATASET_API}/inference-sets/{DETECTOR}/examples",
                params={"truth": "background", "predicted": "square", "conf": 0.1, "iou": 0.5,
                        "sort": name, "order": order, "offset": 0, "limit": 12},
            ).json()  # fmt: skip

            def shown() -> list[str]:
                labels: list[str] = grid.locator("button.thumbnail").evaluate_all(
                    "(buttons) => buttons.map((b) => b.getAttribute('aria-label'))"
                )
                return [label.split(":")[0] for label in labels]

            eventually(shown, [f"Open frame {e['frame_id']}" for e in expected["examples"]])
            assert f"sort=metric%3A{name}%3A{order}" in page.url or (
                f"sort=metric:{name}:{order}" in page.url
            )
        page.mouse.move(0, 0)  # no matrix hover card over the grid in the picture
        grid.scroll_into_view_if_needed()
        shot(page, f"examples-sorted-by-metric-{width}")
    context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"
