"""``shoal eval GOLD.conll PRED.conll``: the NER report, printed and as JSON, equal to
seqeval's on the files' tags; bad files named with their line, exit code 2."""

from __future__ import annotations

import json
import random
import warnings

import pytest
from seqeval.metrics import classification_report
from seqeval.scheme import IOBES

from shoal.cli import main
from shoal.formats.conll import ConllCorpus, read_conll, write_conll

from conftest import run_cli


def write_pair(tmp_path, seed: int = 0, prefixes: str = "OBI"):
    rng = random.Random(seed)
    gold_rows, pred_rows = [], []
    for _ in range(40):
        words = [f"w{rng.randrange(500)}" for _ in range(rng.randrange(1, 12))]
        gold = [
            "O" if p == "O" else f"{p}-{rng.choice(['PER', 'LOC', 'ORG'])}"
            for p in (rng.choice(prefixes) for _ in words)
        ]
        pred = [t if rng.random() < 0.7 else rng.choice(["O", "B-PER", "I-LOC"]) for t in gold]
        if "E" in prefixes or "S" in prefixes:
            pred = [t if t[0] in prefixes else "O" for t in pred]
        gold_rows.append([(w, "NN", t) for w, t in zip(words, gold, strict=True)])
        pred_rows.append([(w, "NN", t) for w, t in zip(words, pred, strict=True)])
    write_conll(tmp_path / "gold.conll", ConllCorpus(gold_rows, [0]))
    write_conll(tmp_path / "pred.conll", ConllCorpus(pred_rows, [0]))
    return tmp_path / "gold.conll", tmp_path / "pred.conll"


def seqeval_report(gold, pred, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return classification_report(
            read_conll(gold).tags(), read_conll(pred).tags(), output_dict=True, **kwargs
        )


def assert_equal(ours, theirs):
    assert [k for k in ours] == list(theirs)
    for name, row in theirs.items():
        for key, value in row.items():
            assert ours[name][key] == pytest.approx(float(value), abs=1e-12), (name, key)


def test_eval_conll_prints_and_writes_the_report(tmp_path, capsys):
    gold, pred = write_pair(tmp_path)
    out = tmp_path / "ner.json"
    assert main(["eval", str(gold), str(pred), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Entity-level report, exact match (conlleval's reading" in printed
    assert "Overlap match" in printed and "micro avg" in printed
    result = json.loads(out.read_text())
    assert result["settings"] == {"task": "ner", "mode": "default", "scheme": None}
    assert result["counts"]["sentences"] == 40 and result["counts"]["documents"] == 1
    theirs = seqeval_report(gold, pred)
    assert_equal(result["exact"], theirs)
    for name in ("PER", "LOC", "ORG"):
        row = result["exact"][name]
        assert row["tp"] + row["fn"] == row["support"]
    assert result["overlap"]["micro avg"]["recall"] >= result["exact"]["micro avg"]["recall"]


def test_eval_conll_strict_mode(tmp_path, capsys):
    gold, pred = write_pair(tmp_path, seed=3, prefixes="OBIES")
    out = tmp_path / "ner.json"
    code = main(["eval", str(gold), str(pred), "--strict", "--scheme", "IOBES", "--json", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["settings"] == {"task": "ner", "mode": "strict", "scheme": "IOBES"}
    assert_equal(result["exact"], seqeval_report(gold, pred, mode="strict", scheme=IOBES))


def test_task_option_reads_other_names(tmp_path, capsys):
    gold, pred = write_pair(tmp_path)
    gold_txt, pred_txt = tmp_path / "gold.txt", tmp_path / "pred.txt"
    gold_txt.write_text(gold.read_text())
    pred_txt.write_text(pred.read_text())
    out = tmp_path / "ner.json"
    assert main(["eval", str(gold_txt), str(pred_txt), "--task", "ner", "--json", str(out)]) == 0
    assert_equal(json.loads(out.read_text())["exact"], seqeval_report(gold, pred))


def test_bad_conll_is_one_line_with_exit_code_2(tmp_path):
    gold, pred = write_pair(tmp_path)
    pred.write_text(pred.read_text().replace(" NN ", " ", 1))
    done = run_cli("eval", str(gold), str(pred))
    assert done.returncode == 2
    assert "pred.conll: line 4: 3 columns, but line 3 has 2" in done.stderr
    assert "Traceback" not in done.stderr
    done = run_cli("eval", str(gold), str(gold), "--scheme", "IOB2")
    assert done.returncode == 2
    assert "--scheme applies to --strict only" in done.stderr
