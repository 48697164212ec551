"""The web app's label-error queue (Insights > Label errors, issue 13 section 2) in a real
browser over a real `shoal serve` on the demo projects (the recipe and helpers of
tests/test_browser.py): the queue drawn is the REST queue (ids, order, kinds, scores, classes)
under every filter and page; confirm / dismiss persist across a reload (checked through
REST); "Add to issue" puts the candidate's object in the issue; the export downloads the
confirmed ones; the keys review. Screenshots at 1440 and 1024 px, light and dark, go to
test-artifacts/browser/.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
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
    shot,
)
from test_browser_controls import both_widths

__all__ = ["api", "browser", "demo_home", "page", "server"]

pytestmark = pytest.mark.browser

QUEUE = f"{DATASET_API}/inference-sets/{DETECTOR}/label-errors"
PAGE_SIZE = 12  # LABEL_ERRORS_PAGE_SIZE
CARDS = ".label-error-list > li"


def rest_queue(api: httpx.Client, **params: Any) -> dict[str, Any]:
    answer = api.get(QUEUE, params={"limit": PAGE_SIZE, **params})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def expected_cards(queue: dict[str, Any], offset: int = 0) -> list[tuple[str, str, str]]:
    """Each candidate as a card shows it: id, rank and score (three decimals)."""
    return [
        (e["id"], f"#{offset + k + 1}", fixed(e["score"], 3))
        for k, e in enumerate(queue["label_errors"])
    ]


def shown_cards(page: Any) -> list[tuple[str, str, str]]:
    cards = page.locator(CARDS)
    return [
        (
            cards.nth(k).get_attribute("data-id") or "",
            cards.nth(k).locator(".rank").text_content() or "",
            cards.nth(k).locator('[data-testid="label-error-score"] strong').text_content() or "",
        )
        for k in range(cards.count())
    ]


def open_queue(page: Any, server: str) -> None:
    page.goto(f"{server}/#view=insights&{SHAPES}&set={DETECTOR}&insights=label-errors")
    page.locator(f"{CARDS}[data-id]").first.wait_for()


def card(page: Any, candidate: str) -> Any:
    return page.locator(f'{CARDS}[data-id="{candidate}"]')


def statuses(api: httpx.Client) -> dict[str, str]:
    every = rest_queue(api, limit=1000)["label_errors"]
    return {e["id"]: e["review"]["status"] for e in every if e["review"] is not None}


def test_the_queue_drawn_is_the_rest_queue_under_every_filter_and_page(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_queue(page, server)
    assert page.get_by_role("tab", name="Label errors").get_attribute("aria-selected") == "true"
    queue = rest_queue(api)
    assert queue["total"] > PAGE_SIZE, "the demo should give more than a page of candidates"
    eventually(lambda: shown_cards(page), expected_cards(queue))
    scores = [e["score"] for e in queue["label_errors"]]
    assert scores == sorted(scores, reverse=True)
    # Each card names its kind, its classes, and its frame, drawn with the two objects.
    first = queue["label_errors"][0]
    text = card(page, first["id"]).text_content() or ""
    assert first["label"] in text and f"frame {first['image_id']}" in text
    drawn = card(page, first["id"]).locator(".annotated-image svg rect")
    eventually(
        lambda: drawn.count(),
        int(first["annotation_id"] is not None) + int(first["prediction_id"] is not None),
    )
    legend = page.get_by_role("list", name="Review states").text_content() or ""
    assert "confirmed" in legend and "dismissed" in legend
    # A small candidate is magnified in an inset, with the same boxes.
    zoomed = page.locator(f"{CARDS} svg.candidate-zoom")
    eventually(lambda: zoomed.count() > 0, True)
    assert zoomed.first.locator("rect[data-kind]").count() >= 1
    # The score's definition is in its tooltip; the kind's meaning in the badge's.
    title = card(page, first["id"]).get_by_test_id("label-error-score").get_attribute("title")
    assert title is not None and title.startswith("Score: ")
    range_text = page.get_by_test_id("label-errors-range")
    eventually(lambda: range_text.text_content(), f"1–{PAGE_SIZE} of {queue['total']} (page 1 of {-(-queue['total'] // PAGE_SIZE)})")  # fmt: skip
    # The kind filter lists each kind's count; choosing one shows the REST queue of that kind.
    options = page.get_by_label("Kind", exact=True).locator("option").all_text_contents()
    for kind, count in queue["counts"].items():
        assert any(o.endswith(f"({count})") for o in options), (kind, options)
    kind = max(queue["counts"], key=lambda k: queue["counts"][k])
    page.get_by_label("Kind", exact=True).select_option(kind)
    eventually(lambda: shown_cards(page), expected_cards(rest_queue(api, kind=kind)))
    assert f"le_kind={kind}" in page.evaluate("() => location.hash")
    # The class filter (the Insights class, class=) is REST's label=.
    label = first["label"]
    page.get_by_label("Label-error class").select_option(label)
    eventually(lambda: shown_cards(page), expected_cards(rest_queue(api, kind=kind, label=label)))
    assert f"class={label}" in page.evaluate("() => location.hash")
    page.get_by_label("Kind", exact=True).select_option("")
    page.get_by_label("Label-error class").select_option("")
    eventually(lambda: shown_cards(page), expected_cards(queue))
    # The second page is REST's offset 12.
    page.get_by_role("navigation", name="Label-error pages").get_by_role(
        "button", name="Next"
    ).click()
    second = expected_cards(rest_queue(api, offset=PAGE_SIZE), PAGE_SIZE)
    eventually(lambda: shown_cards(page), second)
    # The page (and kind and review status) are in the URL: a reload lists the same.
    assert "le_page=2" in page.evaluate("() => location.hash")
    page.reload()
    eventually(lambda: shown_cards(page), second)
    page.get_by_role("navigation", name="Label-error pages").get_by_role(
        "button", name="Previous"
    ).click()
    eventually(lambda: shown_cards(page), expected_cards(queue))
    page.locator(f"{CARDS} .annotated-image svg rect").first.wait_for()
    both_widths(page, "insights-label-errors")


def test_confirm_and_dismiss_persist_across_a_reload(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_queue(page, server)
    queue = rest_queue(api, status="open")
    confirmed, dismissed = queue["label_errors"][0]["id"], queue["label_errors"][1]["id"]
    card(page, confirmed).get_by_role("button", name="Confirm").click()
    eventually(lambda: card(page, confirmed).get_attribute("data-status"), "confirmed")
    card(page, dismissed).get_by_role("button", name="Dismiss").click()
    eventually(lambda: card(page, dismissed).get_attribute("data-status"), "dismissed")
    assert (
        card(page, confirmed).get_by_test_id("review-state").text_content()
        == "confirmed label error"
    )
    reviewed = statuses(api)
    assert reviewed[confirmed] == "confirmed" and reviewed[dismissed] == "dismissed"
    page.reload()
    page.locator(f"{CARDS}[data-id]").first.wait_for()
    eventually(lambda: card(page, confirmed).get_attribute("data-status"), "confirmed")
    assert card(page, dismissed).get_attribute("data-status") == "dismissed"
    # The review filter: "Confirmed" lists what REST's status=confirmed lists.
    page.get_by_label("Review status").select_option("confirmed")
    eventually(lambda: shown_cards(page), expected_cards(rest_queue(api, status="confirmed")))
    # Pressing Confirm again reopens it (REST forgets the review).
    card(page, confirmed).get_by_role("button", name="Confirm").click()
    eventually(lambda: card(page, confirmed).get_attribute("data-status"), "open")
    assert confirmed not in statuses(api)
    card(page, confirmed).get_by_role("button", name="Confirm").click()
    eventually(lambda: statuses(api).get(confirmed), "confirmed")


def test_add_to_a_new_issue_and_export_the_confirmed_ones(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_queue(page, server)
    entry = rest_queue(api, status="open")["label_errors"][0]
    page.get_by_label("New issue name").fill("relabel from the queue")
    page.get_by_role("button", name="Create issue").click()
    eventually(
        lambda: page.get_by_label("Issue", exact=True).input_value(), "relabel from the queue"
    )
    card(page, entry["id"]).get_by_role("button", name="Add to issue").click()
    eventually(lambda: card(page, entry["id"]).get_attribute("data-status"), "confirmed")
    assert "in issue relabel from the queue" in (
        card(page, entry["id"]).get_by_test_id("review-state").text_content() or ""
    )
    issue = api.get("/api/v1/projects/shapes/issues/relabel from the queue").json()
    element_kind = "prediction" if entry["kind"] == "missing" else "label"
    element_id = (
        entry["source_prediction_id"] if entry["kind"] == "missing" else entry["source_label_id"]
    )
    assert [(e["frame_id"], e["element_kind"], e["element_id"]) for e in issue["elements"]] == [
        (entry["image_id"], element_kind, element_id)
    ]
    # The export: what REST's export gives, one row per confirmed candidate.
    confirmed = sorted(c for c, s in statuses(api).items() if s == "confirmed")
    assert entry["id"] in confirmed
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="CSV").click()
    assert csv_download.value.suggested_filename == f"{DETECTOR}-label-errors.csv"
    text = Path(csv_download.value.path()).read_text(encoding="utf-8")
    assert text == api.get(f"{QUEUE}/export", params={"format": "csv"}).text
    assert sorted(row["id"] for row in csv.DictReader(io.StringIO(text))) == confirmed
    with page.expect_download() as coco_download:
        page.get_by_role("button", name="COCO patch").click()
    assert coco_download.value.suggested_filename == f"{DETECTOR}-label-errors.json"
    patch = json.loads(Path(coco_download.value.path()).read_text(encoding="utf-8"))
    assert patch == api.get(f"{QUEUE}/export", params={"format": "coco"}).json()
    assert sum(len(changes) for changes in patch.values()) == len(confirmed)


def test_keys_move_confirm_dismiss_open_and_leave(
    page: Any, server: str, api: httpx.Client
) -> None:
    open_queue(page, server)
    # A page of candidates nobody reviewed yet.
    page.get_by_label("Review status").select_option("open")
    fresh = rest_queue(api, status="open")["label_errors"]
    eventually(lambda: [c[0] for c in shown_cards(page)], [e["id"] for e in fresh])
    page.locator("h2#label-errors-title").click()  # focus off the select: keys go to the queue
    selected = f"{CARDS}[data-selected='true']"
    page.keyboard.press("j")
    eventually(lambda: page.locator(selected).get_attribute("data-id"), fresh[0]["id"])
    page.keyboard.press("j")
    page.keyboard.press("ArrowDown")
    eventually(lambda: page.locator(selected).get_attribute("data-id"), fresh[2]["id"])
    page.keyboard.press("k")
    eventually(lambda: page.locator(selected).get_attribute("data-id"), fresh[1]["id"])
    page.keyboard.press("c")
    eventually(lambda: statuses(api).get(fresh[1]["id"]), "confirmed")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("d")
    eventually(lambda: statuses(api).get(fresh[0]["id"]), "dismissed")
    # Reviewed candidates keep their place while the reviewer moves on.
    assert [c[0] for c in shown_cards(page)] == [e["id"] for e in fresh]
    assert card(page, fresh[0]["id"]).get_attribute("data-status") == "dismissed"
    shot(page, "insights-label-errors-reviewing")
    # Enter opens the frame; Esc closes it; Esc again leaves the candidate.
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    eventually(lambda: f"Frame {fresh[0]['image_id']}" in (dialog.text_content() or ""), True)
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    page.locator("h2#label-errors-title").click()
    page.keyboard.press("Escape")
    eventually(lambda: page.locator(selected).count(), 0)
    # Past the page's last candidate is the next page's first.
    page.get_by_label("Review status").select_option("all")
    everything = rest_queue(api, limit=2 * PAGE_SIZE)["label_errors"]
    eventually(lambda: [c[0] for c in shown_cards(page)], [e["id"] for e in everything[:PAGE_SIZE]])
    page.locator("h2#label-errors-title").click()
    page.keyboard.press("k")  # no candidate chosen: the page's last
    eventually(lambda: page.locator(selected).get_attribute("data-id"), everything[PAGE_SIZE - 1]["id"])  # fmt: skip
    page.keyboard.press("j")
    eventually(lambda: page.locator(selected).get_attribute("data-id"), everything[PAGE_SIZE]["id"])


def test_dark_mode(page: Any, server: str) -> None:
    open_queue(page, server)
    page.get_by_role("button", name="Dark mode").click()
    page.locator(f"{CARDS} .annotated-image svg rect").first.wait_for()
    both_widths(page, "insights-label-errors-dark")


def test_a_classification_project_shows_given_against_suggested_class(
    page: Any, server: str, api: httpx.Client
) -> None:
    digits = "/api/v1/projects/digits/datasets/handwritten-digits"
    first_set = api.get(f"{digits}/inference-sets").json()[0]["name"]
    queue_path = f"{digits}/inference-sets/{first_set}/label-errors"
    page.goto(f"{server}/#view=insights&project=digits&set={first_set}&insights=label-errors")
    rest = api.get(queue_path, params={"limit": PAGE_SIZE}).json()
    assert rest["total"] > 0
    eventually(lambda: shown_cards(page), expected_cards(rest))
    first = rest["label_errors"][0]
    text = card(page, first["id"]).text_content() or ""
    assert f"given {first['label']} · suggested {first['partner_label']}" in text
    assert card(page, first["id"]).locator("svg rect").count() == 0
    title = card(page, first["id"]).get_by_test_id("label-error-score").get_attribute("title")
    assert title is not None and "1 − p(given class)" in title
    page.get_by_label("Score method").select_option("normalized_margin")
    margin = api.get(queue_path, params={"limit": PAGE_SIZE, "method": "normalized_margin"})
    eventually(lambda: shown_cards(page), expected_cards(margin.json()))
    page.locator(f"{CARDS} img").first.wait_for()
    both_widths(page, "insights-label-errors-classification")
    # A review of a classification candidate persists too.
    card(page, first["id"]).get_by_role("button", name="Confirm").click()
    eventually(
        lambda: (
            api.get(queue_path, params={"status": "confirmed"}).json()["label_errors"] or [{}]
        )[0].get("id"),
        first["id"],
    )


def test_metrics_links_to_the_label_errors(page: Any, server: str) -> None:
    page.goto(f"{server}/#view=metrics&{SHAPES}&set={DETECTOR}")
    page.get_by_role("button", name="Label errors").click()
    page.locator(f"{CARDS}[data-id]").first.wait_for()
    assert "insights=label-errors" in page.evaluate("() => location.hash")
    assert page.get_by_role("tab", name="Label errors").get_attribute("aria-selected") == "true"
