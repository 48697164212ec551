"""The multi-label Metrics view in a real browser over a real `shoal serve` on the demo's
tagged-digits project: every number shown equals the REST answer for the same question
(which tests/test_multilabel_api.py checks against scikit-learn), a 2x2 cell lists its
frames, per-class thresholds and the selection live in the URL, and the view fits 1440
and 1024 px (screenshots in test-artifacts/browser/)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from test_browser import (  # the fixtures are imported so that pytest finds them here
    api,
    browser,
    demo_home,
    eventually,
    page,
    score,
    server,
    shot,
)
from test_browser_controls import both_widths, location

__all__ = ["api", "browser", "demo_home", "page", "server"]

pytestmark = pytest.mark.browser

PROJECT = "project=tagged-digits&dataset=digit-grids"
SET_API = "/api/v1/projects/tagged-digits/datasets/digit-grids/inference-sets"
BASE = "logreg-4x4-tiles"  # the first inference set by name: the one shown
PAGE_SIZE = 12  # MULTILABEL_PAGE_SIZE


def rest_metrics(api: httpx.Client, **params: Any) -> dict[str, Any]:
    answer = api.get(f"{SET_API}/{BASE}/multilabel-metrics", params=params)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def js_number(value: float) -> str:
    """A number as JavaScript's String() writes it (the shortest round-trip digits)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def expected_rows(answer: dict[str, Any]) -> list[list[str]]:
    """The report's rows as the app prints them: classes, then the four averages."""
    rows = [
        [
            row["label"], f"{row['threshold']:g}", score(row["precision"]), score(row["recall"]),
            score(row["f1-score"]), f"{row['support']:,}", score(row["average_precision"]),
            f"{score(row['best']['f1-score'])} @ {js_number(row['best']['threshold'])}"
            if row["best"] else "-",
            *(f"{row[cell]:,}" for cell in ("tp", "fp", "fn", "tn")),
        ]
        for row in answer["classes"]
    ]  # fmt: skip
    for name in ("micro avg", "macro avg", "weighted avg", "samples avg"):
        row = answer["averages"][name]
        rows.append(
            [name, "", score(row["precision"]), score(row["recall"]), score(row["f1-score"]),
             f"{row['support']:,}", ""]
        )  # fmt: skip
    return rows


def shown_rows(page: Any) -> list[list[str]]:
    """The report's body and foot rows (the averages) as cell texts."""
    rows: list[list[str]] = page.evaluate(
        """(caption) => {
          const table = [...document.querySelectorAll("table")].find(
            (t) => t.caption && t.caption.textContent.trim() === caption);
          if (!table) return [];
          return [...table.tBodies, table.tFoot].flatMap((b) => [...b.rows]).map(
            (r) => [...r.cells].map((c) => c.textContent.trim()));
        }""",
        f"Multi-label report: {BASE}",
    )
    return rows


def headline(page: Any) -> dict[str, str]:
    tiles: dict[str, str] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll(
             'dl[aria-label="Headline metrics"] > div')].map(
             (d) => [d.querySelector("dt").textContent, d.querySelector("dd").textContent]))"""
    )
    return tiles


def test_report_matrices_and_headline_equal_the_rest_answer(
    page: Any, server: str, api: httpx.Client
) -> None:
    page.goto(f"{server}/#{PROJECT}&view=metrics")
    answer = rest_metrics(api)
    eventually(lambda: shown_rows(page), expected_rows(answer))
    tiles = headline(page)
    assert tiles["Subset accuracy"] == score(answer["subset_accuracy"])
    assert tiles["Hamming loss"] == score(answer["hamming_loss"])
    assert tiles["Micro F1"] == score(answer["averages"]["micro avg"]["f1-score"])
    assert tiles["Samples F1"] == score(answer["averages"]["samples avg"]["f1-score"])
    assert tiles["Mean AP"] == score(answer["mean_average_precision"])
    # One 2x2 matrix per class, each cell's count the answer's.
    for row in answer["classes"]:
        matrix = page.get_by_role("table", name=f"{row['label']} 2×2 matrix")
        for cell in ("tp", "fp", "fn", "tn"):
            button = matrix.get_by_role(
                "button", name=f"{row['label']} {cell.upper()}: {row[cell]} frames"
            )
            assert button.count() == 1
    # Only the views a multi-label project has are offered; the definitions are at hand.
    tabs = page.get_by_role("tab").all_inner_texts()
    assert tabs == ["Metrics", "Scenarios", "Frame"]
    definitions = page.get_by_role("region", name="Definitions").inner_text()
    for term in ("Subset accuracy", "Hamming loss", "samples avg", "micro avg", "Threshold"):
        assert term in definitions
    both_widths(page, "multilabel-metrics")


def test_per_class_thresholds_from_the_url(page: Any, server: str, api: httpx.Client) -> None:
    page.goto(f"{server}/#{PROJECT}&view=metrics&conf=0.3&overrides=%7B%228%22%3A0.7%7D")
    answer = rest_metrics(
        api,
        conf='{"0": 0.3, "1": 0.3, "2": 0.3, "3": 0.3, "4": 0.3, "5": 0.3, "6": 0.3, "7": 0.3, "8": 0.7, "9": 0.3}',
    )
    eventually(lambda: shown_rows(page), expected_rows(answer))
    rows = {cells[0]: cells for cells in shown_rows(page)}
    assert rows["8"][1] == "0.7" and rows["3"][1] == "0.3"


def test_a_cell_lists_its_frames_and_survives_a_reload(
    page: Any, server: str, api: httpx.Client
) -> None:
    page.goto(f"{server}/#{PROJECT}&view=metrics")
    answer = rest_metrics(api)
    row = max(answer["classes"], key=lambda r: r["fn"])  # the class with the most misses
    label = row["label"]
    page.get_by_role("table", name=f"{label} 2×2 matrix").get_by_role(
        "button", name=f"{label} FN: {row['fn']} frames"
    ).click()
    expected = api.get(
        f"{SET_API}/{BASE}/multilabel-examples",
        params={"label": label, "cell": "fn", "limit": PAGE_SIZE},
    ).json()

    def shown_frames() -> list[str]:
        names: list[str] = page.evaluate(
            """() => [...document.querySelectorAll('.multilabel-example .frame-title strong')]
                 .map((e) => e.textContent)"""
        )
        return names

    eventually(shown_frames, [e["frame_id"] for e in expected["examples"]])
    assert (
        f"of {max(1, -(-expected['total'] // PAGE_SIZE))} ({expected['total']:,} frames)"
        in page.locator(".multilabel-view .pager").inner_text()
    )
    # Each example's chips: its true classes and its predicted ones, the asked class an FN.
    first = expected["examples"][0]
    chips = page.locator(".multilabel-example").first.locator(".chip").all_inner_texts()
    names = sorted({*first["truth"], *first["predicted"]})
    assert sorted(c.split()[0] for c in chips) == names
    assert f"{label} FN" in chips
    assert "ml_class=" in location(page) and "ml_cell=fn" in location(page)
    shot(page, "multilabel-examples-1440")
    both_widths(page, "multilabel-examples")
    page.reload()
    eventually(shown_frames, [e["frame_id"] for e in expected["examples"]])
    # The same frame can be in a cell of another class: its FP cell lists frames too.
    other = next(r for r in answer["classes"] if r["fp"] > 0 and r["label"] != label)
    page.get_by_role("table", name=f"{other['label']} 2×2 matrix").get_by_role(
        "button", name=f"{other['label']} FP: {other['fp']} frames"
    ).click()
    listed = api.get(
        f"{SET_API}/{BASE}/multilabel-examples",
        params={"label": other["label"], "cell": "fp", "limit": PAGE_SIZE},
    ).json()
    eventually(shown_frames, [e["frame_id"] for e in listed["examples"]])


def test_an_example_opens_in_the_frame_view(page: Any, server: str, api: httpx.Client) -> None:
    page.goto(f"{server}/#{PROJECT}&view=metrics&ml_class=3&ml_cell=tp")
    first = api.get(
        f"{SET_API}/{BASE}/multilabel-examples", params={"label": "3", "cell": "tp", "limit": 1}
    ).json()["examples"][0]
    page.get_by_role("button", name=f"Open frame {first['frame_id']}").click()
    eventually(lambda: "view=frame" in location(page), True)
    frame = api.get(
        f"{SET_API}/{BASE}/multilabel-frame", params={"frame_id": first["frame_id"]}
    ).json()
    expected = [
        [c["label"], "yes" if c["truth"] else "no", f"{c['score']:.3f}", f"{c['threshold']:g}",
         "yes" if c["predicted"] else "no", c["cell"].upper()]
        for c in frame["classes"]
        if c["truth"] or c["predicted"] or c["score"] > 0
    ]  # fmt: skip
    assert expected[[r[0] for r in expected].index("3")][:2] == ["3", "yes"]

    def shown() -> list[list[str]]:
        rows: list[list[str]] = page.evaluate(
            """(caption) => {
              const table = [...document.querySelectorAll("table")].find(
                (t) => t.caption && t.caption.textContent.trim() === caption);
              return table ? [...table.tBodies[0].rows].map(
                (r) => [...r.cells].map((c) => c.textContent.trim())) : [];
            }""",
            f"Classes of {first['frame_id']}: {BASE}",
        )
        return rows

    eventually(shown, expected)
    both_widths(page, "multilabel-frame")


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_the_view_is_legible_in_dark_and_light_mode(browser: Any, server: str, scheme: str) -> None:
    """Every text of the view (report, matrices' shaded cells, chips, definitions) at
    WCAG AA contrast in both color schemes, a cell's frames listed."""
    from test_browser_dark import _LOW_CONTRAST, _page_in

    context, page = _page_in(browser, scheme, 1440)
    try:
        page.goto(f"{server}/#{PROJECT}&view=metrics&ml_class=8&ml_cell=fn")
        page.get_by_role("table", name=f"Multi-label report: {BASE}").wait_for()
        page.locator(".multilabel-example").first.wait_for()
        page.wait_for_timeout(300)
        shot(page, f"multilabel-{scheme}-1440")
        low = page.evaluate(_LOW_CONTRAST)
        assert low == [], "\n".join(sorted({t.split(":")[0] for t in low}))
    finally:
        context.close()


def test_best_f1_thresholds_in_one_click(page: Any, server: str, api: httpx.Client) -> None:
    """The button sets each class's threshold to its best-F1 one (the URL's overrides);
    the report then shows, per class, the F1 that its best column promised."""
    page.goto(f"{server}/#{PROJECT}&view=metrics")
    answer = rest_metrics(api)
    eventually(lambda: shown_rows(page), expected_rows(answer))
    page.get_by_role("button", name="Use each class's best-F1 threshold").click()
    best = {row["label"]: row["best"] for row in answer["classes"] if row["best"]}
    at_best = rest_metrics(api, conf=json.dumps({name: b["threshold"] for name, b in best.items()}))
    eventually(lambda: shown_rows(page), expected_rows(at_best))
    for row in at_best["classes"]:
        assert score(row["f1-score"]) == score(best[row["label"]]["f1-score"])
    assert "overrides=" in location(page)
    shot(page, "multilabel-best-thresholds-1440")


def test_scenarios_show_the_regression_tests(page: Any, server: str, api: httpx.Client) -> None:
    """Scenarios of a multi-label project: each segment's card carries the micro F1 of
    the REST regression answer (every (frame, class) cell pooled)."""
    results = api.get(f"{SET_API}/{BASE}/regression", params={"conf": 0.5}).json()
    crowded = next(r for r in results if r["segment_name"] == "crowded")
    page.goto(f"{server}/#{PROJECT}&view=scenarios&set={BASE}")
    page.locator("main").get_by_text("crowded", exact=True).first.wait_for()
    eventually(lambda: score(crowded["f1_score"]["score"]) in page.inner_text("main"), True)
    both_widths(page, "multilabel-scenarios")
