"""The web app's Campaigns tab (issue 14) in a real browser over a real `shoal serve` on the
demo projects (the recipe and helpers of tests/test_browser.py): a campaign created from an
issue with the form searches the demo's unlabeled corpus; its run shows progress and ends
with the API's candidates in the gallery (keys, ranks, distances); the keys a / r / j
review them (checked through REST, and across a reload); the accepted export downloaded is
the API's. Screenshots at 1440 and 1024 px go to test-artifacts/browser/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from test_browser import api, browser, demo_home, eventually, page, server, shot
from test_browser_controls import both_widths
from test_browser_dark import _is_legible, _page_in

__all__ = ["api", "browser", "demo_home", "page", "server"]

pytestmark = pytest.mark.browser

PROJECT = "/api/v1/projects/shapes"
ISSUE = "campaign seeds"
NAME = f"more {ISSUE}"
SEEDS = ["0000", "0003", "0007"]


def candidates(api: httpx.Client) -> list[dict[str, Any]]:
    answer = api.get(f"{PROJECT}/campaigns/{NAME}/candidates", params={"limit": 1000})
    assert answer.status_code == 200, answer.text
    result: list[dict[str, Any]] = answer.json()["candidates"]
    return result


def shown(page: Any) -> list[tuple[str, str, str, str]]:
    """The gallery's cards (key, rank, distance, review), read at once."""
    cards: list[list[str]] = page.evaluate(
        """() => [...document.querySelectorAll('.campaign-gallery > li')].map((card) => [
            card.dataset.key ?? '', card.querySelector('.rank')?.textContent ?? '',
            card.querySelector('[data-testid="candidate-distance"]')?.textContent ?? '',
            card.dataset.status ?? ''])"""
    )
    return [(key, rank, distance, status) for key, rank, distance, status in cards]


def expected(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    return [(c["key"], f"#{c['rank']}", f"{c['distance']:.4f}", c["status"]) for c in rows]


def test_a_campaign_from_an_issue_runs_reviews_with_keys_and_exports(
    page: Any, server: str, api: httpx.Client, tmp_path: Path
) -> None:
    elements = [{"dataset": "rendered-scenes", "frame_id": f} for f in SEEDS]
    made = api.post(f"{PROJECT}/issues", json={"name": ISSUE, "elements": elements})
    assert made.status_code == 201, made.text
    # The issue's page starts a campaign from it.
    page.goto(f"{server}/#view=issues&project=shapes&dataset=rendered-scenes&issue={ISSUE}")
    page.get_by_role("button", name="Collect more like these…").click()
    form = page.get_by_role("form", name="New campaign")
    eventually(lambda: form.get_by_label("Seeds: the elements of issue").input_value(), ISSUE)
    eventually(lambda: form.get_by_label("Corpus (searched)").input_value(), "unlabeled")
    form.get_by_label("k", exact=True).fill("4")
    both_widths(page, "campaigns-form")
    eventually(lambda: form.get_by_label("Name").input_value(), NAME)
    form.get_by_role("button", name="Create campaign").click()
    page.get_by_role("heading", name=NAME).wait_for()
    created = api.get(f"{PROJECT}/campaigns/{NAME}").json()
    assert [s["id"] for s in created["seeds"]] == SEEDS
    assert (created["corpus"], created["k"], created["k_per"]) == ("unlabeled", 4, "seed")
    assert "campaign=" in page.evaluate("() => location.hash")
    page.get_by_role("button", name="Run", exact=True).click()
    progress = page.get_by_test_id("run-progress")
    eventually(lambda: (progress.text_content() or "").startswith("Done:"), True, timeout=60)
    rows = candidates(api)
    assert rows and all(c["status"] == "pending" for c in rows)
    assert (
        progress.text_content() == f"Done: {len(rows)} candidates ({len(rows)} new, 0 reviews kept)"
    )
    eventually(lambda: shown(page), expected(rows), timeout=40)
    assert page.get_by_test_id("count-total").text_content() == str(len(rows))
    both_widths(page, "campaigns-run")

    # Keys: a accepts the first card (and moves on), r rejects the second, j skips the
    # third, a accepts the fourth.
    page.locator("body").click(position={"x": 5, "y": 5})
    for key in ("a", "r", "j", "a"):
        page.keyboard.press(key)
    want = {rows[0]["key"]: "accepted", rows[1]["key"]: "rejected", rows[3]["key"]: "accepted"}

    def statuses() -> dict[str, str]:
        return {c["key"]: c["status"] for c in candidates(api) if c["status"] != "pending"}

    eventually(statuses, want)
    eventually(lambda: page.get_by_test_id("count-accepted").text_content(), "2")
    assert page.get_by_test_id("count-rejected").text_content() == "1"
    eventually(lambda: shown(page), expected(candidates(api)), timeout=40)
    both_widths(page, "campaigns-reviewed")
    # Enter opens the focused candidate (the fifth, after a, r, j, a) larger; Escape closes.
    page.keyboard.press("Enter")
    preview = page.get_by_role("dialog", name=f"Candidate frame {rows[4]['id']}")
    preview.wait_for()
    image = preview.locator("img.campaign-preview-image")
    eventually(lambda: image.evaluate("(i) => i.naturalWidth > 0"), True)
    assert preview.get_by_role("img", name="nearest seed frame").count() == 1
    shot(page, "campaigns-preview")
    page.keyboard.press("Escape")
    preview.wait_for(state="hidden")

    # The accepted export downloaded is the API's.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export accepted (CSV)").click()
    saved = tmp_path / "accepted.csv"
    download.value.save_as(saved)
    api_export = api.get(f"{PROJECT}/campaigns/{NAME}/export", params={"format": "csv"})
    assert saved.read_text() == api_export.text
    assert [line.split(",")[3] for line in api_export.text.splitlines()[1:]] == [
        rows[0]["id"], rows[3]["id"]
    ]  # fmt: skip

    # The reviews are the store's: a reload shows them; the filter lists the accepted.
    page.reload()
    eventually(lambda: shown(page), expected(candidates(api)), timeout=40)
    page.get_by_role("group", name="Candidates shown").get_by_role(
        "button", name="Accepted"
    ).click()
    eventually(lambda: [k for k, *_ in shown(page)], [rows[0]["key"], rows[3]["key"]])
    both_widths(page, "campaigns-accepted")


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_the_campaign_page_is_legible(browser: Any, server: str, scheme: str) -> None:
    """After the test above: the reviewed campaign, every text at WCAG AA contrast."""
    for width in (1440, 1024):
        context, page = _page_in(browser, scheme, width)
        try:
            page.goto(f"{server}/#view=campaigns&project=shapes&campaign={NAME}")
            page.locator('.campaign-gallery > li[data-status="accepted"]').first.wait_for()
            _is_legible(page, scheme, f"{scheme}-campaigns-{width}", False)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"at {width} px the page overflows by {overflow} px"
        finally:
            context.close()


def test_a_crop_campaign_draws_each_corpus_crop_on_its_frame(
    page: Any, server: str, api: httpx.Client
) -> None:
    """Label crops as seeds: the candidates are the corpus detector's prediction crops
    (the demo's corpus has their vectors), each drawn on its frame with its box."""
    labels = api.get(
        f"{PROJECT}/datasets/rendered-scenes/frame", params={"frame_id": "0002"}
    ).json()["labels"][:2]
    seeds = [
        {"dataset": "rendered-scenes", "frame_id": "0002", "element_kind": "label",
         "element_id": label["label_id"]}
        for label in labels
    ]  # fmt: skip
    made = api.post(f"{PROJECT}/campaigns", json={"name": "crops", "corpus": "unlabeled",
                                                   "seeds": seeds, "k": 3})  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["kind"] == "crop"
    assert api.post(f"{PROJECT}/campaigns/crops/run").status_code == 202
    rows: list[dict[str, Any]] = []

    def ran() -> bool:
        rows[:] = api.get(f"{PROJECT}/campaigns/crops/candidates").json()["candidates"]
        return bool(rows)

    eventually(ran, True, timeout=60)
    assert all(c["source"] == "prediction" and c["key"].startswith("prediction/") for c in rows)
    page.goto(f"{server}/#view=campaigns&project=shapes&campaign=crops")
    eventually(lambda: [k for k, *_ in shown(page)], [c["key"] for c in rows], timeout=40)
    boxes = page.locator('.campaign-gallery > li .annotated-image rect[data-kind="prediction"]')
    eventually(lambda: boxes.count(), len(rows), timeout=40)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("a")

    def accepted() -> list[str]:
        answer = api.get(f"{PROJECT}/campaigns/crops/candidates", params={"status": "accepted"})
        return [c["key"] for c in answer.json()["candidates"]]

    eventually(accepted, [rows[0]["key"]])
    both_widths(page, "campaigns-crops")
