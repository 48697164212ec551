"""shoal.formats.conll: CoNLL-2003 style files read, written back unchanged, and read as a
gold/predicted pair for shoal.engine.ner; bad files named by file and line."""

from __future__ import annotations

import random
import warnings

import pytest
from seqeval.metrics import classification_report

from shoal.engine.ner import evaluate_entities
from shoal.errors import InputError
from shoal.formats.conll import ConllCorpus, as_conll, read_conll, read_conll_pair, write_conll

GOLD = """\
-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP B-LOC
1996-08-22 CD I-NP O
"""


def test_reads_sentences_documents_and_lines(tmp_path):
    path = tmp_path / "gold.conll"
    path.write_text(GOLD)
    corpus = read_conll(path)
    assert corpus.tokens() == [
        ["EU", "rejects", "German", "call", "."],
        ["Peter", "Blackburn"],
        ["BRUSSELS", "1996-08-22"],
    ]
    assert corpus.tags() == [
        ["B-ORG", "O", "B-MISC", "O", "O"],
        ["B-PER", "I-PER"],
        ["B-LOC", "O"],
    ]
    assert corpus.tags(column=1)[1] == ["NNP", "NNP"]
    assert corpus.documents == [0, 2]
    assert corpus.lines == [3, 9, 14]
    assert corpus.num_columns == 4


def test_writes_what_it_reads(tmp_path):
    path = tmp_path / "gold.conll"
    path.write_text(GOLD)
    corpus = read_conll(path)
    assert as_conll(corpus) == GOLD + "\n"  # the writer ends each sentence with a blank line
    again = tmp_path / "again.conll"
    write_conll(again, corpus)
    assert read_conll(again) == corpus


@pytest.mark.parametrize("seed", range(5))
def test_round_trip_of_random_corpora(tmp_path, seed):
    rng = random.Random(seed)
    columns = rng.choice([2, 3, 4])
    sentences = [
        [
            tuple(
                [f"w{rng.randrange(1000)}"]
                + [rng.choice(["NN", "VB", "B-NP", "é"]) for _ in range(columns - 2)]
                + [rng.choice(["O", "B-PER", "I-PER", "B-LOC"])]
            )
            for _ in range(rng.randrange(1, 12))
        ]
        for _ in range(rng.randrange(1, 30))
    ]
    documents = sorted(rng.sample(range(len(sentences)), rng.randrange(0, len(sentences))))
    corpus = ConllCorpus(sentences, documents)
    write_conll(tmp_path / "c.conll", corpus)
    assert read_conll(tmp_path / "c.conll") == corpus


def test_tolerates_tabs_crlf_and_trailing_blank_lines(tmp_path):
    path = tmp_path / "t.conll"
    path.write_bytes(b"EU\tB-ORG\r\nrejects\tO\r\n\r\n\r\n\r\nPeter\tB-PER\r\n\r\n")
    corpus = read_conll(path)
    assert corpus.tokens() == [["EU", "rejects"], ["Peter"]]
    assert corpus.lines == [1, 6]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("EU B-ORG\nrejects\n", r"b\.conll: line 2: 1 columns, but line 1 has 2"),
        ("EU\n", r"b\.conll: line 1: 'EU' has one column"),
        ("EU NNP B-ORG\n\nPeter B-PER\n", r"b\.conll: line 3: 2 columns, but line 1 has 3"),
    ],
)
def test_bad_files_name_the_line(tmp_path, text, message):
    path = tmp_path / "b.conll"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_conll(path)


def test_unreadable_files_are_named(tmp_path):
    with pytest.raises(InputError, match=r"missing\.conll: cannot read the file"):
        read_conll(tmp_path / "missing.conll")
    (tmp_path / "latin.conll").write_bytes(b"caf\xe9 O\n")
    with pytest.raises(InputError, match=r"latin\.conll: is not UTF-8"):
        read_conll(tmp_path / "latin.conll")


def test_pair_evaluates_as_seqeval(tmp_path):
    gold_path, pred_path = tmp_path / "gold.conll", tmp_path / "pred.conll"
    gold_path.write_text(GOLD)
    pred_text = GOLD.replace("German JJ B-NP B-MISC", "German JJ B-NP I-LOC").replace(
        "Blackburn NNP I-NP I-PER", "Blackburn NNP I-NP B-PER"
    )
    pred_path.write_text(pred_text)
    corpus, gold, pred = read_conll_pair(gold_path, pred_path)
    assert corpus.documents == [0, 2]
    ev = evaluate_entities(gold, pred)
    gold_tags = read_conll(gold_path).tags()
    pred_tags = read_conll(pred_path).tags()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = classification_report(gold_tags, pred_tags, output_dict=True)
    ours = ev.report()
    assert list(ours) == list(theirs)
    for name, row in theirs.items():
        for key, value in row.items():
            assert ours[name][key] == pytest.approx(float(value), abs=1e-12)


def test_pair_mismatches_name_both_files(tmp_path):
    gold_path, pred_path = tmp_path / "gold.conll", tmp_path / "pred.conll"
    gold_path.write_text(GOLD)
    pred_path.write_text(GOLD.replace("Blackburn NNP", "Blackbird NNP"))
    with pytest.raises(
        InputError,
        match=r"pred\.conll: line 10: token 'Blackbird', but .*gold\.conll line 10 has "
        r"'Blackburn'",
    ):
        read_conll_pair(gold_path, pred_path)
    pred_path.write_text(GOLD.replace("Blackburn NNP I-NP I-PER\n", ""))
    with pytest.raises(InputError, match=r"pred\.conll: line 9: sentence 2 has 1 tokens"):
        read_conll_pair(gold_path, pred_path)
    pred_path.write_text(GOLD.split("-DOCSTART- -X- -X- O\n\nBRUSSELS")[0])
    with pytest.raises(InputError, match=r"pred\.conll: 2 sentences, but .*gold\.conll has 3"):
        read_conll_pair(gold_path, pred_path)
