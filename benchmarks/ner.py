"""Entity-level NER scores: Shoal's engine against seqeval in one run.

    python benchmarks/ner.py [--sentences 100000] [--repeat 3]

Data: seeded random sentences (5-30 tokens, 4 entity types, ~20% of tokens in entities,
IOB2 gold); the prediction is the gold with ~10% of tags changed (types swapped, I- without
B-, dropped and invented entities), so both malformed sequences and mismatches occur.

| measure | Shoal | seqeval |
| --- | --- | --- |
| report (default) | ``evaluate_entities(...).report()`` | ``classification_report(output_dict=True)`` |
| report (strict) | ``evaluate_entities(..., mode="strict", scheme="IOB2").report()`` | ``classification_report(..., mode="strict", scheme=IOB2)`` |
| micro F1 | ``evaluate_entities(...).f1()`` | ``f1_score`` |

Shoal's times include reading the tag lists (its whole pipeline from Python lists).
With ``--store``, also the store's path at the same size: importing the gold and
predicted CoNLL files (``shoal.formats.conll``, into a fresh store) and the first
``ner_metrics`` query (evaluation built from the stored tables), then a cached one.
Times are medians of ``--repeat`` runs (wall clock); the ratio is seqeval's time over
Shoal's (above 1: Shoal is quicker). Every pair of results is checked equal (1e-12)
before timing is reported.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from seqeval import metrics as seqeval_metrics
from seqeval.scheme import IOB2

from shoal.engine.ner import evaluate_entities

TYPES = ("PER", "LOC", "ORG", "MISC")


def median_seconds(run: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_sentences(count: int, seed: int) -> tuple[list[list[str]], list[list[str]]]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(5, 31, count)
    total = int(lengths.sum())
    kinds = rng.integers(0, len(TYPES), total)
    # An entity starts at ~8% of tokens and runs 1-3 tokens.
    begins = rng.random(total) < 0.08
    run = rng.integers(1, 4, total)
    gold_tags = np.full(total, "O", dtype=object)
    for position in np.flatnonzero(begins):
        kind = TYPES[kinds[position]]
        gold_tags[position] = f"B-{kind}"
        for inside in range(position + 1, min(position + int(run[position]), total)):
            if not begins[inside]:
                gold_tags[inside] = f"I-{kind}"
    noise = rng.random(total) < 0.1
    choices = np.asarray(["O"] + [f"{p}-{t}" for p in "BI" for t in TYPES], dtype=object)
    pred_tags = gold_tags.copy()
    pred_tags[noise] = choices[rng.integers(0, choices.size, int(noise.sum()))]
    cuts = np.cumsum(lengths)[:-1]
    gold = [list(s) for s in np.split(gold_tags, cuts)]
    pred = [list(s) for s in np.split(pred_tags, cuts)]
    return gold, pred


def same(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    if list(ours) != list(theirs):
        return False
    for name, row in theirs.items():
        for key, value in row.items():
            expected = float(value)
            got = float(ours[name][key])
            if not (math.isnan(expected) and math.isnan(got)) and abs(expected - got) > 1e-12:
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--store", action="store_true", help="also time the store's path")
    args = parser.parse_args()

    gold, pred = make_sentences(args.sentences, args.seed)
    tokens = sum(map(len, gold))
    print(f"{args.sentences:,} sentences, {tokens:,} tokens, repeat {args.repeat}")

    def quiet(run: Callable[[], Any]) -> Callable[[], Any]:
        def wrapped() -> Any:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return run()

        return wrapped

    pairs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        (
            "report (default)",
            lambda: evaluate_entities(gold, pred).report(),
            quiet(lambda: seqeval_metrics.classification_report(gold, pred, output_dict=True)),
        ),
        (
            "report (strict IOB2)",
            lambda: evaluate_entities(gold, pred, mode="strict", scheme="IOB2").report(),
            quiet(
                lambda: seqeval_metrics.classification_report(
                    gold, pred, output_dict=True, mode="strict", scheme=IOB2
                )
            ),
        ),
        (
            "micro F1",
            lambda: {"f1": {"f1": evaluate_entities(gold, pred).f1()}},
            quiet(lambda: {"f1": {"f1": seqeval_metrics.f1_score(gold, pred)}}),
        ),
    ]
    print(f"{'measure':<22} {'Shoal s':>9} {'seqeval s':>10} {'ratio':>7}")
    for name, ours, theirs in pairs:
        if not same(ours(), theirs()):
            raise SystemExit(f"{name}: Shoal and seqeval differ")
        shoal_seconds = median_seconds(ours, args.repeat)
        seqeval_seconds = median_seconds(theirs, args.repeat)
        print(
            f"{name:<22} {shoal_seconds:>9.3f} {seqeval_seconds:>10.3f} "
            f"{seqeval_seconds / shoal_seconds:>6.1f}x"
        )
    overlap = median_seconds(
        lambda: evaluate_entities(gold, pred).report(match="overlap"), args.repeat
    )
    print(f"{'overlap report':<22} {overlap:>9.3f} {'(no peer)':>10}")
    if args.store:
        store_path(gold, pred)


def store_path(gold: list[list[str]], pred: list[list[str]]) -> None:
    """Import both sides as CoNLL files into a fresh store, then query."""
    import tempfile
    from pathlib import Path

    from shoal.formats.conll import ConllCorpus, from_conll, from_conll_predictions, write_conll
    from shoal.store import Store

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        words = [[f"w{j}" for j in range(len(s))] for s in gold]
        for name, tags in (("gold", gold), ("pred", pred)):
            rows = [list(zip(w, t, strict=True)) for w, t in zip(words, tags, strict=True)]
            write_conll(root / f"{name}.conll", ConllCorpus(rows, [0]))
        store = Store(root / "home")
        start = time.perf_counter()
        tables = from_conll(root / "gold.conll")
        dataset = store.create_project("news", task="ner").create_dataset("test", tables)
        imported = time.perf_counter()
        found = dataset.create_inference_set(
            "tagger", from_conll_predictions(root / "pred.conll", tables)
        )
        predicted = time.perf_counter()
        found.ner_metrics()
        first = time.perf_counter()
        found.ner_metrics()
        cached = time.perf_counter()
        print(
            f"store: import gold {imported - start:.2f} s, predictions {predicted - imported:.2f} s, "
            f"first ner_metrics {first - predicted:.2f} s, cached {cached - first:.3f} s"
        )
        store.close()


if __name__ == "__main__":
    main()
