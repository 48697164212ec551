"""Per-class IoU in the web app (issue 15), in a real browser over a real `shoal serve`
(the recipe and helpers of tests/test_browser.py): the Thresholds panel's "Per-class IoU"
overrides recompute the Metrics view's report and examples at the REST API's answer for
the same mapping, stay in the URL, and a reload restores them. Screenshots at 1440 and
1024 px go to test-artifacts/browser/.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from test_browser import (  # the fixtures are imported so that pytest finds them here
    DATASET_API,
    DETECTOR,
    api,
    browser,
    class_rows,
    demo_home,
    eventually,
    expected_report_rows,
    open_metrics,
    page,
    server,
)
from test_browser_controls import both_widths

__all__ = ["api", "browser", "demo_home", "page", "server"]

pytestmark = pytest.mark.browser


def metrics_at(api: httpx.Client, iou: dict[str, float] | float) -> dict[str, Any]:
    answer = api.get(
        f"{DATASET_API}/metrics",
        params={
            "inference_set": DETECTOR,
            "conf": 0.1,
            "iou": json.dumps(iou) if isinstance(iou, dict) else iou,
        },
    )
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()["results"][0]
    return result


def test_per_class_iou_overrides_recompute_metrics_and_stay_in_the_url(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_metrics(page, server)
    caption = f"Classification report: {DETECTOR}"
    editor = page.get_by_test_id("overrides-iou")
    editor.get_by_role("heading", name="Per-class IoU").wait_for()
    editor.get_by_label("Class for a per-class IoU").select_option("circle")
    editor.get_by_role("button", name="Add IoU override").click()
    box = editor.locator("li").filter(has_text="circle").locator("input")
    box.fill("0.9")
    box.press("Enter")
    classes = [c["name"] for c in api.get("/api/v1/projects/shapes").json()["classes"]]
    mapping = {name: 0.9 if name == "circle" else 0.5 for name in classes}
    per_class = metrics_at(api, mapping)
    plain = metrics_at(api, 0.5)
    # The override changes the numbers (else the check below would prove nothing).
    assert expected_report_rows(per_class["report"]) != expected_report_rows(plain["report"])
    eventually(lambda: class_rows(page, caption), expected_report_rows(per_class["report"]))
    page.get_by_test_id("answered-at").filter(has_text="per-class IoUs").wait_for()
    state = parse_qs(urlsplit(page.url).fragment)
    assert json.loads(state["iouOverrides"][0]) == {"circle": 0.9}
    assert plain["confusion_matrix"] != per_class["confusion_matrix"]

    # The missed circles' cell and its examples: at circle's own IoU, as the API counts them.
    matrix = page.get_by_role("region", name=f"Confusion matrix: {DETECTOR}")
    cell = matrix.locator('button[data-cell="0,4"]')  # circle -> background
    labels = per_class["confusion_matrix"]["labels"]
    missed = per_class["confusion_matrix"]["matrix"][labels.index("circle")][
        labels.index("background")
    ]
    eventually(lambda: cell.text_content(), str(missed))
    cell.click()
    expected = api.get(
        f"{DATASET_API}/inference-sets/{DETECTOR}/examples",
        params={"truth": "circle", "predicted": "background", "conf": 0.1,
                "iou": json.dumps(mapping), "limit": 12},
    ).json()  # fmt: skip
    assert expected["total"] == missed and expected["iou"] == mapping
    grid = page.get_by_role("region", name="circle → background")
    eventually(
        lambda: grid.get_by_role("navigation", name="Pages").text_content(),
        f"Previous1–{min(12, missed)} of {missed} (page 1 of {-(-missed // 12)})Next",
    )
    both_widths(page, "metrics-per-class-iou")

    # A reload restores the override and the numbers.
    page.reload()
    eventually(lambda: class_rows(page, caption), expected_report_rows(per_class["report"]))
    assert editor.locator("li").filter(has_text="circle").locator("input").input_value() == "0.90"

    editor.get_by_role("button", name="Remove circle IoU override").click()
    eventually(lambda: class_rows(page, caption), expected_report_rows(plain["report"]))
    assert "iouOverrides" not in page.url


def test_the_matching_rule_control_shows_labelbox_numbers_and_examples(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_metrics(page, server)
    caption = f"Classification report: {DETECTOR}"
    rule = page.get_by_test_id("matching-rule")
    assert "COCO:" in (rule.text_content() or "")
    rule.get_by_label("Matching").select_option("labelbox")
    answer = api.get(
        f"{DATASET_API}/metrics",
        params={"inference_set": DETECTOR, "conf": 0.1, "iou": 0.5, "protocol": "labelbox"},
    ).json()
    assert answer["protocol"] == "labelbox"
    labelbox = answer["results"][0]
    coco = metrics_at(api, 0.5)
    assert expected_report_rows(labelbox["report"]) != expected_report_rows(coco["report"])
    eventually(lambda: class_rows(page, caption), expected_report_rows(labelbox["report"]))
    # Its definition is at hand, and the choice is in the URL.
    assert "whatever the classes" in (rule.text_content() or "")
    assert parse_qs(urlsplit(page.url).fragment)["protocol"] == ["labelbox"]

    # A cell's examples follow the same rule: the missed circles under Labelbox's matching.
    labels = labelbox["confusion_matrix"]["labels"]
    missed = labelbox["confusion_matrix"]["matrix"][labels.index("circle")][
        labels.index("background")
    ]
    matrix = page.get_by_role("region", name=f"Confusion matrix: {DETECTOR}")
    cell = matrix.locator('button[data-cell="0,4"]')
    eventually(lambda: cell.text_content(), str(missed))
    cell.click()
    grid = page.get_by_role("region", name="circle → background")
    eventually(
        lambda: grid.get_by_role("navigation", name="Pages").text_content(),
        f"Previous1–{min(12, missed)} of {missed} (page 1 of {-(-missed // 12)})Next",
    )
    both_widths(page, "metrics-labelbox-matching")

    rule.get_by_label("Matching").select_option("coco")
    eventually(lambda: class_rows(page, caption), expected_report_rows(coco["report"]))
    assert "protocol" not in page.url
