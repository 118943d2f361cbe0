"""Carriers' tracking webhook and its secret.

`POST /carriers/{code}/tracking` is signed (adapters/carrier_secrets.py): a request that is
not the carrier's is 401 before its body is even read as JSON, and records nothing. A
signed one answers 200 with an outcome per update (applied, unchanged, unknown tracking
number, refused with the reason), so that a carrier does not retry forever a batch with
one bad update in it, while that bad update changes nothing. Updates are idempotent: a
replayed request changes nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.exceptions import HTTPException
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from adapters.carrier_secrets import HEADER, MIN_SECRET, secret_of, set_secret, signature_problem
from api.http.auth import Scope
from api.http.commands import HEADER as READ_MODELS
from api.http.commands import AnswerDep
from api.http.dependencies import ContainerDep, NowDep, get_now
from api.http.strict_route import Handler, StrictRoute, declared_by, refuse_undeclared
from api.http.strictness import FROM_TEXT, Moment, Strict
from domain.fulfilment.tracking import CarrierUpdate

router = APIRouter(tags=["carriers"], route_class=StrictRoute)
CarrierCode = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
Single = Annotated[str, Field(min_length=1, max_length=200)]  # one line: no control characters


class CarrierStatus(StrEnum):
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"
    RETURNED_TO_SENDER = "returned_to_sender"
    LOST = "lost"


class TrackingUpdateIn(Strict):
    tracking_number: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{4,40}$")]
    status: Annotated[CarrierStatus, FROM_TEXT]
    at: Moment
    event_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    reason: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    attempt: Annotated[int, Field(ge=1, le=99)] | None = None
    location: Single | None = None


class TrackingIn(Strict):
    updates: Annotated[list[TrackingUpdateIn], Field(min_length=1, max_length=500)]


class SecretIn(Strict):
    secret: Annotated[str, Field(min_length=MIN_SECRET, max_length=256)]


class SignedRoute(StrictRoute):
    """A route that answers 401 unless the request is signed by the carrier named in its
    path, before its body is even parsed: an unsigned request learns nothing about what it
    sent, and records nothing. Only what every route refuses (undeclared query parameters,
    unrecordable text in the path) is refused before, as everywhere."""

    def get_route_handler(self) -> Handler:
        handler, declared = super().get_route_handler(), declared_by(self)

        async def signed(request: Request) -> Response:
            await refuse_undeclared(request, declared)  # what every route refuses first
            dom = request.app.state.container
            code = str(request.path_params.get("code", ""))
            secret = await run_in_threadpool(secret_of, dom.store, code)
            body, now = await request.body(), await get_now()
            if problem := signature_problem(request.headers.get(HEADER), body, secret, now):
                raise HTTPException(401, problem)
            return await handler(request)

        return signed


webhook = APIRouter(tags=["carriers"], route_class=SignedRoute)


@webhook.post("/carriers/{code}/tracking", responses={401: {"description": "not signed"}})
def carrier_tracking(
    code: CarrierCode,
    body: TrackingIn,
    signature: Annotated[str, Header(alias=HEADER, description="t=<unix seconds>,v1=<hex>")],
    dom: ContainerDep,
    now: NowDep,
    answer: AnswerDep,
) -> Response:
    """News of shipments from a carrier, signed (`Dom-Signature`); one outcome per update."""
    updates = [
        (u.tracking_number.upper(), CarrierUpdate(u.status.value, u.at, u.event_id, u.reason,
                                                  u.attempt, u.location))
        for u in body.updates
    ]  # fmt: skip
    report = dom.fulfilment.track_shipments(code, updates, now)
    return answer("fulfilment", report.notification_id, lambda: {"outcomes": report.outcomes})


@router.put(
    "/carriers/{code}/tracking-secret", dependencies=[Scope("carriers:admin")], status_code=204
)
def put_tracking_secret(
    code: CarrierCode, body: SecretIn, dom: ContainerDep, now: NowDep
) -> Response:
    """Set (or replace) the secret the carrier signs its tracking webhook with; it is never
    answered by any GET. Nothing is recorded in the event log (see docs/api.md)."""
    set_secret(dom.store, code, body.secret, now)
    return Response(
        status_code=204, headers={READ_MODELS: dom.runtime.settle("fulfilment", None).header()}
    )
