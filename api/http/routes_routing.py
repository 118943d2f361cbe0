"""Routing policies: rule sets as data, versioned (draft, active, retired)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Response
from pydantic import Field

from api.http.auth import PrincipalDep, Scope
from api.http.commands import AnswerDep
from api.http.dependencies import ContainerDep, NowDep
from api.http.ownership import check_order, own_channel
from api.http.responses import OrjsonResponse
from api.http.schemas import Strict
from api.http.strict_route import StrictRoute
from domain.errors import NotFound
from domain.fulfilment.routing_policy import NAME_PATTERN, RoutingPolicy
from domain.fulfilment.routing_rules import normalise_rules
from domain.fulfilment.routing_schema import RuleSetSpec
from projections.order_status_queries import order_detail
from projections.routing import routing_of

router = APIRouter(tags=["routing"], route_class=StrictRoute)
Name = Annotated[str, Path(pattern=NAME_PATTERN)]
Version = Annotated[int, Path(ge=1, le=1_000_000)]


class DraftIn(Strict):
    # The domain's own schema: the API, the CLI and files are checked by the same code.
    rules: RuleSetSpec
    note: Annotated[str, Field(max_length=500)] = ""


@router.post(
    "/routing-policies/{name}/versions",
    dependencies=[Scope("routing:admin")],
    status_code=201,
    responses={200: {"description": "the same rules as the latest version: nothing recorded"}},
)
def draft_version(
    name: Name, body: DraftIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """Draft a version; the same rules as the latest version record nothing (200). The
    version stores the rules checked and normalised (defaults filled in)."""
    before = _latest(dom, name)
    version = dom.fulfilment.draft_policy(name, normalise_rules(body.rules), body.note, now)
    return answer(
        "fulfilment",
        dom.fulfilment.recorder.max_notification_id(),
        lambda: policy_document(dom.fulfilment.get_policy(name)) | {"version": version},
        status_code=201 if version != before else 200,
    )


@router.post(
    "/routing-policies/{name}/versions/{version}/activate", dependencies=[Scope("routing:admin")]
)
def activate_version(
    name: Name, version: Version, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """Make a version (a draft, or a retired one again) the one sourcing uses; the version
    active until now is retired."""
    outcome = dom.fulfilment.activate_policy(name, version, now)
    document = lambda: policy_document(dom.fulfilment.get_policy(name))  # noqa: E731
    return answer("fulfilment", outcome.notification_id, document)


@router.post(
    "/routing-policies/{name}/versions/{version}/retire", dependencies=[Scope("routing:admin")]
)
def retire_version(
    name: Name, version: Version, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """Retire a version; retiring the active one leaves the policy with none active."""
    outcome = dom.fulfilment.retire_policy(name, version, now)
    document = lambda: policy_document(dom.fulfilment.get_policy(name))  # noqa: E731
    return answer("fulfilment", outcome.notification_id, document)


@router.get("/routing-policies", dependencies=[Scope("routing:admin")])
def list_policies(dom: ContainerDep) -> Response:
    """Every routing policy by name: its active version and each version's state."""
    return OrjsonResponse({"items": [policy_summary(p) for p in dom.fulfilment.policies()]})


def policy_summary(policy: RoutingPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "active_version": policy.active_version,
        "versions": [
            {"version": number, "status": details["status"], "note": details["note"]}
            for number, details in sorted(policy.versions.items())
        ],
    }


@router.get("/routing-policies/{name}", dependencies=[Scope("routing:admin")])
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


@router.get("/orders/{order_id}/routing", dependencies=[Scope("orders:read")], tags=["orders"])
def get_routing(order_id: UUID, dom: ContainerDep, principal: PrincipalDep) -> Response:
    """Every sourcing decision for the order: strategy, policy version, plan, and why each
    location won or lost (each criterion's verdict or score)."""
    decisions = routing_of(dom.store, str(order_id))
    if not decisions or own_channel(principal) is not None:  # a channel key: its own only
        detail = order_detail(dom.store, str(order_id))
        check_order(principal, order_id, detail["channel"] if detail else None)
    return OrjsonResponse({"order_id": str(order_id), "decisions": decisions})
