"""Compare leads to examples: the ground truth fixed, broken and still wrong between two
inference sets, per class and overall, paged, checked against each set's own outcomes and
reports."""

# ruff: noqa: F811 (the fixtures imported from demo_api are the parameters named after them)
from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

import shoal
from demo_api import DIGITS, SHAPES, api, error, ok, remote, set_names, store  # noqa: F401
from shoal.client import Client


def missed_ids(api: TestClient, dataset: str, model: str, params: dict[str, Any]) -> set[int]:
    """The ground truth the model gets wrong, from its own examples page."""
    page = ok(
        api.get(
            f"{dataset}/inference-sets/{model}/examples",
            params={**params, "outcome": "FN", "limit": 1000},
        )
    )
    assert page["total"] <= 1000
    return {e["id"] for e in page["examples"] if e["kind"] == "ground_truth"}


@pytest.mark.parametrize("dataset", [SHAPES, DIGITS])
def test_changes_agree_with_each_sets_outcomes_and_reports(api: TestClient, dataset: str) -> None:
    base, other = set_names(api, dataset)
    points = {"conf": "0.3", "iou": 0.5}
    answer = ok(
        api.get(
            f"{dataset}/compare/examples",
            params={"base": base, "other": other, **points, "other_conf": "0.5", "limit": 1000},
        )
    )
    wrong_before = missed_ids(api, dataset, base, points)
    wrong_after = missed_ids(api, dataset, other, {**points, "conf": "0.5"})
    by_change: dict[str, set[int]] = {"fixed": set(), "broken": set(), "still_wrong": set()}
    for example in answer["examples"]:
        by_change[example["change"]].add(example["id"])
    assert by_change["fixed"] == wrong_before - wrong_after
    assert by_change["broken"] == wrong_after - wrong_before
    assert by_change["still_wrong"] == wrong_before & wrong_after
    assert answer["counts"] == {k: len(v) for k, v in by_change.items()}
    # Per class: fixed - broken is the change of the class's true positives (as /compare
    # counts them, each side at its threshold), and the verdict follows its sign.
    compared = ok(
        api.get(
            f"{dataset}/compare",
            params={"base": base, "other": other, **points, "other_conf": "0.5"},
        )
    )
    for label, counts in answer["classes"].items():
        tp = compared["classes"][label]["tp"]
        assert counts["fixed"] - counts["broken"] == tp["delta"], label
        assert counts["fixed"] + counts["still_wrong"] == compared["classes"][label]["fn"]["base"]
        net = counts["fixed"] - counts["broken"]
        assert counts["verdict"] == ("better" if net > 0 else "worse" if net < 0 else "same")


def test_filtering_and_paging(api: TestClient, store: shoal.Store) -> None:
    base, other = set_names(api, SHAPES)
    url = f"{SHAPES}/compare/examples"
    params = {"base": base, "other": other}
    everything = ok(api.get(url, params={**params, "limit": 1000}))
    label = next(iter(everything["classes"]))
    broken = ok(api.get(url, params={**params, "change": "broken", "label": label, "limit": 2}))
    assert broken["total"] == everything["classes"][label]["broken"]
    assert broken["counts"] == everything["counts"]  # counts are before the filters
    assert len(broken["examples"]) == min(2, broken["total"])
    for example in broken["examples"]:
        assert example["change"] == "broken" and example["label"] == label
        assert example["base"]["outcome"] == "TP" and example["other"]["outcome"] == "FN"
        assert example["source_id"] is not None and len(example["box"]) == 4
    second = ok(api.get(url, params={**params, "change": "broken", "label": label, "offset": 1}))
    if broken["total"] > 1:
        assert second["examples"][0] == broken["examples"][1]
    # Each example's source id is the dataset's label of that engine row.
    labels = store.project("shapes").dataset("rendered-scenes").labels()
    for example in everything["examples"][:5]:
        assert labels.column("label_id")[example["id"] - 1].as_py() == example["source_id"]
    error(api.get(url, params={**params, "label": "hexagon"}), 422)
    error(api.get(url, params={**params, "change": "better"}), 422)
    error(api.get(url, params={"base": base, "other": "nope"}), 404)


def test_a_set_against_itself_changes_nothing_but_still_wrong(api: TestClient) -> None:
    base = set_names(api, SHAPES)[0]
    same = ok(api.get(f"{SHAPES}/compare/examples", params={"base": base, "other": base}))
    assert same["counts"]["fixed"] == same["counts"]["broken"] == 0
    assert all(c["verdict"] == "same" for c in same["classes"].values())


def test_client_changed_examples(remote: Client, api: TestClient) -> None:
    base, other = set_names(api, SHAPES)
    far = remote.changed_examples("shapes", None, base, other, change="fixed", query="noise > 0")
    near = ok(
        api.get(
            f"{SHAPES}/compare/examples",
            params={"base": base, "other": other, "change": "fixed", "query": "noise > 0"},
        )
    )
    assert far == near
