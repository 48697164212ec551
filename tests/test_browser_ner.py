"""The NER Metrics view in a real browser over a real `shoal serve` on an NER project
imported from CoNLL files: every number shown equals the REST answer (which
tests/test_ner_api.py checks against seqeval), each sentence shows its text with its true
and predicted entities highlighted (matched, missed, false), and the view fits 1440 and
1024 px (screenshots in test-artifacts/browser/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shoal.formats.classification_csv import (
    from_classification_csv,
    from_classification_predictions_csv,
)
from shoal.formats.conll import ConllCorpus, from_conll, from_conll_predictions, write_conll
from shoal.store import Store
from test_browser import _start, _stop, api, browser, eventually, page, score
from test_browser_controls import both_widths, location

__all__ = ["api", "browser", "page"]

pytestmark = pytest.mark.browser

PROJECT = "project=news&dataset=test"
SET_API = "/api/v1/projects/news/datasets/test/inference-sets/tagger"

# Sentence 1: an exact match (EU) and a type error (German: MISC vs LOC); sentence 2: a
# boundary error (Peter Blackburn vs Peter); sentence 3: a false entity (a prediction).
GOLD = [
    [("EU", "B-ORG"), ("rejects", "O"), ("German", "B-MISC"), ("call", "O"), (".", "O")],
    [("Peter", "B-PER"), ("Blackburn", "I-PER"), ("spoke", "O")],
    [("The", "O"), ("lamb", "O"), ("is", "O"), ("British", "B-MISC")],
]
PRED = [
    [("EU", "B-ORG"), ("rejects", "O"), ("German", "B-LOC"), ("call", "O"), (".", "O")],
    [("Peter", "B-PER"), ("Blackburn", "O"), ("spoke", "O")],
    [("The", "B-ORG"), ("lamb", "O"), ("is", "O"), ("British", "B-MISC")],
]


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ner_browser")
    write_conll(folder / "gold.conll", ConllCorpus([list(s) for s in GOLD], [0]))
    write_conll(folder / "pred.conll", ConllCorpus([list(s) for s in PRED], [0]))
    home = folder / "home"
    store = Store(home)
    project = store.create_project("news", task="ner")
    tables = from_conll(folder / "gold.conll")
    dataset = project.create_dataset("test", tables)
    dataset.create_inference_set("tagger", from_conll_predictions(folder / "pred.conll", tables))
    # Text classification: frames whose text is their metadata (no image), from CSV.
    (folder / "reviews.csv").write_text(
        'frame_id,label,text\nr1,pos,"A quiet, lovely film."\nr2,neg,Two hours I will not get back.\n'
    )
    (folder / "sentiment.csv").write_text("frame_id,predicted,confidence\nr1,neg,0.7\nr2,neg,0.9\n")
    reviews = store.create_project("reviews", task="classification", classes=["neg", "pos"])
    texts = reviews.create_dataset("test", from_classification_csv(folder / "reviews.csv"))
    texts.create_inference_set(
        "sentiment", from_classification_predictions_csv(folder / "sentiment.csv", ["neg", "pos"])
    )
    store.close()
    return home


@pytest.fixture(scope="module")
def server(demo_home: Path) -> Iterator[str]:
    process, base = _start(demo_home)
    yield base
    _stop(process)


def report_rows(page: Any, caption_start: str) -> list[list[str]]:
    rows: list[list[str]] = page.evaluate(
        """(start) => {
          const table = [...document.querySelectorAll("table")].find(
            (t) => t.caption && t.caption.textContent.trim().startsWith(start));
          if (!table) return [];
          return [...table.tBodies, table.tFoot].flatMap((b) => [...b.rows]).map(
            (r) => [...r.cells].map((c) => c.textContent.trim()));
        }""",
        caption_start,
    )
    return rows


def expected_rows(report: dict[str, Any]) -> list[list[str]]:
    rows = [
        [row["label"], score(row["precision"]), score(row["recall"]), score(row["f1-score"]),
         f"{row['support']:,}", f"{row['tp']:,}", f"{row['fp']:,}", f"{row['fn']:,}"]
        for row in report["types"]
    ]  # fmt: skip
    for name in ("micro avg", "macro avg", "weighted avg"):
        row = report["averages"][name]
        rows.append(
            [name, score(row["precision"]), score(row["recall"]), score(row["f1-score"]),
             f"{row['support']:,}", ""]
        )  # fmt: skip
    return rows


def highlights(page: Any) -> list[dict[str, list[list[str]]]]:
    """Each sentence's highlighted entities per side: [text, type, outcome class]."""
    found: list[dict[str, list[list[str]]]] = page.evaluate(
        """() => [...document.querySelectorAll(".ner-sentence")].map((li) => {
          const sides = [...li.querySelectorAll(".ner-side")];
          const marks = (side) => [...side.querySelectorAll("mark")].map((m) => [
            m.childNodes[0].textContent, m.querySelector(".ner-type").textContent,
            [...m.classList].find((c) => c !== "ner-entity")]);
          return {text: sides[0].querySelector(".ner-line").textContent,
                  truth: marks(sides[0]), predicted: marks(sides[1])};
        })"""
    )
    return found


def test_report_and_sentences_equal_the_rest_answer(
    page: Any, server: str, api: httpx.Client
) -> None:
    page.goto(f"{server}/#{PROJECT}&view=metrics")
    answer = api.get(f"{SET_API}/ner-metrics").json()
    eventually(
        lambda: report_rows(page, "Entity-level report (exact"), expected_rows(answer["exact"])
    )
    assert page.get_by_role("tab").all_inner_texts() == ["Metrics", "Frame"]
    tiles = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll(
             'dl[aria-label="Headline metrics"] > div')].map(
             (d) => [d.querySelector("dt").textContent, d.querySelector("dd").textContent]))"""
    )
    assert tiles["Exact F1"] == score(answer["exact"]["averages"]["micro avg"]["f1-score"])
    assert tiles["Overlap F1"] == score(answer["overlap"]["averages"]["micro avg"]["f1-score"])
    # The sentences: their text, each side's entities, matched / missed / false.
    eventually(lambda: len(highlights(page)), 3)
    shown = highlights(page)
    assert shown[0]["truth"] == [["EU", "ORG", "ner-match"], ["German", "MISC", "ner-missed"]]
    assert shown[0]["predicted"] == [["EU", "ORG", "ner-match"], ["German", "LOC", "ner-false"]]
    assert shown[1]["truth"] == [["Peter Blackburn", "PER", "ner-missed"]]
    assert shown[2]["predicted"] == [["The", "ORG", "ner-false"], ["British", "MISC", "ner-match"]]
    assert "rejects" in shown[0]["text"] and "call" in shown[0]["text"]
    both_widths(page, "ner-metrics")


def test_overlap_matching_and_filters(page: Any, server: str, api: httpx.Client) -> None:
    page.goto(f"{server}/#{PROJECT}&view=metrics")
    answer = api.get(f"{SET_API}/ner-metrics").json()
    eventually(lambda: len(highlights(page)), 3)
    page.get_by_role("button", name="Overlap").click()
    eventually(
        lambda: report_rows(page, "Entity-level report (overlap"), expected_rows(answer["overlap"])
    )
    # Under overlap matching, "Peter" overlaps "Peter Blackburn": both matched.
    eventually(lambda: highlights(page)[1]["truth"], [["Peter Blackburn", "PER", "ner-match"]])
    # A type's sentences: PER appears in sentence 2 only.
    page.get_by_role("button", name="PER: show its sentences").click()
    eventually(lambda: [s["text"].split()[0] for s in highlights(page)], ["Peter"])
    page.get_by_role("button", name="(every type)").click()
    page.get_by_label("Only sentences with a mistake").check()
    expected = api.get(
        f"{SET_API}/ner-sentences", params={"match": "overlap", "errors_only": "true"}
    ).json()["total"]
    eventually(lambda: len(highlights(page)), expected)
    # The matching and the filters live in the URL: a reload shows the same sentences.
    eventually(
        lambda: "ner_match=overlap" in location(page) and "ner_errors=1" in location(page), True
    )
    page.goto(location(page))
    page.reload()
    eventually(lambda: len(highlights(page)), expected)
    assert page.get_by_role("button", name="Overlap").get_attribute("aria-pressed") == "true"
    both_widths(page, "ner-overlap")


def test_a_sentence_opens_its_frame(page: Any, server: str) -> None:
    page.goto(f"{server}/#{PROJECT}&view=metrics")
    eventually(lambda: len(highlights(page)), 3)
    page.get_by_role("button", name="frame 2").click()
    panel = page.get_by_role("region", name="Frame 2")
    eventually(lambda: panel.get_by_label("Text").inner_text(), "Peter Blackburn spoke")
    marks = panel.locator("mark")
    eventually(lambda: marks.count(), 2)
    assert "ner-missed" in (marks.nth(0).get_attribute("class") or "")
    panel.get_by_role("button", name="Overlap").click()
    eventually(lambda: "ner-match" in (marks.nth(0).get_attribute("class") or ""), True)
    both_widths(page, "ner-frame")


def test_a_text_classification_frame_shows_its_text(page: Any, server: str) -> None:
    page.goto(f"{server}/#project=reviews&dataset=test&view=frame&frame=r1")
    panel = page.get_by_role("region", name="Frame r1")
    eventually(lambda: panel.get_by_label("Text").inner_text(), "A quiet, lovely film.")
    assert panel.locator("img").count() == 0
    assert panel.get_by_test_id("true-class").inner_text() == "pos"
    assert panel.get_by_test_id("predicted-class").inner_text().startswith("neg")
    both_widths(page, "text-classification-frame")


def test_text_classification_examples_show_their_text(page: Any, server: str) -> None:
    page.goto(f"{server}/#project=reviews&dataset=test&view=metrics")
    cell = page.locator('button[data-cell="1,0"]').first  # pos -> neg: r1
    cell.wait_for()
    cell.click()
    grid = page.get_by_role("region", name="pos → neg")
    eventually(lambda: grid.locator(".example-text").all_inner_texts(), ["A quiet, lovely film."])
    assert grid.locator("img").count() == 0
    both_widths(page, "text-classification-examples")
