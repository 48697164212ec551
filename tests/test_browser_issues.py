"""The web app's issues (issue 14: Issues tab, review popout, similar elements, export, fixed
labels) in a real browser over a real `shoal serve` on the shapes demo (the recipe and
helpers of tests/test_browser.py). An issue is created from a confusion-matrix cell's
examples; it is reviewed with keys (statuses and notes checked through REST); its CSV export
is the REST export; similar frames are the REST answer and two of them are added; fixed
labels are imported and the before / after numbers shown are the REST comparison's.
Screenshots at 1440 and 1024 px, light and dark, go to test-artifacts/browser/.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import numpy as np
import pyarrow as pa
import pytest
from PIL import Image

import shoal
from shoal.demo import build_demo_projects
from shoal.server._webapp import WEBAPP_DIR
from shoal.tables import DatasetTables, InferenceTables
from test_browser import (  # the fixtures are imported so that pytest finds them here
    CHROMIUM,
    DETECTOR,
    _start,
    _stop,
    api,
    browser,
    eventually,
    fixed,
    page,
)
from test_browser_controls import both_widths
from test_browser_dark import _is_legible, _page_in

__all__ = ["api", "browser", "page"]

pytestmark = pytest.mark.browser

PROJECT = "shapes"
SOURCE_DATASET = "rendered-scenes"
SCENE_MODEL = "scene-pixels"  # this module's frame embeddings when the demo has none
PAGE_SIZE = 12  # MetricsView's PAGE_SIZE
SIMILAR_K = 24  # IssueSimilar's DEFAULT_SIMILAR_K


def _scene_vectors(image_root: Path, frames: pa.Table) -> pa.Table:
    """Each frame's image shrunk to 16x12 gray pixels: a frame embedding from the pixels."""
    ids = frames.column("frame_id").to_pylist()
    uris = frames.column("image_uri").to_pylist()
    vectors = []
    for uri in uris:
        with Image.open(image_root / uri) as image:
            small = image.convert("L").resize((16, 12), Image.Resampling.BILINEAR)
            vectors.append(np.asarray(small, np.float32).ravel() / 255.0)
    return pa.table(
        {
            "frame_id": ids,
            "target_id": pa.array([None] * len(ids), pa.string()),
            "model_id": [SCENE_MODEL] * len(ids),
            "vector": pa.array([list(v) for v in vectors], pa.list_(pa.float32())),
        }
    )


def _dataset_with_frame_embeddings(store: shoal.Store) -> str:
    """The shapes dataset when the demo stores frame embeddings in it; else a copy of it
    (frames, labels, every inference set) with frame embeddings of its pixels."""
    project = store.project(PROJECT)
    source = project.dataset(SOURCE_DATASET)
    if any(m.frames > 0 for m in source.embedding_models()):
        return SOURCE_DATASET
    tables = source.tables()
    assert source.image_root is not None
    vectors = _scene_vectors(source.image_root, tables.frames)
    name = f"{SOURCE_DATASET}-embedded"
    copy = project.create_dataset(
        name,
        DatasetTables.build(tables.frames, tables.labels, vectors),
        image_root=source.image_root,
    )
    for inference_set in source.inference_sets():
        embeddings = inference_set.embeddings()
        copy.create_inference_set(
            inference_set.name,
            InferenceTables.build(
                inference_set.predictions(), embeddings if embeddings.num_rows else None
            ),
        )
    return name


@pytest.fixture(scope="module")
def issues_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (`make test` installs it)")
    if not (WEBAPP_DIR / "index.html").is_file():
        pytest.skip("the web app is not built (`make test` builds it: npm run build in web/)")
    pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    home = tmp_path_factory.mktemp("issues-home")
    store = shoal.Store(home)
    build_demo_projects(store, scale=0.2)
    return home, _dataset_with_frame_embeddings(store)


@pytest.fixture(scope="module")
def server(issues_home: tuple[Path, str]) -> Iterator[str]:
    process, base = _start(issues_home[0])
    yield base
    _stop(process)


@pytest.fixture(scope="module")
def dataset(issues_home: tuple[Path, str]) -> str:
    return issues_home[1]


# ------------------------------------------------------------------ helpers
def get(api: httpx.Client, path: str, **params: Any) -> Any:
    answer = api.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def issue_api(name: str) -> str:
    return f"/api/v1/projects/{PROJECT}/issues/{quote(name, safe='')}"


def busiest_cell(api: httpx.Client, dataset: str, conf: float, iou: float) -> tuple[str, str]:
    """The off-diagonal confusion-matrix cell with the most objects, one of two classes
    when such a cell has a few: truth and predicted class."""
    result = get(
        api,
        f"/api/v1/projects/{PROJECT}/datasets/{dataset}/metrics",
        inference_set=DETECTOR,
        conf=conf,
        iou=iou,
        include="confusion_matrix",
    )["results"][0]["confusion_matrix"]
    labels, matrix = result["labels"], result["matrix"]
    cells = [
        (matrix[i][j], labels[i], labels[j])
        for i in range(len(labels))
        for j in range(len(labels))
        if i != j and matrix[i][j] > 0
    ]
    # A class confused for another (a relabeling can fix it) before a missed or spurious object.
    named = [c for c in cells if "background" not in c[1:] and c[0] >= 6]
    count, truth, predicted = max(named or cells)
    assert count >= 6, "the demo should have a confused cell with a few objects"
    return truth, predicted


def element_of(example: dict[str, Any], dataset: str) -> tuple[str, str, str, str | None]:
    """An example's object as the issue holds it: (frame, kind, id, inference set)."""
    if example["kind"] == "prediction":
        return (example["frame_id"], "prediction", example["source_id"], DETECTOR)
    return (example["frame_id"], "label", example["source_id"], None)


def held(issue: dict[str, Any]) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (e["frame_id"], e["element_kind"], e["element_id"], e["inference_set"])
        for e in issue["elements"]
    ]


# ------------------------------------------------------------------ the workflow
def test_an_issue_from_a_matrix_cell_reviewed_exported_grown_and_fixed(
    page: Any, server: str, api: httpx.Client, dataset: str, tmp_path: Path
) -> None:
    shapes = get(api, f"/api/v1/projects/{PROJECT}")
    conf, iou = shapes["default_conf"], shapes["default_iou"]
    truth, predicted = busiest_cell(api, dataset, conf, iou)
    scope = f"project={PROJECT}&dataset={dataset}&set={DETECTOR}"

    # 1. Metrics: the cell's examples gallery adds its page to a new issue.
    page.goto(f"{server}/#view=metrics&{scope}&truth={truth}&predicted={predicted}")
    page.locator(".thumbnails li").first.wait_for()
    examples = get(
        api,
        f"/api/v1/projects/{PROJECT}/datasets/{dataset}/inference-sets/{DETECTOR}/examples",
        conf=conf, iou=iou, truth=truth, predicted=predicted, sort="confidence", order="desc",
        offset=0, limit=PAGE_SIZE,
    )["examples"]  # fmt: skip
    page.get_by_role("button", name="Add to issue…").click()
    page.get_by_label("New issue name").scroll_into_view_if_needed()
    both_widths(page, "issues-add-from-cell")
    name = page.get_by_label("New issue name").input_value()
    assert name == f"{truth} → {predicted} ({DETECTOR})"
    page.get_by_role("button", name="Add", exact=True).click()
    notice = page.get_by_test_id("add-to-issue-notice")
    notice.wait_for()
    assert notice.text_content().startswith(f"Added {len(examples)} to {name}")  # type: ignore[union-attr]
    issue = get(api, issue_api(name))
    assert [(f, k, i, s) for f, k, i, s in held(issue)] == [
        element_of(e, dataset) for e in examples
    ]
    assert issue["counts"] == {"open": len(examples), "confirmed": 0, "fixed": 0, "dismissed": 0}

    # 2. The issue's page lists its elements, each drawn with its crop's box.
    notice.get_by_role("button", name="Open the issue").click()
    page.get_by_role("heading", name=name).wait_for()
    rows = page.locator("table.issue-elements tbody tr")
    eventually(lambda: rows.count(), len(examples))
    positions = [e["position"] for e in issue["elements"]]
    assert [int(rows.nth(k).get_attribute("data-position") or -1) for k in range(rows.count())] == positions  # fmt: skip
    eventually(lambda: page.locator("table.issue-elements rect[data-emphasized]").count(), len(examples))  # fmt: skip
    both_widths(page, "issues-page")

    # 3. The review popout: keys set statuses, a note, and move; REST has them all.
    page.get_by_role("button", name=f"Review elements ({len(examples)})").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_test_id("issue-review-status").wait_for()
    dialog.locator(".frame-view svg rect").first.wait_for()
    legend = dialog.get_by_label("Review keys").text_content() or ""
    assert all(k in legend for k in ("confirm", "fixed", "dismiss", "reopen", "note", "close"))
    both_widths(page, "issues-review", check_width=False)
    for key in [
        "c",
        "j",
        "f",
        "j",
        "d",
        "j",
        "c",
        "d",
        "j",
        "c",
        "o",
    ]:  # quick, as a reviewer types
        page.keyboard.press(key)
    expected = ["confirmed", "fixed", "dismissed", "dismissed", "open", "open"]

    def statuses() -> list[str]:
        return [e["status"] for e in get(api, issue_api(name))["elements"]][: len(expected)]

    eventually(statuses, expected)
    page.keyboard.press("n")
    page.keyboard.type("relabel: the box is another shape")
    page.keyboard.press("Enter")
    eventually(
        lambda: get(api, issue_api(name))["elements"][4]["note"],
        "relabel: the box is another shape",
    )
    position_text = dialog.get_by_test_id("issue-review-position").text_content()
    assert position_text == f"element 5 of {len(examples)}"
    page.keyboard.press("k")
    eventually(
        lambda: dialog.get_by_test_id("issue-review-position").text_content(),
        f"element 4 of {len(examples)}",
    )
    page.keyboard.press("Escape")
    eventually(lambda: page.get_by_role("dialog").count(), 0)
    issue = get(api, issue_api(name))
    counts = issue["counts"]
    eventually(
        lambda: page.locator(".issue-title-row .status-counts").text_content(),
        f"open {counts['open']}confirmed {counts['confirmed']}fixed {counts['fixed']}dismissed {counts['dismissed']}",
    )

    # 4. Export: the CSV downloaded is the REST export.
    page.get_by_role("tab", name="Export and fixed labels").click()
    page.get_by_label("Export status").select_option("")
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV", exact=True).click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rest_csv = api.get(f"{issue_api(name)}/export", params={"format": "csv"})
    assert rest_csv.status_code == 200
    assert text == rest_csv.text
    assert len(list(csv.DictReader(io.StringIO(text)))) == len(examples)

    # 5. Similar frames: the REST answer, nearest first; two are added.
    page.get_by_role("tab", name="Similar elements").click()
    page.get_by_label("Similar kind").select_option("frame")
    model = page.get_by_label("Embedding model")
    eventually(lambda: model.input_value() != "", True)
    page.get_by_role("button", name="Find similar elements").click()
    candidates = page.locator(".similar-candidates li")
    seeds = list(dict.fromkeys(e["frame_id"] for e in issue["elements"]))
    rest = get(
        api,
        f"/api/v1/projects/{PROJECT}/datasets/{dataset}/similar",
        to=seeds, k=SIMILAR_K, kind="frame", metric="cosine", embedding=model.input_value(),
    )  # fmt: skip
    assert rest["results"], "the demo's frames should have neighbours"
    eventually(lambda: candidates.count(), len(rest["results"]))
    shown = [
        (
            candidates.nth(k).get_attribute("data-id"),
            candidates.nth(k).get_by_test_id("similar-distance").text_content(),
        )
        for k in range(candidates.count())
    ]
    assert shown == [(r["id"], fixed(r["distance"], 4)) for r in rest["results"]]
    assert not set(seeds) & {r["id"] for r in rest["results"]}
    both_widths(page, "issues-similar")
    chosen = [r["id"] for r in rest["results"][:2]]
    for frame_id in chosen:
        page.get_by_label(f"Choose frame {frame_id}").check()
    page.get_by_role("button", name="Add 2 to issue").click()
    page.get_by_test_id("similar-notice").wait_for()
    grown = get(api, issue_api(name))
    assert held(grown)[len(examples) :] == [(f, "frame", None, None) for f in chosen]

    # 6. Fixed labels: the COCO subset relabeled and imported; before / after are REST's.
    page.get_by_role("tab", name="Export and fixed labels").click()
    coco = json.loads(
        api.get(f"{issue_api(name)}/export", params={"format": "coco", "dataset": dataset}).text
    )
    categories = {c["name"]: c["id"] for c in coco["categories"]}
    image_of = {str(image["id"]): image["id"] for image in coco["images"]}
    # The relabeling a labeler would do: a spurious prediction's object gets the label it
    # lacked (the model was right), a confused label gets the predicted class.
    for k, example in enumerate(examples):
        if example["kind"] == "prediction" and truth == "background":
            x, y, w, h = example["box"]
            coco["annotations"].append({
                "id": f"fixed-{k}", "image_id": image_of[example["frame_id"]], "iscrowd": 0,
                "category_id": categories[example["label"]], "bbox": [x, y, w, h], "area": w * h,
            })  # fmt: skip
        elif example["kind"] == "ground_truth" and predicted in categories:
            for annotation in coco["annotations"]:
                if str(annotation["id"]) == example["source_id"]:
                    annotation["category_id"] = categories[predicted]
    fixed_file = tmp_path / "fixed.json"
    fixed_file.write_text(json.dumps(coco), encoding="utf-8")
    page.get_by_label("Fixed labels file").set_input_files(str(fixed_file))
    made = page.get_by_test_id("fixed-dataset")
    made.wait_for(timeout=60_000)
    after = made.locator("strong").text_content()
    assert after is not None and after.startswith(f"{dataset}-fixed")
    comparison = get(
        api, f"{issue_api(name)}/before-after", before=dataset, after=after, conf=conf, iou=iou
    )
    table = page.get_by_role("table", name="Before and after")
    table.wait_for(timeout=60_000)
    for set_scores in comparison["sets"]:
        for scope_name, key in (("issue", "issue_frames"), ("all", "all_frames")):
            row = table.locator(
                f'tr[data-set="{set_scores["inference_set"]}"][data-scope="{scope_name}"]'
            )
            pair = set_scores[key]
            for metric in ("mean_ap", "precision", "recall", "f1_score"):
                cell = row.locator(f'td[data-metric="{metric}"]')
                before_value, after_value = pair["before"][metric], pair["after"][metric]
                delta = pair["delta"][metric]
                shown_before = (
                    "-" if before_value is None or before_value < 0 else fixed(before_value, 3)
                )
                shown_after = (
                    "-" if after_value is None or after_value < 0 else fixed(after_value, 3)
                )
                text = cell.text_content() or ""
                assert text.startswith(f"{shown_before} → {shown_after} ("), (metric, text)
                if delta is not None and round(delta, 3) != 0:
                    verdict = "better" if delta > 0 else "worse"
                    assert cell.locator(f'[data-verdict="{verdict}"]').count() == 1, (metric, text)
    assert page.get_by_label("Delta colors").is_visible()
    both_widths(page, "issues-before-after")


def test_the_issue_list_and_dark_mode(
    page: Any, server: str, api: httpx.Client, dataset: str
) -> None:
    issues = get(api, f"/api/v1/projects/{PROJECT}/issues")
    page.goto(f"{server}/#view=issues&project={PROJECT}&dataset={dataset}&set={DETECTOR}")
    page.get_by_role("heading", name="Issues", exact=True).wait_for()
    rows = page.locator("table.issues-table tbody tr")
    eventually(lambda: rows.count(), len(issues))
    for issue in issues:
        row = page.locator(f'tr[data-issue="{issue["name"]}"]')
        text = row.text_content() or ""
        for status, count in issue["counts"].items():
            assert f"{status} {count}" in text
    # A new issue from the form opens its page; the list's filter shows it under Open.
    page.get_by_label("Issue name").fill("white circles")
    page.get_by_label("Owner").fill("ana")
    page.get_by_label("Description").fill("circles on a light background")
    page.get_by_role("button", name="Create issue").click()
    page.get_by_role("heading", name="white circles").wait_for()
    created = get(api, issue_api("white circles"))
    assert (created["owner"], created["description"], created["status"]) == (
        "ana", "circles on a light background", "open",
    )  # fmt: skip
    page.get_by_label("Issue status").select_option("in_progress")
    page.get_by_role("button", name="Save", exact=True).click()
    eventually(lambda: get(api, issue_api("white circles"))["status"], "in_progress")
    page.get_by_role("button", name="← All issues").click()
    page.get_by_label("Issue status filter").select_option("in_progress")
    eventually(lambda: rows.count(), 1)
    page.get_by_label("Issue status filter").select_option("all")
    both_widths(page, "issues-list")
    page.get_by_role("button", name="Dark mode").click()
    both_widths(page, "issues-list-dark")
    if not issues:
        return
    first = issues[0]["name"]
    page.locator(f'tr[data-issue="{first}"] button').click()
    page.locator("table.issue-elements rect[data-emphasized]").first.wait_for()
    both_widths(page, "issues-page-dark")
    page.get_by_role("button", name=f"Review elements ({len(issues[0]['elements'])})").click()
    page.get_by_role("dialog").locator(".frame-view svg rect").first.wait_for()
    both_widths(page, "issues-review-dark", check_width=False)


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_the_issue_page_and_the_review_are_legible_in_dark_and_light_mode(
    browser: Any, server: str, api: httpx.Client, dataset: str, scheme: str
) -> None:
    name = f"legible {scheme}"
    frames = get(api, f"/api/v1/projects/{PROJECT}/datasets/{dataset}/frames", limit=2)["frames"]
    detail = get(
        api,
        f"/api/v1/projects/{PROJECT}/datasets/{dataset}/frame",
        frame_id=frames[0]["frame_id"],
        inference_set=DETECTOR,
    )
    label = detail["labels"][0]
    prediction = detail["predictions"][DETECTOR][0]
    elements = [
        {
            "dataset": dataset,
            "frame_id": label["frame_id"],
            "element_kind": "label",
            "element_id": label["label_id"],
        },
        {
            "dataset": dataset,
            "frame_id": prediction["frame_id"],
            "element_kind": "prediction",
            "element_id": prediction["prediction_id"],
            "inference_set": DETECTOR,
        },
        {"dataset": dataset, "frame_id": frames[1]["frame_id"], "element_kind": "frame"},
    ]
    created = api.post(
        f"/api/v1/projects/{PROJECT}/issues",
        json={"name": name, "elements": elements, "owner": "ana"},
    )
    assert created.status_code == 201, created.text
    first = created.json()["elements"][0]["position"]
    api.patch(
        f"{issue_api(name)}/elements/{first}", json={"status": "confirmed", "note": "wrong class"}
    )
    scope = f"project={PROJECT}&dataset={dataset}&set={DETECTOR}"
    for width in (1440, 1024):
        context, page = _page_in(browser, scheme, width)
        errors: list[str] = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        try:
            page.goto(f"{server}/#view=issues&{scope}")
            page.locator(f'tr[data-issue="{name}"]').wait_for()
            _is_legible(page, scheme, f"{scheme}-issue-list-{width}", floating=False)
            page.goto(f"{server}/#view=issues&{scope}&issue={quote(name)}")
            page.locator("table.issue-elements rect[data-emphasized]").first.wait_for()
            _is_legible(page, scheme, f"{scheme}-issue-page-{width}", floating=False)
            page.get_by_role("tab", name="Similar elements").click()
            model = page.get_by_label("Embedding model")
            eventually(lambda: model.input_value() != "", True)  # noqa: B023
            page.get_by_role("button", name="Find similar elements").click()
            page.locator(".similar-candidates li").first.wait_for()
            _is_legible(page, scheme, f"{scheme}-issue-similar-{width}", floating=False)
            page.goto(f"{server}/#view=issues&{scope}&issue={quote(name)}&element={first}")
            page.get_by_role("dialog").locator(".frame-view svg rect").first.wait_for()
            _is_legible(page, scheme, f"{scheme}-issue-review-{width}", floating=True)
        finally:
            context.close()
        assert errors == []
