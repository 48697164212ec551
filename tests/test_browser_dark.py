"""Dark mode (and light) in a real browser over a real `shoal serve` (the recipe and helpers
of tests/test_browser.py): every view (Metrics with its hover card and PR-curve tooltip,
Scenarios, Compare, Summary, Insights' sections, Frame and the example modal), at 1440 and
1024 px, screenshotted into test-artifacts/browser/dark-*.png (light-*.png), and each text's
contrast against what it is drawn on measured in the page with WCAG 2's formula (4.5:1,
3:1 for large text; disabled controls and deliberately dimmed cells aside). Also the
confusion matrix's background x background cell, not applicable, in both schemes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from test_browser import (  # the fixtures are imported so that pytest finds them here
    ARTIFACTS,
    DATASET_API,
    DETECTOR,
    OTHER_DETECTOR,
    SHAPES,
    api,
    browser,
    demo_home,
    eventually,
    matrix_cells,
    page,
    server,
    shot,
)

__all__ = ["api", "browser", "demo_home", "page", "server"]

pytestmark = pytest.mark.browser

SCHEME = "localStorage.setItem('shoal.colorScheme', '%s')"
BOTH = f"{SHAPES}&set={DETECTOR}&set={OTHER_DETECTOR}"
NOT_APPLICABLE = (
    "Not applicable: background predicted as background would be every place with neither "
    "an object nor a prediction, which is never counted."
)

# Every visible text node's color against the background it is drawn on (the nearest
# opaque ancestor background, translucent layers blended in, ancestors' opacity applied),
# as WCAG 2 defines contrast. Returns the texts below their threshold.
_LOW_CONTRAST = """() => {
  const parse = (c) => {
    const m = c && c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const blend = (top, under) => [0, 1, 2].map((k) => top[k] * top[3] + under[k] * (1 - top[3])).concat(1);
  const contrast = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const backgroundOf = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (style.backgroundImage !== "none" && !style.backgroundImage.includes("gradient")) return null;
      const color = parse(style.backgroundColor);
      if (color && color[3] > 0) { layers.push(color); if (color[3] >= 1) break; }
    }
    let under = [255, 255, 255, 1];
    for (let k = layers.length - 1; k >= 0; k--) under = blend(layers[k], under);
    return under;
  };
  const opacityOf = (el) => {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o;
  };
  const exempt = "[disabled], [aria-disabled='true'], .dimmed, .visually-hidden, [aria-hidden='true']";
  const low = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || seen.has(el)) continue;
    seen.add(el);
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === "hidden") continue;
    if (el.closest(exempt)) continue;
    const inSvg = el.closest("svg") !== null;
    const color = parse(inSvg && style.fill !== "none" ? style.fill : style.color);
    const under = backgroundOf(el);
    if (!color || !under) continue;
    const shown = blend([color[0], color[1], color[2], color[3] * opacityOf(el)], under);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
    const ratio = contrast(shown, under);
    if (ratio < (large ? 3 : 4.5)) {
      low.push(`${text.slice(0, 40)} (${el.tagName.toLowerCase()}.${String(el.className.baseVal ?? el.className)}): `
        + `${ratio.toFixed(2)}:1, rgb(${shown.slice(0, 3).map(Math.round)}) on rgb(${under.slice(0, 3).map(Math.round)})`);
    }
  }
  return low;
}"""


def _page_in(browser: Any, scheme: str, width: int) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": width, "height": 1000})
    context.add_init_script(SCHEME % scheme)
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    return context, opened


# What floats over the page (a modal, a hover card, a tooltip) is shot as the viewport
# shows it: a full-page capture would leave it where the viewport was.
FLOATING = ("metrics-hover-card", "metrics-pr-tooltip", "example-modal")


def _is_legible(page: Any, scheme: str, name: str, floating: bool) -> None:
    """The scheme is on, every text reads at WCAG AA contrast, and the screenshot is kept."""
    assert page.evaluate("document.documentElement.dataset.mantineColorScheme") == scheme
    page.wait_for_timeout(300)  # the last answer painted
    low: list[str] = page.evaluate(_LOW_CONTRAST)
    if floating:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    else:
        shot(page, name)
    assert low == [], f"{name}: text below WCAG AA contrast: {low[:10]}"


def _metrics(page: Any) -> None:
    matrix = page.get_by_role("region", name=f"Confusion matrix: {DETECTOR}")
    matrix.locator("button[data-cell]").first.wait_for()
    page.get_by_test_id("curve").wait_for()


def _metrics_hover(page: Any) -> None:
    _metrics(page)
    page.get_by_role("region", name=f"Confusion matrix: {DETECTOR}").locator(
        'button[data-cell="0,1"]'
    ).hover()
    page.get_by_test_id("matrix-hover-card").wait_for()


def _metrics_tooltip(page: Any) -> None:
    _metrics(page)
    chart = page.locator(".pr-curve svg.recharts-surface").first
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4)
    page.locator(".pr-tooltip").wait_for()


def _example_modal(page: Any) -> None:
    grid = page.get_by_role("region", name="circle → circle")
    grid.locator("button.thumbnail").first.click()
    dialog = page.get_by_role("dialog")
    dialog.locator("img").first.wait_for()
    eventually(lambda: dialog.locator("img").first.evaluate("(i) => i.naturalWidth > 0"), True)


def _metrics_any(page: Any) -> None:
    page.get_by_role("table", name="Classification report: model").wait_for()
    page.get_by_test_id("curve").wait_for()


def _text(text: str) -> Callable[[Any], None]:
    # Summary and Compare compute every segment of both sets: slow on a busy 2-core machine.
    return lambda page: page.get_by_text(text, exact=False).first.wait_for(timeout=60_000)


VIEWS: dict[str, tuple[str, Callable[[Any], None]]] = {
    "metrics": (f"view=metrics&{SHAPES}&set={DETECTOR}", _metrics),
    "metrics-hover-card": (f"view=metrics&{SHAPES}&set={DETECTOR}", _metrics_hover),
    "metrics-pr-tooltip": (f"view=metrics&{SHAPES}&set={DETECTOR}", _metrics_tooltip),
    "metrics-many-classes": ("view=metrics&project=many&dataset=coco-like&set=model", _metrics_any),
    "scenarios": (f"view=scenarios&{BOTH}", _text("Regression Tests")),
    "compare": (f"view=compare&{BOTH}", _text(f"{OTHER_DETECTOR} against {DETECTOR}")),
    "summary": (f"view=summary&{BOTH}", _text("Per-class improvements")),
    "insights": (f"view=insights&{SHAPES}&set={DETECTOR}", _text("Error breakdown (TIDE)")),
    "insights-label-errors": (
        f"view=insights&insights=label-errors&{SHAPES}&set={DETECTOR}",
        lambda page: page.get_by_text("Candidates that the label").first.wait_for(timeout=60_000),
    ),
    "insights-by-metric": (
        f"view=insights&insights=by-metric&{SHAPES}&set={DETECTOR}",
        _text("Which metric hurts"),
    ),
    "insights-calibration": (
        f"view=insights&insights=calibration&{SHAPES}&set={DETECTOR}",
        lambda page: page.locator("figure.reliability").first.wait_for(),
    ),
    "example-modal": (
        f"view=metrics&{SHAPES}&set={DETECTOR}&truth=circle&predicted=circle",
        _example_modal,
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["dark", "light"])
@pytest.mark.parametrize("view", [*VIEWS, "frame"])
def test_every_view_is_legible_in_dark_and_light_mode(
    browser: Any, server: str, api: httpx.Client, view: str, scheme: str
) -> None:
    if view == "frame":
        first = api.get(f"{DATASET_API}/frames", params={"limit": 1}).json()["frames"][0]
        frame_id = first["frame_id"]

        def ready(page: Any) -> None:
            region = page.get_by_role("region", name=f"Frame {frame_id}", exact=True)
            region.locator("img").wait_for(timeout=40_000)
            eventually(lambda: region.locator("img").evaluate("(i) => i.naturalWidth > 0"), True)

        hash_, wait = f"view=frame&{SHAPES}&set={DETECTOR}&frame={frame_id}", ready
    else:
        hash_, wait = VIEWS[view]
    for width in (1440, 1024):
        context, page = _page_in(browser, scheme, width)
        errors: list[str] = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        try:
            page.goto(f"{server}/#{hash_}")
            wait(page)
            _is_legible(page, scheme, f"{scheme}-{view}-{width}", view in FLOATING)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{view} at {width} px overflows by {overflow} px"
        finally:
            context.close()
        assert errors == []


def test_background_corner_is_not_applicable_in_light_and_dark(
    page: Any, server: str, api: httpx.Client
) -> None:
    page.goto(f"{server}/#view=metrics&{SHAPES}&set={DETECTOR}")
    matrix = page.get_by_role("region", name=f"Confusion matrix: {DETECTOR}")
    matrix.locator("button[data-cell]").first.wait_for()
    answer = api.get(
        f"{DATASET_API}/metrics", params={"inference_set": DETECTOR, "include": "confusion_matrix"}
    ).json()["results"][0]["confusion_matrix"]
    labels, counts = answer["labels"], answer["matrix"]
    last = len(labels) - 1
    assert labels[last] == "background"
    corner = matrix.locator(f'button[data-cell="{last},{last}"]')
    for scheme in ("light", "dark"):
        if scheme == "dark":
            page.get_by_role("button", name="Dark mode").click()
            eventually(
                lambda: page.evaluate("document.documentElement.dataset.mantineColorScheme"),
                "dark",
            )
        assert corner.text_content() == ""  # no "0": nothing is counted there
        assert corner.get_attribute("aria-disabled") == "true"
        assert corner.get_attribute("aria-label") == (
            f"truth background, predicted background: {NOT_APPLICABLE}"
        )
        hatch = corner.evaluate("(el) => getComputedStyle(el).backgroundImage")
        assert "repeating-linear-gradient" in hatch
        # The legend's swatch is drawn the same way and says what it is.
        legend = matrix.get_by_label("Color scale")
        swatch = legend.locator(".swatch-hatched")
        assert swatch.evaluate("(el) => getComputedStyle(el).backgroundImage") == hatch
        assert "not applicable (background × background" in (legend.text_content() or "")
        card = _hover_card_text(page, corner)
        assert NOT_APPLICABLE in card and " of " not in card
        before = page.url
        corner.click(force=True)  # aria-disabled: a click does nothing
        page.wait_for_timeout(200)
        assert page.url == before  # nothing selected, no examples asked
        # Every other background cell is a count, equal to the API's.
        shown = matrix_cells(page, f"Confusion matrix: {DETECTOR}")
        for k in range(last):
            assert shown[f"{k},{last}"] == str(counts[k][last])
            assert shown[f"{last},{k}"] == str(counts[last][k])
        shot(page, f"matrix-background-corner-{scheme}")
    # The same in Compare's delta matrix.
    page.goto(f"{server}/#view=compare&{BOTH}")
    delta = page.locator("section.confusion-matrix").first
    delta.locator("button[data-cell]").first.wait_for()
    delta_corner = delta.locator(f'button[data-cell="{last},{last}"]')
    assert delta_corner.text_content() == ""
    assert delta_corner.get_attribute("aria-disabled") == "true"
    page.get_by_role("button", name="Dark mode").click()  # the next test's context starts light


def _hover_card_text(page: Any, button: Any) -> str:
    button.hover()
    card = page.get_by_test_id("matrix-hover-card")
    card.wait_for()
    text: str = card.inner_text()
    return text
