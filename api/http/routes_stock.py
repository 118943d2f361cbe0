"""Locations and stock: commands from WMS/ERP, and the live availability queries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from api.http.dependencies import ContainerDep, NowDep
from api.http.responses import OrjsonResponse
from api.http.schemas_stock import (
    TIME_ZONES,
    AvailabilityQuery,
    CountsIn,
    LocationIn,
    LocationQuery,
    MovementIn,
)
from projections.availability_queries import available_to_promise, inventory, locations

router = APIRouter(tags=["stock"])


@router.put("/locations/{code}", responses={201: {"description": "registered"}})
def put_location(code: str, body: LocationIn, dom: ContainerDep, now: NowDep) -> Response:
    """Register a location, or record what changed in it; an identical PUT records nothing."""
    profile = body.to_profile(code)
    created, outcome = dom.fulfilment.define_location(profile, now, TIME_ZONES)
    dom.runtime.settle("fulfilment", outcome.notification_id)
    record = dom.fulfilment.get_location(code).profile
    return OrjsonResponse(record, status_code=201 if created else 200)


@router.get("/locations")
async def get_locations(query: Annotated[LocationQuery, Query()], dom: ContainerDep) -> Response:
    rows = await run_in_threadpool(locations, dom.store, query.channel, query.active)
    return OrjsonResponse({"items": rows})


@router.post("/stock/counts")
def post_counts(body: CountsIn, dom: ContainerDep, now: NowDep) -> Response:
    """Absolute counts in bulk: all checked first, then applied in one transaction.

    A count not newer than the last one applied to its SKU and location is
    ignored, so sending the same file twice changes nothing.
    """
    report = dom.fulfilment.count_stock([count.to_count() for count in body.counts], now)
    dom.runtime.settle("fulfilment", report.notification_id)
    return OrjsonResponse({"applied": report.applied, "unchanged": report.unchanged})


@router.post("/stock/movements")
def post_movement(body: MovementIn, dom: ContainerDep, now: NowDep) -> Response:
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
    dom.runtime.settle("fulfilment", outcome.notification_id)
    item = dom.fulfilment.stock_item(body.location, body.sku)
    return OrjsonResponse(
        {
            "changed": outcome.changed,
            "location": item.location_code,
            "sku": item.sku,
            "on_hand": item.on_hand,
            "reserved": item.reserved,
            "safety_stock": item.safety_stock,
            "available": item.available,
        }
    )


@router.get("/availability")
def get_availability(query: Annotated[AvailabilityQuery, Query()], dom: ContainerDep) -> Response:
    """Available to promise per SKU for a channel: active locations serving it, summed."""
    return OrjsonResponse({"items": available_to_promise(dom.store, query.sku, query.channel)})


@router.get("/inventory/{sku}")
def get_inventory(sku: str, dom: ContainerDep) -> Response:
    return OrjsonResponse({"sku": sku, "locations": inventory(dom.store, sku)})
