"""The exception queue and what a person can do about it: orders waiting for stock or a
decision (retry, allocate by hand, cancel the unfillable lines, resolve with a note), and
the reactions a policy parked (retry)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Response
from pydantic import Field

from api.http.auth import PrincipalDep, Scope
from api.http.commands import AnswerDep
from api.http.dependencies import ContainerDep, NowDep
from api.http.ownership import own_channel
from api.http.responses import OrjsonResponse
from api.http.schemas import LineId, Reason, Strict
from api.http.schemas_stock import Code
from api.http.strict_route import StrictRoute
from domain.errors import Conflict, NotFound
from domain.fulfilment.tracking import UNDELIVERED
from domain.orders.order import LineState
from projections.exception_queue import exceptions_of
from projections.routing import exception_queue, routing_of, waiting_of

router = APIRouter(tags=["operations"], route_class=StrictRoute)
PolicyName = Annotated[str, Path(pattern=r"^[a-z][a-z_]{0,63}$")]
Subject = Annotated[
    str, Path(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]


class ExceptionKind(StrEnum):
    BACKORDERED = "backordered"  # waits for stock
    NEEDS_DECISION = "needs_decision"  # no location, no matching strategy, no active policy
    PARKED = "parked"  # a policy could not react to the order's event
    LOST = "lost"  # the carrier lost a shipment
    RETURNED_TO_SENDER = "returned_to_sender"  # the carrier brought a shipment back
    AT_RISK = "at_risk"  # ship-by near, not dispatched in full (the clock's step)
    LATE = "late"  # ship-by missed, not dispatched in full


class Warning(StrEnum):
    AT_RISK = "at_risk"
    LATE = "late"


class NoteIn(Strict):
    note: Reason


class AllocateIn(NoteIn):
    location: Code
    line_ids: Annotated[list[LineId], Field(min_length=1, max_length=500)] | None = None


@router.get("/exceptions", dependencies=[Scope("orders:read")])
def get_exceptions(
    dom: ContainerDep, principal: PrincipalDep, kind: ExceptionKind | None = None
) -> Response:
    """Orders that need a person or wait for stock (not those resolved), and reactions
    parked; oldest first, each with the actions that apply. A channel key sees its own
    channel's orders, and no parked reactions."""
    found = exception_queue(dom.store, kind.value if kind else None, own_channel(principal))
    return OrjsonResponse({"items": found})


@router.post("/exceptions/orders/{order_id}/retry", dependencies=[Scope("operations")])
def retry_sourcing(order_id: UUID, dom: ContainerDep, now: NowDep, answer: AnswerDep) -> Response:
    """Source a waiting order again now, by the active policy; its new decision is answered
    (and explained in its routing). Nothing left to source: 200, nothing recorded."""
    outcome = dom.fulfilment.source_again(order_id, now)
    return answer("fulfilment", outcome.notification_id,
                  lambda: _decided(dom, order_id, sourced_again=outcome.changed))  # fmt: skip


@router.post("/exceptions/orders/{order_id}/allocate", dependencies=[Scope("operations")])
def allocate_by_hand(
    order_id: UUID, body: AllocateIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """Ship the order's open lines (or `line_ids`) from `location`, whole: stock is checked
    and reserved (409 insufficient_stock, nothing recorded, when it lacks); the policy's
    criteria are not applied. Recorded as a decision with strategy `by_hand` and the note."""
    outcome = dom.fulfilment.allocate_by_hand(order_id, body.location, body.line_ids,
                                              body.note, now)  # fmt: skip
    return answer("fulfilment", outcome.notification_id,
                  lambda: _decided(dom, order_id, allocated=outcome.changed))  # fmt: skip


@router.post("/exceptions/orders/{order_id}/cancel-lines", dependencies=[Scope("operations")])
def cancel_unfillable(
    order_id: UUID, body: NoteIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """Cancel the lines a waiting order could not place (its open lines), as the order's
    own cancellation with the note as the reason; lines already placed go on. An order
    that waits for nothing (a retry, once the lines are cancelled) changes nothing."""
    order = dom.fulfilment.fulfilment_order(order_id)
    open_lines = [lid for lid, quantity in order.open.items() if quantity > 0 and order.waiting]
    position = (
        dom.orders.cancel_order(order_id, f"unfillable: {body.note}", now, open_lines)
        if open_lines
        else None
    )
    cancelled = {"order_id": str(order_id), "cancelled_lines": open_lines}
    return answer("orders", position, lambda: cancelled)


@router.post("/exceptions/orders/{order_id}/resolve", dependencies=[Scope("operations")])
def resolve(
    order_id: UUID, body: NoteIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """Take a waiting order off the queue with a note (its detail keeps it); its lines stay
    open and are sourced again when stock rises, on a retry or when a policy is activated.
    The order's next decision puts it back if it still waits. 409 when nothing waits."""
    outcome = dom.fulfilment.resolve_exception(order_id, body.note, now)
    return answer("fulfilment", outcome.notification_id,
                  lambda: {"order_id": str(order_id), "waiting": waiting_of(dom.store, str(order_id))})  # fmt: skip


@router.post(
    "/exceptions/orders/{order_id}/warnings/{kind}/acknowledge", dependencies=[Scope("operations")]
)
def acknowledge(
    order_id: UUID, kind: Warning, body: NoteIn, dom: ContainerDep, now: NowDep,
    answer: AnswerDep,
) -> Response:  # fmt: skip
    """Take an order's at-risk or late entry off the queue with a note (the order's detail
    keeps it); dispatching the order in full clears both by itself. 409 when none is open."""
    outcome = dom.fulfilment.acknowledge_warning(order_id, kind.value, body.note, now)
    return answer("fulfilment", outcome.notification_id,
                  lambda: {"order_id": str(order_id), "exceptions": exceptions_of(dom.store, str(order_id))})  # fmt: skip


@router.post("/exceptions/shipments/{shipment_id}/reship", dependencies=[Scope("operations")])
def reship(shipment_id: UUID, dom: ContainerDep, now: NowDep, answer: AnswerDep) -> Response:
    """Source a lost or returned shipment's lines again now, by the active policy: a new
    shipment is requested (or the order waits, in its own entry). Once only: a retry
    changes nothing; 409 for a shipment that is neither lost nor returned."""
    outcome = dom.fulfilment.reship(shipment_id, now)
    return answer("fulfilment", outcome.notification_id,
                  lambda: _shipment_entry(dom, shipment_id, reshipped=outcome.changed))  # fmt: skip


@router.post("/exceptions/shipments/{shipment_id}/cancel-lines", dependencies=[Scope("operations")])
def cancel_shipment_lines(
    shipment_id: UUID, body: NoteIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """Cancel the lines of a lost or returned shipment, as the order's own cancellation (the
    whole lines), with the note as the reason; lines cancelled already are left out."""
    shipment = dom.fulfilment.get_shipment(shipment_id)
    if shipment.status not in UNDELIVERED or shipment.follow_up:
        raise Conflict(f"shipment {shipment_id} is {shipment.status}: no exception to act on")
    order = dom.orders.get_order(UUID(shipment.order_id))
    live = [lid for lid in shipment.lines if order.line_states[lid] is not LineState.CANCELLED]
    position = (
        dom.orders.cancel_order(order.id, f"{shipment.status}: {body.note}", now, live)
        if live
        else None
    )
    cancelled = {"shipment_id": str(shipment_id), "order_id": shipment.order_id,
                 "cancelled_lines": live}  # fmt: skip
    return answer("orders", position, lambda: cancelled)


@router.post("/exceptions/shipments/{shipment_id}/resolve", dependencies=[Scope("operations")])
def resolve_shipment(
    shipment_id: UUID, body: NoteIn, dom: ContainerDep, now: NowDep, answer: AnswerDep
) -> Response:
    """Take a lost or returned shipment off the queue with a note; the order's other entries
    stay as they are."""
    outcome = dom.fulfilment.resolve_shipment_exception(shipment_id, body.note, now)
    return answer("fulfilment", outcome.notification_id,
                  lambda: _shipment_entry(dom, shipment_id, resolved=outcome.changed))  # fmt: skip


@router.post("/exceptions/parked/{policy}/{subject}/retry", dependencies=[Scope("operations")])
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


def _shipment_entry(dom: ContainerDep, shipment_id: UUID, **done: bool) -> dict[str, Any]:
    shipment = dom.fulfilment.get_shipment(shipment_id)
    entries = exceptions_of(dom.store, shipment.order_id)
    return {"shipment_id": str(shipment_id), "order_id": shipment.order_id, **done,
            "exceptions": entries}  # fmt: skip


def _decided(dom: ContainerDep, order_id: UUID, **done: bool) -> dict[str, Any]:
    decisions = routing_of(dom.store, str(order_id))
    return {"order_id": str(order_id), **done, "decision": decisions[-1] if decisions else None,
            "waiting": waiting_of(dom.store, str(order_id))}  # fmt: skip
