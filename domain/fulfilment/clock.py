"""The clock's step: orders not dispatched in full are warned about as their ship-by
nears (`at_risk`, a channel's `at_risk_hours` before it) and once it has passed (`late`).

Time comes in as an argument: the worker (`dom work clock`), the API process in embedded
mode and `dom tick` call it; which orders to look at comes from the OTIF read model, and
each is decided here on its own aggregates, so a stale list only costs a look.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.shipment import Shipment
from domain.processing import ContextApplication, Outcome, Unit

DEFAULT_AT_RISK_HOURS = 4
ENDED = ("rejected", "cancelled")


class PromiseClock(ContextApplication):
    def check_promise(self, order_id: UUID, now: datetime) -> Outcome:
        """Record `at_risk` or `late` for the order when it is due; nothing otherwise."""

        def work(unit: Unit) -> None:
            order = unit.get(FulfilmentOrder, order_id)
            if order is None or dispatched_in_full(unit, order):
                return
            terms = order.order.get("terms") or {}
            order.warn(now, terms.get("at_risk_hours", DEFAULT_AT_RISK_HOURS))

        return self.act(work)


def dispatched_in_full(unit: Unit, order: FulfilmentOrder) -> bool:
    """No line waits for a location, and every live shipment has left."""
    if any(order.open.values()):
        return False
    for shipment_ids in order.shipments.values():
        for shipment_id in shipment_ids:
            shipment = unit.get(Shipment, UUID(shipment_id))
            if shipment is not None and shipment.status not in ENDED and not shipment.dispatched_at:
                return False
    return True
