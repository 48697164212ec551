"""``shoal campaign`` and an unlabeled corpus through ``shoal import --embeddings``: the
commands' answers are the store's, and user errors are one line without a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shoal.cli import main
from shoal.store import IssueElement, Store

DIM = 6


def coco(path: Path, prefix: str, count: int, *, labeled: bool) -> None:
    images = [
        {"id": f"{prefix}{i}", "file_name": f"{prefix}{i}.jpg", "width": 32, "height": 32}
        for i in range(count)
    ]
    annotations = [
        {"id": i + 1, "image_id": f"{prefix}{i}", "category_id": 1, "bbox": [2, 2, 8, 8], "area": 64,
         "iscrowd": 0}
        for i in range(count)
    ] if labeled else []  # fmt: skip
    categories = [{"id": 1, "name": "dog"}] if labeled else []
    path.write_text(
        json.dumps({"images": images, "annotations": annotations, "categories": categories})
    )


def vectors(path: Path, frame_ids: list[str], seed: int) -> np.ndarray:
    values = np.random.default_rng(seed).normal(size=(len(frame_ids), DIM)).astype(np.float32)
    table = pa.table(
        {
            "frame_id": frame_ids,
            "model_id": ["m"] * len(frame_ids),
            "vector": pa.array(values.tolist(), pa.list_(pa.float32())),
        }
    )
    pq.write_table(table, path)
    return values


@pytest.fixture
def home(tmp_path: Path) -> str:
    home = str(tmp_path / "home")
    coco(tmp_path / "val.json", "v", 10, labeled=True)
    coco(tmp_path / "pool.json", "u", 40, labeled=False)
    store_ids = {"val": [f"v{i}" for i in range(10)], "pool": [f"u{i}" for i in range(40)]}
    for name, seed in (("val", 1), ("pool", 2)):
        vectors(tmp_path / f"{name}.parquet", store_ids[name], seed)
        code = main(
            ["import", "coco", str(tmp_path / f"{name}.json"), "--project", "p", "--dataset", name,
             "--embeddings", str(tmp_path / f"{name}.parquet"), "--no-quality", "--home", home]
        )  # fmt: skip
        assert code == 0
    return home


def frame_ids_of(home: str, dataset: str) -> list[str]:
    return Store(home).project("p").dataset(dataset).frames().column("frame_id").to_pylist()


def test_an_unlabeled_corpus_imports_with_its_vectors(home: str) -> None:
    pool = Store(home).project("p").dataset("pool")
    assert pool.labels().num_rows == 0 and pool.frames().num_rows == 40
    assert [(i.model, i.frames, i.dimension) for i in pool.embedding_models()] == [("m", 40, DIM)]


def test_campaign_commands_answer_the_stores(
    home: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(home)
    seeds = frame_ids_of(home, "val")[:2]
    store.project("p").create_issue("dogs", [IssueElement("val", f) for f in seeds])
    capsys.readouterr()
    code = main(["campaign", "create", "p", "more dogs", "--corpus", "pool", "--issue", "dogs",
                 "-k", "4", "--run", "--home", home])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    campaign = store.project("p").campaign("more dogs")
    candidates = campaign.candidates()
    assert f"{len(candidates)} candidates" in printed and len(candidates) >= 4
    assert main(["campaign", "show", "p", "more dogs", "--json", "-", "--home", home]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["candidates"] == [c.to_dict() for c in candidates]
    keys = [c.key for c in candidates]
    assert main(["campaign", "review", "p", "more dogs", "accepted", keys[0], keys[2],
                 "--note", "good", "--home", home]) == 0  # fmt: skip
    assert main(["campaign", "review", "p", "more dogs", "rejected", keys[1], "--home", home]) == 0
    assert campaign.counts()["accepted"] == 2 and campaign.candidate(keys[0]).note == "good"
    out = tmp_path / "accepted.csv"
    assert main(["campaign", "export", "p", "more dogs", "-o", str(out), "--home", home]) == 0
    assert out.read_text() == campaign.export("csv")
    capsys.readouterr()
    assert main(["campaign", "export", "p", "more dogs", "--format", "json", "--home", home]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in exported["candidates"]] == [keys[0], keys[2]]
    assert main(["campaign", "ls", "p", "--home", home]) == 0
    listed = capsys.readouterr().out
    assert "more dogs" in listed and "dogs" in listed
    # Running again keeps the reviews.
    assert main(["campaign", "run", "p", "more dogs", "--home", home]) == 0
    assert "3 reviews kept" in capsys.readouterr().out
    # Close (read-only), reopen with another k and name, delete (asked first).
    assert main(["campaign", "set", "p", "more dogs", "--status", "closed", "--home", home]) == 0
    assert main(["campaign", "run", "p", "more dogs", "--home", home]) != 0
    assert "closed" in capsys.readouterr().err
    assert main(["campaign", "set", "p", "more dogs", "--status", "open", "-k", "2",
                 "--new-name", "dogs 2", "--home", home]) == 0  # fmt: skip
    assert store.project("p").campaign("dogs 2").k == 2
    assert main(["campaign", "rm", "p", "dogs 2", "--home", home]) == 1  # no terminal: no
    assert main(["campaign", "rm", "p", "dogs 2", "--yes", "--home", home]) == 0
    assert store.project("p").campaigns() == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["campaign", "show", "p", "nope"], "no campaign 'nope'"),
        (["campaign", "create", "p", "c", "--corpus", "pool", "--seed", "val"], "--seed 'val'"),
        (["campaign", "create", "p", "c", "--corpus", "nope", "--seed", "val:v0"], "'nope'"),
        (["campaign", "create", "p", "c", "--corpus", "pool", "--seed", "val:zz"], "'zz'"),
        (["campaign", "create", "p", "c", "--corpus", "pool", "--issue", "x"], "no issue 'x'"),
    ],
)
def test_user_errors_are_one_line(
    home: str, arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main([*arguments, "--home", home]) != 0
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert Store(home).project("p").campaigns() == []


def test_a_bad_embeddings_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    coco(tmp_path / "pool.json", "u", 3, labeled=False)
    (tmp_path / "bad.parquet").write_text("not parquet")
    home = str(tmp_path / "home")
    args = ["import", "coco", str(tmp_path / "pool.json"), "--project", "p", "--no-quality",
            "--home", home, "--embeddings"]  # fmt: skip
    assert main([*args, str(tmp_path / "bad.parquet")]) != 0
    err = capsys.readouterr().err
    assert "bad.parquet" in err and "Traceback" not in err
    vectors(tmp_path / "stray.parquet", ["u0", "nope"], 3)
    assert main([*args, str(tmp_path / "stray.parquet")]) != 0
    err = capsys.readouterr().err
    assert "'nope'" in err and "stray.parquet" in err and "Traceback" not in err
    assert Store(home).projects() == [] or Store(home).project("p").datasets() == []
