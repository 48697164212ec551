"""The Embeddings tab in a real browser (Debian's chromium, Playwright, a real `shoal serve`;
the recipe of tests/test_browser.py) on a project built here whose failing frames are known:
frames whose one label the model misses, with frame vectors placed far from the rest. The
test computes a PCA projection from the view (Compute, with progress), lassos the failing
cluster with mouse moves computed from the view's transform, checks the selection is
exactly those frames (against the API's colors and elements), saves it as a segment, adds it
to a new issue and checks both through the API. Screenshots at 1440 and 1024 px, light and
dark (text contrast measured as tests/test_browser_dark.py does) go to test-artifacts/browser/.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pytest
from PIL import Image

import shoal
from shoal.demo._images import write_grayscale_png
from shoal.sdk import LabeledDataset, LabeledFrame
from shoal.server._webapp import WEBAPP_DIR
from shoal.tables import EMBEDDINGS_SCHEMA, InferenceTables
from test_browser import CHROMIUM, CHROMIUM_ARGS, _start, _stop, eventually, shot
from test_browser_dark import _LOW_CONTRAST

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROJECT, DATASET, MODEL, EMBEDDING = "embed", "scenes", "detector", "hidden"
FRAMES = 90
FAILING = [f"f{i:03d}" for i in range(72, 90)]  # the model misses their label
DIMENSION = 8
API = f"/api/v1/projects/{PROJECT}/datasets/{DATASET}"
VIEW = f"#view=embeddings&project={PROJECT}&dataset={DATASET}&set={MODEL}&emb_method=pca"


def _build(home: Path) -> None:
    """Frames f000..f089 with one label each; the model finds every label but those of
    FAILING. Frame vectors and the label crops' vectors of FAILING lie 40 units away along
    one axis; prediction crops lie with the other labels. Metadata side: a (even), b (odd)."""
    rng = np.random.default_rng(14)
    images = home.parent / "images"
    images.mkdir()
    vectors = rng.normal(size=(FRAMES, DIMENSION)).astype(np.float32)
    crops = rng.normal(size=(FRAMES, DIMENSION)).astype(np.float32)
    failing = {int(f[1:]) for f in FAILING}
    dataset = LabeledDataset()
    columns = ("prediction_id", "frame_id", "class_name", "x", "y", "width", "height", "confidence")
    predictions: dict[str, list[Any]] = {k: [] for k in columns}
    prediction_vectors: dict[str, list[Any]] = {
        k: [] for k in ("frame_id", "target_id", "model_id", "vector")
    }
    for i in range(FRAMES):
        frame_id = f"f{i:03d}"
        pixels = np.full((72, 96), 200 if i in failing else 90, np.uint8)
        x, y = 10 + i % 40, 8 + i % 30
        pixels[y : y + 24, x : x + 30] = 30 if i in failing else 240
        write_grayscale_png(pixels, images / f"{frame_id}.png")
        if i in failing:
            vectors[i, 0] += 40.0  # far from the rest along one axis: PCA's first component
            crops[i, 1] += 40.0
        frame = LabeledFrame(frame_id=frame_id)
        frame.add_image(image_url=f"{frame_id}.png", width=96, height=72)
        frame.add_user_metadata("side", "a" if i % 2 == 0 else "b")
        frame.add_label_2d_bbox(
            label_id=f"l{i:03d}", classification="box", top=y, left=x, width=30, height=24
        )
        frame.add_frame_embedding(embedding=vectors[i].tolist(), model_id=EMBEDDING)
        frame.add_crop_embedding(
            label_id=f"l{i:03d}", embedding=crops[i].tolist(), model_id=EMBEDDING
        )
        dataset.add_frame(frame)
        if i not in failing:
            row = (
                f"p{i:03d}",
                frame_id,
                "box",
                float(x),
                float(y),
                30.0,
                24.0,
                0.5 + (i % 10) / 20,
            )
            for key, value in zip(columns, row, strict=True):
                predictions[key].append(value)
            prediction_vectors["frame_id"].append(frame_id)
            prediction_vectors["target_id"].append(f"p{i:03d}")
            prediction_vectors["model_id"].append(EMBEDDING)
            prediction_vectors["vector"].append((crops[i] + 0.1).tolist())
    store = shoal.Store(home)
    project = store.create_project(PROJECT, task="detection", classes=["box"])
    created = project.create_dataset(DATASET, dataset.to_tables(), image_root=images)
    embeddings = pa.table(prediction_vectors, schema=EMBEDDINGS_SCHEMA)
    created.create_inference_set(MODEL, InferenceTables.build(pa.table(predictions), embeddings))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (`make test` installs it)")
    if not (WEBAPP_DIR / "index.html").is_file():
        pytest.skip("the web app is not built (`make test` builds it: npm run build in web/)")
    pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    home = tmp_path_factory.mktemp("embeddings") / "home"
    _build(home)
    process, base = _start(home)
    yield base
    _stop(process)


@pytest.fixture(scope="module")
def api(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _page(
    browser: Any, server: str, width: int, scheme: str = "light", extra: str = ""
) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 1000})
    context.add_init_script(f"localStorage.setItem('shoal.colorScheme', '{scheme}')")
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/{VIEW}{extra}")
    return context, page, errors


def _computed(api: httpx.Client, kind: str) -> None:
    """The PCA projection of `kind`, computed through REST when missing."""
    params = {"kind": kind, "method": "pca"}
    if api.get(f"{API}/projection", params=params).status_code == 200:
        return
    job = api.post(f"{API}/projection", params=params)
    assert job.status_code == 202, job.text
    eventually(lambda: api.get(f"{API}/projection", params=params).status_code, 200, timeout=60)


def _points(api: httpx.Client, kind: str = "frame") -> np.ndarray:
    response = api.get(f"{API}/projection/points", params={"kind": kind, "method": "pca"})
    assert response.status_code == 200, response.text
    flat = struct.unpack(f"<{len(response.content) // 4}f", response.content)
    return np.asarray(flat, np.float64).reshape(-1, 2)


def _view(page: Any) -> dict[str, float]:
    data: dict[str, float] = page.evaluate(
        """() => { const w = document.querySelector('[data-testid=embedding-scatter]');
          const r = w.querySelector('canvas').getBoundingClientRect();
          return { cx: +w.dataset.cx, cy: +w.dataset.cy, scale: +w.dataset.scale, width: +w.dataset.width,
                   height: +w.dataset.height, left: r.left, top: r.top }; }"""
    )
    return data


def _to_page(view: dict[str, float], x: float, y: float) -> tuple[float, float]:
    """Data coordinates -> page pixels (EmbeddingScatter's transform: y up)."""
    return (
        view["left"] + view["width"] / 2 + (x - view["cx"]) * view["scale"],
        view["top"] + view["height"] / 2 - (y - view["cy"]) * view["scale"],
    )


def _lasso(page: Any, corners: list[tuple[float, float]]) -> None:
    page.mouse.move(*corners[0])
    page.mouse.down()
    for corner in [*corners[1:], corners[0]]:
        page.mouse.move(*corner, steps=6)
    page.mouse.up()


def _around(view: dict[str, float], xy: np.ndarray, pad: float = 14.0) -> list[tuple[float, float]]:
    """An octagon around the points (page pixels), `pad` pixels out."""
    screen = np.array([_to_page(view, x, y) for x, y in xy])
    (x0, y0), (x1, y1) = screen.min(axis=0) - pad, screen.max(axis=0) + pad
    c = pad
    return [
        (x0 + c, y0),
        (x1 - c, y0),
        (x1, y0 + c),
        (x1, y1 - c),
        (x1 - c, y1),
        (x0 + c, y1),
        (x0, y1 - c),
        (x0, y0 + c),
    ]


def _inside(polygon: list[tuple[float, float]], point: tuple[float, float]) -> bool:
    x, y = point
    inside = False
    for (xi, yi), (xj, yj) in zip(polygon, polygon[-1:] + polygon[:-1], strict=True):
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
    return inside


def _low_contrast(page: Any) -> list[Any]:
    found: list[Any] = page.evaluate(_LOW_CONTRAST)
    return found


def test_lasso_the_failing_cluster_into_a_segment_and_an_issue(
    browser: Any, server: str, api: httpx.Client
) -> None:
    context, page, errors = _page(browser, server, 1440)
    try:
        # No projection yet: the view offers to compute it and shows the job's progress.
        page.get_by_role("button", name="Compute").click()
        page.wait_for_selector("[data-testid=embedding-scatter][data-scale]")
        info = api.get(f"{API}/projection", params={"kind": "frame", "method": "pca"}).json()
        assert info["count"] == FRAMES and info["method"] == "pca" and info["model"] == EMBEDDING

        # Which point is which frame, and which the API calls failing ("FN only" by outcome).
        xy = _points(api)
        elements = api.post(f"{API}/projection/elements", params={"kind": "frame", "method": "pca"},
                            json={"indices": list(range(FRAMES))}).json()  # fmt: skip
        frame_of = [e["frame_id"] for e in elements]
        colors = api.get(
            f"{API}/projection/colors",
            params={
                "kind": "frame",
                "method": "pca",
                "color_by": "outcome",
                "inference_set": MODEL,
            },
        ).json()
        fn_only = colors["categories"].index("FN only")
        failing = sorted(i for i, code in enumerate(colors["codes"]) if code == fn_only)
        assert sorted(frame_of[i] for i in failing) == FAILING

        # Lasso the cluster: a polygon around the failing points that holds no other point.
        view = _view(page)
        polygon = _around(view, xy[failing])
        assert [i for i in range(FRAMES) if _inside(polygon, _to_page(view, *xy[i]))] == failing
        _lasso(page, polygon)
        eventually(lambda: page.get_by_test_id("selection-count").text_content(), str(len(FAILING)))
        # The breakdown by the current colors names only "FN only".
        breakdown = page.locator(".selection-breakdown label").all_text_contents()
        assert [t.split()[0:2] for t in breakdown] == [["FN", "only"]]
        shot(page, "embeddings-lasso-1440")

        # The gallery lists exactly the selected frames.
        page.get_by_role("button", name="Open gallery").click()
        captions = page.locator(".selection-gallery figcaption")
        eventually(lambda: captions.count(), len(FAILING))
        assert sorted(c.removeprefix("frame ") for c in captions.all_text_contents()) == FAILING
        page.wait_for_function(
            "() => [...document.querySelectorAll('.selection-gallery img')].every((i) => i.complete && i.naturalWidth > 0)"
        )
        # Each frame shows its label (solid) and no prediction: the model missed them all.
        assert page.locator(".selection-gallery rect.label").count() == len(FAILING)
        assert page.locator(".selection-gallery rect.prediction").count() == 0
        shot(page, "embeddings-gallery-1440")

        # Saved as a segment: its frames, read back through the API, are the failing ones.
        page.get_by_label("Segment name").fill("lassoed misses")
        page.get_by_role("button", name="Save as segment").click()
        page.get_by_text("Saved segment lassoed misses").wait_for()
        frames = api.get(
            f"{API}/frames", params={"segment": "lassoed misses", "limit": 1000}
        ).json()
        assert sorted(f["frame_id"] for f in frames["frames"]) == FAILING

        # Added to a new issue: its elements are those frames, as frame elements.
        page.get_by_label("Issue name").fill("missed boxes")
        page.get_by_role("button", name="Add to issue").click()
        page.get_by_text("Created issue missed boxes").wait_for()
        issue = api.get(f"/api/v1/projects/{PROJECT}/issues/missed boxes").json()
        assert sorted(e["frame_id"] for e in issue["elements"]) == FAILING
        assert {(e["element_kind"], e["dataset"]) for e in issue["elements"]} == {
            ("frame", DATASET)
        }

        # "All shown" selects every point drawn: with "no errors" toggled off, the failing frames.
        page.get_by_role("button", name="Clear selection").click()
        page.locator(".embedding-legend button", has_text="no errors").click()
        page.get_by_role("button", name="All shown").click()
        eventually(lambda: page.get_by_test_id("selection-count").text_content(), str(len(FAILING)))
        page.locator(".embedding-legend button", has_text="no errors").click()

        # The legend's toggle hides a category: its points are neither drawn nor selected.
        page.locator(".embedding-legend button", has_text="FN only").click()
        eventually(
            lambda: (
                page.get_by_text("Draw a lasso or a box").count()
                + page.get_by_text("No shown point").count()
            ),
            1,
        )
        page.locator(".embedding-legend button", has_text="FN only").click()

        # Hovering a point previews its frame.
        view = _view(page)
        target = failing[0]
        page.mouse.move(*_to_page(view, *xy[target]))
        page.get_by_role("tooltip").get_by_text(f"frame {frame_of[target]}", exact=True).wait_for()
        shot(page, "embeddings-hover-1440")
        # A click selects that point; Shift+click adds another, and again removes it.
        page.mouse.click(*_to_page(view, *xy[target]))
        eventually(lambda: page.get_by_test_id("selection-count").text_content(), "1")
        other = _to_page(view, *xy[failing[-1]])
        page.keyboard.down("Shift")
        page.mouse.click(*other)
        eventually(lambda: page.get_by_test_id("selection-count").text_content(), "2")
        page.mouse.click(*other)
        eventually(lambda: page.get_by_test_id("selection-count").text_content(), "1")
        page.keyboard.up("Shift")
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1440, 1024])
def test_embedding_view_layout_and_contrast(
    browser: Any, server: str, api: httpx.Client, width: int, scheme: str
) -> None:
    _computed(api, "frame")
    context, page, errors = _page(browser, server, width, scheme)
    try:
        page.wait_for_selector("[data-testid=embedding-scatter][data-scale]")
        # Continuous colors: frame F1 with its ramp legend and definition.
        page.get_by_label("Color by").select_option("f1")
        page.locator(".ramp-bar").wait_for()
        definition = api.get(
            f"{API}/projection/colors",
            params={"kind": "frame", "method": "pca", "color_by": "f1", "inference_set": MODEL},
        ).json()
        assert page.locator(".legend-definition").text_content() == definition["definition"]
        view = _view(page)
        xy = _points(api)
        _lasso(page, _around(view, xy[: FRAMES // 3], pad=10))
        page.get_by_test_id("selection-count").wait_for()
        box = page.get_by_test_id("embedding-scatter").bounding_box()
        assert box["x"] + box["width"] <= width  # the scatter fits beside the side panel
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the view overflows by {overflow} px at {width} px"
        # The gallery and a hover card are legible too.
        page.get_by_role("button", name="Open gallery").click()
        page.wait_for_function(
            "() => { const imgs = [...document.querySelectorAll('.selection-gallery img')];"
            " return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0); }"
        )
        page.mouse.move(*_to_page(_view(page), *xy[0]))
        page.get_by_role("tooltip").get_by_text("frame f000", exact=True).wait_for()
        shot(page, f"embeddings-{scheme}-{width}")
        assert _low_contrast(page) == []
        assert errors == []
    finally:
        context.close()


def test_lasso_missed_label_crops_into_an_existing_issue(
    browser: Any, server: str, api: httpx.Client
) -> None:
    _computed(api, "crop")
    created = api.post(f"/api/v1/projects/{PROJECT}/issues", json={"name": "crop misses"})
    assert created.status_code == 201, created.text
    context, page, errors = _page(browser, server, 1440, extra="&emb_kind=crop&color_by=confusion")
    try:
        page.wait_for_selector("[data-testid=embedding-scatter][data-scale]")
        params = {"kind": "crop", "method": "pca"}
        xy = _points(api, "crop")
        count = len(xy)
        elements = api.post(
            f"{API}/projection/elements", params=params, json={"indices": list(range(count))}
        ).json()
        colors = api.get(
            f"{API}/projection/colors",
            params={**params, "color_by": "confusion", "inference_set": MODEL},
        ).json()
        missed = colors["categories"].index("FN (missed)")
        failing = sorted(i for i, code in enumerate(colors["codes"]) if code == missed)
        # The missed crops are exactly the failing frames' labels.
        assert sorted((elements[i]["source"], elements[i]["frame_id"]) for i in failing) == [
            ("label", f) for f in FAILING
        ]
        # A box around every crop, narrowed to the missed ones by the breakdown's checkboxes.
        page.get_by_role("button", name="Box", exact=True).click()
        view = _view(page)
        corners = _around(view, xy, pad=8)
        (x0, y0), (x1, y1) = corners[7], corners[3]
        page.mouse.move(x0, y0 - 8)
        page.mouse.down()
        page.mouse.move(x1, y1 + 8, steps=8)
        page.mouse.up()
        eventually(lambda: page.get_by_test_id("selection-count").text_content(), str(count))
        breakdown = page.locator(".selection-breakdown label")
        names = [t.rsplit(" ", 1)[0].strip() for t in breakdown.all_text_contents()]
        assert "FN (missed)" in names and "TP" in names
        for label in breakdown.all():
            if not label.text_content().strip().startswith("FN (missed)"):
                label.get_by_role("checkbox").uncheck()
        page.get_by_role("button", name="Keep checked only").click()
        eventually(lambda: page.get_by_test_id("selection-count").text_content(), str(len(FAILING)))
        page.get_by_role("button", name="Clear selection").click()

        # Zoomed in on the missed crops with the wheel, then lassoed.
        page.get_by_role("button", name="Lasso", exact=True).click()
        centre = np.mean([_to_page(view, *xy[i]) for i in failing], axis=0)
        page.mouse.move(*centre)
        page.mouse.wheel(0, -300)
        eventually(lambda: _view(page)["scale"] > view["scale"] * 1.2, True)
        view = _view(page)
        polygon = _around(view, xy[failing])
        assert [i for i in range(count) if _inside(polygon, _to_page(view, *xy[i]))] == failing
        _lasso(page, polygon)
        eventually(lambda: page.get_by_test_id("selection-count").text_content(), str(len(FAILING)))
        page.get_by_role("button", name="Open gallery").click()
        crops = page.locator(".selection-gallery rect.label.emphasized")
        eventually(lambda: crops.count(), len(FAILING))  # each crop's box drawn on its frame
        page.get_by_label("Issue to add to").select_option("crop misses")
        page.get_by_role("button", name="Add to issue").click()
        page.get_by_text(f"Added {len(FAILING)} elements to issue crop misses").wait_for()
        issue = api.get(f"/api/v1/projects/{PROJECT}/issues/crop misses").json()
        assert sorted(
            (e["element_kind"], e["element_id"], e["frame_id"]) for e in issue["elements"]
        ) == [("label", f"l{f[1:]}", f) for f in FAILING]
        # Added again: every element is already in it.
        page.get_by_role("button", name="Add to issue").click()
        page.get_by_text(
            f"Added 0 elements to issue crop misses ({len(FAILING)} already in it)"
        ).wait_for()
        # Opacity by confidence: the predictions' confidences fetched, the legend says so.
        with page.expect_response(lambda r: "color_by=confidence" in r.url) as answer:
            page.get_by_label("Opacity by confidence").check()
        assert answer.value.status == 200
        page.locator(".embedding-legend").get_by_text("Opacity: confidence").wait_for()
        shot(page, "embeddings-crops-1440")
        assert errors == []
    finally:
        context.close()


def test_the_query_bar_dims_points_outside_it_and_they_are_not_selected(
    browser: Any, server: str, api: httpx.Client
) -> None:
    _computed(api, "frame")
    query = "side = 'a'"
    context, page, errors = _page(browser, server, 1440, extra=f"&query={query}")
    try:
        page.wait_for_selector("[data-testid=embedding-scatter][data-scale]")
        params = {"kind": "frame", "method": "pca"}
        colors = api.get(
            f"{API}/projection/colors",
            params={**params, "color_by": "outcome", "inference_set": MODEL, "query": query},
        ).json()
        outside = colors["in_scope"].count(False)
        assert outside == FRAMES // 2
        page.get_by_text(f"{outside} points outside the segment / query: dimmed").wait_for()
        xy = _points(api)
        fn_only = colors["categories"].index("FN only")
        failing = [i for i, code in enumerate(colors["codes"]) if code == fn_only]
        in_scope = [i for i in failing if colors["in_scope"][i]]
        assert 0 < len(in_scope) < len(failing)
        around = _around(_view(page), xy[failing])
        _lasso(page, around)
        count = page.get_by_test_id("selection-count")
        eventually(lambda: count.text_content(), str(len(in_scope)))
        # Shift adds a shape's points to the selection (none new here), Alt takes them out.
        page.keyboard.down("Shift")
        _lasso(page, around)
        page.keyboard.up("Shift")
        eventually(lambda: count.text_content(), str(len(in_scope)))
        page.keyboard.down("Alt")
        _lasso(page, around)
        page.keyboard.up("Alt")
        page.get_by_text("No shown point inside the shape.").wait_for()
        _lasso(page, around)
        eventually(lambda: count.text_content(), str(len(in_scope)))
        # Hidden instead of dimmed: the same selection rule, the legend says so.
        page.get_by_label("Outside segment / query").select_option("hide")
        page.get_by_text(f"{outside} points outside the segment / query: hidden").wait_for()
        shot(page, "embeddings-query-1440")
        assert errors == []
    finally:
        context.close()


def test_the_scatter_draws_again_after_a_lost_webgl_context(
    browser: Any, server: str, api: httpx.Client
) -> None:
    _computed(api, "frame")
    context, page, errors = _page(browser, server, 1440)
    try:
        scatter = page.get_by_test_id("embedding-scatter")
        page.wait_for_selector("[data-testid=embedding-scatter][data-scale]")
        renders = int(scatter.get_attribute("data-renders") or 0)
        # A GPU reset, as WEBGL_lose_context simulates it: lost, then restored.
        page.evaluate(
            """() => new Promise((resolve) => {
              const canvas = document.querySelector('[data-testid=embedding-scatter] canvas');
              const lose = canvas.getContext('webgl2').getExtension('WEBGL_lose_context');
              canvas.addEventListener('webglcontextlost', () => setTimeout(() => lose.restoreContext(), 50), { once: true });
              canvas.addEventListener('webglcontextrestored', () => setTimeout(resolve, 50), { once: true });
              lose.loseContext();
            })"""
        )
        eventually(lambda: int(scatter.get_attribute("data-renders") or 0) > renders, True)
        # Drawn and selectable as before.
        colors = api.get(
            f"{API}/projection/colors",
            params={
                "kind": "frame",
                "method": "pca",
                "color_by": "outcome",
                "inference_set": MODEL,
            },
        ).json()
        fn_only = colors["categories"].index("FN only")
        failing = [i for i, code in enumerate(colors["codes"]) if code == fn_only]
        _lasso(page, _around(_view(page), _points(api)[failing]))
        eventually(lambda: page.get_by_test_id("selection-count").text_content(), str(len(FAILING)))
        # Points on the canvas (its screenshot), not a blank context.
        image = Image.open(io.BytesIO(scatter.locator("canvas").screenshot())).convert("RGB")
        drawn = np.asarray(image).min(axis=2) < 200
        assert drawn.sum() > 50
        assert errors == []
    finally:
        context.close()
