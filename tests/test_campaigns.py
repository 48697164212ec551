"""Collection campaigns in the store: the candidates equal exact nearest-neighbour search
(scikit-learn's brute force over the same vectors), reviews persist in the store and
survive a re-run, the export holds the accepted list, and bad requests are clear errors
that change nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from shoal.errors import ConflictError, InputError, NotFoundError
from shoal.sdk import Inferences, InferencesFrame, LabeledDataset, LabeledFrame
from shoal.store import IssueElement, Project, Store

DIM = 12
SEEDS = 40  # frames of the labeled dataset
CORPUS = 300  # unlabeled frames


def build(home: Path) -> tuple[Project, dict[str, np.ndarray]]:
    """A labeled dataset "val" (frame and label-crop vectors of model "m") and an
    unlabeled corpus (frames with vectors, no labels) with a detector's predictions whose
    crops have vectors too."""
    rng = np.random.default_rng(14)
    centres = rng.normal(size=(5, DIM)) * 4
    vectors = {
        "val": (centres[np.arange(SEEDS) % 5] + rng.normal(size=(SEEDS, DIM))).astype(np.float32),
        "val_crops": rng.normal(size=(SEEDS, DIM)).astype(np.float32),
        "corpus": (centres[rng.integers(0, 5, CORPUS)] + rng.normal(size=(CORPUS, DIM))).astype(
            np.float32
        ),
        "corpus_crops": rng.normal(size=(CORPUS, DIM)).astype(np.float32),
    }
    labeled = LabeledDataset()
    for i in range(SEEDS):
        frame = LabeledFrame(frame_id=f"v{i:03d}")
        frame.add_image(image_url=f"val/v{i:03d}.png", width=64, height=64)
        frame.add_label_2d_bbox(
            label_id=f"l{i:03d}", classification="car", top=4, left=4, width=20, height=20
        )
        frame.add_frame_embedding(embedding=vectors["val"][i].tolist(), model_id="m")
        frame.add_crop_embedding(
            label_id=f"l{i:03d}", embedding=vectors["val_crops"][i].tolist(), model_id="m"
        )
        labeled.add_frame(frame)
    corpus = LabeledDataset()
    detections = Inferences()
    for i in range(CORPUS):
        frame = LabeledFrame(frame_id=f"u{i:03d}")
        frame.add_image(image_url=f"pool/u{i:03d}.jpg", width=64, height=64)
        frame.add_frame_embedding(embedding=vectors["corpus"][i].tolist(), model_id="m")
        corpus.add_frame(frame)
        found = InferencesFrame(frame_id=f"u{i:03d}")
        found.add_inference_2d_bbox(
            label_id=f"d{i:03d}", classification="car", top=2, left=2, width=9, height=9,
            confidence=0.9,
        )  # fmt: skip
        found.add_crop_embedding(
            label_id=f"d{i:03d}", embedding=vectors["corpus_crops"][i].tolist(), model_id="m"
        )
        detections.add_frame(found)
    store = Store(home)
    project = store.create_project("p", task="detection")
    project.create_dataset("val", labeled.to_tables())
    pool = project.create_dataset("unlabeled", corpus.to_tables())
    assert pool.labels().num_rows == 0
    pool.create_inference_set("detector", detections.to_tables())
    return project, vectors


@pytest.fixture
def world(tmp_path: Path) -> tuple[Project, dict[str, np.ndarray]]:
    return build(tmp_path / "home")


def oracle(
    corpus: np.ndarray, seeds: np.ndarray, k: int, per: str, metric: str = "cosine"
) -> list[tuple[int, float, int]]:
    """(corpus row, distance, nearest seed) nearest first: per seed, the union of each
    seed's k nearest rows; total, the k rows nearest any seed."""
    to_seeds = NearestNeighbors(n_neighbors=1, algorithm="brute", metric=metric).fit(seeds)
    distance, nearest = to_seeds.kneighbors(corpus)
    if per == "seed":
        per_seed = NearestNeighbors(n_neighbors=k, algorithm="brute", metric=metric).fit(corpus)
        rows = sorted(set(per_seed.kneighbors(seeds)[1].ravel().tolist()))
    else:
        rows = list(range(len(corpus)))
    ranked = sorted(rows, key=lambda r: (distance[r, 0], nearest[r, 0], r))
    if per == "total":
        ranked = ranked[:k]
    return [(r, float(distance[r, 0]), int(nearest[r, 0])) for r in ranked]


def seed_elements(frames: list[int]) -> list[IssueElement]:
    return [IssueElement("val", f"v{i:03d}") for i in frames]


@pytest.mark.parametrize(("per", "metric"), [("seed", "cosine"), ("total", "euclidean")])
def test_frame_candidates_equal_brute_force(
    world: tuple[Project, dict[str, np.ndarray]], per: str, metric: str
) -> None:
    project, vectors = world
    seeds = [0, 5, 12, 33]
    project.create_issue("white shibas", seed_elements(seeds))
    campaign = project.create_campaign(
        "more shibas", corpus="unlabeled", issue="white shibas", k=7, k_per=per, metric=metric
    )
    assert (
        campaign.kind == "frame" and campaign.embedding == "m" and campaign.counts()["total"] == 0
    )
    steps: list[tuple[int, int]] = []
    run = campaign.run(progress=lambda done, total: steps.append((done, total)))
    assert steps[0] == (0, len(seeds) + 1) and steps[-1] == (len(seeds) + 1, len(seeds) + 1)
    expected = oracle(vectors["corpus"], vectors["val"][seeds], 7, per, metric)
    found = campaign.candidates()
    assert [c.id for c in found] == [f"u{r:03d}" for r, _, _ in expected]
    assert [c.rank for c in found] == list(range(1, len(expected) + 1))
    assert [c.seed for c in found] == [s for _, _, s in expected]
    np.testing.assert_allclose(
        [c.distance for c in found], [d for _, d, _ in expected], rtol=1e-4, atol=1e-5
    )
    assert {c.status for c in found} == {"pending"} and run.new == run.found == len(expected)
    assert run.exact and all(c.frame_id == c.id == c.key for c in found)


def test_crop_campaign_finds_prediction_crops(world: tuple[Project, dict[str, np.ndarray]]) -> None:
    project, vectors = world
    labels = [3, 9]
    seeds = [IssueElement("val", f"v{i:03d}", "label", f"l{i:03d}") for i in labels]
    campaign = project.create_campaign("crops", corpus="unlabeled", seeds=seeds, k=4)
    assert campaign.kind == "crop"
    campaign.run()
    expected = oracle(vectors["corpus_crops"], vectors["val_crops"][labels], 4, "seed")
    found = campaign.candidates()
    assert [c.key for c in found] == [f"prediction/detector/d{r:03d}" for r, _, _ in expected]
    assert [(c.source, c.inference_set, c.id, c.frame_id) for c in found[:1]] == [
        ("prediction", "detector", f"d{expected[0][0]:03d}", f"u{expected[0][0]:03d}")
    ]


def test_label_seeds_of_a_frame_campaign_stand_for_their_frames(
    world: tuple[Project, dict[str, np.ndarray]],
) -> None:
    project, vectors = world
    seeds = [IssueElement("val", "v007", "label", "l007"), IssueElement("val", "v011")]
    campaign = project.create_campaign("mixed", corpus="unlabeled", seeds=seeds, k=3)
    assert campaign.kind == "frame"
    campaign.run()
    expected = oracle(vectors["corpus"], vectors["val"][[7, 11]], 3, "seed")
    assert [c.id for c in campaign.candidates()] == [f"u{r:03d}" for r, _, _ in expected]


def test_reviews_persist_survive_reruns_and_export(
    world: tuple[Project, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    project, _ = world
    campaign = project.create_campaign(
        "c", corpus="unlabeled", seeds=seed_elements([1, 2]), k=6, k_per="total"
    )
    campaign.run()
    first = [c.key for c in campaign.candidates()]
    campaign.review(first[0], "accepted", note="white shiba")
    campaign.review([first[1], first[5]], "rejected")
    campaign.review(first[2], "accepted")
    # A new Store object (another process) reads the same reviews.
    again = Store(tmp_path / "home").project("p").campaign("c")
    assert again.counts() == {"pending": 2, "accepted": 2, "rejected": 2, "total": 6}
    assert again.candidate(first[0]).note == "white shiba"
    assert [c.key for c in again.candidates("accepted")] == [first[0], first[2]]
    # Re-running finds the same candidates: every review is kept.
    assert again.stale() is False
    run = again.run()
    assert (run.found, run.new, run.kept, run.dropped) == (6, 0, 4, 0)
    assert again.counts()["accepted"] == 2 and again.candidate(first[0]).note == "white shiba"
    # With k 2, candidates 3..6 are not found again: pending ones dropped, reviewed kept
    # without a rank, last.
    again.update(k=2)
    run = again.run()
    assert (run.found, run.kept, run.dropped, run.unranked) == (2, 2, 2, 2)
    keys = [c.key for c in again.candidates()]
    assert keys[:2] == first[:2] and sorted(keys[2:]) == sorted([first[2], first[5]])
    assert [c.rank for c in again.candidates()] == [1, 2, None, None]
    # The export: the accepted list with the corpus's image uris and nearest seeds.
    table = list(csv.DictReader(io.StringIO(again.export("csv"))))
    assert [row["id"] for row in table] == [first[0], first[2]]
    assert table[0]["image_uri"] == f"pool/{first[0]}.jpg" and table[0]["note"] == "white shiba"
    assert table[0]["seed_dataset"] == "val" and table[1]["distance"] == ""
    document: dict[str, Any] = json.loads(again.export("json"))
    assert [c["id"] for c in document["candidates"]] == [first[0], first[2]]
    assert document["candidates"][0]["seed"]["id"] in ("v001", "v002")
    assert document["candidates"][0]["distance"] == pytest.approx(float(table[0]["distance"]))
    rejected = json.loads(again.export("json", status="rejected"))["candidates"]
    assert [c["id"] for c in rejected] == [first[1], first[5]]
    # A new version of the corpus makes the last run stale; running again keeps reviews.
    pool = project.dataset("unlabeled")
    project.create_dataset("unlabeled", pool.tables(), replace=True)
    assert again.stale() is True and again.to_dict()["stale"] is True
    again.run()
    assert again.stale() is False and again.counts()["accepted"] == 2


def test_bad_requests_are_clear_and_change_nothing(
    world: tuple[Project, dict[str, np.ndarray]],
) -> None:
    project, _ = world
    with pytest.raises(InputError, match="one of the two"):
        project.create_campaign("c", corpus="unlabeled")
    with pytest.raises(NotFoundError, match="no dataset 'nope'"):
        project.create_campaign("c", corpus="nope", seeds=seed_elements([0]))
    with pytest.raises(NotFoundError, match="no issue 'nope'"):
        project.create_campaign("c", corpus="unlabeled", issue="nope")
    with pytest.raises(InputError, match="frame 'v000' is a frame"):
        project.create_campaign("c", corpus="unlabeled", seeds=seed_elements([0]), kind="crop")
    with pytest.raises(NotFoundError, match="'v999'"):
        project.create_campaign("c", corpus="unlabeled", seeds=[IssueElement("val", "v999")], k=3)
    with pytest.raises(InputError, match="over 1,000,000"):
        project.create_campaign(
            "c", corpus="unlabeled", seeds=seed_elements(list(range(40))) * 26, k=1000
        )
    with pytest.raises(InputError, match="k must be"):
        project.create_campaign("c", corpus="unlabeled", seeds=seed_elements([0]), k=0)
    with pytest.raises(NotFoundError, match="no embedding model 'clip'"):
        project.create_campaign("c", corpus="unlabeled", seeds=seed_elements([0]), embedding="clip")
    other = LabeledDataset()
    frame = LabeledFrame(frame_id="o1")
    frame.add_frame_embedding(embedding=[1.0, 2.0, 3.0], model_id="m")
    other.add_frame(frame)
    project.create_dataset("other", other.to_tables())
    with pytest.raises(InputError, match="have 3 dimensions, corpus 'unlabeled''s 12"):
        project.create_campaign("c", corpus="unlabeled", seeds=[IssueElement("other", "o1")])
    assert project.campaigns() == []
    campaign = project.create_campaign("c", corpus="unlabeled", seeds=seed_elements([0]), k=3)
    with pytest.raises(ConflictError, match="campaign 'c' already"):
        project.create_campaign("c", corpus="unlabeled", seeds=seed_elements([0]))
    campaign.run()
    key = campaign.candidates()[0].key
    with pytest.raises(NotFoundError, match="no candidate 'nope'"):
        campaign.review([key, "nope"], "accepted")
    assert campaign.candidate(key).status == "pending"  # all or nothing
    with pytest.raises(InputError, match="review status"):
        campaign.review(key, "maybe")  # type: ignore[arg-type]
    campaign.update(status="closed")
    with pytest.raises(ConflictError, match="closed"):
        campaign.run()
    with pytest.raises(ConflictError, match="closed"):
        campaign.review(key, "accepted")
    campaign.update(status="open", name="renamed")
    assert [c.name for c in project.campaigns()] == ["renamed"]
    campaign.delete()
    with pytest.raises(NotFoundError):
        project.campaign("renamed")


def test_the_model_is_the_one_the_corpus_and_the_seeds_share(
    world: tuple[Project, dict[str, np.ndarray]],
) -> None:
    """A corpus may hold other models' vectors (its inference sets' crops, another frame
    model the seeds lack): without ``embedding`` the one model with vectors of the kind in
    the corpus and of every seed is chosen; several such models must be named."""
    project, _ = world
    corpus = LabeledDataset()
    found = Inferences()
    rng = np.random.default_rng(2)
    for i in range(20):
        frame = LabeledFrame(frame_id=f"x{i}")
        frame.add_frame_embedding(embedding=rng.normal(size=DIM).tolist(), model_id="m")
        frame.add_frame_embedding(embedding=rng.normal(size=4).tolist(), model_id="other")
        corpus.add_frame(frame)
        boxes = InferencesFrame(frame_id=f"x{i}")
        boxes.add_inference_2d_bbox(
            label_id=f"b{i}", classification="car", top=1, left=1, width=4, height=4, confidence=0.5
        )
        boxes.add_crop_embedding(label_id=f"b{i}", embedding=[1.0, 0.0], model_id="crops")
        found.add_frame(boxes)
    mixed = project.create_dataset("mixed", corpus.to_tables())
    mixed.create_inference_set("det", found.to_tables())
    campaign = project.create_campaign("auto", corpus="mixed", seeds=seed_elements([0]), k=2)
    assert campaign.embedding == "m"
    campaign.run()
    assert len(campaign.candidates()) == 2
    # A seed of the corpus itself has both frame models: they must be named.
    own = [IssueElement("mixed", "x0")]
    with pytest.raises(InputError, match=r"2 of the models .* every seed \(m, other\): name one"):
        project.create_campaign("two", corpus="mixed", seeds=own)
    assert project.create_campaign("two", corpus="mixed", seeds=own, embedding="other").k == 10
    # The corpus's crops are only of model "crops": a label seed's vector of it is missing.
    label = [IssueElement("val", "v000", "label", "l000")]
    with pytest.raises(NotFoundError, match="dataset 'val' has no embedding model 'crops'"):
        project.create_campaign("none", corpus="mixed", seeds=label)
