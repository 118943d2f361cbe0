"""Orders' reactions to fulfilment: lines allocated to a location, lines nobody can fill."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.shipment import Shipment
from domain.orders.order import LineState, Order


class WhenFulfilmentDecidesRollUp:
    name = "orders_policy"
    upstream = "fulfilment"
    topics = (Shipment.Requested, FulfilmentOrder.Sourced)

    def __init__(self, orders: Any) -> None:
        self.orders = orders

    def react(self, event: Any) -> list[Any]:
        if isinstance(event, Shipment.Requested):
            order: Order | None = self.orders.find_order(UUID(event.order_id))
            if order is not None and order.progress_lines(
                {line_id: LineState.ALLOCATED for line_id in event.lines}, event.at
            ):
                return [order]
        elif isinstance(event, FulfilmentOrder.Sourced):
            decision = event.decision
            if decision.get("fallback") == "cancel_unfillable" and decision["unfilled"]:
                order = self.orders.find_order(event.originator_id)
                if order is not None and order.cancel("no location can fill it", event.at,
                                                      list(decision["unfilled"])):  # fmt: skip
                    return [order]
        return []
