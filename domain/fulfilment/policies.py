"""Fulfilment's reactions: to orders (placed, released, cancelled) and to its own stock.

Each reaction returns the aggregates it changed; the runtime saves them with
the position of the event it reacted to, in one transaction. Orders' events
are known here by their published topics and fields only
(domain/orders/published.py), never by the Order aggregate.

Time is what the events carry, never the library's recording stamps: those
come from the clock of whichever process recorded the event, so comparing or
using them would let clock skew between processes skip a backorder, or date
a decision on the day a history is replayed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.network import UNDECIDED_ID, Backorders, Undecided, backorders_id_for
from domain.fulfilment.routing import (
    DEFAULT_POLICY,
    cancel_shipped_lines,
    release_lines,
    source_order,
    track_undecided,
)
from domain.fulfilment.routing_policy import RoutingPolicy, policy_id_for
from domain.fulfilment.stock_item import StockItem
from domain.orders.published import ORDER_CANCELLED, ORDER_PLACED, ORDER_RELEASED
from domain.processing import Unit

STOCK_RISES = (
    "Counted", "Received", "Adjusted", "ReservationsReleased", "ReservationsGivenBack",
    "SafetyStockSet",
)  # fmt: skip


class WhenOrdersChangeFulfilThem:
    """Follows orders: keeps what to ship, sources released orders, frees cancelled lines."""

    name = "fulfilment_policy"
    upstream = "orders"
    topics = (ORDER_PLACED, ORDER_RELEASED, ORDER_CANCELLED)

    def react(self, event: Any, unit: Unit) -> None:
        topic = get_topic(type(event))
        if topic == ORDER_PLACED:
            order_id = str(event.originator_id)
            unit.get(FulfilmentOrder, event.originator_id,
                     lambda: FulfilmentOrder.from_placement(order_id, event.placed))  # fmt: skip
        elif topic == ORDER_RELEASED:
            self.when_order_released_source_it(unit, event)
        elif topic == ORDER_CANCELLED:
            self.when_lines_cancelled_free_them(unit, event)

    @staticmethod
    def when_order_released_source_it(unit: Unit, event: Any) -> None:
        order = unit.get(FulfilmentOrder, event.originator_id)
        if order is not None and order.release(event.at) and order.needs_sourcing:
            source_order(unit, order, event.at)

    @staticmethod
    def when_lines_cancelled_free_them(unit: Unit, event: Any) -> None:
        order = unit.get(FulfilmentOrder, event.originator_id)
        if order is None:
            return
        was_undecided = order.undecided
        freed = order.cancel(event.line_ids, event.at)
        release_lines(unit, str(event.originator_id), freed, order.skus(), event.at)
        track_undecided(unit, order, was_undecided)
        cancel_shipped_lines(unit, order, event.line_ids, event.reason, event.at)


class WhenStockOrRulesChangeSourceAgain:
    """Follows fulfilment's own log: orders waiting for what just changed are sourced again.

    When a SKU's stock rises, its backorders; an order whose last decision
    already saw the stock item at this event's version or later is left alone:
    that decision took the change into account. When a routing policy version
    is activated, every order waiting for a person (no policy, no strategy, no
    eligible location), oldest first.
    """

    name = "backorder_policy"  # the name its position is tracked by, since it followed stock only
    upstream = "fulfilment"
    topics = (*(getattr(StockItem, name) for name in STOCK_RISES), RoutingPolicy.Activated)

    def react(self, event: Any, unit: Unit) -> None:
        if isinstance(event, RoutingPolicy.Activated):
            self.when_rules_change_source_the_undecided(unit, event)
        elif isinstance(event, StockItem.Event) and type(event).__name__ in STOCK_RISES:
            self.when_stock_rises_source_backorders(unit, event)

    @staticmethod
    def when_rules_change_source_the_undecided(unit: Unit, event: Any) -> None:
        if event.originator_id != policy_id_for(DEFAULT_POLICY):
            return  # sourcing follows the default policy only
        listed = unit.get(Undecided, UNDECIDED_ID)
        for order_id in list(listed.orders) if listed is not None else []:
            order = unit.get(FulfilmentOrder, UUID(order_id))
            if order is not None and order.undecided:
                source_order(unit, order, reaction_time(event, order))
            elif listed is not None:
                listed.remove(order_id)

    @staticmethod
    def when_stock_rises_source_backorders(unit: Unit, event: Any) -> None:
        item = unit.get(StockItem, event.originator_id)
        waiting = unit.get(Backorders, backorders_id_for(item.sku)) if item is not None else None
        if item is None or waiting is None:
            return
        for order_id in list(waiting.waiting):
            order = unit.get(FulfilmentOrder, FulfilmentOrder.create_id({"order_id": order_id}))
            if order is None or order.saw_stock(item.sku, item.location_code,
                                                 event.originator_version):  # fmt: skip
                continue
            if order.needs_sourcing:
                source_order(unit, order, reaction_time(event, order))
            else:
                waiting.done(order_id)


def reaction_time(event: Any, order: FulfilmentOrder) -> datetime:
    """When an order is sourced again for a stock change: the change's own business time,
    but never before the latest time the order's history records, so that its decisions
    stay in order (a count may be dated hours before it is recorded). A version 1 event
    recorded without its time (ReservationsReleased, SafetyStockSet) is reacted to at
    that latest time of the order."""
    changed_at: datetime | None = getattr(event, "counted_at", None) or getattr(event, "at", None)
    moments = [moment for moment in (changed_at, order.latest_at) if moment is not None]
    assert moments, "an order that needs sourcing was released, at a time"
    return max(moments)
