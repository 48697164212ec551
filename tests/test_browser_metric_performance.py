"""The web app's Insights "By metric" sub-tab in a real browser over a real `shoal serve`
(the recipe and helpers of tests/test_browser.py): the metrics ranked as the REST API
ranks them (importance and Spearman's sign), the chosen metric's precision and FNR per
bin equal to GET .../metric-performance, a bin's examples equal to GET
.../examples?metric=&min=&max=, one class alone, and a classification project. Screenshots
at 1440 and 1024 px go to test-artifacts/browser/.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from test_browser import (  # the fixtures are imported so that pytest finds them here
    DATASET_API,
    DETECTOR,
    SHAPES,
    api,
    browser,
    demo_home,
    eventually,
    fixed,
    page,
    server,
)
from test_browser_controls import both_widths, location

__all__ = ["api", "browser", "demo_home", "page", "server"]

pytestmark = pytest.mark.browser

DIGITS = "project=digits&dataset=handwritten-digits"
DIGITS_API = "/api/v1/projects/digits/datasets/handwritten-digits"


def get(api: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    answer = api.get(path, params=params)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def score(value: float | None, digits: int = 3) -> str:
    """formatScore: fixed decimals, "-" for nothing."""
    return "-" if value is None or value < 0 else fixed(value, digits)


def count(value: int) -> str:
    return f"{value:,}"


def shown_ranking(page: Any) -> list[tuple[str, str, str]]:
    """Each ranked metric as drawn: name, importance, signed Spearman."""
    rows = []
    for button in page.locator("button.metric-row").all():
        name = button.get_attribute("data-metric")
        importance = page.locator(f'[data-importance="{name}"]').text_content()
        spearman = page.locator(f'[data-spearman="{name}"]').text_content()
        rows.append((name, importance, spearman))
    return rows


def expected_ranking(ranking: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    for m in ranking["metrics"]:
        if m["reason"] is not None:
            rows.append((m["metric"], "–", "–"))
            continue
        rho = m["spearman"]
        sign = "" if rho == 0 else ("+" if rho > 0 else "−")
        rows.append((m["metric"], score(m["importance"]), sign + score(abs(rho), 2)))
    return rows


def shown_bins(page: Any) -> list[list[str]]:
    """The bins table's numbers: predictions, precision, labels, FNR per row (overall last)."""
    rows = []
    for row in page.locator("table.metric-bins tbody tr").all():
        rows.append(
            [
                row.locator(f'[data-col="{c}"]').text_content()
                for c in ("predictions", "precision", "labels", "fnr")
            ]
        )
    return rows


def expected_bins(answer: dict[str, Any]) -> list[list[str]]:
    rows = [
        [count(b["predictions"]), score(b["precision"]), count(b["labels"]), score(b["fnr"])]
        for b in answer["bins"]
    ]
    o = answer["overall"]
    rows.append(
        [count(o["predictions"]), score(o["precision"]), count(o["labels"]), score(o["fnr"])]
    )
    return rows


def open_by_metric(page: Any, server: str, project: str = SHAPES, set_name: str = DETECTOR) -> None:
    page.goto(f"{server}/#view=insights&{project}&set={set_name}&insights=by-metric")
    page.locator("button.metric-row").first.wait_for()


def test_ranking_and_bins_equal_the_api_and_a_bin_lists_its_objects(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_by_metric(page, server)
    base = f"{DATASET_API}/inference-sets/{DETECTOR}"
    ranking = get(api, f"{base}/metric-importance")
    eventually(lambda: shown_ranking(page), expected_ranking(ranking))
    assert any(m["reason"] is None for m in ranking["metrics"]), "the demo is large enough to rank"
    # The most important metric is shown first, its bins as the API answers them.
    top = ranking["metrics"][0]["metric"]
    answer = get(api, f"{base}/metric-performance", metric=top, bins=10)
    page.locator("table.metric-bins").wait_for()
    eventually(lambda: shown_bins(page), expected_bins(answer))
    assert page.get_by_role("heading", name=f"Performance by {top}").is_visible()
    # Definitions at hand: the legend and the tooltips.
    assert page.locator(".metric-legend dt", has_text="Importance").count() == 1
    for m in ranking["metrics"]:
        title = page.locator(f'button.metric-row[data-metric="{m["metric"]}"]').get_attribute(
            "title"
        )
        assert title and m["description"] in title and f"({m['level']}, {m['source']})" in title
        assert ("No importance" in title) == (m["reason"] is not None)

    both_widths(page, "insights-by-metric")

    # A bin's objects: exactly those of the examples endpoint with its range.
    widest = max(
        range(len(answer["bins"])),
        key=lambda i: answer["bins"][i]["predictions"] + answer["bins"][i]["labels"],
    )
    chosen = answer["bins"][widest]
    page.locator(f'table.metric-bins tr[data-bin="{widest}"] button').click()
    listed = get(
        api, f"{base}/examples", metric=top, min=chosen["low"], max=chosen["high"], limit=1
    )
    assert listed["total"] == chosen["predictions"] + chosen["labels"]
    grid = page.get_by_role("region", name="Bin examples")
    eventually(lambda: f"of {listed['total']}" in (grid.text_content() or ""), True)
    assert (
        page.locator(f'table.metric-bins tr[data-bin="{widest}"]').get_attribute("aria-selected")
        == "true"
    )
    both_widths(page, "insights-by-metric-bin")
    # The metric and the bin are in the URL: a reload (or a link) lists the same objects.
    assert f"metric={top}" in location(page) and f"bin={widest + 1}" in location(page)
    page.reload()
    eventually(lambda: f"of {listed['total']}" in (grid.text_content() or ""), True)
    row = page.locator(f'table.metric-bins tr[data-bin="{widest}"]')
    assert row.get_attribute("aria-selected") == "true"

    # Another metric, then one class alone.
    second = ranking["metrics"][1]["metric"]
    page.locator(f'button.metric-row[data-metric="{second}"]').click()
    answer = get(api, f"{base}/metric-performance", metric=second, bins=10)
    eventually(lambda: shown_bins(page), expected_bins(answer))
    label = answer["classes"][0]["label"]
    page.get_by_label("Class", exact=True).select_option(label)
    alone = get(api, f"{base}/metric-performance", metric=second, bins=10, label=label)
    eventually(lambda: shown_bins(page), expected_bins(alone))
    # Five bins.
    page.get_by_label("Bins", exact=True).select_option("5")
    five = get(api, f"{base}/metric-performance", metric=second, bins=5, label=label)
    eventually(lambda: shown_bins(page), expected_bins(five))


def test_a_classification_project_ranks_its_metrics(
    page: Any, server: str, api: httpx.Client
) -> None:
    sets = api.get(f"{DIGITS_API}/inference-sets").json()
    set_name = sets[0]["name"]
    open_by_metric(page, server, DIGITS, set_name)
    base = f"{DIGITS_API}/inference-sets/{set_name}"
    ranking = get(api, f"{base}/metric-importance")
    eventually(lambda: shown_ranking(page), expected_ranking(ranking))
    top = ranking["metrics"][0]["metric"]
    answer = get(api, f"{base}/metric-performance", metric=top, bins=10)
    page.locator("table.metric-bins").wait_for()
    eventually(lambda: shown_bins(page), expected_bins(answer))
    both_widths(page, "insights-by-metric-classification")


def test_dark_mode(page: Any, server: str) -> None:
    open_by_metric(page, server)
    page.locator("table.metric-bins").wait_for()
    page.get_by_role("button", name="Dark mode").click()
    eventually(lambda: page.evaluate("document.documentElement.dataset.mantineColorScheme"), "dark")
    both_widths(page, "insights-by-metric-dark")
