"""The web app in a real browser: Debian's chromium, driven by Playwright, over a real
`shoal serve` on the demo projects. Every number the app shows is checked against the
REST API's answer for the same question. Screenshots go to test-artifacts/browser/.

`make test` installs chromium and builds the app; run alone, these tests skip (saying
why) where either is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

import shoal
from shoal.demo import build_demo_projects
from shoal.demo.synthetic import generate_coco
from shoal.server._webapp import WEBAPP_DIR

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHAPES = "project=shapes&dataset=rendered-scenes"
DETECTOR, OTHER_DETECTOR = "adaptive-cc", "threshold-cc"
DATASET_API = "/api/v1/projects/shapes/datasets/rendered-scenes"
FRAMES_PAGE = 50  # the segment details' page (web/src/views/ScenariosView.tsx)
T = TypeVar("T")


# ------------------------------------------------------------------ fixtures
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _add_many_class_project(store: shoal.Store) -> None:
    """A COCO-like project with 80 classes (no images): the many-class layout."""
    ground_truth, results = generate_coco(60, seed=3)
    project = store.create_project(
        "many", task="detection", classes=[c["name"] for c in ground_truth["categories"]]
    )
    dataset = project.create_dataset("coco-like", shoal.from_coco(ground_truth))
    dataset.create_inference_set("model", shoal.from_coco_results(results, dataset.tables()))


def _start(home: Path, *flags: str) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shoal.cli._serve",
            "--home",
            str(home),
            "--port",
            str(port),
            *flags,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SHOAL_API_KEYS": ""},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/", timeout=2)
            return process, base
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"shoal serve did not start: {process.stderr.read()}")  # type: ignore[union-attr]
            time.sleep(0.1)


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (`make test` installs it)")
    if not (WEBAPP_DIR / "index.html").is_file():
        pytest.skip("the web app is not built (`make test` builds it: npm run build in web/)")
    pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    home = tmp_path_factory.mktemp("browser-home")
    store = shoal.Store(home)
    build_demo_projects(store, scale=0.2)
    _add_many_class_project(store)
    return home


@pytest.fixture(scope="module")
def server(demo_home: Path) -> Iterator[str]:
    process, base = _start(demo_home)
    yield base
    _stop(process)


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="module")
def api(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as client:
        yield client


# ------------------------------------------------------------------- helpers
def eventually(read: Callable[[], T], expected: T, timeout: float = 15.0) -> None:
    """Poll ``read()`` until it equals ``expected`` (the app fetches asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if value == expected:
            return
        if time.monotonic() > deadline:
            assert value == expected
        time.sleep(0.05)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def indexed_rows(page: Any, caption: str) -> dict[int, list[str]]:
    """``{aria-rowindex: cell texts}`` of the body rows rendered (a windowed table renders
    the rows in view only)."""
    rows: list[list[Any]] = page.evaluate(
        """(caption) => {
          const table = [...document.querySelectorAll("table")].find(
            (t) => t.caption && t.caption.textContent.trim() === caption);
          if (!table) return [];
          return [...table.tBodies[0].rows].filter((r) => r.hasAttribute("aria-rowindex")).map(
            (r) => [Number(r.getAttribute("aria-rowindex")), [...r.cells].map((c) => c.textContent.trim())]);
        }""",
        caption,
    )
    return {index: cells for index, cells in rows}


def table_rows(page: Any, caption: str) -> list[list[str]]:
    """The body rows' cell texts of the table with this caption ([] when absent)."""
    rows: list[list[str]] = page.evaluate(
        """(caption) => {
          const table = [...document.querySelectorAll("table")].find(
            (t) => t.caption && t.caption.textContent.trim() === caption);
          if (!table) return [];
          return [...table.tBodies].flatMap((b) => [...b.rows]).map(
            (r) => [...r.cells].map((c) => c.textContent.trim()));
        }""",
        caption,
    )
    return rows


def matrix_cells(page: Any, name: str) -> dict[str, str]:
    """``{"i,j": text}`` of the grid's cell buttons inside the matrix section ``name``."""
    cells: dict[str, str] = page.evaluate(
        """(name) => {
          const section = document.querySelector(`section[aria-label="${name}"]`);
          if (!section) return {};
          return Object.fromEntries([...section.querySelectorAll("button[data-cell]")].map(
            (b) => [b.dataset.cell, b.textContent.trim()]));
        }""",
        name,
    )
    return cells


def hover_text(button: Any) -> str:
    """A matrix cell's share line, as its accessible name and hover card give it."""
    label: str = button.get_attribute("aria-label") or ""
    return label.split(": ", 1)[1]


def hover_card(page: Any, button: Any) -> str:
    """The text of the card shown when the pointer rests on a matrix cell."""
    button.hover()
    card = page.get_by_test_id("matrix-hover-card")
    card.wait_for()
    # One "name: value" line per row of the card.
    cells: list[str] = card.locator("dt, dd").all_inner_texts()
    return "\n".join(
        f"{name}: {value}" for name, value in zip(cells[::2], cells[1::2], strict=True)
    )


def fixed(value: float, digits: int) -> str:
    """JavaScript's ``toFixed``: the exact binary value, ties away from zero (Python's
    format rounds exact ties to even: 0.5625 is "0.562" there, "0.563" in the app)."""
    exact = Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{exact:.{digits}f}"


def score(value: float) -> str:
    return fixed(value, 3)


def percent(count: int, total: int) -> str:
    return f"{fixed(100 * count / total, 1)}%"


def metrics(api: httpx.Client, **params: Any) -> dict[str, Any]:
    params.setdefault("inference_set", DETECTOR)
    answer = api.get(f"{DATASET_API}/metrics", params=params)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()["results"][0]
    return result


def expected_report_rows(report: dict[str, Any]) -> list[list[str]]:
    """The report table's class rows as the app prints them (3 digits, '-' for no AP)."""
    rows = []
    for row in report["classes"]:
        cells = [row["label"], *(score(row[k]) for k in ("precision", "recall", "f1-score"))]
        cells += [str(row[k]) for k in ("support", "tp", "fp", "fn")]
        if row["ap"] is not None:  # the AP column is there when the report has AP
            cells.append("-" if row["ap"] < 0 else score(row["ap"]))
        rows.append(cells)
    return rows


def class_rows(page: Any, caption: str) -> list[list[str]]:
    averages = ("micro avg", "macro avg", "weighted avg", "accuracy")
    return [row for row in table_rows(page, caption) if row and row[0] not in averages]


def expected_cells(matrix: dict[str, Any]) -> dict[str, str]:
    """The grid's cell texts: the counts, and background x background, which is not
    applicable (nothing is counted there), empty."""
    corner = len(matrix["labels"]) - 1 if matrix["labels"][-1] == "background" else -1
    return {
        f"{i},{j}": "" if i == j == corner else str(count)
        for i, row in enumerate(matrix["matrix"])
        for j, count in enumerate(row)
    }


def is_background_corner(cell: dict[str, Any]) -> bool:
    """A comparison's background x background cell, drawn not applicable."""
    return bool(cell["truth"] == cell["predicted"] == "background")


def open_metrics(page: Any, server: str, hash_: str = "") -> None:
    page.goto(f"{server}/#view=metrics&{SHAPES}&set={DETECTOR}{hash_}")
    page.get_by_role("table", name=f"Classification report: {DETECTOR}").wait_for()


# --------------------------------------------------------------------- tests
def test_the_server_serves_the_app_and_its_assets(server: str, api: httpx.Client) -> None:
    index = api.get("/")
    assert index.status_code == 200 and index.headers["cache-control"] == "no-cache"
    assert '<div id="root">' in index.text
    asset = next((WEBAPP_DIR / "assets").glob("*.js")).name
    answer = api.get(f"/assets/{asset}")
    assert answer.status_code == 200 and "immutable" in answer.headers["cache-control"]
    missing = api.get("/assets/nothing-here.js")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_metrics_view_shows_the_apis_report_matrix_and_coco_summary(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_metrics(page, server)
    expected = metrics(api, conf=0.1, iou=0.5, include=["report", "confusion_matrix"])
    report_caption = f"Classification report: {DETECTOR}"
    eventually(lambda: class_rows(page, report_caption), expected_report_rows(expected["report"]))
    matrix_name = f"Confusion matrix: {DETECTOR}"
    eventually(
        lambda: matrix_cells(page, matrix_name), expected_cells(expected["confusion_matrix"])
    )
    coco = metrics(api, iou=0.5, include=["coco_summary"])["coco_summary"]
    summary = page.get_by_label("COCO summary")
    eventually(lambda: summary.locator("dd").first.text_content(), score(coco["AP"]))
    curve = page.get_by_role("img", name="Precision-recall curve for all", exact=False)
    curve.wait_for()  # its chunk and the curves come after the numbers
    assert page.get_by_test_id("operating-point").count() == 1
    assert page.get_by_test_id("best-point").count() == 1
    shot(page, "metrics")


def test_sliders_and_per_class_overrides_recompute_the_numbers(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_metrics(page, server)
    report_caption = f"Classification report: {DETECTOR}"
    matrix_name = f"Confusion matrix: {DETECTOR}"
    slider = page.get_by_role("slider", name="Confidence")
    slider.focus()
    for _ in range(25):  # 0.10 -> 0.35, one step of 0.01 a key, each a new query
        page.keyboard.press("ArrowRight")
    at_35 = metrics(api, conf=0.35, iou=0.5, include=["report", "confusion_matrix"])
    eventually(lambda: class_rows(page, report_caption), expected_report_rows(at_35["report"]))
    eventually(lambda: matrix_cells(page, matrix_name), expected_cells(at_35["confusion_matrix"]))
    assert "conf=0.35" in page.url

    page.get_by_role("slider", name="IoU").focus()
    page.keyboard.press("ArrowRight")  # the IoU grid's next value
    at_55 = metrics(api, conf=0.35, iou=0.55, include=["report", "confusion_matrix"])
    eventually(lambda: class_rows(page, report_caption), expected_report_rows(at_55["report"]))
    eventually(lambda: matrix_cells(page, matrix_name), expected_cells(at_55["confusion_matrix"]))

    page.get_by_label("Class to override").select_option("circle")
    page.get_by_role("button", name="Add override").click()
    override = page.locator(".threshold-sliders li").filter(has_text="circle").locator("input")
    override.fill("0.8")
    override.press("Enter")
    per_class = metrics(
        api, conf='{"circle": 0.8, "square": 0.35, "triangle": 0.35, "cross": 0.35}', iou=0.55
    )
    eventually(lambda: class_rows(page, report_caption), expected_report_rows(per_class["report"]))
    shot(page, "metrics-thresholds")

    page.get_by_role("button", name="Reset to project defaults").click()
    default = metrics(api, conf=0.1, iou=0.5)
    eventually(lambda: class_rows(page, report_caption), expected_report_rows(default["report"]))


def test_matrix_toggles_show_shares_with_their_denominators(page: Any, server: str) -> None:
    open_metrics(page, server)
    matrix = page.get_by_role("region", name=f"Confusion matrix: {DETECTOR}")
    first = matrix.locator('button[data-cell="0,0"]')
    count = int(first.text_content() or "")
    row_total = sum(
        int(matrix.locator(f'button[data-cell="0,{j}"]').text_content() or "") for j in range(5)
    )
    column_total = sum(
        int(matrix.locator(f'button[data-cell="{i},0"]').text_content() or "") for i in range(5)
    )
    assert hover_text(first) == f"{count} of {row_total} ({percent(count, row_total)})"
    assert first.get_attribute("title") is None  # a hover card, not a native tooltip
    page.get_by_test_id(
        "pr-caption"
    ).wait_for()  # the page settled: the curve came after the numbers
    card = hover_card(page, first)
    assert "Ground truth: circle\nPredicted: circle" in card
    assert f"Count: {count}" in card and f"Denominator: {row_total}: its row's total" in card

    matrix.get_by_role("button", name="Percentage").click()
    eventually(lambda: first.text_content(), percent(count, row_total))
    matrix.get_by_role("button", name="Column").click()
    eventually(lambda: first.text_content(), percent(count, column_total))
    assert hover_text(first) == f"{count} of {column_total} ({percent(count, column_total)})"

    # FN: every ground truth not found as its own class, i.e. each class row off the diagonal.
    matrix.get_by_role("button", name="FN", exact=True).click()
    lit = matrix.locator("td[data-highlighted] button")
    expected_lit = sorted(f"{i},{j}" for i in range(4) for j in range(5) if i != j)
    eventually(
        lambda: sorted(lit.evaluate_all("(bs) => bs.map((b) => b.dataset.cell)")), expected_lit
    )
    shot(page, "metrics-matrix-toggles")


def test_a_cell_lists_its_examples_and_an_example_opens_its_frame(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_metrics(page, server)
    matrix = page.get_by_role("region", name=f"Confusion matrix: {DETECTOR}")
    matrix.locator('button[data-cell="0,4"]').click()  # circle -> background: missed circles
    grid = page.get_by_role("region", name="circle → background")
    expected = api.get(
        f"{DATASET_API}/inference-sets/{DETECTOR}/examples",
        params={"truth": "circle", "predicted": "background", "conf": 0.1, "iou": 0.5,
                "sort": "confidence", "order": "desc", "offset": 0, "limit": 12},
    ).json()  # fmt: skip
    total = expected["total"]
    assert total == int(matrix.locator('button[data-cell="0,4"]').text_content() or "")
    eventually(lambda: grid.get_by_role("navigation", name="Pages").text_content(),
               f"Previous1–{min(12, total)} of {total} (page 1 of {-(-total // 12)})Next")  # fmt: skip

    def shown() -> list[str]:
        labels: list[str] = grid.locator("button.thumbnail").evaluate_all(
            "(buttons) => buttons.map((b) => b.getAttribute('aria-label'))"
        )
        return labels

    eventually(
        shown,
        [f"Open frame {e['frame_id']}: circle FN · {e['reason']}" for e in expected["examples"]],
    )
    shot(page, "metrics-examples")

    if total > 12:
        grid.get_by_role("button", name="Next").click()
        second = api.get(
            f"{DATASET_API}/inference-sets/{DETECTOR}/examples",
            params={"truth": "circle", "predicted": "background", "conf": 0.1, "iou": 0.5,
                    "sort": "confidence", "order": "desc", "offset": 12, "limit": 12},
        ).json()  # fmt: skip
        eventually(
            shown,
            [f"Open frame {e['frame_id']}: circle FN · {e['reason']}" for e in second["examples"]],
        )

    first = expected["examples"][0] if total <= 12 else second["examples"][0]
    grid.locator("button.thumbnail").first.click()
    frame = page.get_by_role("region", name=f"Frame {first['frame_id']}")
    frame.wait_for()
    detail = api.get(
        f"{DATASET_API}/inference-sets/{DETECTOR}/examples",
        params={"frame_id": first["frame_id"], "conf": 0.1, "iou": 0.5, "limit": 1000},
    ).json()["examples"]
    rows = table_rows(page, f"Objects in frame {first['frame_id']}")
    outcomes = sorted((row[1], row[2], row[3].replace(" ", "_")) for row in rows)
    assert outcomes == sorted((e["label"], e["outcome"], e["reason"] or "-") for e in detail)
    frame.get_by_role("button", name="Predictions").click()
    assert frame.get_by_role("button", name="Predictions").get_attribute("aria-pressed") == "false"
    shot(page, "frame")


def test_scenarios_cards_follow_threshold_edits(page: Any, server: str, api: httpx.Client) -> None:
    page.goto(f"{server}/#view=scenarios&{SHAPES}&set={DETECTOR}")
    for group in ("Splits", "Regression Tests", "Scenarios"):
        page.get_by_role("heading", name=group, exact=True).wait_for()
    results = api.get(f"{DATASET_API}/inference-sets/{DETECTOR}/regression").json()
    cards = page.locator("article.scenario-card")
    eventually(lambda: cards.count(), len(results))
    card = page.get_by_role("article", name="test regression")
    regression = next(r for r in results if r["segment_name"] == "test regression")
    precision = card.locator("tbody tr").first.locator("td").first
    eventually(
        lambda: precision.text_content(), f"{score(regression['precision']['score'])} (pass) ✓"
    )
    shot(page, "scenarios")
    metric = card.locator("tbody th abbr").first
    assert metric.text_content() == "Precision"
    assert "micro average" in (metric.get_attribute("title") or "")
    for width in (1440, 1024):
        page.set_viewport_size({"width": width, "height": 1000})
        shot(page, f"scenarios-{width}")
    page.set_viewport_size({"width": 1400, "height": 1000})

    card.get_by_role("button", name="Edit thresholds").click()
    threshold = card.get_by_label("Precision threshold")
    threshold.fill("0.99")
    threshold.press("Enter")
    eventually(lambda: precision.get_attribute("data-verdict"), "fail")
    eventually(lambda: "verdict-fail" in (card.get_attribute("class") or ""), True)
    # The card's verdict follows at once; the PATCH lands a moment later.
    eventually(
        lambda: api.get(f"{DATASET_API}/segments/test regression").json()["thresholds"][
            "precision"
        ],
        0.99,
    )
    shot(page, "scenarios-failing")

    threshold.fill("0.01")
    threshold.press("Enter")
    eventually(lambda: precision.get_attribute("data-verdict"), "pass")
    eventually(
        lambda: api.get(f"{DATASET_API}/segments/test regression").json()["thresholds"][
            "precision"
        ],
        0.01,
    )
    threshold.fill(str(regression["precision"]["threshold"]))
    threshold.press("Enter")
    eventually(
        lambda: api.get(f"{DATASET_API}/segments/test regression").json()["thresholds"][
            "precision"
        ],
        regression["precision"]["threshold"],
    )

    # All Frames takes thresholds like any split (blank removes one again).
    everything = page.get_by_role("article", name="All Frames")
    everything.get_by_role("button", name="Edit thresholds").click()
    recall = everything.get_by_label("Recall threshold")

    def stored_recall() -> Any:
        return api.get(f"{DATASET_API}/segments/All Frames").json()["thresholds"]["recall"]

    recall.fill("0.99")
    recall.press("Enter")
    eventually(stored_recall, 0.99)
    eventually(lambda: "verdict-fail" in (everything.get_attribute("class") or ""), True)
    recall.fill("")
    recall.press("Enter")
    eventually(stored_recall, None)
    eventually(lambda: "verdict-none" in (everything.get_attribute("class") or ""), True)


def test_a_card_opens_the_metrics_of_its_frames(page: Any, server: str, api: httpx.Client) -> None:
    page.goto(f"{server}/#view=scenarios&{SHAPES}&set={DETECTOR}")
    page.get_by_role("article", name="cluttered").get_by_role("button", name="cluttered").click()
    page.get_by_role("table", name=f"Classification report: {DETECTOR}").wait_for()
    assert "segment=cluttered" in page.url
    expected = metrics(api, conf=0.1, iou=0.5, segment="cluttered")
    eventually(
        lambda: class_rows(page, f"Classification report: {DETECTOR}"),
        expected_report_rows(expected["report"]),
    )


def test_compare_shows_the_apis_delta_cells_and_summary(
    page: Any, server: str, api: httpx.Client
) -> None:
    page.goto(f"{server}/#view=compare&{SHAPES}&set={OTHER_DETECTOR}")
    page.get_by_label("Compare with").select_option(DETECTOR)
    comparison = api.get(
        f"{DATASET_API}/compare", params={"base": OTHER_DETECTOR, "other": DETECTOR}
    ).json()
    summary = page.get_by_role("list", name="Summary")
    eventually(lambda: summary.locator("li").all_text_contents(), comparison["summary"])
    labels = comparison["confusion_matrix"]["labels"]
    for cell in comparison["cells"]:
        i, j = labels.index(cell["truth"]), labels.index(cell["predicted"])
        button = page.locator(f'button[data-cell="{i},{j}"]').first
        if is_background_corner(cell):
            assert button.get_attribute("aria-disabled") == "true"
            continue
        assert hover_text(button) == cell["text"]
        # The reference docs' form: "<predicted> - <truth> +N (base -> other)".
        delta, before, after = cell["delta"], cell["base"], cell["other"]
        assert (
            cell["text"]
            == f"{cell['predicted']} - {cell['truth']} {delta:+d} ({before} -> {after})"
        )
    shot(page, "compare")
    for width in (1440, 1024):  # a desktop and a small laptop: the page never scrolls sideways
        page.set_viewport_size({"width": width, "height": 900})
        page_width = page.evaluate("() => document.documentElement.scrollWidth")
        assert page_width <= width, f"at {width} px the page is {page_width} px wide"
        shot(page, f"compare-{width}")


def test_classification_project_shows_its_report(page: Any, server: str, api: httpx.Client) -> None:
    page.goto(f"{server}/#view=metrics&project=digits")
    answer = api.get(
        "/api/v1/projects/digits/datasets/handwritten-digits/metrics",
        params={"inference_set": "logreg-4x4", "conf": 0.1, "include": ["report"]},
    ).json()["results"][0]["report"]
    caption = "Classification report: logreg-4x4"
    page.get_by_role("table", name=caption).wait_for()
    eventually(lambda: class_rows(page, caption), expected_report_rows(answer))
    assert page.get_by_role("slider", name="IoU").count() == 0
    shot(page, "metrics-classification")


def test_many_classes_become_filterable_tables(page: Any, server: str, api: httpx.Client) -> None:
    page.goto(f"{server}/#view=metrics&project=many")
    caption = "Classification report: model"
    page.get_by_role("table", name=caption).wait_for()
    report = api.get(
        "/api/v1/projects/many/datasets/coco-like/metrics",
        params={"inference_set": "model", "conf": 0.1, "iou": 0.5, "include": ["report"]},
    ).json()["results"][0]["report"]
    expected = expected_report_rows(report)
    table = page.get_by_role("table", name=caption)
    assert table.get_attribute("aria-rowcount") == str(len(expected) + 1 + 3)
    # Windowed: the rows in view (and a margin) are rendered, each at its own index.
    for where in ("top", "bottom"):
        if where == "bottom":
            page.locator(".report-window").evaluate(
                "(box) => { box.scrollTop = box.scrollHeight; }"
            )

        def shown() -> tuple[bool, bool]:
            rows = indexed_rows(page, caption)
            return bool(rows), all(expected[i - 2] == cells for i, cells in rows.items())

        eventually(shown, (True, True))
        rows = indexed_rows(page, caption)
        assert len(rows) < len(expected)
        assert (2 if where == "top" else len(expected) + 1) in rows
    assert page.locator("table.matrix-grid").count() == 0  # a table of cells, not a grid
    page.locator(".report-window").evaluate("(box) => { box.scrollTop = 0; }")
    label = next(row["label"] for row in report["classes"] if row["fp"])
    page.get_by_role("table", name=caption).get_by_role("button", name=label, exact=True).click()
    cells = table_rows(page, "Confusion matrix: model as a table")
    assert cells and all(label in (row[0], row[1]) for row in cells if len(row) > 1)
    shot(page, "metrics-many-classes")


def test_compare_follows_the_thresholds(page: Any, server: str, api: httpx.Client) -> None:
    page.goto(f"{server}/#view=compare&{SHAPES}&set={OTHER_DETECTOR}&set={DETECTOR}&conf=0.1")
    summary = page.get_by_role("list", name="Summary")
    summary.wait_for()
    page.get_by_label("Confidence value").fill("0.45")
    page.get_by_label("Confidence value").press("Enter")
    comparison = api.get(
        f"{DATASET_API}/compare",
        params={"base": OTHER_DETECTOR, "other": DETECTOR, "conf": 0.45, "iou": 0.5},
    ).json()
    eventually(lambda: summary.locator("li").all_text_contents(), comparison["summary"])
    labels = comparison["confusion_matrix"]["labels"]
    for cell in comparison["cells"]:
        i, j = labels.index(cell["truth"]), labels.index(cell["predicted"])
        if not is_background_corner(cell):
            assert hover_text(page.locator(f'button[data-cell="{i},{j}"]').first) == cell["text"]


def test_segment_details_list_its_frames_and_open_one(
    page: Any, server: str, api: httpx.Client
) -> None:
    # "test" is a split: a list of frames, not a query.
    page.goto(f"{server}/#view=scenarios&{SHAPES}&set={DETECTOR}")
    page.get_by_role("button", name="Details of test", exact=True).click()
    details = page.get_by_role("region", name="Segment test")
    frames = api.get(f"{DATASET_API}/frames", params={"segment": "test", "limit": 1000}).json()
    assert frames["total"] > 0
    caption = f"{frames['total']} frames"
    eventually(  # the first page, in the dataset's order
        lambda: [row[0] for row in table_rows(page, caption)],
        [f["frame_id"] for f in frames["frames"]][:FRAMES_PAGE],
    )
    shot(page, "scenarios-details")
    first = frames["frames"][0]["frame_id"]
    details.get_by_role("button", name=first, exact=True).click()
    page.get_by_role("region", name=f"Frame {first}").wait_for()
    assert "view=frame" in page.url and f"frame={first}" in page.url
    legend = page.get_by_role("group", name="Box legend")
    assert "ground truth (solid)" in (legend.text_content() or "")
    for width in (1440, 1024):
        page.set_viewport_size({"width": width, "height": 1000})
        shot(page, f"frame-{width}")


def test_a_reload_restores_the_examples_shown(page: Any, server: str, api: httpx.Client) -> None:
    open_metrics(page, server)
    page.get_by_role("region", name=f"Confusion matrix: {DETECTOR}").locator(
        'button[data-cell="4,1"]'
    ).click()  # background -> square: false positives
    grid = page.get_by_role("region", name="background → square")
    grid.get_by_label("Sort by").select_option("iou")
    expected = api.get(
        f"{DATASET_API}/inference-sets/{DETECTOR}/examples",
        params={"truth": "background", "predicted": "square", "conf": 0.1, "iou": 0.5,
                "sort": "iou", "order": "asc", "offset": 0, "limit": 12},
    ).json()  # fmt: skip

    def shown() -> list[str]:
        labels: list[str] = grid.locator("button.thumbnail").evaluate_all(
            "(buttons) => buttons.map((b) => b.getAttribute('aria-label'))"
        )
        return [label.split(":")[0] for label in labels]

    wanted = [f"Open frame {e['frame_id']}" for e in expected["examples"]]
    eventually(shown, wanted)
    page.reload()
    grid.wait_for()
    eventually(shown, wanted)
    assert grid.get_by_label("Sort by").input_value() == "iou"


# ------------------------------------------- highlights, deep links, captions, legends
def expected_highlight(labels: list[str], kind: str, label: str | None) -> set[str]:
    """The cells a matrix button outlines, as docs/web.md defines them (last label:
    background): FN every class row off the diagonal, FP every class column off it,
    Confused As X column X and Confused From X row X, both without background."""
    bg = len(labels) - 1
    cells = set()
    for i in range(len(labels)):
        for j in range(len(labels)):
            if i == j:
                continue
            if (
                (kind == "FN" and i != bg)
                or (kind == "FP" and j != bg)
                or (kind == "Confused As" and labels[j] == label and i != bg)
                or (kind == "Confused From" and labels[i] == label and j != bg)
            ):
                cells.add(f"{i},{j}")
    return cells


DEMO_SETS = [  # every inference set of both demo projects
    ("shapes", "rendered-scenes", DETECTOR, True),
    ("shapes", "rendered-scenes", OTHER_DETECTOR, True),
    ("digits", "handwritten-digits", "logreg-4x4", False),
    ("digits", "handwritten-digits", "mlp-64", False),
]


@pytest.mark.slow
def test_each_matrix_button_outlines_lists_and_counts_the_same_objects(
    page: Any, server: str, api: httpx.Client
) -> None:
    for project, dataset, inference_set, detection in DEMO_SETS:
        defaults = api.get(f"/api/v1/projects/{project}").json()
        point = {"conf": defaults["default_conf"]}
        if detection:
            point["iou"] = defaults["default_iou"]
        base = f"/api/v1/projects/{project}/datasets/{dataset}"
        matrix_answer = api.get(
            f"{base}/metrics",
            params={"inference_set": inference_set, "include": "confusion_matrix", **point},
        ).json()["results"][0]["confusion_matrix"]
        labels, counts = matrix_answer["labels"], matrix_answer["matrix"]
        classes = labels[:-1]
        page.goto(f"{server}/#view=metrics&project={project}&dataset={dataset}&set={inference_set}")
        matrix = page.get_by_role("region", name=f"Confusion matrix: {inference_set}")
        matrix.locator("button[data-cell]").first.wait_for()
        states: list[tuple[str, str | None, dict[str, str], str]] = [
            ("FN", None, {"outcome": "FN"}, "False negatives"),
            ("FP", None, {"outcome": "FP"}, "False positives"),
        ]
        for kind in ("Confused As", "Confused From"):
            param = "confused_as" if kind == "Confused As" else "confused_from"
            states += [(kind, c, {param: c}, f"{kind.capitalize()} {c}") for c in classes]
        for kind, label, query, title in states:
            button = matrix.get_by_role("button", name=kind, exact=True)
            if label is not None:
                matrix.get_by_label(f"{kind} class").select_option(label)
            if button.get_attribute("aria-pressed") != "true":
                button.click()
            expected = expected_highlight(labels, kind, label)
            lit = matrix.locator("td[data-highlighted] button")
            eventually(
                lambda lit=lit: set(lit.evaluate_all("(bs) => bs.map((b) => b.dataset.cell)")),
                expected,
            )
            outlined = sum(counts[int(k.split(",")[0])][int(k.split(",")[1])] for k in expected)
            shown_sum = sum(int(t) for t in lit.all_text_contents())
            total = api.get(
                f"{base}/inference-sets/{inference_set}/examples",
                params={**query, **point, "limit": 1},
            ).json()["total"]
            where = f"{project} {kind} {label}"
            assert shown_sum == outlined == total, where
            assert matrix.get_by_test_id("highlight-count").text_content() == str(total), where
            pages = page.get_by_role("region", name=title).get_by_role("navigation", name="Pages")
            listed = "No examples" if total == 0 else f"{min(12, total)} of {total} "
            eventually(
                lambda pages=pages, listed=listed: listed in (pages.text_content() or ""), True
            )
        shot(page, f"metrics-highlight-{inference_set}")


def test_a_deep_link_restores_every_state_in_a_fresh_context(
    browser: Any, server: str, api: httpx.Client
) -> None:
    confused = api.get(
        f"{DATASET_API}/inference-sets/{OTHER_DETECTOR}/examples",
        params={"confused_from": "circle", "conf": 0.1, "iou": 0.5, "limit": 1},
    ).json()["examples"]
    assert confused, "the demo has circles confused by the second detector"
    example = confused[0]
    link = (
        f"{server}/#view=metrics&{SHAPES}&set={DETECTOR}&set={OTHER_DETECTOR}"
        f"&show={OTHER_DETECTOR}&class=square&values=percentage&share_of=column"
        f"&confused_from=circle&frame={example['frame_id']}"
        f"&object={example['kind']}%3A{example['id']}"
    )
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    fresh = context.new_page()
    fresh.set_default_timeout(20_000)
    errors: list[str] = []
    fresh.on("pageerror", lambda error: errors.append(str(error)))
    try:
        fresh.goto(link)
        shown = fresh.get_by_role("group", name="Inference set shown")
        shown.get_by_role("button", name=OTHER_DETECTOR).wait_for()
        eventually(
            lambda: shown.get_by_role("button", name=OTHER_DETECTOR).get_attribute("aria-pressed"),
            "true",
        )
        assert fresh.get_by_label("Compare with").input_value() == OTHER_DETECTOR
        matrix = fresh.get_by_role("region", name=f"Confusion matrix: {OTHER_DETECTOR}")
        matrix.locator("button[data-cell]").first.wait_for()
        for name in ("Percentage", "Column", "Confused From"):
            assert (
                matrix.get_by_role("button", name=name, exact=True).get_attribute("aria-pressed")
                == "true"
            ), name
        assert matrix.get_by_label("Confused From class").input_value() == "circle"
        fresh.get_by_role("combobox", name="Metric class").wait_for()
        eventually(
            lambda: fresh.get_by_role("combobox", name="Metric class").input_value(), "square"
        )
        fresh.get_by_role("region", name="Confused from circle").wait_for()
        frame = fresh.get_by_role("region", name=f"Frame {example['frame_id']}")
        frame.wait_for()
        # The matrix in Percentage / Column shows the answer's column shares.
        answer = metrics(
            api, inference_set=OTHER_DETECTOR, conf=0.1, iou=0.5, include="confusion_matrix"
        )
        counts = answer["confusion_matrix"]["matrix"]
        column = sum(row[0] for row in counts)
        eventually(
            lambda: matrix.locator('button[data-cell="0,0"]').text_content(),
            percent(counts[0][0], column),
        )
        for width in (1440, 1024):
            fresh.set_viewport_size({"width": width, "height": 1000})
            shot(fresh, f"metrics-deep-link-{width}")

        # Following a link to another project in the same tab: its own entities only.
        fresh.evaluate("location.hash = 'view=metrics&project=digits'")
        fresh.get_by_role("table", name="Classification report: logreg-4x4").wait_for()
        assert fresh.get_by_label("Dataset").input_value() == "handwritten-digits"
        eventually(lambda: "dataset=handwritten-digits" in fresh.url, True)
        for gone in ("show=", "class=", "confused_from=", "frame=", "object="):
            assert gone not in fresh.url, gone
        assert errors == []
    finally:
        context.close()


def test_classification_pr_caption_is_the_reports_point(
    page: Any, server: str, api: httpx.Client
) -> None:
    page.goto(f"{server}/#view=metrics&project=digits&class=0")
    answer = api.get(
        "/api/v1/projects/digits/datasets/handwritten-digits/metrics",
        params={"inference_set": "logreg-4x4", "conf": 0.1, "include": ["report", "pr_curves"]},
    ).json()["results"][0]
    row = next(c for c in answer["report"]["classes"] if c["label"] == "0")
    curve = answer["pr_curves"]["0"]
    caption = page.get_by_test_id("pr-caption")
    caption.wait_for()
    text = caption.text_content() or ""
    assert f"confidence 0.10: P {score(row['precision'])}, R {score(row['recall'])}" in text
    # The one-vs-rest curve's own point at 0.10 is another family's: the caption says so.
    kept = [k for k, t in enumerate(curve["thresholds"]) if t >= 0.1]
    own = (curve["precision"][kept[-1]], curve["recall"][kept[-1]])
    assert own != (row["precision"], row["recall"])
    assert "one-vs-rest" in text and "need not lie on the curve" in text
    legend = page.get_by_role("list", name="Legend")
    assert "operating point: the report's row at confidence 0.10" in (legend.text_content() or "")
    for width in (1440, 1024):
        page.set_viewport_size({"width": width, "height": 1000})
        shot(page, f"metrics-classification-{width}")


def test_every_metric_carries_its_definition(page: Any, server: str) -> None:
    open_metrics(page, server)
    page.get_by_role("img", name="Precision-recall curve for all", exact=False).wait_for()
    ap = page.get_by_test_id("pr-caption").locator("abbr")
    assert ap.text_content() == "AP@IoU 0.50"
    assert "not COCO's AP@[.5:.95]" in (ap.get_attribute("title") or "")
    coco = page.get_by_label("COCO summary").locator("abbr").first
    assert coco.text_content() == "AP" and "IoU 0.50:0.95" in (coco.get_attribute("title") or "")
    report = page.get_by_role("table", name=f"Classification report: {DETECTOR}")
    titles = report.locator("thead abbr").evaluate_all(
        "(abbrs) => Object.fromEntries(abbrs.map((a) => [a.textContent, a.title]))"
    )
    assert titles["Precision"].startswith("Precision: TP / (TP + FP)")
    assert "IoU 0.5 over every confidence" in titles["AP"]
    assert set(titles) == {"Class", "Precision", "Recall", "F1", "Support", "TP", "FP", "FN", "AP"}


def test_pending_numbers_keep_their_thresholds_and_the_layout(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_metrics(page, server)
    caption = page.get_by_test_id("pr-caption")
    caption.wait_for()
    report = page.get_by_role("table", name=f"Classification report: {DETECTOR}")
    before = report.bounding_box()
    held: list[Any] = []

    def hold(route: Any) -> None:
        if "conf=0.45" in route.request.url:
            held.append(route)  # answered later, by the test
        else:
            route.continue_()

    page.route("**/metrics?*", hold)
    page.get_by_label("Confidence value").fill("0.45")
    page.get_by_label("Confidence value").press("Enter")
    eventually(lambda: len(held) > 0, True)
    answered_at = page.get_by_test_id("answered-at")
    eventually(lambda: "recomputing" in (answered_at.text_content() or ""), True)
    assert "confidence 0.1," in (answered_at.text_content() or "")
    # The old numbers keep their own threshold; nothing moves while they wait.
    assert "confidence 0.10:" in (caption.text_content() or "")
    page.wait_for_timeout(400)  # past the progress indicator's delay
    assert page.get_by_role("status").count() >= 1
    assert report.bounding_box() == before
    shot(page, "metrics-pending")
    for route in held:
        route.continue_()
    page.unroute("**/metrics?*")
    at_45 = metrics(api, conf=0.45, iou=0.5, include=["report"])
    eventually(
        lambda: class_rows(page, f"Classification report: {DETECTOR}"),
        expected_report_rows(at_45["report"]),
    )
    eventually(lambda: "confidence 0.45:" in (caption.text_content() or ""), True)
    assert "recomputing" not in (answered_at.text_content() or "")


def test_the_matrix_stays_put_when_the_curve_arrives(page: Any, server: str) -> None:
    held: list[Any] = []

    def hold(route: Any) -> None:
        if "include=pr_curves" in route.request.url:
            held.append(route)  # the curves come after the numbers: held back here
        else:
            route.continue_()

    page.route("**/metrics?*", hold)
    open_metrics(page, server)
    matrix = page.get_by_role("region", name=f"Confusion matrix: {DETECTOR}")
    matrix.locator("button[data-cell]").first.wait_for()
    eventually(lambda: len(held) > 0, True)
    before = matrix.bounding_box()
    for route in held:
        route.continue_()
    page.unroute("**/metrics?*")
    page.get_by_test_id("pr-caption").wait_for()
    after = matrix.bounding_box()
    assert abs(after["y"] - before["y"]) <= 1, (before, after)


def test_legends_name_every_encoding(page: Any, server: str, api: httpx.Client) -> None:
    open_metrics(page, server, "&values=percentage&share_of=value")
    matrix = page.get_by_role("region", name=f"Confusion matrix: {DETECTOR}")
    matrix.locator("button[data-cell]").first.wait_for()
    counts = metrics(api, conf=0.1, iou=0.5, include="confusion_matrix")["confusion_matrix"][
        "matrix"
    ]
    total = sum(map(sum, counts))
    largest = max(v for i, row in enumerate(counts) for j, v in enumerate(row) if (i, j) != (4, 4))
    # Value: the scale runs to the largest cell shown, and that cell is the darkest.
    eventually(lambda: matrix.get_by_test_id("scale-max").text_content(), percent(largest, total))
    legend = page.get_by_role("list", name="Legend")
    legend.wait_for()
    text = legend.text_content() or ""
    assert "operating point" in text and "best-F1 point" in text
    assert page.get_by_role("group", name="Box legend").count() == 0  # no examples yet
    matrix.locator('button[data-cell="0,4"]').click()
    boxes = page.get_by_role("group", name="Box legend").first
    boxes.wait_for()
    assert "ground truth (solid)" in (boxes.text_content() or "")
    assert "prediction (dashed)" in (boxes.text_content() or "")
    for width in (1440, 1024):
        page.set_viewport_size({"width": width, "height": 1000})
        page_width = page.evaluate("() => document.documentElement.scrollWidth")
        assert page_width <= width, f"at {width} px the page is {page_width} px wide"
        shot(page, f"metrics-{width}")
    page.goto(f"{server}/#view=compare&{SHAPES}&set={OTHER_DETECTOR}&set={DETECTOR}")
    scale = page.get_by_label("Color scale")
    scale.wait_for()
    assert "red: worse" in (scale.text_content() or "") and "blue: better" in (
        scale.text_content() or ""
    )


READ_KEY, WRITE_KEY = "r" * 24, "w" * 24


@pytest.fixture(scope="module")
def keyed_server(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same store behind API keys."""
    keys = tmp_path_factory.mktemp("keys") / "keys.txt"
    keys.write_text(f"{READ_KEY} read-only\n{WRITE_KEY} read-write\n")
    process, base = _start(demo_home, "--api-keys-file", str(keys))
    yield base
    _stop(process)


def test_a_server_with_keys_asks_for_one_and_a_read_only_key_cannot_write(
    page: Any, keyed_server: str
) -> None:
    page.goto(f"{keyed_server}/#view=scenarios&{SHAPES}&set={DETECTOR}")
    form = page.get_by_role("heading", name="This server needs an API key")
    form.wait_for()
    shot(page, "api-key")
    page.get_by_role("textbox", name="API key").fill("not-a-key-of-this-server")
    page.get_by_role("button", name="Use key").click()
    page.get_by_text("The key was not accepted").wait_for()
    page.get_by_role("textbox", name="API key").fill(READ_KEY)
    page.get_by_role("button", name="Use key").click()
    card = page.get_by_role("article", name="test regression")
    card.wait_for()
    # Images need the key too (an <img> cannot send it): the frame view's image loads.
    frame_id = httpx.get(
        f"{keyed_server}{DATASET_API}/frames",
        params={"limit": 1},
        headers={"Authorization": f"Bearer {READ_KEY}"},
    ).json()["frames"][0]["frame_id"]
    page.evaluate(f"location.hash = 'view=frame&{SHAPES}&set={DETECTOR}&frame={frame_id}'")
    image = page.get_by_role("region", name=f"Frame {frame_id}").locator("img")
    eventually(lambda: image.evaluate("(i) => i.complete && i.naturalWidth > 0"), True)
    page.evaluate(f"location.hash = 'view=scenarios&{SHAPES}&set={DETECTOR}'")
    card.get_by_role("button", name="Edit thresholds").click()
    card.get_by_label("Precision threshold").fill("0.5")
    card.get_by_label("Precision threshold").press("Enter")
    page.get_by_role("alert").filter(has_text="read-only").wait_for()
    page.get_by_role("button", name="Forget key").click()
    form.wait_for()


# ------------------------------------------- design, layout, example modal, classification
VIEWS_AT = {
    "metrics": f"view=metrics&{SHAPES}&set={DETECTOR}",
    "scenarios": f"view=scenarios&{SHAPES}&set={DETECTOR}",
    "compare": f"view=compare&{SHAPES}&set={DETECTOR}&set={OTHER_DETECTOR}",
    "classification": "view=metrics&project=digits",
}


def box(page: Any, selector: str) -> dict[str, float]:
    found: dict[str, float] = page.locator(selector).first.bounding_box()
    return found


def test_dark_mode_is_a_remembered_toggle(page: Any, server: str) -> None:
    open_metrics(page, server)
    scheme = "document.documentElement.dataset.mantineColorScheme"
    assert page.evaluate(scheme) == "light"
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle = page.get_by_role("button", name="Dark mode")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    eventually(lambda: page.evaluate(scheme), "dark")
    dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark != light
    # Remembered: a reload (and a new tab of the same browser context) comes back dark.
    page.reload()
    page.get_by_role("table", name=f"Classification report: {DETECTOR}").wait_for()
    assert page.evaluate(scheme) == "dark"
    assert page.get_by_role("button", name="Dark mode").get_attribute("aria-pressed") == "true"
    for width in (1440, 1024):
        page.set_viewport_size({"width": width, "height": 1000})
        shot(page, f"metrics-dark-{width}")
    # Numbers line up: the report's digits are tabular, and right-aligned.
    cell = (
        page.get_by_role("table", name=f"Classification report: {DETECTOR}").locator("td.num").first
    )
    assert "tabular-nums" in cell.evaluate("(c) => getComputedStyle(c).fontVariantNumeric")
    assert cell.evaluate("(c) => getComputedStyle(c).textAlign") == "right"
    page.get_by_role("button", name="Dark mode").click()
    eventually(lambda: page.evaluate(scheme), "light")


def test_the_layout_uses_the_width_and_nothing_overflows(page: Any, server: str) -> None:
    page.set_viewport_size({"width": 1440, "height": 1000})
    open_metrics(page, server)
    matrix_name = f"Confusion matrix: {DETECTOR}"
    page.get_by_role("region", name=matrix_name).locator("button[data-cell]").first.wait_for()
    page.locator(".pr-curve").wait_for()
    curve = box(page, ".pr-curve")
    report = box(page, f'table:has(caption:text-is("Classification report: {DETECTOR}"))')
    matrix = box(page, f'section[aria-label="{matrix_name}"]')
    # At 1440 the report and the matrix stand beside the curve, the matrix under the report.
    assert report["x"] >= curve["x"] + curve["width"]
    assert matrix["x"] >= curve["x"] + curve["width"]
    assert matrix["y"] >= report["y"] + report["height"]
    assert matrix["y"] < curve["y"] + curve["height"]  # no empty third: it starts beside the curve
    for view, hash_ in VIEWS_AT.items():
        for width in (1440, 1024):
            page.set_viewport_size({"width": width, "height": 1000})
            page.goto(f"{server}/#{hash_}")
            page.locator("main").get_by_role("table").first.wait_for()
            page.wait_for_timeout(300)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{view} at {width} px overflows by {overflow} px"
            shot(page, f"{view}-layout-{width}")


def test_an_opened_example_is_a_modal_with_keys_zoom_and_a_way_back(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_metrics(page, server, "&outcome=FN")
    grid = page.get_by_role("region", name="False negatives")
    thumbnails = grid.locator("button.thumbnail")
    thumbnails.nth(2).wait_for()
    expected = api.get(
        f"{DATASET_API}/inference-sets/{DETECTOR}/examples",
        params={"outcome": "FN", "conf": 0.1, "iou": 0.5, "sort": "confidence",
                "order": "desc", "offset": 0, "limit": 12},
    ).json()["examples"]  # fmt: skip
    thumbnails.nth(1).scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    thumbnails.nth(1).click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    frame = dialog.get_by_role("region", name=f"Frame {expected[1]['frame_id']}")
    frame.wait_for()
    # In view: the dialog's top is inside the window.
    top = dialog.bounding_box()["y"]
    assert 0 <= top < 1000
    assert page.get_by_test_id("example-position").text_content() == "example 2 of 12 on this page"

    def opened() -> str:
        return str(page.evaluate("location.hash"))

    dialog.get_by_role("button", name="Zoom in").focus()
    page.keyboard.press("ArrowRight")
    eventually(lambda: f"object={expected[2]['kind']}%3A{expected[2]['id']}" in opened(), True)
    dialog.get_by_role("region", name=f"Frame {expected[2]['frame_id']}").wait_for()
    page.keyboard.press("ArrowLeft")
    eventually(lambda: f"object={expected[1]['kind']}%3A{expected[1]['id']}" in opened(), True)
    image = dialog.locator(".annotated-image").first
    image.wait_for()
    before = image.bounding_box()["width"]
    dialog.get_by_role("button", name="Zoom in").click()
    eventually(lambda: round(image.bounding_box()["width"] / before, 1), 1.5)
    assert dialog.get_by_label("Zoom level").text_content() == "150%"
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    assert "frame=" not in opened()
    # Back where the user was: the same scroll position, focus on the thumbnail that opened it.
    assert abs(page.evaluate("window.scrollY") - scrolled) <= 2
    eventually(
        lambda: page.evaluate("document.activeElement.getAttribute('aria-label')"),
        thumbnails.nth(1).get_attribute("aria-label"),
    )
    # (Screenshots last: a full-page screenshot resizes the page, which moves its scroll.)
    page.keyboard.press("Enter")  # the focused thumbnail opens it again
    dialog.wait_for()
    for width in (1440, 1024):
        page.set_viewport_size({"width": width, "height": 1000})
        shot(page, f"metrics-example-modal-{width}")
    dialog.get_by_role("button", name="Zoom in").click()
    shot(page, "metrics-example-modal-zoomed")


def test_classification_examples_in_their_own_terms(
    page: Any, server: str, api: httpx.Client
) -> None:
    digits = "/api/v1/projects/digits/datasets/handwritten-digits"
    page.goto(f"{server}/#view=metrics&project=digits&outcome=FN")
    grid = page.get_by_role("region", name="False negatives")
    grid.locator("button.thumbnail").first.wait_for()
    # The built-in sorts (the dataset's metrics follow in their own group).
    sorts = grid.get_by_label("Sort by").locator(":scope > option").all_text_contents()
    assert sorts == ["High-confidence disagreements", "Low-confidence agreements"]
    assert grid.get_by_role("group", name="Box legend").count() == 0
    expected = api.get(
        f"{digits}/inference-sets/logreg-4x4/examples",
        params={"outcome": "FN", "conf": 0.1, "sort": "confidence", "order": "desc",
                "offset": 0, "limit": 12},
    ).json()["examples"]  # fmt: skip
    captions = [text.split("\n")[0] for text in grid.locator("figcaption").all_inner_texts()]
    assert captions == [f"true {e['label']} · predicted {e['partner_label']}" for e in expected]
    assert not any("IoU" in text for text in grid.locator("figcaption").all_inner_texts())
    grid.locator("button.thumbnail").first.click()
    dialog = page.get_by_role("dialog")
    frame_id = expected[0]["frame_id"]
    dialog.get_by_role("region", name=f"Frame {frame_id}").wait_for()
    detail = api.get(f"{digits}/frames/{frame_id}", params={"inference_set": "logreg-4x4"}).json()
    prediction = detail["predictions"]["logreg-4x4"][0]
    assert page.get_by_test_id("true-class").text_content() == detail["labels"][0]["class_name"]
    assert (
        page.get_by_test_id("predicted-class").text_content().startswith(prediction["class_name"])
    )
    assert page.get_by_test_id("predicted-confidence").text_content() == score(
        prediction["confidence"]
    )
    classes = [c["name"] for c in api.get("/api/v1/projects/digits").json()["classes"]]
    top = sorted(enumerate(prediction["probabilities"]), key=lambda p: (-p[1], p[0]))[:5]
    rows = table_rows(page, "Top 5 probabilities")
    assert [(row[0].replace(" (true)", ""), row[1]) for row in rows] == [
        (classes[k], score(p)) for k, p in top
    ]
    assert dialog.locator("svg rect").count() == 0  # no boxes
    shot(page, "metrics-classification-example")


def test_iou_over_its_whole_range_with_ticks_and_a_number_box(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_metrics(page, server)
    slider = page.get_by_role("slider", name="IoU")
    assert (slider.get_attribute("min"), slider.get_attribute("max")) == ("0.05", "0.95")
    ticks = page.locator(".slider-with-ticks .ticks span").all_text_contents()
    assert ticks == ["0.05", "0.25", "0.50", "0.75", "0.95"]
    caption = f"Classification report: {DETECTOR}"
    for typed in ("0.3", "0.05", "0.95"):  # off the grid, the lowest, the highest
        page.get_by_label("IoU value").fill(typed)
        page.get_by_label("IoU value").press("Enter")
        expected = metrics(api, conf=0.1, iou=float(typed), include=["report", "confusion_matrix"])
        eventually(lambda: class_rows(page, caption), expected_report_rows(expected["report"]))
        eventually(
            lambda: matrix_cells(page, f"Confusion matrix: {DETECTOR}"),
            expected_cells(expected["confusion_matrix"]),
        )
        assert f"iou={typed}" in page.url
        assert slider.get_attribute("aria-valuetext") == f"{float(typed):.2f}"
    page.get_by_label("IoU value").fill("0.99")
    page.get_by_role("alert").filter(has_text="between 0.05 and 0.95").wait_for()
    assert "iou=0.95" in page.url  # the refused value was not sent
    shot(page, "metrics-iou-range")


def test_a_segment_created_from_a_query_renamed_and_deleted(
    page: Any, server: str, api: httpx.Client
) -> None:
    page.goto(f"{server}/#view=scenarios&{SHAPES}&set={DETECTOR}")
    form = page.get_by_role("form", name="New segment")
    form.wait_for()
    # A query the server refuses: its message shows, nothing is created.
    form.get_by_label("Name").fill("bright")
    form.get_by_label("Query").fill("contrastt >= 40")
    form.get_by_role("button", name="Create segment").click()
    form.get_by_role("alert").wait_for()
    assert "bright" not in [s["name"] for s in api.get(f"{DATASET_API}/segments").json()]
    form.get_by_label("Query").fill("contrast >= 40")
    form.get_by_label("Type").select_option("scenario")
    form.get_by_label("Description").fill("well-lit scenes")
    form.get_by_role("button", name="Create segment").click()
    card = page.get_by_role("article", name="bright")
    card.wait_for()
    created = {s["name"]: s for s in api.get(f"{DATASET_API}/segments").json()}["bright"]
    assert (created["type"], created["query"], created["description"]) == (
        "scenario",
        "contrast >= 40",
        "well-lit scenes",
    )
    assert f"{created['frame_count']} frames" in (card.text_content() or "")
    # The header's segment picker lists it at once.
    eventually(
        lambda: "bright" in page.get_by_label("Segment").locator("option").all_text_contents(), True
    )
    details = page.get_by_role("region", name="Segment bright")
    details.wait_for()
    shot(page, "scenarios-segment-details-1440")
    assert details.get_by_test_id("segment-description").text_content() == "well-lit scenes"
    edit = details.get_by_role("form", name="Edit segment")
    edit.get_by_role("textbox", name="Name").fill("bright scenes")
    edit.get_by_label("Type").select_option("regression_test")
    edit.get_by_label("Description").fill("contrast of 40 or more")
    edit.get_by_role("button", name="Save changes").click()
    page.get_by_role("article", name="bright scenes").wait_for()
    segments = {s["name"]: s for s in api.get(f"{DATASET_API}/segments").json()}
    assert "bright" not in segments
    assert (segments["bright scenes"]["type"], segments["bright scenes"]["description"]) == (
        "regression_test",
        "contrast of 40 or more",
    )
    # Now a regression test: its card moved to that group.
    page.get_by_role("region", name="Regression Tests").get_by_role(
        "article", name="bright scenes"
    ).wait_for()
    renamed = page.get_by_role("region", name="Segment bright scenes")
    renamed.get_by_role("button", name="Delete segment…").click()
    renamed.get_by_role("button", name="Delete bright scenes").click()
    page.get_by_role("article", name="bright scenes").wait_for(state="detached")
    assert "bright scenes" not in [s["name"] for s in api.get(f"{DATASET_API}/segments").json()]


def test_a_whole_scenario_card_opens_metrics_on_its_segment(
    page: Any, server: str, api: httpx.Client
) -> None:
    page.goto(f"{server}/#view=scenarios&{SHAPES}&set={DETECTOR}")
    card = page.get_by_role("article", name="crowded")
    card.locator(".counts").click()  # the card's body, not its title
    page.get_by_role("table", name=f"Classification report: {DETECTOR}").wait_for()
    assert "segment=crowded" in page.url and "view=metrics" in page.url
    expected = metrics(api, conf=0.1, iou=0.5, segment="crowded")
    eventually(
        lambda: class_rows(page, f"Classification report: {DETECTOR}"),
        expected_report_rows(expected["report"]),
    )


def test_the_examples_listed_are_saved_as_a_segment_of_their_frames(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_metrics(page, server, "&outcome=FP")
    page.get_by_role("region", name="False positives").locator("button.thumbnail").first.wait_for()
    listed: set[str] = set()
    offset = 0
    while True:  # every page of the examples the app lists
        answer = api.get(
            f"{DATASET_API}/inference-sets/{DETECTOR}/examples",
            params={"outcome": "FP", "conf": 0.1, "iou": 0.5, "offset": offset, "limit": 1000},
        ).json()
        listed |= {e["frame_id"] for e in answer["examples"]}
        offset += 1000
        if offset >= answer["total"]:
            break
    page.get_by_role("button", name="Save frames as a segment…").click()
    form = page.get_by_role("form", name="Save as segment")
    form.get_by_label("Name").fill("false positive frames")
    form.get_by_role("button", name="Save segment").click()
    page.get_by_role("status").filter(has_text="Saved segment").wait_for()
    try:
        saved = {s["name"]: s for s in api.get(f"{DATASET_API}/segments").json()}[
            "false positive frames"
        ]
        assert saved["frame_count"] == len(listed)
        frames = api.get(
            f"{DATASET_API}/frames", params={"segment": "false positive frames", "limit": 1000}
        ).json()
        assert {f["frame_id"] for f in frames["frames"]} == listed
        assert f"({len(listed)} frames)" in (
            page.get_by_role("status").filter(has_text="Saved segment").text_content() or ""
        )
        # The header's picker lists it, and "Show its metrics" filters Metrics by it.
        page.get_by_role("button", name="Show its metrics").click()
        eventually(lambda: "segment=false+positive+frames" in page.url
                   or "segment=false%20positive%20frames" in page.url, True)  # fmt: skip
        expected = metrics(api, conf=0.1, iou=0.5, segment="false positive frames")
        eventually(
            lambda: class_rows(page, f"Classification report: {DETECTOR}"),
            expected_report_rows(expected["report"]),
        )
        # A list segment's frames are added and removed in its details (Scenarios).
        dropped = sorted(listed)[0]
        page.evaluate(f"location.hash = 'view=scenarios&{SHAPES}&set={DETECTOR}'")
        page.get_by_role("button", name="Details of false positive frames").click()
        details = page.get_by_role("region", name="Segment false positive frames")
        frames_group = details.get_by_role("group", name="Frames of the segment")
        frames_group.get_by_label("Frame ids").fill(dropped)
        frames_group.get_by_role("button", name="Remove frames").click()
        count = lambda: {s["name"]: s for s in api.get(f"{DATASET_API}/segments").json()}[  # noqa: E731
            "false positive frames"
        ]["frame_count"]
        eventually(count, len(listed) - 1)
        frames_group.get_by_label("Frame ids").fill(dropped)
        frames_group.get_by_role("button", name="Add frames").click()
        eventually(count, len(listed))
    finally:
        api.delete(f"{DATASET_API}/segments/false%20positive%20frames")
