"""Orders' reactions to fulfilment: lines allocated to a location, lines nobody can fill."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.shipment import Shipment
from domain.orders.order import Order
from domain.processing import Unit


class WhenFulfilmentDecidesRollUp:
    name = "orders_policy"
    upstream = "fulfilment"
    topics = (Shipment.Requested, Shipment.Rejected, FulfilmentOrder.Sourced)

    def react(self, event: Any, unit: Unit) -> None:
        if isinstance(event, Shipment.Requested):
            order = unit.get(Order, UUID(event.order_id))
            if order is not None:
                order.allocate(event.location, event.lines, event.at)
        elif isinstance(event, Shipment.Rejected):
            order = unit.get(Order, UUID(event.order_id))
            if order is not None:
                order.deallocate(event.location, list(event.lines), event.reason, event.at)
        elif isinstance(event, FulfilmentOrder.Sourced):
            decision = event.decision
            if decision.get("fallback") == "cancel_unfillable" and decision["unfilled"]:
                order = unit.get(Order, event.originator_id)
                if order is not None:
                    order.cancel("no location can fill it", event.at, list(decision["unfilled"]))
