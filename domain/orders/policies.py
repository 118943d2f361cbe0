"""Orders' reactions to fulfilment: lines allocated to a location, lines nobody can fill.

Fulfilment's events are known here by their published topics and fields only
(domain/fulfilment/published.py), never by fulfilment's classes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.fulfilment.published import (
    ORDER_SOURCED,
    SHIPMENT_DISPATCHED,
    SHIPMENT_PICKED,
    SHIPMENT_REJECTED,
    SHIPMENT_REQUESTED,
    SHIPMENT_TRACKED,
)
from domain.orders.order import Order
from domain.orders.payment_report import PAYMENT_PENDING
from domain.payments.published import PAYMENT_EXPIRED, PAYMENT_FAILED, PAYMENT_RECEIVED
from domain.processing import Unit


class WhenFulfilmentDecidesRollUp:
    name = "orders_policy"
    upstream = "fulfilment"
    topics = (SHIPMENT_REQUESTED, SHIPMENT_REJECTED, ORDER_SOURCED, SHIPMENT_PICKED,
              SHIPMENT_DISPATCHED, SHIPMENT_TRACKED)  # fmt: skip

    def react(self, event: Any, unit: Unit) -> None:
        topic = get_topic(type(event))
        if topic == SHIPMENT_REQUESTED:
            order = unit.get(Order, UUID(event.order_id))
            if order is not None:
                order.allocate(event.location, event.lines, event.at)
        elif topic == SHIPMENT_REJECTED:
            order = unit.get(Order, UUID(event.order_id))
            if order is not None:
                order.deallocate(event.location, list(event.lines), event.reason, event.at)
        elif topic == SHIPMENT_PICKED:
            self.when_units_are_missing_at_pick_deallocate_them(unit, event)
        elif topic == SHIPMENT_DISPATCHED:
            order = unit.get(Order, UUID(event.order_id))
            if order is not None:
                carrier = {"carrier": event.carrier, "service": event.service,
                           "tracking_number": event.tracking_number}  # fmt: skip
                if event.tracking_link:
                    carrier["tracking_link"] = event.tracking_link
                order.ship(str(event.originator_id), event.location, event.lines, carrier, event.at)
        elif topic == SHIPMENT_TRACKED and event.became is not None:
            order = unit.get(Order, UUID(event.order_id))
            if order is not None:
                order.track_shipment(str(event.originator_id), event.became, event.at)
        elif topic == ORDER_SOURCED:
            decision = event.decision
            order = unit.get(Order, event.originator_id)
            if order is None:
                return
            if decision.get("promise"):
                order.date(decision["promise"], decision.get("expected"), event.at)
            if decision.get("fallback") == "cancel_unfillable" and decision["unfilled"]:
                order.cancel("no location can fill it", event.at, list(decision["unfilled"]))

    @staticmethod
    def when_units_are_missing_at_pick_deallocate_them(unit: Unit, event: Any) -> None:
        """What the location did not find is no longer allocated there (fulfilment sources
        it again, and a new shipment request allocates it anew)."""
        order = unit.get(Order, UUID(event.order_id))
        if order is None or not event.short:
            return
        gone = [line_id for line_id in event.short if event.picked[line_id] == 0]
        if gone:
            order.deallocate(event.location, gone, "not found at pick", event.at)
        fewer = {lid: event.picked[lid] for lid in event.short if event.picked[lid] > 0}
        if fewer:
            order.allocate(event.location, fewer, event.at)


class WhenPaymentsSettleReleaseOrders:
    """An order held for its money is released the moment its payment is covered (and on
    to sourcing); a failed or expired payment holds it with that reason."""

    name = "orders_payments_policy"
    upstream = "payments"
    topics = (PAYMENT_RECEIVED, PAYMENT_FAILED, PAYMENT_EXPIRED)

    def react(self, event: Any, unit: Unit) -> None:
        order = unit.get(Order, UUID(event.order_id))
        if order is None:
            return
        topic = get_topic(type(event))
        if topic == PAYMENT_RECEIVED and event.paid:
            order.lift_hold(PAYMENT_PENDING, event.at)
        elif topic == PAYMENT_FAILED:
            order.hold("payment_failed", event.at)
        elif topic == PAYMENT_EXPIRED:
            order.hold("payment_expired", event.at)
