"""Routing policies: rule sets as data, versioned (draft, active, retired)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import Field

from api.http.dependencies import ContainerDep, NowDep
from api.http.responses import OrjsonResponse
from api.http.schemas import Strict
from domain.errors import NotFound
from domain.fulfilment.routing_policy import RoutingPolicy

router = APIRouter(tags=["routing"])
Name = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]


class DraftIn(Strict):
    rules: dict[str, Any]
    note: Annotated[str, Field(max_length=500)] = ""


@router.post("/routing-policies/{name}/versions", status_code=201)
def draft_version(name: Name, body: DraftIn, dom: ContainerDep, now: NowDep) -> Response:
    """Draft a version; the same rules as the latest version record nothing (200)."""
    before = _latest(dom, name)
    version = dom.fulfilment.draft_policy(name, body.rules, body.note, now)
    document = policy_document(dom.fulfilment.get_policy(name))
    return OrjsonResponse(
        document | {"version": version}, status_code=201 if version != before else 200
    )


@router.post("/routing-policies/{name}/versions/{version}/activate")
def activate_version(name: Name, version: int, dom: ContainerDep, now: NowDep) -> Response:
    """Make a version the one sourcing uses; the version active until now is retired."""
    dom.fulfilment.activate_policy(name, version, now)
    return OrjsonResponse(policy_document(dom.fulfilment.get_policy(name)))


@router.post("/routing-policies/{name}/versions/{version}/retire")
def retire_version(name: Name, version: int, dom: ContainerDep, now: NowDep) -> Response:
    dom.fulfilment.retire_policy(name, version, now)
    return OrjsonResponse(policy_document(dom.fulfilment.get_policy(name)))


@router.get("/routing-policies/{name}")
def get_policy(name: Name, dom: ContainerDep) -> Response:
    """Configuration, read from the policy itself (every version and its history)."""
    return OrjsonResponse(policy_document(dom.fulfilment.get_policy(name)))


def policy_document(policy: RoutingPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "active_version": policy.active_version,
        "versions": [
            {"version": number, **details} for number, details in sorted(policy.versions.items())
        ],
    }


def _latest(dom: ContainerDep, name: str) -> int | None:
    try:
        return max(dom.fulfilment.get_policy(name).versions, default=None)
    except NotFound:
        return None
