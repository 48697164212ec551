"""``Client``: Shoal's REST API from Python, shaped like the local store.

Every method is one or a few requests to ``/api/v1``. Metric answers come back as the
local API's result classes, read with their ``from_dict`` (``report`` is a
``ClassificationReport``, ``regression_results`` a list of ``SegmentResult``, and so on),
so code written against the local store works on a remote one; entities (projects,
datasets, segments, issues, frames) are the server's JSON as plain ``dict``/``list``.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar
from urllib.parse import urlsplit

import orjson

from shoal._types import Conf, Progress, Task, url_segment
from shoal.analysis import Calibration, Comparison, SegmentResult, Significance
from shoal.analysis.point_colors import PointColors
from shoal.analysis.similarity import SimilarElements
from shoal.client._errors import (
    APIError,
    ClientError,
    ConnectionFailed,
    PayloadTooLarge,
    ProtocolError,
    UsageError,
    error_for_status,
)
from shoal.engine.detection.metrics import CocoSummary
from shoal.engine.metrics import ClassificationReport, ConfusionMatrix, PRCurve, ThresholdChoice
from shoal.errors import InputError

if TYPE_CHECKING:
    import httpx
    import numpy as np

    from shoal.tables import DatasetTables, InferenceTables

__all__ = ["ALL_FRAMES", "DEFAULT_CHUNK_ROWS", "Client"]

ALL_FRAMES: Final = "All Frames"
DEFAULT_CHUNK_ROWS: Final = 50_000
API_PREFIX: Final = "/api/v1"
METRIC_PARTS: Final = ("report", "confusion_matrix", "coco_summary", "pr_curves", "best_thresholds")

Json = Any
Result = TypeVar("Result")
Tables = TypeVar("Tables")


class _Unset:
    """Marks a keyword argument that was not given (None has a meaning of its own)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


def _import_httpx() -> Any:
    try:
        import httpx
    except ImportError:
        raise ClientError(
            "the Shoal client needs httpx, which is not installed: pip install 'shoal[client]'"
        ) from None
    return httpx


def _segment(name: str) -> str:
    """One path segment: names may hold spaces, slashes or anything else."""
    return url_segment(str(name))


def _conf_param(conf: Conf | None) -> str | None:
    if conf is None:
        return None
    if isinstance(conf, Mapping):
        return orjson.dumps({str(k): float(v) for k, v in conf.items()}).decode()
    if isinstance(conf, bool) or not isinstance(conf, int | float):
        raise UsageError(f"conf must be a number or a mapping of class to number, got {conf!r}")
    return repr(float(conf))


# An IoU threshold as the metrics and examples routes take it: one number, or one per
# class name (classes not named use 0.5).
Iou = float | Mapping[str, float]


def _iou_param(iou: Iou | None) -> str | None:
    if iou is None:
        return None
    if isinstance(iou, Mapping):
        return orjson.dumps({str(k): float(v) for k, v in iou.items()}).decode()
    if isinstance(iou, bool) or not isinstance(iou, int | float):
        raise UsageError(f"iou must be a number or a mapping of class to number, got {iou!r}")
    return repr(float(iou))


def _compared_params(
    base: str,
    other: str,
    conf: Conf | None,
    iou: float | None,
    other_conf: Conf | None,
    other_iou: float | None,
    segment: str | None,
    query: str | None,
) -> dict[str, Any]:
    """The query parameters of every comparing route (``/compare``,
    ``/compare/significance``, ``/compare/examples``): the pair, each side's operating
    point and the frames compared."""
    return {
        "base": base,
        "other": other,
        "conf": _conf_param(conf),
        "iou": iou,
        "other_conf": _conf_param(other_conf),
        "other_iou": other_iou,
        "segment": segment,
        "query": query,
    }


def _params(**values: Any) -> dict[str, Any]:
    """Query parameters, leaving out the ones not given."""
    return {k: v for k, v in values.items() if v is not None and v != ()}


class Client:
    """A Shoal server at ``url`` (e.g. ``http://127.0.0.1:8000``).

    ``token`` is an API key, sent as ``Authorization: Bearer <token>``; it is never
    shown in a repr or an error message. ``timeout`` (seconds) bounds every request.
    Methods raise :class:`~shoal.client.ClientError` subclasses only (see
    ``shoal.client._errors``): ``NotFound`` for unknown names (also a
    ``shoal.errors.NotFoundError``), ``Conflict`` for a name in use (also a
    ``ConflictError``), ``BadRequest`` for invalid input (also an ``InputError``),
    ``ConnectionFailed`` when the server cannot be reached.

    Use it as a context manager, or call :meth:`close`, to release its connections.
    """

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 30.0) -> None:
        hx = _import_httpx()
        if not isinstance(url, str) or not url.strip():
            raise UsageError(f"a server URL is needed, got {url!r}")
        base = url.strip().rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"the server URL must be http:// or https://, got {url!r}")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise UsageError("the server URL must not carry a query, fragment or credentials")
        if base.endswith(API_PREFIX):
            base = base[: -len(API_PREFIX)]
        self.url = base
        self.timeout = float(timeout)
        self._token = token
        headers = {"Accept": "application/json", "User-Agent": f"shoal-client/{_version()}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http: httpx.Client = hx.Client(
            base_url=base + API_PREFIX,
            headers=headers,
            timeout=self.timeout,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        token = ", token=<hidden>" if self._token else ""
        return f"Client({self.url!r}{token})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------- transport
    def _scrub(self, text: str) -> str:
        if self._token:
            text = text.replace(self._token, "<hidden>")
        return text

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        follow_redirects: bool = False,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> httpx.Response:
        hx = _import_httpx()
        headers = {}
        if body is not None:
            content = orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
            headers["Content-Type"] = "application/json"
        elif content is not None and content_type is not None:
            headers["Content-Type"] = content_type
        failure: ClientError | None = None
        try:
            response: httpx.Response = self._http.request(
                method,
                path,
                params=params,
                content=content,
                headers=headers,
                follow_redirects=follow_redirects,
            )
        except hx.TimeoutException:
            failure = ConnectionFailed(
                f"{method} {self.url}{API_PREFIX}{path}: no answer within {self.timeout:g} s"
            )
        except hx.TransportError as error:
            failure = ConnectionFailed(
                f"cannot reach the Shoal server at {self.url}: {self._scrub(str(error)) or type(error).__name__}"
            )
        except (hx.HTTPError, hx.InvalidURL, hx.StreamError) as error:
            failure = ClientError(
                f"{method} {self.url}{API_PREFIX}{path} failed: {self._scrub(str(error))}"
            )
        # Raised outside the except blocks: the httpx exception (whose request holds the
        # Authorization header) is neither the cause nor the context.
        if failure is not None:
            raise failure
        if response.status_code >= 400:
            raise self._api_error(method, path, response)
        return response

    def _api_error(self, method: str, path: str, response: httpx.Response) -> APIError:
        status = response.status_code
        error, detail, where = "", "", None
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if isinstance(payload, dict) and "detail" in payload:
            error = str(payload.get("error") or "")
            detail = payload["detail"]
            if not isinstance(detail, str):
                detail = orjson.dumps(detail).decode()
            where = payload.get("where")
        else:
            detail = " ".join(response.text.split())[:300] or response.reason_phrase
        error = error or response.reason_phrase.lower().replace(" ", "_") or "error"
        cls = error_for_status(status)
        return cls(
            status,
            error,
            self._scrub(detail),
            where,
            method=method,
            path=API_PREFIX + path.split("?", 1)[0],
        )

    def _json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Json:
        response = self._send(method, path, params=params, body=body)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise ProtocolError(
                f"{method} {API_PREFIX}{path}: the answer is not JSON "
                f"({response.headers.get('content-type', 'no content type')}); "
                f"is {self.url} a Shoal server?"
            ) from None

    def _get(self, path: str, **params: Any) -> Json:
        return self._json("GET", path, params=_params(**params))

    def _follow_job(
        self,
        job: dict[str, Any],
        path: str,
        params: Mapping[str, Any],
        poll_seconds: float,
        progress: Progress | None,
    ) -> dict[str, Any]:
        """Poll a background job's record at ``path`` every ``poll_seconds`` until it
        ends (done or failed), telling ``progress(done, total)`` on the way."""
        while job["state"] in ("queued", "running"):
            time.sleep(poll_seconds)
            job = self._json("GET", path, params=params)
            if progress is not None:
                progress(int(job["done"]), int(job["total"]))
        return job

    # ------------------------------------------------------------------ paths
    @staticmethod
    def _project_path(project: str) -> str:
        return f"/projects/{_segment(project)}"

    def _dataset_path(self, project: str, dataset: str) -> str:
        return f"{self._project_path(project)}/datasets/{_segment(dataset)}"

    def _inference_set_path(self, project: str, dataset: str, inference_set: str) -> str:
        return f"{self._dataset_path(project, dataset)}/inference-sets/{_segment(inference_set)}"

    def _resolve_dataset(self, project: str, dataset: str | None) -> str:
        """``dataset``, or when None the project's only dataset, or its only one with
        labels (an unlabeled corpus beside it is never evaluated)."""
        if dataset is not None:
            return dataset
        found: list[dict[str, Any]] = self._get(f"{self._project_path(project)}/datasets")
        names = [str(d["name"]) for d in found]
        labeled = [str(d["name"]) for d in found if d.get("num_labels", 0) > 0]
        if len(names) == 1:
            return names[0]
        if len(labeled) == 1:
            return labeled[0]
        listed = ", ".join(repr(n) for n in names) or "none"
        raise UsageError(
            f"project {project!r} has {len(names)} datasets ({listed}): "
            "name one with dataset=... (--dataset)"
        )

    # --------------------------------------------------------------- projects
    def projects(self) -> list[dict[str, Any]]:
        """Every project (name, task, default_conf, default_iou, created_at, classes,
        datasets), by name."""
        result: list[dict[str, Any]] = self._get("/projects")
        return result

    def project(self, name: str) -> dict[str, Any]:
        """One project's info, as ``Project.to_dict()``."""
        result: dict[str, Any] = self._get(self._project_path(name))
        return result

    def create_project(
        self,
        name: str,
        *,
        task: Task = "detection",
        classes: Sequence[str | Mapping[str, Any]] = (),
        default_conf: float = 0.1,
        default_iou: float = 0.5,
    ) -> dict[str, Any]:
        """A new project (``Conflict`` if the name is taken). ``classes`` are names or
        ``{"name", "id", "color", "ignore"}`` entries."""
        body = {
            "name": name,
            "task": task,
            "classes": [_class_entry(c) for c in classes],
            "default_conf": default_conf,
            "default_iou": default_iou,
        }
        result: dict[str, Any] = self._json("POST", "/projects", body=body)
        return result

    def update_project(
        self,
        name: str,
        *,
        default_conf: float | None = None,
        default_iou: float | None = None,
        add_classes: Sequence[str | Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """Change the default operating point or append classes; the project's info."""
        body: dict[str, Any] = {"add_classes": [_class_entry(c) for c in add_classes]}
        if default_conf is not None:
            body["default_conf"] = default_conf
        if default_iou is not None:
            body["default_iou"] = default_iou
        result: dict[str, Any] = self._json("PATCH", self._project_path(name), body=body)
        return result

    def delete_project(self, name: str) -> None:
        """Delete a project with its datasets, inference sets, segments and issues."""
        self._json("DELETE", self._project_path(name))

    # --------------------------------------------------------------- datasets
    def datasets(self, project: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._get(f"{self._project_path(project)}/datasets")
        return result

    def dataset(self, project: str, name: str) -> dict[str, Any]:
        """One dataset's info: ``Dataset.to_dict()`` plus ``has_image_root``."""
        result: dict[str, Any] = self._get(self._dataset_path(project, name))
        return result

    def delete_dataset(self, project: str, name: str) -> None:
        self._json("DELETE", self._dataset_path(project, name))

    # --------------------------------------------------------- inference sets
    def inference_sets(self, project: str, dataset: str | None = None) -> list[dict[str, Any]]:
        dataset = self._resolve_dataset(project, dataset)
        result: list[dict[str, Any]] = self._get(
            f"{self._dataset_path(project, dataset)}/inference-sets"
        )
        return result

    def inference_set(self, project: str, dataset: str | None, name: str) -> dict[str, Any]:
        """One inference set's info, as ``InferenceSet.to_dict()``."""
        dataset = self._resolve_dataset(project, dataset)
        result: dict[str, Any] = self._get(self._inference_set_path(project, dataset, name))
        return result

    def delete_inference_set(self, project: str, dataset: str | None, name: str) -> None:
        dataset = self._resolve_dataset(project, dataset)
        self._json("DELETE", self._inference_set_path(project, dataset, name))

    # ---------------------------------------------------------------- uploads
    def upload_dataset(
        self,
        project: str,
        name: str,
        data: DatasetTables | Any,
        *,
        replace: bool = False,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Upload a labeled dataset: a ``shoal.LabeledDataset`` or ``DatasetTables``.

        Rows go up in chunks of at most ``chunk_rows``, then one commit stores the
        dataset atomically (validated on the server; nothing is stored on error, and
        the staged upload is discarded). A name in use needs ``replace=True``, else
        ``Conflict``. ``progress(done, total)`` is called after each chunk. Returns the
        commit's answer: ``{"kind", "project", "dataset", "name", "version", "rows"}``.
        """
        from shoal.tables import DatasetTables

        tables = _tables(data, DatasetTables, "a labeled dataset (LabeledDataset or DatasetTables)")
        parts = {
            "frames": tables.frames,
            "labels": tables.labels,
            "embeddings": tables.embeddings,
        }
        from shoal.tables import keypoint_schemas

        commit: dict[str, Any] = {
            "kind": "dataset", "project": project, "name": name, "replace": replace
        }  # fmt: skip
        schemas = keypoint_schemas(tables.labels)
        if schemas:  # kept in the table's metadata, which rows do not carry
            commit["keypoint_schemas"] = {k: v.to_dict() for k, v in schemas.items()}
        self.project(project)  # it exists, before any row is sent
        return self._upload(parts, chunk_rows, progress, self._committer(commit))

    def upload_inference_set(
        self,
        project: str,
        dataset: str | None,
        name: str,
        data: InferenceTables | Any,
        *,
        replace: bool = False,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Upload a model's predictions on ``dataset``: a ``shoal.Inferences`` or
        ``InferenceTables``; chunked and committed atomically like :meth:`upload_dataset`
        (the server checks every prediction's frame is in the dataset)."""
        dataset = self._resolve_dataset(project, dataset)
        from shoal.tables import InferenceTables

        tables = _tables(data, InferenceTables, "inferences (Inferences or InferenceTables)")
        parts = {"predictions": tables.predictions, "embeddings": tables.embeddings}
        from shoal.tables import areas_are_boxes

        commit = {
            "kind": "inference_set",
            "project": project,
            "dataset": dataset,
            "name": name,
            "replace": replace,
            "box_areas": areas_are_boxes(tables.predictions),
        }
        self.dataset(project, dataset)  # it exists, before any row is sent
        return self._upload(parts, chunk_rows, progress, self._committer(commit))

    def _committer(self, commit: Mapping[str, Any]) -> Callable[[str], dict[str, Any]]:
        """What stores an upload as a dataset or inference set: its commit."""

        def finish(upload_id: str) -> dict[str, Any]:
            result: dict[str, Any] = self._json(
                "POST", f"/uploads/{_segment(upload_id)}/commit", body=dict(commit)
            )
            return result

        return finish

    def _upload(
        self,
        parts: Mapping[str, Any],
        chunk_rows: int,
        progress: Progress | None,
        finish: Callable[[str], dict[str, Any]],
    ) -> dict[str, Any]:
        """Send ``parts`` in chunks to a new upload, then ``finish(upload_id)`` (which
        consumes it on success); on any failure the upload is discarded."""
        if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
            raise UsageError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
        # Work list of (table, arrow slice); a slice the server finds too large is split.
        pending: list[tuple[str, Any]] = [
            (table_name, table.slice(start, chunk_rows))
            for table_name, table in parts.items()
            for start in range(0, table.num_rows, chunk_rows)
        ]
        pending.reverse()
        total = len(pending)
        upload = self._json("POST", "/uploads")
        upload_id = str(upload["upload_id"])
        base = f"/uploads/{_segment(upload_id)}"
        committed = False
        try:
            number = 0
            while pending:
                table_name, piece = pending.pop()
                try:
                    self._json(
                        "PUT",
                        f"{base}/chunks/{number}",
                        body={table_name: piece.to_pylist()},
                    )
                except PayloadTooLarge:
                    if piece.num_rows <= 1:
                        raise
                    half = math.ceil(piece.num_rows / 2)
                    pending.append((table_name, piece.slice(half)))
                    pending.append((table_name, piece.slice(0, half)))
                    total += 1
                    continue
                number += 1
                if progress is not None:
                    progress(number, total)
            result = finish(upload_id)
            committed = True
            return result
        finally:
            if not committed:
                self._discard_upload(base)

    def _discard_upload(self, base: str) -> None:
        # Best effort: the server sweeps stale uploads itself.
        with contextlib.suppress(ClientError):
            self._json("DELETE", base)

    # --------------------------------------------------------------- segments
    def segments(self, project: str, dataset: str | None = None) -> list[dict[str, Any]]:
        """Every segment of a dataset, "All Frames" first, as ``Segment.to_dict()``."""
        dataset = self._resolve_dataset(project, dataset)
        result: list[dict[str, Any]] = self._get(f"{self._dataset_path(project, dataset)}/segments")
        return result

    def segment(self, project: str, dataset: str | None, name: str) -> dict[str, Any]:
        dataset = self._resolve_dataset(project, dataset)
        result: dict[str, Any] = self._get(
            f"{self._dataset_path(project, dataset)}/segments/{_segment(name)}"
        )
        return result

    def create_segment(
        self,
        project: str,
        dataset: str | None,
        name: str,
        *,
        type: Literal["split", "regression_test", "scenario"] = "scenario",
        frames: Iterable[str] | None = None,
        query: str | None = None,
        precision: float | None = None,
        recall: float | None = None,
        f1_score: float | None = None,
        description: str = "",
    ) -> dict[str, Any]:
        """A named set of ``frames`` or a saved metadata ``query`` (one of the two), with
        optional pass/fail thresholds in [0, 1] and a ``description``."""
        dataset = self._resolve_dataset(project, dataset)
        body: dict[str, Any] = {"name": name, "type": type, "description": description}
        if frames is not None:
            body["frames"] = [str(f) for f in frames]
        if query is not None:
            body["query"] = query
        for key, value in (("precision", precision), ("recall", recall), ("f1_score", f1_score)):
            if value is not None:
                body[key] = value
        result: dict[str, Any] = self._json(
            "POST", f"{self._dataset_path(project, dataset)}/segments", body=body
        )
        return result

    def update_segment(
        self,
        project: str,
        dataset: str | None,
        name: str,
        *,
        new_name: str | None = None,
        precision: float | _Unset | None = UNSET,
        recall: float | _Unset | None = UNSET,
        f1_score: float | _Unset | None = UNSET,
        type: Literal["split", "regression_test", "scenario"] | None = None,
        description: str | None = None,
        add_frames: Iterable[str] = (),
        remove_frames: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Rename a segment, change its type, description or thresholds, or add and
        remove frames (a segment of listed frames); a threshold given as None is
        removed, one not given stays. Returns the segment's info."""
        dataset = self._resolve_dataset(project, dataset)
        body: dict[str, Any] = {}
        if new_name is not None:
            body["name"] = new_name
        if type is not None:
            body["type"] = type
        if description is not None:
            body["description"] = description
        for key, frames in (("add_frames", add_frames), ("remove_frames", remove_frames)):
            listed = [str(f) for f in frames]
            if listed:
                body[key] = listed
        for key, value in (("precision", precision), ("recall", recall), ("f1_score", f1_score)):
            if not isinstance(value, _Unset):
                body[key] = value
        result: dict[str, Any] = self._json(
            "PATCH", f"{self._dataset_path(project, dataset)}/segments/{_segment(name)}", body=body
        )
        return result

    def set_thresholds(
        self, project: str, dataset: str | None, segment: str, **thresholds: float | None
    ) -> dict[str, Any]:
        """``precision=``, ``recall=``, ``f1_score=`` (None removes one), as
        ``Segment.set_thresholds``."""
        unknown = set(thresholds) - {"precision", "recall", "f1_score"}
        if unknown:
            raise UsageError(
                f"unknown threshold {sorted(unknown)[0]!r}; use precision, recall or f1_score"
            )
        return self.update_segment(project, dataset, segment, **thresholds)  # type: ignore[arg-type]

    def delete_segment(self, project: str, dataset: str | None, name: str) -> None:
        dataset = self._resolve_dataset(project, dataset)
        self._json("DELETE", f"{self._dataset_path(project, dataset)}/segments/{_segment(name)}")

    # ----------------------------------------------------------------- issues
    def _issue_path(self, project: str, name: str) -> str:
        return f"{self._project_path(project)}/issues/{_segment(name)}"

    def issues(
        self, project: str, *, status: str | None = None, owner: str | None = None
    ) -> list[dict[str, Any]]:
        """The project's issues (of ``status`` / ``owner`` where given), as
        ``Issue.to_dict()``."""
        result: list[dict[str, Any]] = self._get(
            f"{self._project_path(project)}/issues", status=status, owner=owner
        )
        return result

    def issue(
        self, project: str, name: str, *, status: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """One issue, as ``Issue.to_dict()`` (only its elements of ``status`` where given)."""
        result: dict[str, Any] = self._get(
            self._issue_path(project, name), status=None if status is None else list(status)
        )
        return result

    def create_issue(
        self,
        project: str,
        name: str,
        elements: Iterable[Any] = (),
        *,
        description: str = "",
        owner: str = "",
        notes: str | None = None,
    ) -> dict[str, Any]:
        """A new issue; ``elements`` are ``shoal.IssueElement`` values or dicts with
        ``dataset``, ``frame_id`` and optionally ``element_kind``, ``element_id``,
        ``inference_set`` (each must exist; repeats are skipped). ``notes`` is the
        description's former name."""
        body = {
            "name": name,
            "description": notes if notes is not None else description,
            "owner": owner,
            "elements": [_element(e) for e in elements],
        }
        result: dict[str, Any] = self._json(
            "POST", f"{self._project_path(project)}/issues", body=body
        )
        return result

    def update_issue(
        self,
        project: str,
        name: str,
        *,
        status: Literal["open", "in_progress", "resolved"] | None = None,
        description: str | None = None,
        owner: str | None = None,
        notes: str | None = None,
        add_elements: Iterable[Any] = (),
    ) -> dict[str, Any]:
        """Change an issue's status, description (``notes``: its former name) or owner;
        ``add_elements`` adds elements."""
        body: dict[str, Any] = {"add_elements": [_element(e) for e in add_elements]}
        if status is not None:
            body["status"] = status
        text = notes if notes is not None else description
        if text is not None:
            body["description"] = text
        if owner is not None:
            body["owner"] = owner
        result: dict[str, Any] = self._json("PATCH", self._issue_path(project, name), body=body)
        return result

    def delete_issue(self, project: str, name: str) -> None:
        self._json("DELETE", self._issue_path(project, name))

    def add_issue_elements(
        self, project: str, name: str, elements: Iterable[Any]
    ) -> dict[str, Any]:
        """Add elements to an issue: ``{added, skipped, issue}`` (one already in the
        issue is skipped)."""
        body = {"elements": [_element(e) for e in elements]}
        result: dict[str, Any] = self._json(
            "POST", f"{self._issue_path(project, name)}/elements", body=body
        )
        return result

    def add_issue_elements_from_query(
        self,
        project: str,
        name: str,
        dataset: str,
        *,
        query: str | None = None,
        segment: str | None = None,
    ) -> dict[str, Any]:
        """Add the frames a frames ``query`` matches in a ``segment`` (at least one):
        ``{added, skipped, issue}``."""
        body = {"dataset": dataset, "query": query, "segment": segment}
        result: dict[str, Any] = self._json(
            "POST", f"{self._issue_path(project, name)}/elements/from-query", body=body
        )
        return result

    def add_issue_elements_from_cell(
        self,
        project: str,
        name: str,
        dataset: str,
        inference_set: str,
        truth: str,
        predicted: str,
        *,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: str | None = None,
        query: str | None = None,
    ) -> dict[str, Any]:
        """Add the objects of one confusion-matrix cell (``background`` for none) at
        (conf, iou): ``{added, skipped, issue}``."""
        body = {
            "dataset": dataset, "inference_set": inference_set, "truth": truth,
            "predicted": predicted, "segment": segment, "query": query,
        }  # fmt: skip
        result: dict[str, Any] = self._json(
            "POST",
            f"{self._issue_path(project, name)}/elements/from-cell",
            params=_params(conf=_conf_param(conf), iou=iou),
            body=body,
        )
        return result

    def review_issue_element(
        self,
        project: str,
        name: str,
        position: int,
        *,
        status: Literal["open", "confirmed", "fixed", "dismissed"] | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Set one element's review status and/or note; answers the element."""
        body: dict[str, Any] = {}
        if status is not None:
            body["status"] = status
        if note is not None:
            body["note"] = note
        result: dict[str, Any] = self._json(
            "PATCH", f"{self._issue_path(project, name)}/elements/{int(position)}", body=body
        )
        return result

    def remove_issue_element(self, project: str, name: str, position: int) -> None:
        self._json("DELETE", f"{self._issue_path(project, name)}/elements/{int(position)}")

    def export_issue(
        self,
        project: str,
        name: str,
        *,
        format: Literal["csv", "json", "coco"] = "csv",
        status: Iterable[str] | None = None,
        dataset: str | None = None,
    ) -> str:
        """An issue's elements as CSV, JSON or a COCO subset (text)."""
        params = _params(
            format=format, status=None if status is None else list(status), dataset=dataset
        )
        return self._send("GET", f"{self._issue_path(project, name)}/export", params=params).text

    def import_fixed_labels(
        self,
        project: str,
        name: str,
        dataset: str,
        coco: Mapping[str, Any] | str | os.PathLike[str] | DatasetTables,
        *,
        new_name: str | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
    ) -> dict[str, Any]:
        """Send the relabeled frames' labels: COCO instances (a dict, or a file's path)
        in one request, or ``DatasetTables`` of those frames and labels (any format's
        reader) in chunks of an upload. Answers the new dataset (every frame of
        ``dataset``, those frames' labels replaced, every inference set copied)."""
        path = f"{self._issue_path(project, name)}/fixed-labels"
        params = _params(dataset=dataset, name=new_name)
        from shoal.tables import DatasetTables

        if isinstance(coco, DatasetTables):
            self.issue(project, name)  # it exists, before any row is sent
            parts = {"frames": coco.frames.select(["frame_id"]), "labels": coco.labels}

            def finish(upload_id: str) -> dict[str, Any]:
                found: dict[str, Any] = self._json(
                    "POST", path, params={**params, "upload": upload_id}
                )
                return found

            return self._upload(parts, chunk_rows, None, finish)
        if isinstance(coco, Mapping):
            document = dict(coco)
        else:
            try:
                document = orjson.loads(Path(coco).read_bytes())
            except OSError as error:
                raise UsageError(f"{coco}: cannot read the file: {error.strerror}") from None
            except orjson.JSONDecodeError as error:
                raise UsageError(f"{coco}: not JSON: {error}") from None
        result: dict[str, Any] = self._json("POST", path, params=params, body=document)
        return result

    def issue_before_after(
        self,
        project: str,
        name: str,
        before: str,
        after: str,
        *,
        inference_set: str | None = None,
        conf: Conf | None = None,
        iou: float | None = None,
    ) -> dict[str, Any]:
        """Each inference set scored on the issue's frames and on all frames, in
        ``before`` and in ``after`` (``Issue.before_after(...).to_dict()``)."""
        result: dict[str, Any] = self._get(
            f"{self._issue_path(project, name)}/before-after",
            before=before, after=after, inference_set=inference_set,
            conf=_conf_param(conf), iou=iou,
        )  # fmt: skip
        return result

    # ----------------------------------------------------------------- frames
    def frames(
        self,
        project: str,
        dataset: str | None = None,
        *,
        query: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> dict[str, Any]:
        """One page of frames (metadata columns included, plus ``image_url``):
        ``{"total", "offset", "limit", "frames"}``; ``query`` filters by metadata."""
        dataset = self._resolve_dataset(project, dataset)
        result: dict[str, Any] = self._get(
            f"{self._dataset_path(project, dataset)}/frames",
            query=query,
            offset=offset,
            limit=limit,
        )
        return result

    def iter_frames(
        self,
        project: str,
        dataset: str | None = None,
        *,
        query: str | None = None,
        page_size: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """Every frame (matching ``query``), fetched a page at a time."""
        dataset = self._resolve_dataset(project, dataset)
        offset = 0
        while True:
            page = self.frames(project, dataset, query=query, offset=offset, limit=page_size)
            rows: list[dict[str, Any]] = page["frames"]
            yield from rows
            offset += len(rows)
            if not rows or offset >= int(page["total"]):
                return

    def frame(
        self,
        project: str,
        dataset: str | None,
        frame_id: str,
        *,
        inference_sets: Sequence[str] = (),
    ) -> dict[str, Any]:
        """A frame with its labels and the predictions of ``inference_sets``:
        ``{"frame", "image_url", "labels", "predictions": {name: [...]}}``."""
        dataset = self._resolve_dataset(project, dataset)
        result: dict[str, Any] = self._get(
            f"{self._dataset_path(project, dataset)}/frames/{_segment(frame_id)}",
            inference_set=list(inference_sets),
        )
        return result

    def image(self, project: str, dataset: str | None, frame_id: str) -> bytes:
        """The frame's image bytes (following the server's redirect for image URLs)."""
        dataset = self._resolve_dataset(project, dataset)
        path = f"{self._dataset_path(project, dataset)}/frames/{_segment(frame_id)}/image"
        return self._send("GET", path, follow_redirects=True).content

    def thumbnail(
        self, project: str, dataset: str | None, frame_id: str, *, size: int = 256
    ) -> bytes:
        """A PNG thumbnail of the frame's image, ``size`` pixels on its longest side."""
        dataset = self._resolve_dataset(project, dataset)
        path = f"{self._dataset_path(project, dataset)}/frames/{_segment(frame_id)}/thumbnail"
        return self._send("GET", path, params={"size": size}).content

    # ---------------------------------------------------------------- metrics
    def metrics(
        self,
        project: str,
        dataset: str | None,
        inference_sets: str | Sequence[str],
        *,
        conf: Conf | None = None,
        iou: Iou | None = None,
        segment: str | None = None,
        include: Sequence[str] = ("report", "confusion_matrix"),
        other_conf: Conf | None = None,
        other_iou: float | None = None,
        query: str | None = None,
        protocol: Literal["coco", "labelbox"] = "coco",
    ) -> dict[str, Any]:
        """The server's metrics answer for one or two inference sets:
        ``{"dataset", "segment", "conf", "iou", "results": [{"inference_set",
        "version", <each part of include>}, ...]}``. ``include`` names any of
        ``report``, ``confusion_matrix``, ``coco_summary``, ``pr_curves``,
        ``best_thresholds``. ``conf`` is a number or ``{class: threshold}``, ``iou`` a
        number or ``{class: IoU}`` (detection; classes not named at 0.5); ``conf``
        and ``iou`` default to the project's, ``segment`` to "All Frames";
        ``other_conf`` and ``other_iou`` are the second set's own (default: ``conf`` and
        ``iou``); ``query`` narrows the segment to the frames it matches; ``protocol``
        is detection's matching rule (``"labelbox"``: Labelbox's, docs/metrics.md)."""
        dataset = self._resolve_dataset(project, dataset)
        names = [inference_sets] if isinstance(inference_sets, str) else list(inference_sets)
        unknown = [part for part in include if part not in METRIC_PARTS]
        if unknown:
            raise UsageError(f"unknown metric {unknown[0]!r}; use {', '.join(METRIC_PARTS)}")
        result: dict[str, Any] = self._get(
            f"{self._dataset_path(project, dataset)}/metrics",
            inference_set=names,
            conf=_conf_param(conf),
            iou=_iou_param(iou),
            other_conf=_conf_param(other_conf),
            other_iou=other_iou,
            segment=segment,
            query=query,
            include=list(include),
            protocol=None if protocol == "coco" else protocol,
        )
        for entry in result.get("results", []):
            for part in METRIC_PARTS:
                if part not in include:
                    entry.pop(part, None)
            if isinstance(entry.get("confusion_matrix"), dict):
                _drop_null_iou(entry["confusion_matrix"])
            for curve in (entry.get("pr_curves") or {}).values():
                _drop_null_iou(curve)
        return result

    def _metric(
        self,
        part: str,
        project: str,
        dataset: str | None,
        inference_set: str,
        conf: Conf | None,
        iou: Iou | None,
        segment: str | None,
    ) -> Any:
        answer = self.metrics(
            project, dataset, inference_set, conf=conf, iou=iou, segment=segment, include=(part,)
        )
        return answer["results"][0][part]

    def report(
        self,
        project: str,
        dataset: str | None,
        inference_set: str,
        *,
        conf: Conf | None = None,
        iou: Iou | None = None,
        segment: str | None = None,
    ) -> ClassificationReport:
        """Per-class precision, recall, F1, support, TP/FP/FN (and AP for detection): the
        ``ClassificationReport`` of ``evaluate().report(conf, iou)``."""
        answer = self._metric("report", project, dataset, inference_set, conf, iou, segment)
        return _typed(ClassificationReport.from_dict, answer, "report")

    def confusion_matrix(
        self,
        project: str,
        dataset: str | None,
        inference_set: str,
        *,
        conf: Conf | None = None,
        iou: Iou | None = None,
        segment: str | None = None,
    ) -> ConfusionMatrix:
        """The ``ConfusionMatrix`` of ``evaluate().confusion_matrix(conf, iou)`` (rows
        ground truth, columns predictions, "background" last)."""
        answer = self._metric(
            "confusion_matrix", project, dataset, inference_set, conf, iou, segment
        )
        return _typed(ConfusionMatrix.from_dict, answer, "confusion matrix")

    def multilabel_metrics(
        self,
        project: str,
        dataset: str | None,
        inference_set: str,
        *,
        conf: Conf | None = None,
        segment: str | None = None,
        query: str | None = None,
    ) -> dict[str, Any]:
        """A multi-label inference set's metrics (equal to scikit-learn's): ``classes``
        (per class precision, recall, f1-score, support, threshold, average_precision
        and the 2x2 matrix's tn, fp, fn, tp), ``averages`` (micro, macro, weighted and
        samples avg), ``subset_accuracy``, ``hamming_loss``, ``mean_average_precision``.
        ``conf`` is the class-score threshold, a number or ``{class: threshold}``
        (classes not named use the project's); ``query`` narrows the segment."""
        dataset = self._resolve_dataset(project, dataset)
        path = self._inference_set_path(project, dataset, inference_set)
        answer: dict[str, Any] = self._get(
            f"{path}/multilabel-metrics", conf=_conf_param(conf), segment=segment, query=query
        )
        return answer

    def multilabel_examples(
        self,
        project: str,
        dataset: str | None,
        inference_set: str,
        label: str,
        cell: str,
        *,
        conf: Conf | None = None,
        segment: str | None = None,
        query: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> dict[str, Any]:
        """A page of the frames in ``cell`` (``tp``, ``fp``, ``fn``, ``tn``) of class
        ``label``'s 2x2 matrix: ``{"total", "offset", "examples": [{"frame_id",
        "truth", "predicted", "score"}]}`` (a frame is in one cell of every class)."""
        dataset = self._resolve_dataset(project, dataset)
        path = self._inference_set_path(project, dataset, inference_set)
        answer: dict[str, Any] = self._get(
            f"{path}/multilabel-examples", label=label, cell=cell, conf=_conf_param(conf),
            segment=segment, query=query, offset=offset, limit=limit,
        )  # fmt: skip
        return answer

    def ner_metrics(
        self,
        project: str,
        dataset: str | None,
        inference_set: str,
        *,
        segment: str | None = None,
        query: str | None = None,
    ) -> dict[str, Any]:
        """An NER inference set's entity-level metrics: ``exact`` (equal to seqeval's) and
        ``overlap``, each ``types`` (per entity type precision, recall, f1-score,
        support, tp, fp, fn) and ``averages`` (micro, macro, weighted avg)."""
        dataset = self._resolve_dataset(project, dataset)
        path = self._inference_set_path(project, dataset, inference_set)
        answer: dict[str, Any] = self._get(f"{path}/ner-metrics", segment=segment, query=query)
        return answer

    def ner_sentences(
        self,
        project: str,
        dataset: str | None,
        inference_set: str,
        *,
        match: str = "exact",
        errors_only: bool = False,
        entity_type: str | None = None,
        frame_id: str | None = None,
        segment: str | None = None,
        query: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> dict[str, Any]:
        """A page of an NER inference set's frames: ``{"total", "offset", "sentences":
        [{"frame_id", "tokens", "truth", "predicted"}]}``, each entity ``{"type",
        "start", "end", "matched"}`` (tokens ``start .. end - 1``)."""
        dataset = self._resolve_dataset(project, dataset)
        path = self._inference_set_path(project, dataset, inference_set)
        answer: dict[str, Any] = self._get(
            f"{path}/ner-sentences", match=match, errors_only=errors_only or None,
            entity_type=entity_type, frame_id=frame_id, segment=segment, query=query,
            offset=offset, limit=limit,
        )  # fmt: skip
        return answer

    def pr_curves(
        self,
        project: str,
        dataset: str | None,
        inference_set: str,
        *,
        iou: Iou | None = None,
        segment: str | None = None,
    ) -> dict[str, PRCurve]:
        """Each class's precision-recall curve and ``"all"``: ``{label: PRCurve}``."""
        answer = self._metric("pr_curves", project, dataset, inference_set, None, iou, segment)
        return {
            label: _typed(PRCurve.from_dict, curve, "PR curve") for label, curve in answer.items()
        }

    def best_thresholds(
        self,
        project: str,
        dataset: str | None,
        inference_set: str,
        *,
        iou: Iou | None = None,
        segment: str | None = None,
    ) -> dict[str, ThresholdChoice]:
        """Each class's F1-maximizing confidence: ``{label: ThresholdChoice}``. Pass
        ``{label: choice.conf for label, choice in result.items()}`` back as ``conf``."""
        answer = self._metric(
            "best_thresholds", project, dataset, inference_set, None, iou, segment
        )
        return {
            label: _typed(ThresholdChoice.from_dict, choice, "threshold choice")
            for label, choice in answer.items()
        }

    def coco_summary(
        self,
        project: str,
        dataset: str | None,
        inference_set: str,
        *,
        segment: str | None = None,
    ) -> CocoSummary:
        """The 12 COCO statistics and per-class AP and AR: a ``CocoSummary`` (without
        the full precision and recall arrays, which stay on the server; detection
        projects; ``UsageError`` for classification)."""
        answer = self._metric("coco_summary", project, dataset, inference_set, None, None, segment)
        if answer is None:
            raise UsageError(f"project {project!r} is not a detection project: no COCO summary")
        return _typed(CocoSummary.from_dict, answer, "COCO summary")

    def examples(
        self,
        project: str,
        dataset: str | None,
        inference_set: str,
        *,
        conf: Conf | None = None,
        iou: Iou | None = None,
        segment: str | None = None,
        query: str | None = None,
        truth: str | None = None,
        predicted: str | None = None,
        outcome: Literal["TP", "FP", "FN"] | None = None,
        label: str | None = None,
        confused_as: str | None = None,
        confused_from: str | None = None,
        metric: str | None = None,
        metric_min: float | None = None,
        metric_max: float | None = None,
        protocol: Literal["coco", "labelbox"] = "coco",
        sort: str = "confidence",
        order: Literal["desc", "asc"] = "desc",
        offset: int = 0,
        limit: int = 50,
    ) -> dict[str, Any]:
        """The objects behind the numbers (detection), one page: ``{"inference_set",
        "conf", "iou", "total", "offset", "limit", "examples": [...]}``, each example
        with its ``outcome``, ``reason``, ``partner_id``, ``iou``, ``source_id`` and
        ``box``. ``truth`` + ``predicted`` select one confusion-matrix cell; ``metric``
        keeps the objects whose value lies in [``metric_min``, ``metric_max``] (a bin of
        :meth:`metric_performance`). ``sort`` is ``confidence``, ``iou``, ``area`` or a
        metric's name (:meth:`element_metrics`); ``protocol`` as in :meth:`metrics`."""
        dataset = self._resolve_dataset(project, dataset)
        result: dict[str, Any] = self._get(
            f"{self._inference_set_path(project, dataset, inference_set)}/examples",
            conf=_conf_param(conf),
            iou=_iou_param(iou),
            segment=segment,
            query=query,
            truth=truth,
            predicted=predicted,
            outcome=outcome,
            label=label,
            confused_as=confused_as,
            confused_from=confused_from,
            metric=metric,
            protocol=None if protocol == "coco" else protocol,
            sort=sort,
            order=order,
            offset=offset,
            limit=limit,
            **{"min": metric_min, "max": metric_max},
        )
        return result

    def compare(
        self,
        project: str,
        dataset: str | None,
        base: str,
        other: str,
        *,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: str | None = None,
        other_conf: Conf | None = None,
        other_iou: float | None = None,
        query: str | None = None,
    ) -> Comparison:
        """``other`` against ``base``: the ``Comparison`` of ``base_set.compare(other_set,
        ...)`` (per-class deltas, both reports and confusion matrices, ``cell()``,
        ``summary()``); ``other`` at (``other_conf``, ``other_iou``) where given."""
        dataset = self._resolve_dataset(project, dataset)
        answer = self._get(
            f"{self._dataset_path(project, dataset)}/compare",
            **_compared_params(base, other, conf, iou, other_conf, other_iou, segment, query),
        )
        return _typed(Comparison.from_dict, answer, "comparison")

    def significance(
        self,
        project: str,
        dataset: str | None,
        base: str,
        other: str,
        *,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: str | None = None,
        other_conf: Conf | None = None,
        other_iou: float | None = None,
        query: str | None = None,
        resamples: int | None = None,
        seed: int | None = None,
        average_precision: bool | None = None,
    ) -> Significance:
        """Paired-bootstrap intervals of ``other``'s deltas against ``base``: the
        ``Significance`` of ``base_set.significance(other_set, ...)`` (default 1,000
        resamples, seed 0, AP resampled too)."""
        dataset = self._resolve_dataset(project, dataset)
        answer = self._get(
            f"{self._dataset_path(project, dataset)}/compare/significance",
            **_compared_params(base, other, conf, iou, other_conf, other_iou, segment, query),
            resamples=resamples,
            seed=seed,
            average_precision=average_precision,
        )
        return _typed(Significance.from_dict, answer, "significance")

    def calibration(
        self,
        project: str,
        inference_set: str,
        *,
        dataset: str | None = None,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: str | None = None,
        query: str | None = None,
        bins: int | None = None,
    ) -> Calibration:
        """Reliability diagrams with ECE or D-ECE: the ``Calibration`` of
        ``InferenceSet.calibration(...)`` (default 10 bins)."""
        dataset = self._resolve_dataset(project, dataset)
        answer = self._get(
            f"{self._inference_set_path(project, dataset, inference_set)}/calibration",
            conf=_conf_param(conf),
            iou=iou,
            segment=segment,
            query=query,
            bins=bins,
        )
        return _typed(Calibration.from_dict, answer, "calibration")

    def similar(
        self,
        project: str,
        dataset: str | None,
        to: Sequence[str],
        *,
        k: int | None = None,
        embedding: str | None = None,
        kind: Literal["frame", "crop"] | None = None,
        metric: Literal["cosine", "euclidean"] | None = None,
        exclude: Sequence[str] = (),
    ) -> SimilarElements:
        """The elements nearest ``to`` by their stored embeddings: the
        ``SimilarElements`` of ``dataset.similar(to, k, ...)``."""
        dataset = self._resolve_dataset(project, dataset)
        answer = self._get(
            f"{self._dataset_path(project, dataset)}/similar",
            to=list(to),
            k=k,
            embedding=embedding,
            kind=kind,
            metric=metric,
            exclude=list(exclude),
        )
        return _typed(SimilarElements.from_dict, answer, "similar elements")

    def projection_colors(
        self,
        project: str,
        dataset: str | None,
        color_by: str,
        *,
        embedding: str | None = None,
        kind: Literal["frame", "crop"] = "frame",
        method: Literal["umap", "pca"] = "umap",
        inference_set: str | None = None,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: str | None = None,
        query: str | None = None,
    ) -> PointColors:
        """What each point of the kept projection is, in its element order: the
        ``PointColors`` of ``dataset.projection_colors(projection, color_by, ...)``
        (docs/embeddings.md, "Colors"); ``NotFound`` when the projection is not computed."""
        dataset = self._resolve_dataset(project, dataset)
        answer = self._get(
            f"{self._dataset_path(project, dataset)}/projection/colors",
            color_by=color_by, embedding=embedding, kind=kind, method=method,
            inference_set=inference_set, conf=_conf_param(conf), iou=iou, segment=segment,
            query=query,
        )  # fmt: skip
        return _typed(PointColors.from_dict, answer, "projection colors")

    def embedding_models(self, project: str, dataset: str | None = None) -> list[dict[str, Any]]:
        """Each embedding model of the dataset and its inference sets: ``{model,
        dimension, frames, labels, predictions: {set: n}}`` (``Dataset.embedding_models``)."""
        dataset = self._resolve_dataset(project, dataset)
        answer: list[dict[str, Any]] = self._get(
            f"{self._dataset_path(project, dataset)}/embeddings"
        )
        return answer

    def add_embeddings(
        self,
        project: str,
        dataset: str | None,
        file: str | os.PathLike[str],
        *,
        inference_set: str | None = None,
        model: str | None = None,
        kind: Literal["frame", "crop"] = "frame",
    ) -> list[dict[str, Any]]:
        """Upload vectors from a Parquet or ``.npz`` file (by its suffix) to the dataset
        or ``inference_set`` (``Dataset.add_embeddings``); answers the embedding models."""
        path = Path(file)
        dataset = self._resolve_dataset(project, dataset)
        response = self._send(
            "POST",
            f"{self._dataset_path(project, dataset)}/embeddings",
            params=_params(
                format="npz" if path.suffix.lower() == ".npz" else "parquet",
                inference_set=inference_set,
                model=model,
                kind=kind,
            ),
            content=path.read_bytes(),
            content_type="application/octet-stream",
        )
        answer: list[dict[str, Any]] = orjson.loads(response.content)
        return answer

    def compute_projection(
        self,
        project: str,
        dataset: str | None = None,
        *,
        embedding: str | None = None,
        kind: Literal["frame", "crop"] = "frame",
        method: Literal["umap", "pca"] = "umap",
        wait: bool = True,
        poll_seconds: float = 0.5,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Start computing a projection on the server (a background job; one kept and
        current is a job done at once); with ``wait``, poll every ``poll_seconds`` until
        it ends (``progress(done, total)`` on the way) and return the job's last record
        (``state`` "done" with the summary in ``result``, or "failed" with ``error``)."""
        dataset = self._resolve_dataset(project, dataset)
        path = f"{self._dataset_path(project, dataset)}/projection"
        params = _params(embedding=embedding, kind=kind, method=method)
        job: dict[str, Any] = self._json("POST", path, params=params)
        if not wait:
            return job
        return self._follow_job(job, f"{path}/job", params, poll_seconds, progress)

    def projection(
        self,
        project: str,
        dataset: str | None = None,
        *,
        embedding: str | None = None,
        kind: Literal["frame", "crop"] = "frame",
        method: Literal["umap", "pca"] = "umap",
    ) -> dict[str, Any]:
        """The kept projection's summary: ``{model, kind, method, count, fitted_on,
        computed_at, state, bounds, sources}``; ``NotFound`` when missing or stale."""
        dataset = self._resolve_dataset(project, dataset)
        answer: dict[str, Any] = self._get(
            f"{self._dataset_path(project, dataset)}/projection",
            embedding=embedding,
            kind=kind,
            method=method,
        )
        return answer

    def projection_points(
        self,
        project: str,
        dataset: str | None = None,
        *,
        embedding: str | None = None,
        kind: Literal["frame", "crop"] = "frame",
        method: Literal["umap", "pca"] = "umap",
    ) -> np.ndarray:
        """The kept projection's points, (n, 2) float32 in element order."""
        import numpy as np

        dataset = self._resolve_dataset(project, dataset)
        response = self._send(
            "GET",
            f"{self._dataset_path(project, dataset)}/projection/points",
            params=_params(embedding=embedding, kind=kind, method=method),
        )
        if len(response.content) % 8:
            raise ProtocolError(
                f"the projection's points are {len(response.content)} bytes, not pairs of float32"
            )
        return np.frombuffer(response.content, dtype="<f4").reshape(-1, 2).astype(np.float32)

    def projection_elements(
        self,
        project: str,
        dataset: str | None,
        indices: Sequence[int],
        *,
        embedding: str | None = None,
        kind: Literal["frame", "crop"] = "frame",
        method: Literal["umap", "pca"] = "umap",
    ) -> list[dict[str, Any]]:
        """What the points at ``indices`` are: ``{index, source, inference_set, id,
        frame_id}`` each, in the order asked."""
        dataset = self._resolve_dataset(project, dataset)
        answer: list[dict[str, Any]] = self._json(
            "POST",
            f"{self._dataset_path(project, dataset)}/projection/elements",
            params=_params(embedding=embedding, kind=kind, method=method),
            body={"indices": [int(i) for i in indices]},
        )
        return answer

    def tide(
        self,
        project: str,
        inference_set: str,
        *,
        dataset: str | None = None,
        segment: str | None = None,
        query: str | None = None,
        fg_iou: float | None = None,
        bg_iou: float | None = None,
    ) -> dict[str, Any]:
        """TIDE's error breakdown as the REST API answers it: ``counts`` and ``dap`` (Cls,
        Loc, Both, Dupe, Bkg, Miss; FalsePos and FalseNeg), ``ap``, ``settings`` and
        ``per_class`` (docs/insights.md)."""
        dataset = self._resolve_dataset(project, dataset)
        answer: dict[str, Any] = self._get(
            f"{self._inference_set_path(project, dataset, inference_set)}/tide",
            segment=segment,
            query=query,
            fg_iou=fg_iou,
            bg_iou=bg_iou,
        )
        return answer

    def metric_importance(
        self,
        project: str,
        inference_set: str,
        *,
        dataset: str | None = None,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: str | None = None,
        query: str | None = None,
    ) -> dict[str, Any]:
        """Every metric the inference set can be analysed by, the most important first:
        ``{"metrics": [{"metric", "level", "source", "n", "importance", "pearson",
        "spearman", ...}], "conf", "iou", ...}`` as ``InferenceSet.metric_importance``
        ranks them (docs/insights.md)."""
        dataset = self._resolve_dataset(project, dataset)
        answer: dict[str, Any] = self._get(
            f"{self._inference_set_path(project, dataset, inference_set)}/metric-importance",
            conf=_conf_param(conf),
            iou=iou,
            segment=segment,
            query=query,
        )
        return answer

    def metric_performance(
        self,
        project: str,
        inference_set: str,
        metric: str,
        *,
        dataset: str | None = None,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: str | None = None,
        query: str | None = None,
        bins: int | None = None,
        label: str | None = None,
    ) -> dict[str, Any]:
        """One metric's precision and FNR per quantile bin (``bins``, ``overall``,
        ``classes``), its ``histogram`` and ``importance``: the REST answer, i.e.
        ``InferenceSet.metric_performance(...).to_dict()`` with where it was computed."""
        dataset = self._resolve_dataset(project, dataset)
        answer: dict[str, Any] = self._get(
            f"{self._inference_set_path(project, dataset, inference_set)}/metric-performance",
            metric=metric,
            conf=_conf_param(conf),
            iou=iou,
            segment=segment,
            query=query,
            bins=bins,
            label=label,
        )
        return answer

    def label_errors(
        self,
        project: str,
        inference_set: str,
        *,
        dataset: str | None = None,
        segment: str | None = None,
        query: str | None = None,
        kind: str | None = None,
        label: str | None = None,
        status: str | None = None,
        conf: float | None = None,
        method: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> dict[str, Any]:
        """One page of the label-error queue as the REST API answers it: ``total``,
        ``counts`` by kind and ``label_errors`` (id, image_id, kind, score, annotation_id,
        prediction_id, label, partner_label, review), highest score first
        (docs/insights.md); ``kind``, ``label`` (the suspect object's class) and
        ``status`` (open, confirmed, dismissed) narrow it. Classification: ``method``
        (self_confidence or normalized_margin)."""
        dataset = self._resolve_dataset(project, dataset)
        answer: dict[str, Any] = self._get(
            f"{self._inference_set_path(project, dataset, inference_set)}/label-errors",
            segment=segment,
            query=query,
            kind=kind,
            label=label,
            status=status,
            conf=conf,
            method=method,
            offset=offset,
            limit=limit,
        )
        return answer

    def review_label_error(
        self,
        project: str,
        inference_set: str,
        candidate: str,
        *,
        status: str,
        dataset: str | None = None,
        issue: str | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        """Confirm (``confirmed``), dismiss (``dismissed``) or reopen (``open``) a
        label-error candidate; ``issue`` also collects its object in that issue."""
        dataset = self._resolve_dataset(project, dataset)
        path = self._inference_set_path(project, dataset, inference_set)
        answer: dict[str, Any] = self._json(
            "PUT",
            f"{path}/label-errors/{_segment(candidate)}/review",
            body={"status": status, "issue": issue, "note": note},
        )
        return answer

    def export_label_errors(
        self, project: str, inference_set: str, *, dataset: str | None = None, format: str = "coco"
    ) -> str:
        """The confirmed label errors as a COCO patch (JSON text) or CSV text."""
        dataset = self._resolve_dataset(project, dataset)
        path = self._inference_set_path(project, dataset, inference_set)
        return self._send("GET", f"{path}/label-errors/export", params={"format": format}).text

    # ---------------------------------------------------------- quality metrics
    def quality(self, project: str, dataset: str | None = None) -> dict[str, Any]:
        """The dataset's latest quality-metrics job: ``state`` (``none``, ``queued``,
        ``running``, ``done``, ``failed``), ``done`` of ``total`` images read, when done
        ``images_read``, ``warning_count`` and the first ``warnings`` (frames whose image
        could not be read), ``notes`` (images not read for a reason of the whole dataset),
        ``error`` for a failed job, and ``computed`` (metrics are stored)."""
        dataset = self._resolve_dataset(project, dataset)
        answer: dict[str, Any] = self._get(f"{self._dataset_path(project, dataset)}/quality")
        return answer

    def compute_quality(
        self,
        project: str,
        dataset: str | None = None,
        *,
        wait: bool = True,
        again: bool = False,
        poll_seconds: float = 0.5,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Start computing the dataset's quality metrics on the server (a background job;
        a job already queued or running is followed instead, unless ``again``); with
        ``wait``, poll every ``poll_seconds`` until it ends (``progress(done, total)`` on
        the way) and return its last state, as ``quality`` answers it."""
        dataset = self._resolve_dataset(project, dataset)
        path = f"{self._dataset_path(project, dataset)}/quality"
        answer: dict[str, Any] = self._json("POST", path, params=_params(again=again))
        if not wait:
            return answer
        return self._follow_job(answer, path, {}, poll_seconds, progress)

    def regression_results(
        self,
        project: str,
        inference_set: str,
        *,
        dataset: str | None = None,
        conf: Conf | None = None,
        iou: float | None = None,
        query: str | None = None,
    ) -> list[SegmentResult]:
        """Every segment's regression-test result, "All Frames" first: the
        ``SegmentResult`` list of ``InferenceSet.regression_results(conf=, iou=)``.

        ``dataset=None`` means the project's only dataset (``UsageError`` if it has
        none or several). ``conf`` and ``iou`` default to the project's; ``query``
        narrows every segment to the frames it matches."""
        dataset = self._resolve_dataset(project, dataset)
        answer = self._get(
            f"{self._inference_set_path(project, dataset, inference_set)}/regression",
            conf=_conf_param(conf),
            iou=iou,
            query=query,
        )
        return [_typed(SegmentResult.from_dict, entry, "regression result") for entry in answer]

    def summary(
        self,
        project: str,
        dataset: str | None = None,
        *,
        conf: Conf | None = None,
        iou: float | None = None,
        segment: str | None = None,
        query: str | None = None,
        base: str | None = None,
        other: str | None = None,
    ) -> dict[str, Any]:
        """Every inference set side by side per segment (the server's ``/summary``:
        ``{"segments": [{"segment", ..., "results": [per set]}], "comparison"}``); with
        ``base`` and ``other``, their comparison too."""
        dataset = self._resolve_dataset(project, dataset)
        result: dict[str, Any] = self._get(
            f"{self._dataset_path(project, dataset)}/summary",
            conf=_conf_param(conf),
            iou=iou,
            segment=segment,
            query=query,
            base=base,
            other=other,
        )
        return result

    def changed_examples(
        self,
        project: str,
        dataset: str | None,
        base: str,
        other: str,
        *,
        conf: Conf | None = None,
        iou: float | None = None,
        other_conf: Conf | None = None,
        other_iou: float | None = None,
        segment: str | None = None,
        query: str | None = None,
        change: Literal["fixed", "broken", "still_wrong"] | None = None,
        label: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> dict[str, Any]:
        """The ground truth ``other`` fixed, broke or still gets wrong against ``base``
        (``/compare/examples``): the counts overall and per class, and one page."""
        dataset = self._resolve_dataset(project, dataset)
        result: dict[str, Any] = self._get(
            f"{self._dataset_path(project, dataset)}/compare/examples",
            **_compared_params(base, other, conf, iou, other_conf, other_iou, segment, query),
            change=change,
            label=label,
            offset=offset,
            limit=limit,
        )
        return result

    def segment_from_examples(
        self,
        project: str,
        dataset: str | None,
        inference_set: str,
        name: str,
        *,
        type: Literal["split", "regression_test", "scenario"] = "scenario",
        description: str = "",
        **filters: Any,
    ) -> dict[str, Any]:
        """Save the frames of an examples selection as a segment: ``filters`` are the
        ``examples`` keywords that pick objects (conf, iou, segment, query, truth,
        predicted, outcome, label, confused_as, confused_from, frame_id, metric,
        metric_min, metric_max)."""
        unknown = set(filters) - _EXAMPLE_FILTERS
        if unknown:
            raise UsageError(f"unknown examples filter {sorted(unknown)[0]!r}")
        if "conf" in filters:
            filters["conf"] = _conf_param(filters["conf"])
        if "iou" in filters:
            filters["iou"] = _iou_param(filters["iou"])
        # The metric range's query parameters are min and max.
        for keyword, parameter in (("metric_min", "min"), ("metric_max", "max")):
            if keyword in filters:
                filters[parameter] = filters.pop(keyword)
        dataset = self._resolve_dataset(project, dataset)
        result: dict[str, Any] = self._json(
            "POST",
            f"{self._inference_set_path(project, dataset, inference_set)}/examples/segment",
            params=_params(**filters),
            body={"name": name, "type": type, "description": description},
        )
        return result

    def query_completions(
        self, project: str, dataset: str | None = None, *, prefix: str = "", limit: int = 200
    ) -> dict[str, Any]:
        """What a query bar may offer at a word starting with ``prefix``: ``fields``
        (name, type), ``classes``, ``functions``, ``keywords``."""
        dataset = self._resolve_dataset(project, dataset)
        result: dict[str, Any] = self._get(
            f"{self._dataset_path(project, dataset)}/query/completions", prefix=prefix, limit=limit
        )
        return result

    # ---------------------------------------------------------- element metrics
    def element_metrics(self, project: str, dataset: str | None = None) -> list[dict[str, Any]]:
        """Every metric of a dataset and its inference sets (quality and custom), as
        ``MetricInfo.to_dict()``: name, level, source, type, inference_set, description."""
        dataset = self._resolve_dataset(project, dataset)
        answer = self._get(f"{self._dataset_path(project, dataset)}/element-metrics")
        result: list[dict[str, Any]] = answer["metrics"]
        return result

    def add_custom_metric(
        self,
        project: str,
        dataset: str | None,
        name: str,
        values: Mapping[str, Any],
        *,
        level: Literal["frame", "label", "prediction"] = "frame",
        inference_set: str | None = None,
        description: str = "",
        replace: bool = False,
    ) -> dict[str, Any]:
        """Store a custom metric from ``{id: value}`` (as ``Dataset.add_custom_metric``);
        answers its ``MetricInfo`` as a dict."""
        dataset = self._resolve_dataset(project, dataset)
        if not isinstance(values, Mapping):
            raise UsageError(f"values are a mapping {{id: value}}, got {type(values).__name__}")
        body: dict[str, Any] = {
            "name": name,
            "level": level,
            "description": description,
            "replace": replace,
            "values": {str(k): v for k, v in values.items()},
        }
        if inference_set is not None:
            body["inference_set"] = inference_set
        result: dict[str, Any] = self._json(
            "POST", f"{self._dataset_path(project, dataset)}/element-metrics", body=body
        )
        return result

    def upload_custom_metrics(
        self,
        project: str,
        dataset: str | None,
        path: str | os.PathLike[str],
        *,
        level: Literal["frame", "label", "prediction"] = "frame",
        inference_set: str | None = None,
        name: str | None = None,
        description: str = "",
        replace: bool = False,
    ) -> list[dict[str, Any]]:
        """Send a CSV or JSON file of custom metric values (``shoal metric add``'s files;
        ``.json`` files go as JSON, others as CSV); the server adds every metric column at
        once. Answers their ``MetricInfo`` dicts."""
        dataset = self._resolve_dataset(project, dataset)
        file = Path(path)
        try:
            content = file.read_bytes()
        except OSError as error:
            raise UsageError(f"{file}: cannot read the file: {error.strerror}") from None
        kind = "application/json" if file.suffix.lower() == ".json" else "text/csv"
        response = self._send(
            "POST",
            f"{self._dataset_path(project, dataset)}/element-metrics/upload",
            params=_params(
                level=level,
                inference_set=inference_set,
                name=name,
                description=description or None,
                replace=replace or None,
            ),
            content=content,
            content_type=kind,
        )
        result: list[dict[str, Any]] = orjson.loads(response.content)["metrics"]
        return result

    def element_metric_values(
        self,
        project: str,
        dataset: str | None,
        name: str,
        *,
        level: Literal["frame", "label", "prediction"] = "frame",
        inference_set: str | None = None,
    ) -> dict[str, Any]:
        """One metric's values: ``{id: value}`` for every element of its level in stored
        order (None where an element has none)."""
        dataset = self._resolve_dataset(project, dataset)
        path = f"{self._dataset_path(project, dataset)}/element-metrics/{level}/{_segment(name)}"
        values: dict[str, Any] = {}
        offset = 0
        while True:
            page = self._get(path, inference_set=inference_set, offset=offset, limit=100_000)
            values.update(zip(page["ids"], page["values"], strict=True))
            offset += len(page["ids"])
            if not page["ids"] or offset >= page["total"]:
                return values

    def delete_custom_metric(
        self,
        project: str,
        dataset: str | None,
        name: str,
        *,
        level: Literal["frame", "label", "prediction"] = "frame",
        inference_set: str | None = None,
    ) -> None:
        """Delete a custom metric."""
        dataset = self._resolve_dataset(project, dataset)
        self._json(
            "DELETE",
            f"{self._dataset_path(project, dataset)}/element-metrics/{level}/{_segment(name)}",
            params=_params(inference_set=inference_set),
        )

    # -------------------------------------------------------------- campaigns
    def _campaign_path(self, project: str, name: str) -> str:
        return f"{self._project_path(project)}/campaigns/{_segment(name)}"

    def campaigns(self, project: str) -> list[dict[str, Any]]:
        """The project's collection campaigns, as ``Campaign.to_dict()``."""
        result: list[dict[str, Any]] = self._get(f"{self._project_path(project)}/campaigns")
        return result

    def campaign(self, project: str, name: str) -> dict[str, Any]:
        """One campaign, as ``Campaign.to_dict()`` (seeds, counts, last run)."""
        result: dict[str, Any] = self._get(self._campaign_path(project, name))
        return result

    def create_campaign(
        self,
        project: str,
        name: str,
        *,
        corpus: str,
        issue: str | None = None,
        seeds: Iterable[Any] | None = None,
        embedding: str | None = None,
        kind: Literal["frame", "crop"] | None = None,
        metric: Literal["cosine", "euclidean"] = "cosine",
        k: int = 10,
        k_per: Literal["seed", "total"] = "seed",
        description: str = "",
    ) -> dict[str, Any]:
        """A collection campaign searching dataset ``corpus``; seeds: an issue's elements
        (``issue``) or ``seeds`` (``shoal.IssueElement`` values or dicts). Not run yet:
        ``run_campaign``. See ``Project.create_campaign``."""
        body: dict[str, Any] = {
            "name": name, "corpus": corpus, "metric": metric, "k": k, "k_per": k_per,
            "description": description,
        }  # fmt: skip
        if issue is not None:
            body["issue"] = issue
        if seeds is not None:
            body["seeds"] = [_element(e) for e in seeds]
        if embedding is not None:
            body["embedding"] = embedding
        if kind is not None:
            body["kind"] = kind
        result: dict[str, Any] = self._json(
            "POST", f"{self._project_path(project)}/campaigns", body=body
        )
        return result

    def update_campaign(
        self,
        project: str,
        name: str,
        *,
        new_name: str | None = None,
        description: str | None = None,
        status: Literal["open", "closed"] | None = None,
        k: int | None = None,
        k_per: Literal["seed", "total"] | None = None,
    ) -> dict[str, Any]:
        """Rename, describe, close or reopen a campaign; ``k``/``k_per`` apply from its
        next run."""
        changes = {"name": new_name, "description": description, "status": status, "k": k,
                   "k_per": k_per}  # fmt: skip
        body = {key: value for key, value in changes.items() if value is not None}
        result: dict[str, Any] = self._json("PATCH", self._campaign_path(project, name), body=body)
        return result

    def delete_campaign(self, project: str, name: str) -> None:
        self._json("DELETE", self._campaign_path(project, name))

    def run_campaign(
        self,
        project: str,
        name: str,
        *,
        wait: bool = True,
        poll_seconds: float = 0.5,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Run a campaign on the server (a background job, ``done`` of ``total`` seeds);
        with ``wait``, poll until it ends (``progress(done, total)`` on the way) and
        return the job's last record (``result``: found, new, kept, dropped...)."""
        path = f"{self._campaign_path(project, name)}/run"
        job: dict[str, Any] = self._json("POST", path)
        if not wait:
            return job
        return self._follow_job(job, path, {}, poll_seconds, progress)

    def campaign_candidates(
        self,
        project: str,
        name: str,
        *,
        status: Literal["pending", "accepted", "rejected"] | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> dict[str, Any]:
        """A page of a campaign's candidates, nearest first: ``{total, offset, counts,
        candidates}`` (``Candidate.to_dict()`` each)."""
        result: dict[str, Any] = self._get(
            f"{self._campaign_path(project, name)}/candidates",
            status=status, offset=offset, limit=limit,
        )  # fmt: skip
        return result

    def review_candidates(
        self,
        project: str,
        name: str,
        keys: Iterable[str],
        status: Literal["pending", "accepted", "rejected"],
        *,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Accept, reject or reset candidates by key (all or none): ``{candidates,
        counts}``."""
        body: dict[str, Any] = {"keys": list(keys), "status": status}
        if note is not None:
            body["note"] = note
        result: dict[str, Any] = self._json(
            "POST", f"{self._campaign_path(project, name)}/review", body=body
        )
        return result

    def export_campaign(
        self,
        project: str,
        name: str,
        *,
        format: Literal["csv", "json"] = "csv",
        status: Literal["pending", "accepted", "rejected"] = "accepted",
    ) -> str:
        """The candidates of ``status`` (accepted by default) as CSV or JSON text."""
        path = f"{self._campaign_path(project, name)}/export"
        return self._send("GET", path, params={"format": format, "status": status}).text


# ---------------------------------------------------------------- helpers
# What ``segment_from_examples`` passes on as the examples page's query parameters.
_EXAMPLE_FILTERS = frozenset(
    {"conf", "iou", "segment", "query", "truth", "predicted", "outcome", "label",
     "confused_as", "confused_from", "frame_id", "metric", "metric_min", "metric_max",
     "protocol"}
)  # fmt: skip


def _typed(read: Callable[[Any], Result], answer: Any, what: str) -> Result:
    """A metric answer as the local API's result class (``from_dict``); an answer in
    another shape is a ``ProtocolError``, not a KeyError deep in the caller's code."""
    try:
        return read(answer)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ProtocolError(
            f"the server's {what} is not in this client's format ({type(error).__name__}: "
            f"{error}); are the server and the client the same Shoal version?"
        ) from None


def _drop_null_iou(shape: dict[str, Any]) -> None:
    """The engine's ``to_dict()`` leaves ``iou`` out when there is none (classification);
    the server's schema sends it as null."""
    if shape.get("iou", 0.0) is None:
        del shape["iou"]


def _version() -> str:
    from shoal import __version__

    return str(__version__)


def _class_entry(entry: Any) -> str | dict[str, Any]:
    if isinstance(entry, str):
        return entry
    to_dict = getattr(entry, "to_dict", None)
    if callable(to_dict):
        entry = to_dict()
    if isinstance(entry, Mapping):
        return {str(k): v for k, v in entry.items() if v is not None}
    raise UsageError(f"a class is a name or a mapping, got {type(entry).__name__}")


def _element(element: Any) -> dict[str, Any]:
    to_dict = getattr(element, "to_dict", None)
    if callable(to_dict):
        element = to_dict()
    if isinstance(element, Mapping):
        return dict(element)
    raise UsageError(
        f"an issue element is an IssueElement or a mapping, got {type(element).__name__}"
    )


def _tables(data: Any, kind: type[Tables], expected: str) -> Tables:
    """``data`` as ``kind``, as the local store takes it (``shoal.sdk``'s rule); data of
    another kind is the caller's mistake, found before any request: ``UsageError``."""
    from shoal.sdk._as_tables import as_tables

    try:
        return as_tables(data, kind, expected)
    except InputError as error:
        raise UsageError(str(error)) from None
