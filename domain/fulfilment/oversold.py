"""Stock that falls under what is reserved: the newest orders holding it are sourced again.

A count, an adjustment or damage can leave fewer units on hand than orders
hold reserved at a location (a late count, units found broken). The orders
that would then ship what is not there are found here and handed back: the
newest first, each gives its shipment at that location back, as the location
rejecting it would (its reservations are freed, the location is excluded for
it, the active policy sources its lines again and explains the decision),
until what is left on hand covers what is still reserved. The shipment
records why: `oversold: SKU at LOC fell to N on hand under M reserved`.
Reservations made by hand (not an order dom sources) are left to whoever
made them; they still count against the stock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.routing import reject_shipment
from domain.fulfilment.shipment import Shipment
from domain.fulfilment.stock_item import StockItem
from domain.processing import Unit

STOCK_FALLS = ("Counted", "Adjusted", "Damaged")


class WhenStockFallsUnderReservationsSourceAgain:
    name = "oversold_policy"
    upstream = "fulfilment"
    topics = tuple(getattr(StockItem, name) for name in STOCK_FALLS)

    def react(self, event: Any, unit: Unit) -> None:
        item = unit.get(StockItem, event.originator_id)
        if item is None or item.on_hand >= item.reserved:
            return
        at: datetime = getattr(event, "counted_at", None) or event.at
        reason = (f"oversold: {item.sku} at {item.location_code} fell to {item.on_hand} "
                  f"on hand under {item.reserved} reserved")  # fmt: skip
        for order in _newest_first(unit, item):
            if item.on_hand >= item.reserved:
                break
            for shipment_id in order.shipments.get(item.location_code, []):
                shipment = unit.get(Shipment, UUID(shipment_id))
                if (
                    shipment is not None
                    and shipment.status == "requested"
                    and (item.sku in shipment.skus.values())
                ):
                    when = max(at, order.latest_at) if order.latest_at else at
                    reject_shipment(unit, shipment, reason, when)


def _newest_first(unit: Unit, item: StockItem) -> list[FulfilmentOrder]:
    """The orders dom sources that hold reservations of the item, the newest placed first."""
    orders = []
    for order_id in {key.partition("/")[0] for key in item.reservations}:
        try:
            found = unit.get(FulfilmentOrder, UUID(order_id))
        except ValueError:  # not an order id: a reservation made by hand
            continue
        if found is not None:
            orders.append(found)
    return sorted(orders, key=lambda o: (str(o.order.get("placed_at", "")), o.id), reverse=True)
