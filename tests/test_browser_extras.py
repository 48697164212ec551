"""The last web items of issue 12 in a real browser over a real `shoal serve` (the recipe
and helpers of tests/test_browser.py): the segment details' dot per inference set, the
classification PR curve's "all classes" (micro) and the confusion matrix's color scale in
dark mode. Every number shown is checked against the REST API's answer to the same
question; screenshots go to test-artifacts/browser/.
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
    page,
    score,
    server,
    shot,
)

__all__ = ["api", "browser", "demo_home", "page", "server"]

pytestmark = pytest.mark.browser

BOTH = f"{SHAPES}&set={OTHER_DETECTOR}&set={DETECTOR}"
DIGITS_API = "/api/v1/projects/digits/datasets/handwritten-digits"
DOT_METRICS = ("precision", "recall", "f1_score")


def test_segment_details_plot_a_dot_per_inference_set_with_threshold_lines(
    page: Any, server: str, api: httpx.Client
) -> None:
    segment = "test regression"  # the demo's segment with thresholds set
    page.goto(f"{server}/#view=scenarios&{BOTH}")
    page.get_by_role("button", name=f"Details of {segment}", exact=True).click()
    figure = page.get_by_role("figure", name=f"Metrics of {segment} per inference set")
    figure.wait_for()
    answer = api.get(
        f"{DATASET_API}/summary", params={"conf": 0.1, "iou": 0.5, "segment": segment}
    ).json()
    (summary,) = answer["segments"]
    assert len(answer["inference_sets"]) >= 2
    expected = {
        metric: sorted(
            (r["inference_set"], round(r[metric]["score"], 9)) for r in summary["results"]
        )
        for metric in DOT_METRICS
    }

    def dots_shown() -> dict[str, list[tuple[str, float]]]:
        shown: dict[str, list[tuple[str, float]]] = {}
        for metric, title in zip(DOT_METRICS, ("Precision", "Recall", "F1"), strict=True):
            circles = figure.get_by_role("img", name=f"{title}:").locator("circle[data-set]")
            pairs = circles.evaluate_all(
                "(cs) => cs.map((c) => [c.dataset.set, Number(c.dataset.score)])"
            )
            shown[metric] = sorted((name, round(value, 9)) for name, value in pairs)
        return shown

    eventually(dots_shown, expected)
    # A line where the segment has a threshold, none where it has not.
    assert any(summary["thresholds"][m] is not None for m in DOT_METRICS)
    for metric in DOT_METRICS:
        lines = figure.get_by_test_id(f"threshold-{metric}").count()
        assert lines == (0 if summary["thresholds"][metric] is None else 1)
    # The legend names each set's dot color (the same color on every row).
    legend = figure.get_by_label("Legend")
    for name in answer["inference_sets"]:
        assert name in (legend.text_content() or "")
        colors = figure.locator(f'circle[data-set="{name}"]').evaluate_all(
            "(cs) => [...new Set(cs.map((c) => c.getAttribute('fill')))]"
        )
        assert len(colors) == 1
    assert "threshold" in (legend.text_content() or "")
    figure.scroll_into_view_if_needed()
    for width in (1440, 1024):
        page.set_viewport_size({"width": width, "height": 1000})
        shot(page, f"segment-dots-{width}")


def test_classification_pr_curve_offers_all_classes_micro(
    page: Any, server: str, api: httpx.Client
) -> None:
    wanted = {"inference_set": "logreg-4x4", "conf": 0.1, "include": ["report", "pr_curves"]}
    (answer,) = api.get(f"{DIGITS_API}/metrics", params=wanted).json()["results"]
    page.goto(f"{server}/#view=metrics&project=digits")
    pooled = answer["pr_curves"]["micro avg"]  # the engine's pr_curve(None)
    assert pooled["label"] == "micro avg"
    selector = page.get_by_role("combobox", name="Metric class")
    selector.wait_for()
    # Offered as "all classes" and drawn first, as detection's "all".
    option = selector.locator("option", has_text="all classes")
    assert option.get_attribute("value") == "micro avg"
    eventually(lambda: selector.input_value(), "micro avg")
    caption = page.get_by_test_id("pr-caption")
    eventually(lambda: (caption.text_content() or "").startswith("All classes: AP"), True)
    text = caption.text_content() or ""
    assert f"AP {score(pooled['ap'])}" in text
    # Its operating point is the report's micro average.
    micro = answer["report"]["averages"]["micro avg"]
    assert f"P {score(micro['precision'])}, R {score(micro['recall'])}" in text
    # A class and back: the URL keeps the class, then drops it for all classes.
    selector.select_option("3")
    eventually(lambda: "class=3" in page.url, True)
    selector.select_option("micro avg")
    eventually(lambda: "class=" not in page.url, True)
    for width in (1440, 1024):
        page.set_viewport_size({"width": width, "height": 1000})
        shot(page, f"metrics-classification-micro-{width}")


LUMINANCE = """(color) => {
  const [r, g, b] = color.match(/\\d+/g).slice(0, 3).map((v) => {
    const s = Number(v) / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}"""


def test_dark_mode_matrix_scale_runs_from_dark_to_saturated(
    page: Any, server: str, api: httpx.Client
) -> None:
    page.goto(f"{server}/#view=metrics&{SHAPES}&set={DETECTOR}")
    matrix = page.get_by_role("region", name=f"Confusion matrix: {DETECTOR}")
    matrix.locator("button[data-cell]").first.wait_for()
    page.get_by_role("button", name="Dark mode").click()
    scheme = "document.documentElement.dataset.mantineColorScheme"
    eventually(lambda: page.evaluate(scheme), "dark")
    answer = api.get(
        f"{DATASET_API}/metrics",
        params={"inference_set": DETECTOR, "conf": 0.1, "iou": 0.5},
    ).json()["results"][0]
    counts = answer["confusion_matrix"]["matrix"]
    last = len(counts) - 1
    # Row shares (the default): the largest and an empty cell, the background corner aside.
    shares = {
        (i, j): (v / sum(row) if sum(row) else 0.0)
        for i, row in enumerate(counts)
        for j, v in enumerate(row)
        if (i, j) != (last, last)
    }
    largest = max(shares, key=lambda k: shares[k])
    empty = next(k for k, v in shares.items() if v == 0)

    def luminance_of(cell: tuple[int, int]) -> float:
        button = matrix.locator(f'button[data-cell="{cell[0]},{cell[1]}"]')
        color = button.evaluate("(el) => getComputedStyle(el).backgroundColor")
        value: float = page.evaluate(LUMINANCE, color)
        return value

    body = page.evaluate("getComputedStyle(document.body).backgroundColor")
    # Dark: an empty cell is near the page's dark gray, the largest the brightest cell.
    eventually(lambda: luminance_of(empty) < 0.05, True)
    assert luminance_of(empty) < page.evaluate(LUMINANCE, body) + 0.05
    assert luminance_of(largest) > 0.3
    assert all(luminance_of(largest) >= luminance_of(k) - 1e-9 for k in list(shares)[:12])
    # The legend is the same scale: from the empty cell's color to the largest's.
    legend = matrix.get_by_label("Color scale")
    assert "brightest at the largest cell shown" in (legend.text_content() or "")
    gradient = legend.locator(".swatch-scale").evaluate("(el) => el.style.background")
    first = matrix.locator(f'button[data-cell="{empty[0]},{empty[1]}"]')
    assert first.evaluate("(el) => el.style.background") in gradient
    for width in (1440, 1024):
        page.set_viewport_size({"width": width, "height": 1000})
        shot(page, f"metrics-dark-matrix-{width}")
    page.get_by_role("button", name="Dark mode").click()  # the next test's context starts light
