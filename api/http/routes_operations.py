"""Actions on what the followers could not do by themselves (the parked reactions)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.http.commands import AnswerDep
from api.http.dependencies import ContainerDep
from api.http.strict_route import StrictRoute
from domain.errors import Conflict, NotFound

router = APIRouter(tags=["operations"], route_class=StrictRoute)
PolicyName = Annotated[str, Path(pattern=r"^[a-z][a-z_]{0,63}$")]
Subject = Annotated[
    str, Path(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]


@router.post("/exceptions/parked/{policy}/{subject}/retry")
def retry_parked(
    policy: PolicyName, subject: Subject, dom: ContainerDep, answer: AnswerDep
) -> Response:
    """React again, in order, to the events a policy parked for one subject (an order, a
    stock item...), once their cause is fixed. Resolved: 200; failing again: 409 with the
    error, recorded on the entry (its `retries` go up)."""
    follower = dom.runtime.policy(policy)
    if follower is None:
        raise NotFound(f"no policy {policy}")
    error = follower.retry_parked(subject)
    if error is not None:
        raise Conflict(f"{policy} still cannot react for {subject}: {error}")
    position = follower.target.recorder.max_notification_id()
    return answer(follower.target.name, position, lambda: {"policy": policy, "subject": subject,
                                                           "resolved": True})  # fmt: skip
