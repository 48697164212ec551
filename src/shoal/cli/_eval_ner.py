"""``shoal eval GOLD.conll PRED.conll``: entity-level NER scores of one tagger, printed or
as JSON (the files: :mod:`shoal.formats.conll`; the numbers: ``shoal.engine.ner``, equal
to seqeval's).

``shoal eval`` comes here for ``.conll`` files or with ``--task ner``.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import orjson

from shoal.cli._output import format_table
from shoal.cli._progress import ProgressBar

__all__ = ["add_ner_arguments", "is_ner", "run_ner"]

_RATIOS = ("precision", "recall", "f1-score")
_SCHEMES = ("IOB2", "IOE2", "IOBES", "BILOU")


def add_ner_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict",
        action="store_true",
        help="NER: seqeval's strict mode (entities must be well formed in --scheme) instead "
        "of conlleval's reading",
    )
    parser.add_argument(
        "--scheme",
        choices=_SCHEMES,
        help="NER with --strict: the tagging scheme (default: detected from the gold tags)",
    )


def is_ner(args: argparse.Namespace) -> bool:
    """NER files: ``--task ner``, or gold and predictions both ``.conll``."""
    task = getattr(args, "task", None)
    if task is not None:
        return bool(task == "ner")
    return all(
        str(path).lower().endswith(".conll") for path in (args.ground_truth, args.predictions)
    )


def run_ner(args: argparse.Namespace) -> int:
    from shoal.engine.ner import evaluate_entities
    from shoal.errors import InputError
    from shoal.formats.conll import read_conll_pair

    if args.scheme is not None and not args.strict:
        raise InputError("--scheme applies to --strict only (conlleval's reading has none)")
    started = time.perf_counter()
    with ProgressBar(f"loading {args.ground_truth.name} and {args.predictions.name}"):
        corpus, gold, predicted = read_conll_pair(args.ground_truth, args.predictions)
    evaluation = evaluate_entities(
        gold, predicted, mode="strict" if args.strict else "default", scheme=args.scheme
    )
    result = collect(evaluation, tokens=int(gold.offsets[-1]), documents=len(corpus.documents))
    print(render(result, time.perf_counter() - started))
    if args.json is not None:
        args.json.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


def collect(evaluation: Any, *, tokens: int, documents: int) -> dict[str, Any]:
    """Everything ``shoal eval`` shows for NER, as one JSON-ready dict: the exact report
    (seqeval's) and the overlap one, each with per-type tp, fp, fn counts."""
    out: dict[str, Any] = {
        "settings": {"task": "ner", "mode": evaluation.mode, "scheme": evaluation.scheme},
        "counts": {
            "documents": documents,
            "sentences": evaluation.num_sentences,
            "tokens": tokens,
            "true_entities": len(evaluation.true_entities),
            "predicted_entities": len(evaluation.pred_entities),
            "types": len(evaluation.names),
        },
    }
    for match in ("exact", "overlap"):
        report = evaluation.report(match=match)
        counts = evaluation.counts(match)
        for i, name in enumerate(evaluation.names):
            report[name] |= {
                "tp": int(counts["matched_pred"][i]),
                "fp": int(counts["pred"][i] - counts["matched_pred"][i]),
                "fn": int(counts["true"][i] - counts["matched_true"][i]),
            }
        out[match] = report
    return out


def _ratio(value: float) -> str:
    return f"{value:.4f}"


def _table(report: dict[str, dict[str, Any]]) -> str:
    header = ["type", *_RATIOS, "support", "tp", "fp", "fn"]
    rows: list[list[object]] = []
    for name, row in report.items():
        if name == "micro avg" and rows:  # the averages follow the types after a gap
            rows.append([None] * len(header))
        cells: list[object] = [name, *(_ratio(row[k]) for k in _RATIOS), row["support"]]
        cells += [row.get(k) for k in ("tp", "fp", "fn")]
        rows.append(cells)
    return format_table(header, rows, right=header[1:])


def render(result: dict[str, Any], seconds: float) -> str:
    counts = result["counts"]
    settings = result["settings"]
    reading = (
        f"strict {settings['scheme']}" if settings["mode"] == "strict" else "conlleval's reading"
    )
    return "\n".join(
        [
            f"{counts['sentences']:,} sentences, {counts['tokens']:,} tokens, "
            f"{counts['true_entities']:,} true and {counts['predicted_entities']:,} predicted "
            f"entities of {counts['types']} types (evaluated in {seconds:.2f} s)",
            "",
            f"Entity-level report, exact match ({reading}; equal to seqeval)",
            _table(result["exact"]),
            "",
            "Overlap match (same type, at least one token in common)",
            _table(result["overlap"]),
        ]
    )
