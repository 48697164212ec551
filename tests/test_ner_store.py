"""NER projects in the store: CoNLL files imported as frames with their text and one tag
per token; ner_metrics equal to seqeval (all frames, a segment, a query), ner_sentences
the entities of each frame; other queries refused; older catalogs widened."""

from __future__ import annotations

import random
import sqlite3
import warnings
from pathlib import Path

import pytest
from seqeval.metrics import classification_report

from shoal.errors import InputError
from shoal.formats.conll import ConllCorpus, from_conll, from_conll_predictions, write_conll
from shoal.store import Store

TYPES = ("PER", "LOC", "ORG")


def corpus_pair(seed: int, sentences: int = 60) -> tuple[ConllCorpus, ConllCorpus]:
    rng = random.Random(seed)
    gold, pred = [], []
    for _ in range(sentences):
        words = [f"w{rng.randrange(300)}" for _ in range(rng.randrange(1, 10))]
        tags = []
        for _ in words:
            prefix = rng.choice("OOBI")
            tags.append("O" if prefix == "O" else f"{prefix}-{rng.choice(TYPES)}")
        guess = [t if rng.random() < 0.7 else rng.choice(["O", "B-PER", "I-LOC"]) for t in tags]
        gold.append([(w, t) for w, t in zip(words, tags, strict=True)])
        pred.append([(w, t) for w, t in zip(words, guess, strict=True)])
    return ConllCorpus(gold, [0, sentences // 2]), ConllCorpus(pred, [0, sentences // 2])


def stored(tmp_path: Path, seed: int = 0):
    gold, pred = corpus_pair(seed)
    write_conll(tmp_path / "gold.conll", gold)
    write_conll(tmp_path / "pred.conll", pred)
    store = Store(tmp_path / "home")
    project = store.create_project("news", task="ner")
    dataset_tables = from_conll(tmp_path / "gold.conll")
    dataset = project.create_dataset("test", dataset_tables)
    inference_set = dataset.create_inference_set(
        "tagger", from_conll_predictions(tmp_path / "pred.conll", dataset_tables)
    )
    return inference_set, gold.tags(), pred.tags()


def seqeval(gold, pred):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return classification_report(gold, pred, output_dict=True)


def assert_equal_to_seqeval(got: dict, gold, pred) -> None:
    theirs = seqeval(gold, pred)
    exact = got["exact"]
    assert [row["label"] for row in exact["types"]] + list(exact["averages"]) == list(theirs)
    rows = {row["label"]: row for row in exact["types"]} | exact["averages"]
    for name, row in theirs.items():
        for key, value in row.items():
            assert rows[name][key] == pytest.approx(float(value), abs=1e-12), (name, key)


@pytest.mark.parametrize("seed", range(3))
def test_stored_metrics_equal_seqeval(tmp_path: Path, seed: int) -> None:
    inference_set, gold, pred = stored(tmp_path, seed)
    got = inference_set.ner_metrics().to_dict()
    assert got["num_frames"] == 60 and got["mode"] == "default"
    assert_equal_to_seqeval(got, gold, pred)
    for row in got["exact"]["types"]:
        assert row["tp"] + row["fn"] == row["support"]
    overlap = got["overlap"]["averages"]["micro avg"]
    assert overlap["recall"] >= got["exact"]["averages"]["micro avg"]["recall"]


def test_segments_and_queries_equal_their_frames_alone(tmp_path: Path) -> None:
    inference_set, gold, pred = stored(tmp_path, 4)
    dataset = inference_set.dataset
    chosen = list(range(0, 60, 4))
    dataset.create_segment("every fourth", frames=[str(i + 1) for i in chosen])
    got = inference_set.ner_metrics(segment="every fourth").to_dict()
    assert got["num_frames"] == len(chosen)
    assert_equal_to_seqeval(got, [gold[i] for i in chosen], [pred[i] for i in chosen])
    # The frames' metadata: the document each sentence is in (the second half is doc 2).
    got = inference_set.ner_metrics(query="document == 2").to_dict()
    assert_equal_to_seqeval(got, gold[30:], pred[30:])


def test_sentences_carry_tokens_and_entities(tmp_path: Path) -> None:
    inference_set, gold, pred = stored(tmp_path, 2)
    page = inference_set.ner_sentences(limit=60).to_dict()
    assert page["total"] == 60 and len(page["sentences"]) == 60
    from seqeval.metrics.sequence_labeling import get_entities

    for i, sentence in enumerate(page["sentences"]):
        assert sentence["frame_id"] == str(i + 1)
        assert len(sentence["tokens"]) == len(gold[i])
        truth = {(e["type"], e["start"], e["end"] - 1) for e in sentence["truth"]}
        predicted = {(e["type"], e["start"], e["end"] - 1) for e in sentence["predicted"]}
        assert truth == set(get_entities(gold[i]))
        assert predicted == set(get_entities(pred[i]))
        for e in sentence["predicted"]:
            assert e["matched"] == ((e["type"], e["start"], e["end"] - 1) in truth)
    errors = inference_set.ner_sentences(errors_only=True, limit=100).to_dict()
    assert errors["total"] == sum(
        any(not e["matched"] for e in s["truth"] + s["predicted"]) for s in page["sentences"]
    )
    per = inference_set.ner_sentences(entity_type="ORG", limit=100).to_dict()
    assert all(
        any(e["type"] == "ORG" for e in s["truth"] + s["predicted"]) for s in per["sentences"]
    )
    second = inference_set.ner_sentences(offset=10, limit=5).to_dict()
    assert [s["frame_id"] for s in second["sentences"]] == ["11", "12", "13", "14", "15"]
    with pytest.raises(InputError, match="unknown entity type 'DATE'"):
        inference_set.ner_sentences(entity_type="DATE")
    with pytest.raises(InputError, match="match must be one of"):
        inference_set.ner_sentences(match="partial")


def test_other_queries_refuse_an_ner_set_and_rows_are_checked(tmp_path: Path) -> None:
    inference_set, _, _ = stored(tmp_path, 1)
    with pytest.raises(InputError, match="NER project"):
        inference_set.metrics()
    with pytest.raises(InputError, match="not multilabel"):
        inference_set.multilabel_metrics()
    project = inference_set.dataset.project
    tables = inference_set.dataset.tables()
    import pyarrow as pa

    ids = pa.array([f"x{i}" for i in range(tables.labels.num_rows)], pa.string())
    bad = tables.labels.combine_chunks().set_column(0, "label_id", ids)
    with pytest.raises(InputError, match=r"label id 'x0' is not '<frame_id>/<token index>'"):
        project.create_dataset("bad", type(tables)(tables.frames, bad, tables.embeddings))


def test_bad_prediction_file_names_the_line(tmp_path: Path) -> None:
    gold, _ = corpus_pair(0, sentences=3)
    write_conll(tmp_path / "gold.conll", gold)
    tables = from_conll(tmp_path / "gold.conll")
    text = (tmp_path / "gold.conll").read_text().replace(gold.sentences[1][0][0] + " ", "zzz ", 1)
    (tmp_path / "pred.conll").write_text(text)
    with pytest.raises(InputError, match=r"pred\.conll: line \d+: sentence 2's tokens differ"):
        from_conll_predictions(tmp_path / "pred.conll", tables)


def test_catalog_of_an_older_shoal_takes_ner_projects(tmp_path: Path) -> None:
    store = Store(tmp_path / "home")
    store.create_project("tags", task="multilabel")
    store.close()
    catalog = tmp_path / "home" / "catalog.sqlite"
    db = sqlite3.connect(catalog)
    db.execute("PRAGMA foreign_keys = OFF")
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'projects'").fetchone()[0]
    old = sql.replace(", 'ner'", "").replace(
        "CREATE TABLE projects", "CREATE TABLE projects_old", 1
    )
    db.execute(old)
    db.execute("INSERT INTO projects_old SELECT * FROM projects")
    db.execute("DROP TABLE projects")
    db.execute("ALTER TABLE projects_old RENAME TO projects")
    db.commit()
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO projects (name, task) VALUES ('x', 'ner')")
    db.close()
    reopened = Store(tmp_path / "home")
    assert reopened.project("tags").task == "multilabel"
    assert reopened.create_project("news", task="ner").task == "ner"


def test_cli_import_then_metrics_equal_seqeval(tmp_path: Path) -> None:
    from conftest import run_cli

    gold, pred = corpus_pair(7)
    write_conll(tmp_path / "gold.conll", gold)
    write_conll(tmp_path / "pred.conll", pred)
    home = str(tmp_path / "home")
    done = run_cli("import", "conll", str(tmp_path / "gold.conll"), "--project", "news",
                   "--dataset", "test", "--home", home)  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = run_cli("import", "conll-predictions", str(tmp_path / "pred.conll"), "--project",
                   "news", "--dataset", "test", "--name", "tagger", "--home", home)  # fmt: skip
    assert done.returncode == 0, done.stderr
    store = Store(tmp_path / "home")
    project = store.project("news")
    assert project.task == "ner"
    found = project.dataset("test").inference_set("tagger")
    assert_equal_to_seqeval(found.ner_metrics().to_dict(), gold.tags(), pred.tags())
