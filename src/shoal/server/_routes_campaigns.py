"""Collection campaigns: create from an issue or elements, run (a background job with
progress), page the candidates, review them, export the accepted list. Each route is one
call to ``shoal.store.Campaign``; this module parses and shapes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from shoal.server._errors import ApiError
from shoal.server._jobs import Job
from shoal.server._models import (
    CampaignCreate,
    CampaignJobOut,
    CampaignOut,
    CampaignUpdate,
    CandidateReview,
    CandidatesPage,
    CandidatesReviewed,
)
from shoal.server._routes_entities import PROJECT, PageOffset, ProjectName, get_project
from shoal.server._routing import NameRoute
from shoal.server._state import ServerState, State
from shoal.store import Campaign, IssueElement

__all__ = ["CAMPAIGN_JOB", "router"]

router = APIRouter(route_class=NameRoute)
CAMPAIGN_JOB = "campaign"
CampaignName = Annotated[str, Path(description="campaign name")]
CAMPAIGNS = PROJECT + "/campaigns"
CAMPAIGN = CAMPAIGNS + "/{campaign}"
TAGS: list[str | Any] = ["campaigns"]
MAX_PAGE = 1000


def _campaign(s: ServerState, project: str, campaign: str) -> Campaign:
    return get_project(s, project).campaign(campaign)


@router.get(CAMPAIGNS, response_model=list[CampaignOut], tags=TAGS)
def list_campaigns(s: State, project: ProjectName) -> list[dict[str, Any]]:
    return [c.to_dict() for c in get_project(s, project).campaigns()]


@router.post(CAMPAIGNS, response_model=CampaignOut, status_code=201, tags=TAGS)
def create_campaign(s: State, project: ProjectName, body: CampaignCreate) -> dict[str, Any]:
    """A campaign (not run yet: ``POST .../run``). Seeds: ``issue`` or ``seeds``."""
    seeds = (
        None
        if body.seeds is None
        else [
            IssueElement(e.dataset, e.frame_id, e.element_kind, e.element_id, e.inference_set)
            for e in body.seeds
        ]
    )
    created = get_project(s, project).create_campaign(
        body.name,
        corpus=body.corpus,
        issue=body.issue,
        seeds=seeds,
        embedding=body.embedding,
        kind=body.kind,
        metric=body.metric,
        k=body.k,
        k_per=body.k_per,
        description=body.description,
    )
    return created.to_dict()


@router.get(CAMPAIGN, response_model=CampaignOut, tags=TAGS)
def read_campaign(s: State, project: ProjectName, campaign: CampaignName) -> dict[str, Any]:
    return _campaign(s, project, campaign).to_dict()


@router.patch(CAMPAIGN, response_model=CampaignOut, tags=TAGS)
def update_campaign(
    s: State, project: ProjectName, campaign: CampaignName, body: CampaignUpdate
) -> dict[str, Any]:
    """Rename, describe, close or reopen; a new ``k`` or ``k_per`` applies from the next run."""
    found = _campaign(s, project, campaign)
    found.update(
        name=body.name, description=body.description, status=body.status, k=body.k,
        k_per=body.k_per,
    )  # fmt: skip
    return found.to_dict()


@router.delete(CAMPAIGN, status_code=204, tags=TAGS)
def delete_campaign(s: State, project: ProjectName, campaign: CampaignName) -> Response:
    _campaign(s, project, campaign).delete()
    return Response(status_code=204)


def _job_out(job: Job) -> dict[str, Any]:
    return job.to_dict()


@router.post(CAMPAIGN + "/run", response_model=CampaignJobOut, status_code=202, tags=TAGS)
def run_campaign(s: State, project: ProjectName, campaign: CampaignName) -> dict[str, Any]:
    """Run the campaign in the background (202, a job: ``done`` of ``total`` seeds
    searched); reviews of candidates found again are kept. A closed campaign is a 409."""
    found = _campaign(s, project, campaign)
    if found.status == "closed":
        raise ApiError(409, f"campaign {campaign!r} is closed; reopen it to run it")
    campaign_id, store = found.id, s.store

    def work(progress: Any) -> dict[str, Any]:
        return Campaign(store, campaign_id).run(progress=progress).to_dict()

    return _job_out(s.jobs.start(CAMPAIGN_JOB, (project, found.uuid), work))


@router.get(CAMPAIGN + "/run", response_model=CampaignJobOut, tags=TAGS)
def campaign_run_state(s: State, project: ProjectName, campaign: CampaignName) -> dict[str, Any]:
    """The campaign's latest run job of this server (404 when none)."""
    found = _campaign(s, project, campaign)
    job = s.jobs.latest(CAMPAIGN_JOB, (project, found.uuid))
    if job is None:
        raise ApiError(404, f"campaign {campaign!r} has not run on this server; POST .../run")
    return _job_out(job)


@router.get(CAMPAIGN + "/candidates", response_model=CandidatesPage, tags=TAGS)
def candidates(
    s: State,
    project: ProjectName,
    campaign: CampaignName,
    status: Annotated[
        Literal["pending", "accepted", "rejected"] | None,
        Query(description="only candidates of this review status"),
    ] = None,
    offset: PageOffset = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")] = 100,
) -> dict[str, Any]:
    """A page of the candidates, nearest first (reviewed ones the last run no longer
    found come last, unranked), with the counts by status."""
    found = _campaign(s, project, campaign)
    counts = found.counts()
    page = found.candidates(status, offset=offset, limit=limit)
    return {
        "total": counts[status] if status is not None else counts["total"],
        "offset": offset,
        "counts": counts,
        "candidates": [c.to_dict() for c in page],
    }


@router.post(CAMPAIGN + "/review", response_model=CandidatesReviewed, tags=TAGS)
def review(
    s: State, project: ProjectName, campaign: CampaignName, body: CandidateReview
) -> dict[str, Any]:
    """Accept, reject or reset (pending) candidates by key, all or none; ``note``
    replaces their note when given."""
    found = _campaign(s, project, campaign)
    reviewed = found.review(body.keys, body.status, note=body.note)
    return {"candidates": [c.to_dict() for c in reviewed], "counts": found.counts()}


@router.get(
    CAMPAIGN + "/export",
    tags=TAGS,
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {}, "application/json": {}},
            "description": "the candidates of the status (accepted by default), nearest first",
        }
    },
)
def export(
    s: State,
    project: ProjectName,
    campaign: CampaignName,
    format: Annotated[Literal["csv", "json"], Query(description="file format")] = "csv",
    status: Annotated[
        Literal["pending", "accepted", "rejected"], Query(description="which candidates")
    ] = "accepted",
) -> Response:
    """The list to label: each candidate's id, frame id, image uri, distance, rank and
    nearest seed (``Campaign.export``), as a download."""
    found = _campaign(s, project, campaign)
    text = found.export(format, status=status)
    media = "text/csv" if format == "csv" else "application/json"
    filename = f"campaign-{found.uuid}-{status}.{format}"
    return Response(
        text,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
