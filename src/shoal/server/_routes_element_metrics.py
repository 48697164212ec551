"""A dataset's element metrics: list them (quality and custom), add custom ones from a
JSON body or an uploaded CSV/JSON file, read one's values back, delete one.

Each route is one call to the store (``Dataset.metric_infos``, ``add_custom_metric``,
``add_custom_metrics``, ``element_metrics``, ``delete_custom_metric``), which checks
every rule; files are read by ``shoal.formats.metric_values``. See docs/quality.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from shoal.errors import InputError, NotFoundError
from shoal.formats.metric_values import metric_values_from_csv, metric_values_from_json
from shoal.server._models import Body, JsonInt, LookupName
from shoal.server._routes_entities import DATASET, DatasetName, PageOffset, ProjectName, get_dataset
from shoal.server._routing import NameRoute
from shoal.server._state import ServerState, State
from shoal.store import MetricInfo

__all__ = ["router"]

router = APIRouter(route_class=NameRoute)

MetricLevel = Literal["frame", "label", "prediction"]
METRICS = DATASET + "/element-metrics"
METRIC = METRICS + "/{level}/{name}"
LevelPath = Annotated[MetricLevel, Path(description="frame, label or prediction")]
NamePath = Annotated[str, Path(description="the metric's name")]
SetQuery = Annotated[
    str | None,
    Query(max_length=200, description="the inference set of a prediction metric"),
]
MetricValue = JsonInt | float | bool | str | None


class MetricInfoOut(BaseModel):
    name: str
    level: MetricLevel
    source: Literal["quality", "custom"]
    type: Literal["float", "int", "bool", "string"]
    inference_set: str | None = Field(description="the inference set of a prediction metric")
    description: str


class MetricInfosOut(BaseModel):
    metrics: list[MetricInfoOut] = Field(
        description="frame, then label, then prediction metrics; quality before custom"
    )


class CustomMetricCreate(Body):
    name: str = Field(min_length=1, max_length=64, description="a word: letters, digits, '_'")
    level: MetricLevel = "frame"
    inference_set: LookupName | None = Field(
        default=None, description="needed for prediction metrics"
    )
    description: str = Field(default="", max_length=10_000)
    replace: bool = Field(default=False, description="overwrite a custom metric of this name")
    values: dict[str, MetricValue] = Field(
        description="{id: value}: frame, label or prediction ids; numbers, bools or strings "
        "(one type), null for none"
    )


class MetricValuesOut(BaseModel):
    info: MetricInfoOut
    total: int = Field(description="elements of the level (frames, labels or predictions)")
    offset: int
    ids: list[str] = Field(description="element ids in stored order, from offset")
    values: list[MetricValue] = Field(description="each id's value, null where it has none")


def _info(info: MetricInfo) -> dict[str, Any]:
    return info.to_dict()


@router.get(METRICS, response_model=MetricInfosOut, tags=["element metrics"])
def list_element_metrics(s: State, project: ProjectName, dataset: DatasetName) -> dict[str, Any]:
    """Every metric of the dataset (frame, label) and of its inference sets (prediction):
    the quality metrics Shoal computed and the custom ones uploaded."""
    found = get_dataset(s, project, dataset)
    return {"metrics": [_info(i) for i in found.metric_infos()]}


@router.post(METRICS, response_model=MetricInfoOut, status_code=201, tags=["element metrics"])
def add_custom_metric(
    s: State, project: ProjectName, dataset: DatasetName, body: CustomMetricCreate
) -> dict[str, Any]:
    """Add (or, with ``replace``, overwrite) one custom metric from ``{id: value}``. An
    unknown id, a value of another type or a name in use is refused (4xx), and the
    store is left as it was."""
    found = get_dataset(s, project, dataset)
    info = found.add_custom_metric(
        body.name,
        body.values,
        level=body.level,
        inference_set=body.inference_set,
        description=body.description,
        replace=body.replace,
    )
    return _info(info)


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "a CSV file (text/csv) or a JSON file (application/json) of values: "
        "an id column (frame_id, label_id, prediction_id or id) and one column per metric; "
        "a JSON object {id: value} is one metric named by `name`",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {}},
        },
    }
}


@router.post(
    METRICS + "/upload",
    response_model=MetricInfosOut,
    status_code=201,
    tags=["element metrics"],
    openapi_extra=_UPLOAD_BODY,
)
async def upload_custom_metrics(
    request: Request,
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    level: Annotated[MetricLevel, Query(description="what the values are of")] = "frame",
    inference_set: SetQuery = None,
    name: Annotated[
        str | None,
        Query(max_length=64, description="the metric's name (a file of one metric column)"),
    ] = None,
    description: Annotated[str, Query(max_length=10_000)] = "",
    replace: Annotated[bool, Query(description="overwrite custom metrics of these names")] = False,
) -> dict[str, Any]:
    """Add every metric column of a CSV or JSON file at once (all or none). Errors name
    the file's row (``row n``) or record and what is wrong."""
    raw = await request.body()
    kind = request.headers.get("content-type", "")
    # Reading, checking and writing block: off the event loop, like the other routes.
    return await run_in_threadpool(
        _add_uploaded, s, project, dataset, raw, kind, level, inference_set, name,
        description, replace,
    )  # fmt: skip


def _add_uploaded(
    s: ServerState,
    project: str,
    dataset: str,
    raw: bytes,
    kind: str,
    level: MetricLevel,
    inference_set: str | None,
    name: str | None,
    description: str,
    replace: bool,
) -> dict[str, Any]:
    if "json" in kind:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise InputError(f"is not valid JSON ({error})", source="upload") from None
        values = metric_values_from_json(data, "upload")
    elif "csv" in kind or kind.startswith("text/plain"):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InputError(f"is not UTF-8 text (byte {error.start})", source="upload") from None
        values = metric_values_from_csv(text, "upload")
    else:
        raise InputError(
            f"send the file as text/csv or application/json, not {kind or 'no content type'!r}",
            source="upload",
        )
    found = get_dataset(s, project, dataset)
    options: dict[str, Any] = {
        "level": level,
        "inference_set": inference_set,
        "description": description,
        "replace": replace,
    }
    if name is not None:
        if len(values.names) != 1:
            raise InputError(
                f"has {len(values.names)} metric columns ({', '.join(values.names)}): name "
                "names a file of one",
                source="upload",
            )
        infos = [found.add_custom_metric(name, values, **options)]
    else:
        infos = found.add_custom_metrics(values, **options)
    return {"metrics": [_info(i) for i in infos]}


@router.get(METRIC, response_model=MetricValuesOut, tags=["element metrics"])
def read_element_metric(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    level: LevelPath,
    name: NamePath,
    inference_set: SetQuery = None,
    offset: PageOffset = 0,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> dict[str, Any]:
    """One metric's values, one per element of its level in stored order (a page)."""
    found = get_dataset(s, project, dataset)
    if level == "prediction" and inference_set is None:
        raise InputError("prediction metrics belong to an inference set: pass inference_set")
    if level != "prediction" and inference_set is not None:
        raise InputError(f"{level} metrics belong to the dataset: leave inference_set out")
    infos = [
        i
        for i in found.metric_infos()
        if i.name == name
        and i.level == level
        and (level != "prediction" or i.inference_set == inference_set)
    ]
    if not infos:
        known = ", ".join(sorted({i.name for i in found.metric_infos() if i.level == level}))
        raise NotFoundError(
            f"dataset {found.name!r} has no {level} metric {name!r}"
            + (f" of inference set {inference_set!r}" if level == "prediction" else "")
            + f" ({level} metrics: {known or 'none yet'})"
        )
    if level == "prediction":
        table = found.inference_set(str(inference_set)).element_metrics()
    else:
        table = found.element_metrics(level)
    page = table.slice(offset, limit)
    return {
        "info": _info(infos[0]),
        "total": table.num_rows,
        "offset": offset,
        "ids": page.column(0).to_pylist(),
        "values": page.column(name).to_pylist(),
    }


@router.delete(METRIC, status_code=204, tags=["element metrics"])
def delete_custom_metric(
    s: State,
    project: ProjectName,
    dataset: DatasetName,
    level: LevelPath,
    name: NamePath,
    inference_set: SetQuery = None,
) -> Response:
    """Delete a custom metric (quality metrics are Shoal's: recomputed, never deleted)."""
    found = get_dataset(s, project, dataset)
    found.delete_custom_metric(name, level=level, inference_set=inference_set)
    return Response(status_code=204)
