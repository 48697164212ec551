"""shoal.engine.ner against seqeval (entity-level scores, both modes, every scheme) on
randomized tag sequences, malformed ones included, and the overlap matching against a
plain-Python oracle written here."""

from __future__ import annotations

import math
import random
import warnings
from typing import Any

import numpy as np
import pytest
from seqeval import metrics as seqeval_metrics
from seqeval import scheme as seqeval_scheme
from seqeval.metrics.sequence_labeling import get_entities

from shoal.engine.ner import SCHEMES, evaluate_entities, extract_entities
from shoal.errors import InputError

TYPES = ("PER", "LOC", "ORG", "MISC")
AVERAGES = (None, "micro", "macro", "weighted")
SEQEVAL_SCHEMES = {name: getattr(seqeval_scheme, name) for name in SCHEMES}
# Tags conlleval reads in odd ways: bare prefixes, no type, unknown prefixes, "." tags,
# a BILOU tag in default mode, a type with a dash.
ODD_TAGS = ("B", "I", "E", "S", "I-", "X-PER", "X", ".", ".LOC", "U-PER", "L-ORG", "B-A-B", "O-PER")


@pytest.fixture(autouse=True)
def _quiet_seqeval() -> Any:
    # seqeval warns about undefined ratios and tags it does not know; the values are tested.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def random_sequences(
    rng: random.Random, prefixes: str, *, sentences: int, odd: float = 0.0, suffix: bool = False
) -> tuple[list[list[str]], list[list[str]]]:
    """Gold and predicted tags: gold built from runs of entities, the prediction a noisy
    copy (tags swapped, types changed, prefixes changed: malformed sequences)."""
    gold: list[list[str]] = []
    pred: list[list[str]] = []

    def tag(prefix: str, kind: str) -> str:
        if prefix == "O":
            return "O"
        return f"{kind}-{prefix}" if suffix else f"{prefix}-{kind}"

    def random_tag() -> str:
        if odd and rng.random() < odd:
            return rng.choice(ODD_TAGS)
        return tag(rng.choice(prefixes), rng.choice(TYPES))

    for _ in range(sentences):
        length = rng.randrange(0, 14)
        g = [random_tag() for _ in range(length)]
        p = [t if rng.random() < 0.6 else random_tag() for t in g]
        gold.append(g)
        pred.append(p)
    return gold, pred


def assert_report_equal(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert list(ours) == list(theirs)
    for name, row in theirs.items():
        assert ours[name]["support"] == row["support"], name
        for key in ("precision", "recall", "f1-score"):
            expected = float(row[key])
            if math.isnan(expected):
                assert math.isnan(ours[name][key]), (name, key)
            else:
                assert ours[name][key] == pytest.approx(expected, abs=1e-12), (name, key)


def assert_scores_equal(ours: Any, theirs: Any) -> None:
    if isinstance(theirs, np.ndarray):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    elif isinstance(theirs, float) and math.isnan(theirs):
        assert math.isnan(ours)
    else:
        assert ours == pytest.approx(float(theirs), abs=1e-12)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("odd", [0.0, 0.15])
@pytest.mark.parametrize("suffix", [False, True])
def test_default_mode_equals_seqeval(seed: int, odd: float, suffix: bool) -> None:
    rng = random.Random(seed * 31 + int(odd * 100) + suffix)
    gold, pred = random_sequences(rng, "OBIES", sentences=60, odd=odd, suffix=suffix)
    ev = evaluate_entities(gold, pred, suffix=suffix)
    assert_report_equal(
        ev.report(),
        seqeval_metrics.classification_report(gold, pred, output_dict=True, suffix=suffix),
    )
    for average in AVERAGES:
        for ours, theirs in (
            (ev.precision, seqeval_metrics.precision_score),
            (ev.recall, seqeval_metrics.recall_score),
            (ev.f1, seqeval_metrics.f1_score),
        ):
            assert_scores_equal(ours(average), theirs(gold, pred, average=average, suffix=suffix))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("odd", [0.0, 0.15])
def test_default_mode_entities_are_get_entities(seed: int, odd: float) -> None:
    """The spans themselves: seqeval's get_entities reads the sentences joined by "O"."""
    rng = random.Random(1000 + seed)
    gold, pred = random_sequences(rng, "OBIES", sentences=40, odd=odd)
    ev = evaluate_entities(gold, pred)
    starts = np.cumsum([0] + [len(s) + 1 for s in gold])
    for side, spans in ((gold, ev.true_entities), (pred, ev.pred_entities)):
        ours = {
            (kind, int(starts[sentence]) + start, int(starts[sentence]) + end - 1)
            for sentence, kind, start, end in spans.to_list()
        }
        assert ours == set(get_entities(side))


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("seed", range(6))
def test_strict_mode_equals_seqeval(scheme: str, seed: int) -> None:
    rng = random.Random(seed * 7 + len(scheme))
    prefixes = {"IOB2": "OBI", "IOE2": "OIE", "IOBES": "OBIES", "BILOU": "OBILU"}[scheme]
    gold, pred = random_sequences(rng, prefixes, sentences=60)
    token = SEQEVAL_SCHEMES[scheme]
    ev = evaluate_entities(gold, pred, mode="strict", scheme=scheme)
    assert_report_equal(
        ev.report(),
        seqeval_metrics.classification_report(
            gold, pred, output_dict=True, mode="strict", scheme=token
        ),
    )
    for average in AVERAGES:
        for ours, theirs in (
            (ev.precision, seqeval_metrics.precision_score),
            (ev.recall, seqeval_metrics.recall_score),
            (ev.f1, seqeval_metrics.f1_score),
        ):
            expected = theirs(gold, pred, average=average, mode="strict", scheme=token)
            assert_scores_equal(ours(average), expected)
    # The entities are seqeval's Entities, sentence by sentence.
    for side, spans in ((gold, ev.true_entities), (pred, ev.pred_entities)):
        theirs = seqeval_scheme.Entities(side, token).entities
        assert sorted(spans.to_list()) == sorted(e.to_tuple() for s in theirs for e in s)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_strict_mode_suffix_and_detected_scheme(scheme: str) -> None:
    rng = random.Random(len(scheme))
    prefixes = {"IOB2": "OBI", "IOE2": "OIE", "IOBES": "OBIES", "BILOU": "OBILU"}[scheme]
    gold, pred = random_sequences(rng, prefixes, sentences=80, suffix=True)
    ev = evaluate_entities(gold, pred, mode="strict", suffix=True)
    assert ev.scheme == scheme  # seqeval's auto_detect from y_true's prefixes
    assert_report_equal(
        ev.report(),
        seqeval_metrics.classification_report(
            gold, pred, output_dict=True, mode="strict", suffix=True
        ),
    )


@pytest.mark.parametrize("mode", ["default", "strict"])
def test_zero_division_one_equals_seqeval(mode: str) -> None:
    gold = [["B-PER", "I-PER", "O"], ["O", "O"], ["B-LOC", "O"]]
    pred = [["O", "O", "O"], ["B-ORG", "O"], ["B-LOC", "O"]]
    ev = evaluate_entities(gold, pred, mode=mode)  # type: ignore[arg-type]
    kwargs: dict[str, Any] = (
        {"mode": "strict", "scheme": seqeval_scheme.IOB2} if mode == "strict" else {}
    )
    assert_report_equal(
        ev.report(zero_division=1),
        seqeval_metrics.classification_report(
            gold, pred, output_dict=True, zero_division=1, **kwargs
        ),
    )


def test_no_entities_equal_seqeval() -> None:
    """No entity on either side: no type rows, micro 0, macro NaN (an empty mean), weighted
    by seqeval's rule for no true entity."""
    gold = [["O", "O"], []]
    pred = [["O", "O"], []]
    ev = evaluate_entities(gold, pred)
    assert_report_equal(
        ev.report(), seqeval_metrics.classification_report(gold, pred, output_dict=True)
    )
    only_predicted = [["B-PER", "O"], []]
    ev = evaluate_entities(gold, only_predicted)
    theirs = seqeval_metrics.classification_report(gold, only_predicted, output_dict=True)
    assert_report_equal(ev.report(), theirs)
    assert ev.report()["weighted avg"]["precision"] == 0.0


def test_conlleval_reads_malformed_sequences_as_seqeval() -> None:
    """I- without B- starts an entity; a change of type inside a run splits it."""
    ev = evaluate_entities([["I-PER", "I-PER", "I-LOC", "O", "B-ORG", "I-PER"]], [["O"] * 6])
    assert ev.true_entities.to_list() == [
        (0, "PER", 0, 2),
        (0, "LOC", 2, 3),
        (0, "ORG", 4, 5),
        (0, "PER", 5, 6),
    ]


# ---------------------------------------------------------------------------- overlap
def _entities(spans: Any) -> list[tuple[int, str, int, int]]:
    return spans.to_list()


def overlap_oracle(
    gold_entities: list[tuple[int, str, int, int]],
    pred_entities: list[tuple[int, str, int, int]],
    zero_division: float,
) -> dict[str, dict[str, float]]:
    """The overlap rule, one entity at a time: a prediction counts when a true entity of
    its type in its sentence shares a token with it, a true entity when a prediction
    does; precision over predictions, recall over true entities."""

    def overlaps(a: tuple[int, str, int, int], b: tuple[int, str, int, int]) -> bool:
        return a[0] == b[0] and a[1] == b[1] and max(a[2], b[2]) < min(a[3], b[3])

    names = sorted({e[1] for e in gold_entities} | {e[1] for e in pred_entities})
    rows: dict[str, dict[str, float]] = {}
    totals = {"mp": 0, "mt": 0, "p": 0, "t": 0}

    def scores(mp: int, mt: int, p: int, t: int) -> tuple[float, float, float]:
        precision = mp / p if p else zero_division
        recall = mt / t if t else zero_division
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1

    for name in names:
        gold = [e for e in gold_entities if e[1] == name]
        pred = [e for e in pred_entities if e[1] == name]
        mp = sum(any(overlaps(p, g) for g in gold) for p in pred)
        mt = sum(any(overlaps(g, p) for p in pred) for g in gold)
        precision, recall, f1 = scores(mp, mt, len(pred), len(gold))
        rows[name] = {
            "precision": precision,
            "recall": recall,
            "f1-score": f1,
            "support": len(gold),
        }
        for key, value in zip(("mp", "mt", "p", "t"), (mp, mt, len(pred), len(gold)), strict=True):
            totals[key] += value
    support = totals["t"]
    precision, recall, f1 = scores(totals["mp"], totals["mt"], totals["p"], totals["t"])
    rows["micro avg"] = {
        "precision": precision,
        "recall": recall,
        "f1-score": f1,
        "support": support,
    }
    per_type = [rows[n] for n in names]
    rows["macro avg"] = {
        key: sum(r[key] for r in per_type) / len(per_type) if per_type else math.nan
        for key in ("precision", "recall", "f1-score")
    } | {"support": support}
    if support:
        rows["weighted avg"] = {
            key: sum(r[key] * r["support"] for r in per_type) / support
            for key in ("precision", "recall", "f1-score")
        } | {"support": support}
    else:
        value = zero_division if totals["p"] == 0 else 0.0
        rows["weighted avg"] = {
            "precision": value,
            "recall": zero_division,
            "f1-score": value,
            "support": 0,
        }
    return rows


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("mode", ["default", "strict"])
@pytest.mark.parametrize("zero_division", [0, 1])
def test_overlap_matching_equals_oracle(seed: int, mode: str, zero_division: int) -> None:
    rng = random.Random(500 + seed)
    gold, pred = random_sequences(rng, "OBI", sentences=80, odd=0.0)
    ev = evaluate_entities(gold, pred, mode=mode, scheme="IOB2")  # type: ignore[arg-type]
    expected = overlap_oracle(
        _entities(ev.true_entities), _entities(ev.pred_entities), zero_division
    )
    assert_report_equal(ev.report(match="overlap", zero_division=zero_division), expected)
    # Every exact match is an overlap match.
    exact_true, exact_pred = ev.matched("exact")
    overlap_true, overlap_pred = ev.matched("overlap")
    assert not (exact_true & ~overlap_true).any()
    assert not (exact_pred & ~overlap_pred).any()


def test_overlap_matching_by_hand() -> None:
    gold = [["B-PER", "I-PER", "I-PER", "O", "B-LOC", "O"]]
    pred = [["O", "B-PER", "O", "O", "O", "B-LOC"]]
    ev = evaluate_entities(gold, pred)
    assert ev.report()["micro avg"]["precision"] == 0.0
    overlap = ev.report(match="overlap")
    assert overlap["PER"] == {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 1}
    assert overlap["LOC"]["precision"] == 0.0  # adjacent, no token in common
    # A prediction overlapping two true entities counts once; both true ones are found.
    ev = evaluate_entities([["B-PER", "B-PER", "O"]], [["B-PER", "I-PER", "O"]])
    assert ev.report(match="overlap")["PER"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1-score": 1.0,
        "support": 2,
    }


# ---------------------------------------------------------------------------- errors
def test_bad_inputs_are_named() -> None:
    with pytest.raises(InputError, match="sentence 1 has 2 tags in y_true but 3 in y_pred"):
        evaluate_entities([["O"], ["O", "O"]], [["O"], ["O", "O", "O"]])
    with pytest.raises(InputError, match="y_true has 2 sentences but y_pred has 1"):
        evaluate_entities([["O"], ["O"]], [["O"]])
    with pytest.raises(InputError, match=r"y_pred\[0\]\[1\] is 'U-PER': its prefix 'U'"):
        evaluate_entities([["B-PER", "O"]], [["B-PER", "U-PER"]], mode="strict", scheme="IOB2")
    with pytest.raises(InputError, match=r"y_true\[1\] is 'B-PER O', not a sequence"):
        evaluate_entities([["O"], "B-PER O"], [["O"], ["O"]])
    with pytest.raises(InputError, match=r"y_true\[0\]\[1\] is 3, not a string tag"):
        evaluate_entities([["O", 3]], [["O", "O"]])
    with pytest.raises(InputError, match=r"y_pred\[0\]\[0\] is an empty tag"):
        evaluate_entities([["O"]], [[""]])
    with pytest.raises(InputError, match="scheme must be one of"):
        evaluate_entities([["O"]], [["O"]], mode="strict", scheme="IOB1")
    with pytest.raises(InputError, match="cannot detect the tagging scheme"):
        evaluate_entities([["B-PER", "E-PER", "U-LOC"]], [["O", "O", "O"]], mode="strict")
    ev = evaluate_entities([["O"]], [["O"]])
    with pytest.raises(InputError, match="match must be one of"):
        ev.report(match="partial")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="average must be one of"):
        ev.precision("samples")  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(3))
def test_extract_entities_reads_one_side(seed: int) -> None:
    rng = random.Random(900 + seed)
    gold, _ = random_sequences(rng, "OBIES", sentences=50, odd=0.1)
    assert extract_entities(gold).to_list() == evaluate_entities(gold, gold).true_entities.to_list()
    gold, _ = random_sequences(rng, "OBILU", sentences=50)
    theirs = seqeval_scheme.Entities(gold, seqeval_scheme.BILOU).entities
    assert sorted(extract_entities(gold, mode="strict", scheme="BILOU").to_list()) == sorted(
        e.to_tuple() for s in theirs for e in s
    )


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("mode", ["default", "strict"])
def test_a_selection_of_sentences_equals_their_evaluation_alone(seed: int, mode: str) -> None:
    rng = random.Random(1200 + seed)
    gold, pred = random_sequences(rng, "OBI", sentences=60)
    ev = evaluate_entities(gold, pred, mode=mode, scheme="IOB2")  # type: ignore[arg-type]
    chosen = sorted(rng.sample(range(60), 20))
    alone = evaluate_entities(
        [gold[i] for i in chosen],
        [pred[i] for i in chosen],
        mode=mode,
        scheme="IOB2",  # type: ignore[arg-type]
    )
    for match in ("exact", "overlap"):
        assert_report_equal(
            ev.report(match=match, sentences=chosen),  # type: ignore[arg-type]
            alone.report(match=match),  # type: ignore[arg-type]
        )
    with pytest.raises(InputError, match="sentence 60 is not one of the 60 sentences"):
        ev.report(sentences=[60])
