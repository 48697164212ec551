"""The Embeddings tab on the demo projects' real embeddings (the recipe and fixtures of
tests/test_browser.py): the densest cluster of one kind of error is lassoed with the other
categories toggled off in the legend, and the selection must be exactly the points of that
error inside the lasso, as the API's points, colors and elements say; it is added to a new
issue whose elements are read back through the API.

digits: frames placed by UMAP of the demo MLP's hidden layer, colored by outcome ("wrong
class"); shapes: label and prediction crops by UMAP of the crop MLP, colored by confusion
type (its most frequent error).
"""

from __future__ import annotations

import struct
from typing import Any

import httpx
import numpy as np
import pytest

from test_browser import (  # the fixtures are imported so that pytest finds them here
    api,
    browser,
    demo_home,
    eventually,
    page,
    server,
    shot,
)

__all__ = ["api", "browser", "demo_home", "page", "server"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RADIUS = 70.0  # the lasso's radius in CSS pixels
CASES = {
    "digits": (
        "digits",
        "handwritten-digits",
        "logreg-4x4",
        "digits-mlp/hidden",
        "frame",
        "outcome",
        "wrong class",
    ),
    "shapes": (
        "shapes",
        "rendered-scenes",
        "adaptive-cc",
        "shapes-crop-mlp/hidden",
        "crop",
        "confusion",
        None,
    ),
}


def _view(page: Any) -> dict[str, float]:
    data: dict[str, float] = page.evaluate(
        """() => { const w = document.querySelector('[data-testid=embedding-scatter]');
          const r = w.querySelector('canvas').getBoundingClientRect();
          return { cx: +w.dataset.cx, cy: +w.dataset.cy, scale: +w.dataset.scale, width: +w.dataset.width,
                   height: +w.dataset.height, left: r.left, top: r.top }; }"""
    )
    return data


def _screen(view: dict[str, float], xy: np.ndarray) -> np.ndarray:
    x = view["left"] + view["width"] / 2 + (xy[:, 0] - view["cx"]) * view["scale"]
    y = view["top"] + view["height"] / 2 - (xy[:, 1] - view["cy"]) * view["scale"]
    return np.stack([x, y], axis=1)


def _polygon(centre: np.ndarray, radius: float, sides: int = 24) -> np.ndarray:
    angles = np.arange(sides) * 2 * np.pi / sides
    return centre + radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _inside(polygon: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Even-odd rule, as lib/embedding pointInPolygon."""
    inside = np.zeros(len(points), bool)
    x, y = points[:, 0], points[:, 1]
    for (xi, yi), (xj, yj) in zip(polygon, np.roll(polygon, 1, axis=0), strict=True):
        crosses = (yi > y) != (yj > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            edge_x = (xj - xi) * (y - yi) / (yj - yi) + xi
        inside ^= crosses & (x < edge_x)
    return inside


@pytest.mark.parametrize("case", sorted(CASES))
def test_lasso_an_error_cluster_on_the_demo(
    page: Any, server: str, api: httpx.Client, case: str
) -> None:
    project, dataset, inference_set, model, kind, color_by, category = CASES[case]
    base = f"/api/v1/projects/{project}/datasets/{dataset}"
    params = {"embedding": model, "kind": kind, "method": "umap"}
    info = api.get(f"{base}/projection", params=params)
    assert info.status_code == 200, info.text  # the demo build computes its projections
    count = info.json()["count"]
    raw = api.get(f"{base}/projection/points", params=params).content
    xy = np.asarray(struct.unpack(f"<{len(raw) // 4}f", raw), np.float64).reshape(-1, 2)
    elements = api.post(
        f"{base}/projection/elements", params=params, json={"indices": list(range(count))}
    ).json()
    colors = api.get(
        f"{base}/projection/colors",
        params={**params, "color_by": color_by, "inference_set": inference_set},
    ).json()
    codes = np.asarray(colors["codes"])
    present = [c for c in range(len(colors["categories"])) if (codes == c).any()]
    if category is None:  # the most frequent error category
        errors = [
            c for c in present if colors["categories"][c] not in ("TP", "correct", "no errors")
        ]
        target = max(errors, key=lambda c: int((codes == c).sum()))
    else:
        target = colors["categories"].index(category)
    name = colors["categories"][target]

    page.goto(
        f"{server}/#view=embeddings&project={project}&dataset={dataset}&set={inference_set}"
        f"&emb={model}&emb_kind={kind}&color_by={color_by}"
    )
    page.wait_for_selector("[data-testid=embedding-scatter][data-scale]")
    legend = page.locator(".embedding-legend")
    for code in present:  # every other category off: neither drawn nor selected
        if code != target:
            legend.get_by_role("button", name=colors["categories"][code], exact=False).first.click()
    if (codes < 0).any():
        legend.get_by_role("button", name="no value").click()
    eventually(lambda: legend.locator("button[aria-pressed=true]").count(), 1)

    # The densest spot of that error on the screen, the lasso a circle around it inside the canvas.
    view = _view(page)
    screen = _screen(view, xy)
    errors_at = np.flatnonzero(codes == target)
    left, top = view["left"] + RADIUS + 4, view["top"] + RADIUS + 4
    right, bottom = (
        view["left"] + view["width"] - RADIUS - 4,
        view["top"] + view["height"] - RADIUS - 4,
    )
    candidates = [
        i for i in errors_at if left <= screen[i, 0] <= right and top <= screen[i, 1] <= bottom
    ]
    ranked = sorted(
        candidates,
        key=lambda i: -int((np.hypot(*(screen[errors_at] - screen[i]).T) < RADIUS - 3).sum()),
    )
    polygon, expected = None, []
    for centre in ranked:
        distance = np.hypot(*(screen - screen[centre]).T)
        # No point within 2 px of the lasso's edge: inside or outside is not a rounding question.
        clear = [
            r for r in np.arange(RADIUS, RADIUS / 2, -1.5) if np.all(np.abs(distance - r) >= 2)
        ]
        if not clear:
            continue
        polygon = _polygon(screen[centre], clear[0])
        expected = sorted(int(i) for i in errors_at[_inside(polygon, screen[errors_at])])
        if len(expected) >= 2:
            break
    assert polygon is not None and len(expected) >= 2

    page.mouse.move(*polygon[0])
    page.mouse.down()
    for corner in [*polygon[1:], polygon[0]]:
        page.mouse.move(*corner, steps=3)
    page.mouse.up()
    eventually(lambda: page.get_by_test_id("selection-count").text_content(), str(len(expected)))
    breakdown = page.locator(".selection-breakdown label").all_text_contents()
    assert [t.rsplit(" ", 1)[0].strip() for t in breakdown] == [name]

    issue = f"{case} lassoed {name}"
    page.get_by_label("Issue name").fill(issue)
    page.get_by_role("button", name="Add to issue").click()
    page.get_by_text(f"Created issue {issue}").wait_for()
    shot(page, f"embeddings-demo-{case}")
    stored = api.get(f"/api/v1/projects/{project}/issues/{issue}").json()["elements"]
    want = [elements[i] for i in expected]
    assert sorted(
        (e["element_kind"], e["element_id"] or e["frame_id"], e["inference_set"]) for e in stored
    ) == sorted((e["source"], e["id"], e["inference_set"]) for e in want)


def test_a_corpus_without_inference_sets_is_drawn(
    page: Any, server: str, api: httpx.Client
) -> None:
    """The demo's unlabeled digits (frame vectors, no labels, no inference set): the
    Embeddings tab draws them, colored by what needs no model."""
    page.goto(f"{server}/#view=embeddings&project=digits&dataset=unlabeled")
    page.wait_for_selector("[data-testid=embedding-scatter][data-scale]")
    options = (
        page.get_by_label("Color by")
        .locator("option")
        .evaluate_all("(os) => os.map((o) => o.value)")
    )
    assert "class" in options and "outcome" not in options and "f1" not in options
    chosen = page.get_by_label("Color by").input_value()
    base = "/api/v1/projects/digits/datasets/unlabeled/projection"
    colors = api.get(
        f"{base}/colors", params={"kind": "frame", "method": "umap", "color_by": chosen}
    ).json()
    assert page.locator(".legend-definition").text_content() == colors["definition"]
    assert page.get_by_text("has no inference sets yet").count() == 0
    page.get_by_role("button", name="All shown").click()
    count = api.get(base, params={"kind": "frame", "method": "umap"}).json()["count"]
    eventually(lambda: page.get_by_test_id("selection-count").text_content(), str(count))
    shot(page, "embeddings-demo-corpus")
