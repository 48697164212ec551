"""The web app's Insights view and Compare's significance (issue 13), in a real browser
over a real `shoal serve` (the recipe and helpers of tests/test_browser.py): TIDE's bars
per class and at other IoUs, a bar's examples, the reliability diagram with ECE / D-ECE,
a classification project's calibration, and the bootstrap intervals beside Compare's
deltas. Every number shown is checked against the REST API's answer to the same
question; screenshots at 1440 and 1024 px go to test-artifacts/browser/.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from test_browser import (  # the fixtures are imported so that pytest finds them here
    DATASET_API,
    DETECTOR,
    OTHER_DETECTOR,
    SHAPES,
    api,
    browser,
    demo_home,
    eventually,
    fixed,
    page,
    server,
    shot,
)
from test_browser_controls import both_widths

__all__ = ["api", "browser", "demo_home", "page", "server"]

pytestmark = pytest.mark.browser

TIDE_TYPES = ["Cls", "Loc", "Both", "Dupe", "Bkg", "Miss"]
SPECIAL = ["FalsePos", "FalseNeg"]
DIGITS_API = "/api/v1/projects/digits/datasets/handwritten-digits"


def get(api: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    answer = api.get(path, params=params)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def shown_bars(page: Any) -> dict[str, tuple[str, str]]:
    """Each TIDE bar's dAP and count as the page prints them."""
    bars: dict[str, tuple[str, str]] = {}
    for name in TIDE_TYPES + SPECIAL:
        dap = page.locator(f'.tide-bars [data-dap="{name}"]')
        count = page.locator(f'.tide-bars [data-count="{name}"]')
        bars[name] = (
            dap.text_content() if dap.count() else "",
            count.text_content() if count.count() else "",
        )
    return bars


def expected_bars(tide: dict[str, Any]) -> dict[str, tuple[str, str]]:
    bars = {t: (fixed(tide["dap"][t], 2), f"{tide['counts'][t]:,}") for t in TIDE_TYPES}
    bars.update({t: (fixed(tide["dap"][t], 2), "") for t in SPECIAL})
    return bars


def signed(value: float) -> str:
    """formatSignedScore: three decimals, "+" unless negative and not rounding to 0."""
    text = fixed(abs(value), 3)
    return ("-" if value < 0 and float(text) != 0 else "+") + text


def open_insights(page: Any, server: str, hash_: str = "") -> None:
    page.goto(f"{server}/#view=insights&{SHAPES}&set={DETECTOR}{hash_}")
    page.locator(".tide-bars").wait_for()


def test_tide_bars_show_the_apis_dap_and_counts_overall_and_per_class(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_insights(page, server)
    tide = get(api, f"{DATASET_API}/inference-sets/{DETECTOR}/tide")
    eventually(lambda: shown_bars(page), expected_bars(tide))
    caption = page.locator(".tide-bars figcaption").text_content()
    assert f"AP {fixed(tide['ap'], 2)}" in caption
    # Every type's definition is at hand: in the bar's tooltip and in the legend.
    for name in TIDE_TYPES + SPECIAL:
        title = page.locator(f'.tide-bars [data-tide="{name}"]').get_attribute("title")
        assert title and ":" in title
        assert page.locator(".tide-legend dt", has_text=name).count() >= 1
    both_widths(page, "insights-tide")

    # One class's breakdown: its own counts and dAP.
    with_errors = max(tide["per_class"], key=lambda c: sum(c["counts"].values()))
    page.get_by_label("Class", exact=True).select_option(with_errors["label"])
    eventually(lambda: shown_bars(page), expected_bars(with_errors))


def test_fg_and_bg_iou_recompute_the_breakdown(page: Any, server: str, api: httpx.Client) -> None:
    open_insights(page, server)
    page.get_by_label("Foreground IoU").fill("0.7")
    page.get_by_label("Background IoU").fill("0.2")
    tide = get(api, f"{DATASET_API}/inference-sets/{DETECTOR}/tide", fg_iou=0.7, bg_iou=0.2)
    eventually(lambda: shown_bars(page), expected_bars(tide))
    settings = page.get_by_test_id("tide-settings").text_content()
    assert "Foreground IoU 0.7, background IoU 0.2" in settings


def test_a_bar_lists_its_examples_and_one_opens_its_frame(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_insights(page, server)
    tide = get(api, f"{DATASET_API}/inference-sets/{DETECTOR}/tide")
    kind = max(TIDE_TYPES, key=lambda t: tide["counts"][t])
    assert tide["counts"][kind] > 0
    page.locator(f'button.tide-bar[data-tide="{kind}"]').click()
    listed = get(
        api,
        f"{DATASET_API}/inference-sets/{DETECTOR}/examples",
        tide=kind,
        iou=0.5,
        limit=12,
    )
    # The examples endpoint lists exactly the bar's errors.
    assert listed["total"] == tide["counts"][kind]
    pager = page.locator('[aria-label="TIDE examples"] .pager [aria-live]')
    first = min(12, listed["total"])
    eventually(
        lambda: pager.text_content(),
        f"1–{first} of {listed['total']} (page 1 of {-(-listed['total'] // 12)})",
    )
    assert page.locator('[aria-label="TIDE examples"] .thumbnails li').count() == first
    both_widths(page, "insights-tide-examples")
    # The bar is in the URL: a reload lists the same examples.
    assert f"tide={kind}" in page.url
    page.reload()
    eventually(
        lambda: pager.text_content(),
        f"1–{first} of {listed['total']} (page 1 of {-(-listed['total'] // 12)})",
    )
    page.locator('[aria-label="TIDE examples"] .thumbnails li button.thumbnail').first.click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert kind in (dialog.text_content() or "")
    shot(page, "insights-tide-example-open")


def test_the_reliability_diagram_shows_the_apis_d_ece_per_class(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_insights(page, server)
    page.get_by_role("tab", name="Calibration").click()
    assert "insights=calibration" in page.url
    project = get(api, "/api/v1/projects/shapes")
    calibration = get(
        api,
        f"{DATASET_API}/inference-sets/{DETECTOR}/calibration",
        conf=project["default_conf"],
        iou=project["default_iou"],
    )
    assert calibration["metric"] == "D-ECE"
    overall = calibration["overall"]
    ece = page.get_by_test_id("ece")
    eventually(lambda: ece.text_content(), f"D-ECE {fixed(overall['ece'], 4)}")
    assert page.get_by_test_id("mce").text_content() == f"MCE {fixed(overall['mce'], 4)}"
    filled = [b for b in overall["bins"] if b["accuracy"] is not None]
    assert page.locator(".reliability .accuracy-bar").count() == len(filled)
    assert page.locator(".reliability .count-bar").count() == len(overall["bins"])
    assert page.locator(".reliability .diagonal").count() == 1
    legend = page.get_by_role("list", name="Reliability legend").text_content() or ""
    assert "Diagonal" in legend and "D-ECE" in legend and "MCE" in legend

    one = calibration["classes"][0]
    page.get_by_label("Class", exact=True).select_option(one["label"])
    eventually(lambda: ece.text_content(), f"D-ECE {fixed(one['ece'], 4)}")
    assert page.get_by_test_id("mce").text_content() == f"MCE {fixed(one['mce'], 4)}"


def test_a_classification_project_shows_calibration_and_says_tide_is_for_detection(
    page: Any, server: str, api: httpx.Client
) -> None:
    page.goto(f"{server}/#view=insights&project=digits")
    page.get_by_test_id("tide-detection-only").wait_for()
    assert page.locator(".tide-bars").count() == 0
    page.get_by_role("tab", name="Calibration").click()
    project = get(api, "/api/v1/projects/digits")
    sets = get(api, f"{DIGITS_API}/inference-sets")
    first = sets[0]["name"] if isinstance(sets, list) else None
    assert first is not None
    calibration = get(
        api, f"{DIGITS_API}/inference-sets/{first}/calibration", conf=project["default_conf"]
    )
    assert calibration["metric"] == "ECE"
    eventually(
        lambda: page.get_by_test_id("ece").text_content(),
        f"ECE {fixed(calibration['overall']['ece'], 4)}",
    )
    # The classification project answers TIDE with a 4xx (a JSON body), which the view never asks.
    refused = api.get(f"{DIGITS_API}/inference-sets/{first}/tide")
    assert 400 <= refused.status_code < 500 and "error" in refused.json()
    both_widths(page, "insights-classification")


def test_metrics_links_to_insights(page: Any, server: str) -> None:
    page.goto(f"{server}/#view=metrics&{SHAPES}&set={DETECTOR}")
    page.get_by_role("button", name="Why it fails: Insights").click()
    page.locator(".tide-bars").wait_for()
    assert "view=insights" in page.url
    assert page.get_by_role("tab", name="Insights").get_attribute("aria-selected") == "true"


def test_compare_shows_the_bootstrap_intervals_beside_the_deltas(
    page: Any, server: str, api: httpx.Client
) -> None:
    page.goto(f"{server}/#view=compare&{SHAPES}&set={OTHER_DETECTOR}&set={DETECTOR}")
    project = get(api, "/api/v1/projects/shapes")
    significance = get(
        api,
        f"{DATASET_API}/compare/significance",
        base=OTHER_DETECTOR,
        other=DETECTOR,
        conf=project["default_conf"],
        iou=project["default_iou"],
        resamples=1000,
        seed=0,
    )
    table = page.get_by_role("table", name=f"Significance: {DETECTOR} against {OTHER_DETECTOR}")
    table.wait_for()
    metrics = ["precision", "recall", "f1-score", "ap"]
    scopes = [
        s
        for s in [*significance["labels"], "macro avg", "micro avg"]
        if any(i["scope"] == s for i in significance["intervals"])
    ]

    def expected() -> list[list[str]]:
        rows = []
        for scope in scopes:
            row = [scope]
            for metric in metrics:
                i = next(
                    (
                        x
                        for x in significance["intervals"]
                        if x["scope"] == scope and x["metric"] == metric
                    ),
                    None,
                )
                if i is None:  # AP has no micro average
                    row.append("-")
                    continue
                text = f"{signed(i['delta'])} [{signed(i['low'])}, {signed(i['high'])}]"
                row.append(text + (" *" if i["significant"] else ""))
            rows.append(row)
        return rows

    def shown() -> list[list[str]]:
        return [
            [cell.strip() for cell in row.locator("th, td").all_text_contents()]
            for row in table.locator("tbody tr").all()
        ]

    eventually(shown, expected())
    # Significant exactly when the interval excludes zero, and marked so.
    for i in significance["intervals"]:
        assert i["significant"] == (i["low"] > 0 or i["high"] < 0)
    marked = table.locator('td[data-significant="true"]').count()
    assert marked == sum(i["significant"] for i in significance["intervals"])
    settings = page.get_by_test_id("bootstrap-settings").text_content() or ""
    assert "1,000 resamples, seed 0" in settings
    assert f"{significance['frame_count']:,} frames" in settings
    legend = page.get_by_label("Significance legend").text_content() or ""
    assert "excludes zero" in legend
    both_widths(page, "compare-significance")
