"""Locations and stock: commands from WMS/ERP, and the live availability queries."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from api.bootstrap import Container
from api.http.auth import PrincipalDep, Scope
from api.http.commands import Answer, AnswerDep
from api.http.dependencies import ContainerDep, NowDep
from api.http.ownership import check_channel, own_channel, own_location
from api.http.responses import OrjsonResponse
from api.http.schemas_stock import (
    CODE_PATTERN,
    TIME_ZONES,
    AvailabilityQuery,
    CountsIn,
    LocationIn,
    LocationPatchIn,
    LocationQuery,
    MovementIn,
    ReleaseIn,
    ReservationIn,
)
from api.http.strict_route import StrictRoute
from api.locating import relocated
from domain.fulfilment.location import profile_of
from domain.processing import Outcome
from projections.availability_queries import available_to_promise, inventory, locations, shown

router = APIRouter(tags=["stock"], route_class=StrictRoute)
# A location named in the body must be registered (PUT /locations/{code}) first.
UNKNOWN_LOCATION: dict[int | str, dict[str, Any]] = {
    404: {"description": "a location named in the body is not registered"}
}
CodeInPath = Annotated[str, Path(pattern=CODE_PATTERN)]
SkuInPath = Annotated[str, Path(min_length=1, max_length=64)]


@router.put(
    "/locations/{code}",
    dependencies=[Scope("inventory:write")],
    responses={201: {"description": "registered"}},
)
def put_location(
    code: CodeInPath, body: LocationIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """Register a location, or record what changed in it; an identical PUT records nothing."""
    profile = body.to_profile(code)
    created, outcome = dom.fulfilment.define_location(profile, now, TIME_ZONES)
    return answer(
        "fulfilment",
        outcome.notification_id,
        lambda: dom.fulfilment.get_location(code).profile,
        status_code=201 if created else 200,
    )


@router.patch("/locations/{code}", dependencies=[Scope("inventory:write")])
def patch_location(
    code: CodeInPath, body: LocationPatchIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """Change the fields sent and keep the others (PUT replaces the whole profile); an
    unknown location is 404. Nothing sent, or nothing different, records nothing."""
    current = profile_of(dom.fulfilment.get_location(code).profile)
    profile = replace(current, **relocated(current, body.changes()))
    _, outcome = dom.fulfilment.define_location(profile, now, TIME_ZONES)
    return answer(
        "fulfilment", outcome.notification_id, lambda: dom.fulfilment.get_location(code).profile
    )


@router.get("/locations", dependencies=[Scope("inventory:read")])
async def get_locations(query: Annotated[LocationQuery, Query()], dom: ContainerDep) -> Response:
    rows = await run_in_threadpool(locations, dom.store, query.channel, query.active)
    return OrjsonResponse({"items": rows})


@router.post("/stock/counts", dependencies=[Scope("inventory:write")], responses=UNKNOWN_LOCATION)
def post_counts(body: CountsIn, dom: ContainerDep, now: NowDep, answer: AnswerDep) -> Response:
    """Absolute counts in bulk: all checked first, then applied in one transaction.

    A count not newer than the last one applied to its SKU and location is
    ignored, so sending the same file twice changes nothing.
    """
    report = dom.fulfilment.count_stock([count.to_count() for count in body.counts], now)
    counted = {"applied": report.applied, "unchanged": report.unchanged}
    return answer("fulfilment", report.notification_id, lambda: counted)


@router.post(
    "/stock/movements", dependencies=[Scope("inventory:write")], responses=UNKNOWN_LOCATION
)
def post_movement(body: MovementIn, dom: ContainerDep, now: NowDep, answer: AnswerDep) -> Response:
    """Received, adjusted (signed) or damaged units; the reference makes a retry harmless."""
    outcome = dom.fulfilment.move_stock(
        body.location.upper(),
        body.sku,
        body.movement,
        body.quantity,
        body.reason,
        body.reference,
        now,
    )
    return _levels(answer, dom, body.location.upper(), body.sku, outcome)


@router.post(
    "/stock/reservations", dependencies=[Scope("inventory:write")], responses=UNKNOWN_LOCATION
)
def post_reservation(body: ReservationIn, dom: ContainerDep, answer: AnswerDep) -> Response:
    """Reserve units for an order's lines (all or none); a retry changes nothing.

    The sourcing policy reserves for released orders; this is for operators
    and integrations that hold stock themselves (e.g. a store's own sale).
    """
    location = body.location.upper()
    outcome = dom.fulfilment.reserve(location, body.sku, body.order_id, body.lines)
    return _levels(answer, dom, location, body.sku, outcome)


@router.post(
    "/stock/reservations/release",
    dependencies=[Scope("inventory:write")],
    responses={404: {"description": "Not found: no stock of the SKU at the location"}},
)
def release_reservation(
    body: ReleaseIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    location = body.location.upper()
    outcome = dom.fulfilment.release(location, body.sku, body.order_id, body.line_ids, now)
    return _levels(answer, dom, location, body.sku, outcome)


def _levels(answer: Answer, dom: Container, location: str, sku: str, outcome: Outcome) -> Response:
    def levels() -> dict[str, Any]:
        item = dom.fulfilment.stock_item(location, sku)
        return {"changed": outcome.changed, "location": item.location_code, "sku": item.sku} | shown(
            {"on_hand": item.on_hand, "reserved": item.reserved,
             "safety_stock": item.safety_stock, "available": item.available}
        )  # fmt: skip

    return answer("fulfilment", outcome.notification_id, levels)


@router.get("/availability", dependencies=[Scope("inventory:read")])
def get_availability(
    query: Annotated[AvailabilityQuery, Query()], dom: ContainerDep, principal: PrincipalDep
) -> Response:
    """Available to promise per SKU for a channel: active locations serving it, summed. A
    channel key asks for its own channel only (another: 404)."""
    check_channel(principal, query.channel)
    return OrjsonResponse({"items": available_to_promise(dom.store, query.sku, query.channel)})


@router.get("/inventory/{sku}", dependencies=[Scope("inventory:read")])
def get_inventory(sku: SkuInPath, dom: ContainerDep, principal: PrincipalDep) -> Response:
    """The SKU's levels per location: a location key sees only its own location's row, a
    channel key only those of the locations serving its channel (api/http/ownership.py)."""
    rows = inventory(dom.store, sku, own_location(principal), own_channel(principal))
    return OrjsonResponse({"sku": sku, "locations": rows})
