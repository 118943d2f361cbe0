"""Order commands (channels) and order-status queries (dashboards)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from adapters.geocoding import gazetteer
from api.bootstrap import Container
from api.http.auth import PrincipalDep, Scope
from api.http.commands import AnswerDep, answered
from api.http.dependencies import ContainerDep, IntakeDep, NowDep
from api.http.ownership import (
    channel_filter,
    check_order,
    finds_nothing,
    own_channel,
    placing_channel,
    shown_detail,
    shown_order,
)
from api.http.responses import OrjsonResponse
from api.http.schemas import CancelIn, HoldIn, OrderQuery, PlaceOrderIn
from api.http.strict_route import StrictRoute
from api.locating import locate_order
from domain.claims import riding
from domain.errors import FieldProblem, InvalidCommand
from domain.orders.order import Order, order_id_for
from domain.orders.placement import PlaceOrder
from projections.exception_queue import exceptions_of, waiting_of
from projections.order_status import iso
from projections.order_status_queries import OrderFilter, list_orders, order_detail
from projections.parked import parked_items
from projections.payments import payment_documents

router = APIRouter(tags=["orders"], route_class=StrictRoute)


@router.post(
    "/orders",
    dependencies=[Scope("orders:write")],
    status_code=201,
    responses={200: {"description": "already placed"}},
)
async def place_order(
    body: PlaceOrderIn, intake: IntakeDep, now: NowDep, principal: PrincipalDep
) -> Response:
    """A channel key places for its own channel: `channel` left out is the key's."""
    command = body.to_command(placing_channel(principal, body.channel))
    # A lookup is a few microseconds once the gazetteer is read; the first one reads it.
    if gazetteer().loaded:
        command = locate_order(command)
    else:
        command = await run_in_threadpool(locate_order, command)
    if command.pickup_location:
        await run_in_threadpool(_check_pickup, intake.dom, command)
    # The request's Idempotency-Key claim, if any, rides in the batch's transaction.
    placement, settlement = await intake.place_settled(command, now, riding())
    return answered(
        settlement,
        shown_order(principal, order_document(placement.order)),
        status_code=201 if placement.created else 200,
        headers={"Location": f"/orders/{placement.order.id}"},
    )


def _check_pickup(dom: Container, command: PlaceOrder) -> None:
    """A click & collect order names a registered, active location that offers pickup; else
    422 and nothing recorded (it would wait for a pickup that can never be sourced). A retry
    of an order already placed is not checked again: its answer is what was recorded."""
    assert command.pickup_location is not None
    if dom.orders.find(Order, order_id_for(command.channel, command.channel_order_id)):
        return
    if problem := dom.fulfilment.pickup_problem(command.pickup_location):
        raise InvalidCommand([FieldProblem("pickup_location", problem)])


@router.post("/orders/{order_id}/cancel", dependencies=[Scope("orders:write", "operations")])
def cancel_order(
    order_id: UUID, body: CancelIn, dom: ContainerDep, now: NowDep, answer: AnswerDep,
    principal: PrincipalDep,
) -> Response:  # fmt: skip
    if own_channel(principal) is not None:  # staff: no need to read the order first
        check_order(principal, order_id, _channel_of(dom, order_id))
    position = dom.orders.cancel_order(order_id, body.reason, now, body.line_ids)
    return answer("orders", position, lambda: order_document(dom.orders.get_order(order_id)))


@router.post("/orders/{order_id}/hold", dependencies=[Scope("operations")])
def hold_order(
    order_id: UUID, body: HoldIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    position = dom.orders.hold_order(order_id, body.reason, now)
    return answer("orders", position, lambda: order_document(dom.orders.get_order(order_id)))


@router.post("/orders/{order_id}/release", dependencies=[Scope("operations")])
def release_order(order_id: UUID, dom: ContainerDep, now: NowDep, answer: AnswerDep) -> Response:
    position = dom.orders.release_order(order_id, now)
    return answer("orders", position, lambda: order_document(dom.orders.get_order(order_id)))


@router.get("/orders", dependencies=[Scope("orders:read")])
def get_orders(
    query: Annotated[OrderQuery, Query()], dom: ContainerDep, principal: PrincipalDep
) -> Response:
    """A channel key lists and searches only its own channel's orders (another channel
    named in `channel` finds nothing)."""
    wanted = OrderFilter(**query.model_dump())
    if finds_nothing(principal, wanted.channel):
        return OrjsonResponse({"items": [], "next_cursor": None})
    found = list_orders(
        dom.store, replace(wanted, channel=channel_filter(principal, wanted.channel))
    )
    items = [shown_order(principal, item) for item in found["items"]]
    return OrjsonResponse(found | {"items": items})


@router.get("/orders/{order_id}", dependencies=[Scope("orders:read")])
def get_order(order_id: UUID, dom: ContainerDep, principal: PrincipalDep) -> Response:
    detail = shown_detail(principal, order_id, order_detail(dom.store, str(order_id)))
    parked = parked_items(dom.store, str(order_id))
    waiting = {"waiting": waiting_of(dom.store, str(order_id)), "parked": parked,
               "exceptions": exceptions_of(dom.store, str(order_id)),
               "payments": payment_documents(dom.store, str(order_id))}  # fmt: skip
    return OrjsonResponse(detail | waiting)


def _channel_of(dom: Container, order_id: UUID) -> str | None:
    order = dom.orders.find(Order, order_id)
    return order.placement["channel"] if isinstance(order, Order) else None


def order_document(order: Order) -> dict[str, Any]:
    """The command side's view of an order: what a channel gets back from a command."""
    placed = order.placement
    lines = [
        dict(line, state=order.line_states[line["line_id"]].value)
        | (
            {"allocations": order.allocations[line["line_id"]]}
            if order.allocations.get(line["line_id"])
            else {}
        )
        | (
            {"cancel_reason": order.cancel_reasons[line["line_id"]]}
            if line["line_id"] in order.cancel_reasons
            else {}
        )
        | ({"shipped": order.shipped[line["line_id"]]} if line["line_id"] in order.shipped else {})
        | (
            {"delivered": order.delivered[line["line_id"]]}
            if order.delivered.get(line["line_id"])
            else {}
        )
        for line in placed["lines"]
    ]
    return dict(
        placed,
        order_id=str(order.id),
        placed_at=iso(placed["placed_at"]),
        received_at=iso(order.received_at),
        lines=lines,
        status=order.status.value,
        holds=list(order.holds),
        shipments=[_shipment(sid, shipment) for sid, shipment in order.shipments.items()],
        version=order.version,
    )


def _shipment(shipment_id: str, shipment: dict[str, Any]) -> dict[str, Any]:
    shown = {"status": "dispatched", "delivered_at": None, "tracking_link": None, **shipment}
    return {"shipment_id": shipment_id, **shown}
