"""shoal.formats.labelbox_ner: Labelbox NDJSON text entities to token tags and back,
evaluated as seqeval evaluates the same tags; bad lines named."""

from __future__ import annotations

import json
import random
import warnings

import pytest
from seqeval.metrics import classification_report

from shoal.engine.ner import evaluate_entities, extract_entities
from shoal.errors import InputError
from shoal.formats.labelbox_ner import (
    as_labelbox_ner,
    entities_to_tags,
    read_labelbox_entities,
    read_labelbox_ner_pair,
    tokenize,
)

TEXTS = {
    "doc-1": "EU rejects German call to boycott British lamb .",
    "doc-2": "Peter Blackburn",
    "doc-3": "  BRUSSELS  1996-08-22 ",
}


def lines(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def entity(key: str, name: str, start: int, end: int, **extra) -> dict:
    return {
        "dataRow": {"globalKey": key},
        "name": name,
        "location": {"start": start, "end": end},
    } | extra


def test_entities_become_iob2_tags(tmp_path):
    path = tmp_path / "gold.ndjson"
    path.write_text(
        lines(
            entity("doc-1", "ORG", 0, 1),  # "EU"
            entity("doc-1", "MISC", 11, 16, confidence=0.7),  # "German"
            entity("doc-1", "MISC", 34, 40),  # "British"
            {"dataRow": {"id": "doc-2"}, "name": "PER", "location": {"start": 0, "end": 14}},
            entity("doc-3", "LOC", 3, 5),  # part of "BRUSSELS": the whole token is tagged
        )
        + "\n"
    )
    entities = read_labelbox_entities(path)
    assert entities[1].confidence == 0.7 and entities[1].line == 2
    tags = entities_to_tags(TEXTS, entities)
    assert tags == [
        ["B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O"],
        ["B-PER", "I-PER"],
        ["B-LOC", "O"],
    ]
    assert tokenize(TEXTS["doc-3"]) == [(2, 10), (12, 22)]


@pytest.mark.parametrize("seed", range(6))
def test_tags_round_trip_through_labelbox(tmp_path, seed):
    rng = random.Random(seed)
    texts = {}
    tags = []
    for i in range(30):
        words = [
            "".join(rng.choice("abcdeé") for _ in range(rng.randrange(1, 6)))
            for _ in range(rng.randrange(0, 12))
        ]
        texts[f"t{i}"] = rng.choice([" ", "  ", "\t"]).join(words) + rng.choice(["", " "])
        # Malformed on purpose: I- without B-, type changes; conlleval reads them.
        tags.append([rng.choice(["O", "B-PER", "I-PER", "I-LOC", "B-ORG"]) for _ in words])
    (tmp_path / "t.ndjson").write_text(as_labelbox_ner(texts, tags))
    back = entities_to_tags(texts, read_labelbox_entities(tmp_path / "t.ndjson"))
    assert extract_entities(back).to_list() == extract_entities(tags).to_list()
    # Well-formed IOB2 comes back tag for tag.
    assert as_labelbox_ner(texts, back) == (tmp_path / "t.ndjson").read_text()


def test_pair_evaluates_as_seqeval(tmp_path):
    gold, pred = tmp_path / "gold.ndjson", tmp_path / "pred.ndjson"
    gold.write_text(lines(entity("doc-1", "ORG", 0, 1), entity("doc-2", "PER", 0, 14)))
    pred.write_text(lines(entity("doc-1", "ORG", 0, 1), entity("doc-2", "PER", 0, 4)))
    truth, predicted = read_labelbox_ner_pair(gold, pred, TEXTS)
    ev = evaluate_entities(truth, predicted)
    gold_tags = [truth.sentence(i) for i in range(truth.num_sentences)]
    pred_tags = [predicted.sentence(i) for i in range(predicted.num_sentences)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = classification_report(gold_tags, pred_tags, output_dict=True)
    for name, row in theirs.items():
        for key, value in row.items():
            assert ev.report()[name][key] == pytest.approx(float(value), abs=1e-12)
    assert ev.report()["PER"]["recall"] == 0.0
    assert ev.report(match="overlap")["PER"]["recall"] == 1.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json\n", r"record line 1: is not valid JSON"),
        (
            '{"dataRow": {"globalKey": "doc-1"}, "name": "A", "bbox": {}}\n',
            r"line 1: no text entity",
        ),
        (lines(entity("doc-9", "A", 0, 1)), r"line 1: dataRow 'doc-9' is not one of the texts"),
        (lines(entity("doc-2", "A", 0, 15)), r"line 1: location.end 15 is past the text's last"),
        (lines(entity("doc-3", "A", 0, 1)), r"line 1: location 0\.\.1 covers no token"),
        (lines(entity("doc-1", "A", 3, 1)), r"line 1: location 3\.\.1 is not a span"),
        (lines(entity("doc-1", "A", 0, "2")), r"line 1: location.end is '2', not an integer"),
        (lines(entity("doc-1", "has space", 0, 1)), r"line 1: name \(the entity type\)"),
        (
            lines(entity("doc-1", "A", 0, 1), entity("doc-1", "B", 1, 5)),
            r"line 2: the entity shares a token with line 1's",
        ),
        ('{"name": "A", "location": {"start": 0, "end": 1}}\n', r"line 1: dataRow must name"),
    ],
)
def test_bad_lines_are_named(tmp_path, content, message):
    path = tmp_path / "bad.ndjson"
    path.write_text(content)
    with pytest.raises(InputError, match=r"bad\.ndjson: " + message):
        entities_to_tags(TEXTS, read_labelbox_entities(path), source=str(path))


def test_writer_checks_token_counts():
    with pytest.raises(InputError, match="has 2 tokens but 1 tags"):
        as_labelbox_ner({"doc-2": TEXTS["doc-2"]}, [["O"]])


def test_labelbox_predictions_on_a_stored_ner_dataset(tmp_path):
    """CoNLL gold, Labelbox NDJSON predictions (written from the predicted tags): the
    store's report equals seqeval on the tags, and the registry reads the format."""
    from shoal.formats import FORMATS, ReadOptions
    from shoal.formats.conll import from_conll, write_conll
    from shoal.store import Store
    from test_ner_store import assert_equal_to_seqeval, corpus_pair

    gold, pred = corpus_pair(5)
    write_conll(tmp_path / "gold.conll", gold)
    tables = from_conll(tmp_path / "gold.conll")
    texts = dict(
        zip(
            tables.frames.column("frame_id").to_pylist(),
            tables.frames.column("text").to_pylist(),
            strict=True,
        )
    )
    (tmp_path / "pred.ndjson").write_text(as_labelbox_ner(texts, pred.tags()))
    store = Store(tmp_path / "home")
    dataset = store.create_project("news", task="ner").create_dataset("test", tables)
    fmt = FORMATS["labelbox-ner"]
    assert fmt.predictions and fmt.task == "ner"
    found = dataset.create_inference_set(
        "tagger", fmt.read(ReadOptions(tmp_path / "pred.ndjson", dataset=tables))
    )
    # Labelbox holds entities, so predicted tags come back as IOB2: compare with those.
    iob2 = entities_to_tags(texts, read_labelbox_entities(tmp_path / "pred.ndjson"))
    assert_equal_to_seqeval(found.ner_metrics().to_dict(), gold.tags(), iob2)
    assert extract_entities(iob2).to_list() == extract_entities(pred.tags()).to_list()
