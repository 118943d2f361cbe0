"""Fulfilment's reactions: to orders (placed, released, cancelled) and to its own stock.

Each reaction returns the aggregates it changed; the runtime saves them with
the position of the event it reacted to, in one transaction. Orders' events
are known here by their published topics and fields only
(domain/orders/published.py), never by the Order aggregate.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import get_topic

from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.network import Backorders, backorders_id_for
from domain.fulfilment.routing import cancel_shipped_lines, release_lines, source_order
from domain.fulfilment.stock_item import StockItem
from domain.orders.published import ORDER_CANCELLED, ORDER_PLACED, ORDER_RELEASED
from domain.processing import Unit

STOCK_RISES = ("Counted", "Received", "Adjusted", "ReservationsReleased", "SafetyStockSet")


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
        skus = {line["line_id"]: line["sku"] for line in order.order["lines"]}
        freed = order.cancel(event.line_ids, event.at)
        release_lines(unit, str(event.originator_id), freed, skus)
        cancel_shipped_lines(unit, order, event.line_ids, event.reason, event.at)


class WhenStockRisesSourceBackorders:
    """Follows fulfilment's own log: when a SKU's stock rises, its backorders are sourced again."""

    name = "backorder_policy"
    upstream = "fulfilment"
    topics = tuple(getattr(StockItem, name) for name in STOCK_RISES)

    def react(self, event: Any, unit: Unit) -> None:
        if not (isinstance(event, StockItem.Event) and type(event).__name__ in STOCK_RISES):
            return
        item = unit.get(StockItem, event.originator_id)
        waiting = unit.get(Backorders, backorders_id_for(item.sku)) if item is not None else None
        if waiting is None:
            return
        for order_id in list(waiting.waiting):
            order = unit.get(FulfilmentOrder, FulfilmentOrder.create_id({"order_id": order_id}))
            if order is not None and order.modified_on >= event.timestamp:
                continue  # decided after this stock change: that decision already saw it
            if order is not None and order.needs_sourcing:
                source_order(unit, order, event.timestamp)
            elif order is not None:
                waiting.done(order_id)
