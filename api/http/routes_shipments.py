"""The warehouse's API: a location's pick list and each shipment's steps (accept, pick,
pack, dispatch, or reject). A step out of order is 409 and a bad body 422, with nothing
recorded; a step repeated with the same body changes nothing (200, "changed": false)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from fastapi.responses import PlainTextResponse
from pydantic import Field, model_validator
from starlette.concurrency import run_in_threadpool

from api.http.auth import PrincipalDep, Scope
from api.http.commands import AnswerDep
from api.http.dependencies import ContainerDep, NowDep
from api.http.ownership import check_location, check_shipment, own_location
from api.http.responses import OrjsonResponse
from api.http.schemas import LineId, Reason, Strict
from api.http.schemas_stock import Code
from api.http.strict_route import StrictRoute
from domain.errors import NotFound
from domain.fulfilment.carrier_schema import CARRIER_CODE
from domain.fulfilment.shipment import Shipment
from domain.processing import Outcome
from projections.shipments import ShipmentStatus, pick_list

router = APIRouter(tags=["shipments"], route_class=StrictRoute)
Quantity = Annotated[int, Field(ge=0, le=1_000_000)]


class RejectIn(Strict):
    reason: Reason


class PickIn(Strict):
    lines: Annotated[dict[LineId, Quantity], Field(min_length=1, max_length=500)]


class ParcelIn(Strict):
    weight_grams: Annotated[int, Field(ge=1, le=1_000_000)]
    length_mm: Annotated[int, Field(ge=1, le=10_000)]
    width_mm: Annotated[int, Field(ge=1, le=10_000)]
    height_mm: Annotated[int, Field(ge=1, le=10_000)]


CarrierCode = Annotated[str, Field(pattern=CARRIER_CODE)]
ServiceName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]


class PackIn(Strict):
    parcels: Annotated[list[ParcelIn], Field(min_length=1, max_length=100)]
    # Named by the warehouse instead of dom's choice (both or neither).
    carrier: CarrierCode | None = None
    service: ServiceName | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> PackIn:
        if (self.carrier is None) != (self.service is None):
            raise ValueError("name the carrier and the service together, or neither")
        return self


class DispatchIn(Strict):
    """Left out, each is the label's (the carrier chosen at pack); given, it must agree."""

    carrier: CarrierCode | None = None
    service: ServiceName | None = None
    tracking_number: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{4,40}$")] | None = None


async def own_shipment(shipment_id: UUID, dom: ContainerDep, principal: PrincipalDep) -> None:
    """A location key reaches only its own location's shipments (404 for any other);
    others are not read here (api/http/ownership.py)."""
    if own_location(principal) is not None:
        shipment = await run_in_threadpool(dom.fulfilment.get_shipment, shipment_id)
        check_shipment(principal, shipment_id, shipment.location)


# Every /shipments/{shipment_id} route: the scope, then the object-level rule.
SHIPMENT = [Scope("warehouse", "operations"), Depends(own_shipment)]


@router.get("/locations/{code}/shipments", dependencies=[Scope("warehouse", "operations")])
def location_shipments(
    code: Code, dom: ContainerDep, principal: PrincipalDep, status: ShipmentStatus | None = None
) -> Response:
    """The location's shipments, oldest request first: its pick list with `status=accepted`."""
    check_location(principal, code)
    dom.fulfilment.get_location(code)  # 404 for an unknown location
    return OrjsonResponse({"items": pick_list(dom.store, code.upper(), status)})


@router.get("/shipments/{shipment_id}", dependencies=SHIPMENT)
def get_shipment(shipment_id: UUID, dom: ContainerDep) -> Response:
    """What a location is asked to ship for an order, its state and how it got there."""
    return OrjsonResponse(shipment_document(dom.fulfilment.get_shipment(shipment_id)))


@router.get(
    "/shipments/{shipment_id}/label",
    dependencies=SHIPMENT,
    response_class=PlainTextResponse,
    responses={200: {"content": {"application/zpl": {"schema": {"type": "string"}}}}},
)
def get_label(shipment_id: UUID, dom: ContainerDep) -> Response:
    """The label printed at pack, as ZPL for thermal printers; 404 before it is printed or
    when no carrier was chosen."""
    carriage = dom.fulfilment.get_shipment(shipment_id).carriage or {}
    if not carriage.get("label"):
        raise NotFound(f"shipment {shipment_id} has no label")
    return Response(carriage["label"], media_type="application/zpl")


@router.post("/shipments/{shipment_id}/accept", dependencies=SHIPMENT)
def accept(shipment_id: UUID, dom: ContainerDep, now: NowDep, answer: AnswerDep) -> Response:
    return _answer(dom, answer, shipment_id, dom.fulfilment.accept_shipment(shipment_id, now))


@router.post("/shipments/{shipment_id}/pick", dependencies=SHIPMENT)
def pick(
    shipment_id: UUID, body: PickIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """Every line's picked quantity (0 when none was found). Units missing are written off
    at the location (an adjustment, reason "short pick") and sourced again."""
    outcome = dom.fulfilment.pick_shipment(shipment_id, dict(body.lines), now)
    return _answer(dom, answer, shipment_id, outcome)


@router.post("/shipments/{shipment_id}/pack", dependencies=SHIPMENT)
def pack(
    shipment_id: UUID, body: PackIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """Packed in parcels: dom chooses the carrier and service (or takes those named),
    explains the choice and prints the label (`GET /shipments/{id}/label`). With active
    carriers and none that can take the shipment: 409 `no_carrier`, nothing recorded."""
    parcels = [parcel.model_dump() for parcel in body.parcels]
    by_hand = (body.carrier, body.service) if body.carrier and body.service else None
    outcome = dom.fulfilment.pack_shipment(shipment_id, parcels, now, by_hand)
    return _answer(dom, answer, shipment_id, outcome)


@router.post("/shipments/{shipment_id}/dispatch", dependencies=SHIPMENT)
def dispatch(
    shipment_id: UUID,
    dom: ContainerDep,
    now: NowDep,
    answer: AnswerDep,
    body: DispatchIn | None = None,
) -> Response:
    """Handed to the carrier: the units leave the location's stock and its reservations, in
    the same transaction, once however often this is retried. With no body (or fields left
    out), the carrier, service and tracking number are the label's; a shipment packed with
    no carrier chosen needs all three."""
    body = body or DispatchIn()
    outcome = dom.fulfilment.dispatch_shipment(
        shipment_id, body.carrier, body.service, body.tracking_number, now
    )
    return _answer(dom, answer, shipment_id, outcome)


@router.post("/shipments/{shipment_id}/reject", dependencies=SHIPMENT)
def reject(
    shipment_id: UUID, body: RejectIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """The location cannot ship (no stock, no capacity): the lines are sourced again without it."""
    outcome = dom.fulfilment.reject_shipment(shipment_id, body.reason, now)
    return _answer(dom, answer, shipment_id, outcome)


def _answer(dom: ContainerDep, answer: AnswerDep, shipment_id: UUID, outcome: Outcome) -> Response:
    def document() -> dict[str, Any]:
        shipment = dom.fulfilment.get_shipment(shipment_id)
        return shipment_document(shipment) | {"changed": outcome.changed}

    return answer("fulfilment", outcome.notification_id, document)


def shipment_document(shipment: Shipment) -> dict[str, Any]:
    return {
        "shipment_id": str(shipment.id),
        "order_id": shipment.order_id,
        "location": shipment.location,
        "attempt": shipment.attempt,
        "status": shipment.status,
        "lines": [{"line_id": line_id, "sku": shipment.skus[line_id], "quantity": quantity}
                  for line_id, quantity in sorted(shipment.lines.items())],
        "requested_at": shipment.requested_at.isoformat(),
        "picked": shipment.picked,
        "parcels": shipment.parcels,
        **shipment.carrier,
        "dispatched_at": shipment.dispatched_at.isoformat() if shipment.dispatched_at else None,
        "delivered_at": shipment.delivered_at.isoformat() if shipment.delivered_at else None,
        "history": shipment.history,
        **carrier_choice(shipment),
    }  # fmt: skip


def carrier_choice(shipment: Shipment) -> dict[str, Any]:
    """From pack on, `carrier_choice`: the choice made, explained, and its label's tracking
    number and link; nothing before (the document is as it was before carriers)."""
    if shipment.carriage is None:
        return {}
    found = {k: v for k, v in shipment.carriage.items() if k != "label"}
    if shipment.carriage.get("label"):
        found["label"] = f"/shipments/{shipment.id}/label"
    return {"carrier_choice": found}
