"""The clock's step: orders not dispatched in full are warned about as their ship-by
nears (`at_risk`, a channel's `at_risk_hours` before it) and once it has passed (`late`),
each recorded once on the FulfilmentOrder with the lines still to dispatch; dispatching
the last of them clears the warnings (in the dispatch's transaction); a person may
acknowledge one with a note.

Time comes in as an argument: the worker (`dom work clock`), the API process in embedded
mode and `dom tick` call it; which orders to look at comes from the OTIF read model, and
each is decided here on its own aggregates, so a stale list only costs a look.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.errors import Conflict, NotFound
from domain.fulfilment.fulfilment_order import FulfilmentOrder, FulfilmentStatus
from domain.fulfilment.shipment import Shipment
from domain.processing import ContextApplication, Outcome, Unit

DEFAULT_AT_RISK_HOURS = 4
ENDED = ("rejected", "cancelled")
WARNINGS = ("at_risk", "late")


class PromiseClock(ContextApplication):
    def check_promise(self, order_id: UUID, now: datetime) -> Outcome:
        """Record `at_risk` or `late` for the order when it is due; nothing otherwise."""
        return self.act(lambda unit: warn(unit, order_id, now))

    def acknowledge_warning(self, order_id: UUID, kind: str, note: str, now: datetime) -> Outcome:
        """A person has seen to an order's `at_risk` or `late` entry: it leaves the queue."""

        def work(unit: Unit) -> None:
            order = unit.get(FulfilmentOrder, order_id)
            if order is None:
                raise NotFound(f"order {order_id} is not known to fulfilment")
            superseded = kind == "at_risk" and "late" in order.warned
            if kind not in order.warned or "cleared" in order.warned or superseded:
                raise Conflict(f"order {order_id} has no open {kind} warning")
            if order.warned.get(f"acknowledged_{kind}") != note:
                order._warning_acknowledged(kind=kind, note=note, at=now)

        return self.act(work)


def warn(unit: Unit, order_id: UUID, now: datetime) -> None:
    order = unit.get(FulfilmentOrder, order_id)
    if order is None or order.promise is None or order.status is FulfilmentStatus.CANCELLED:
        return
    lines = undispatched(unit, order)
    if not lines:
        return
    ship_by = order.promise["ship_by"]
    left = (datetime.fromisoformat(ship_by) - now).total_seconds()
    hours = (order.order.get("terms") or {}).get("at_risk_hours", DEFAULT_AT_RISK_HOURS)
    if left < 0 and "late" not in order.warned:
        order._late(ship_by=ship_by, lines=lines, at=now)
    elif 0 <= left <= hours * 3600 and not order.warned:
        order._at_risk(ship_by=ship_by, hours=hours, lines=lines, at=now)


def clear_warnings(unit: Unit, order: FulfilmentOrder, now: datetime) -> None:
    """After a dispatch: an order warned about that has now left in full is warned no more."""
    warned = any(kind in order.warned for kind in WARNINGS)
    if warned and "cleared" not in order.warned and not undispatched(unit, order):
        order._warnings_cleared(at=now)


def undispatched(unit: Unit, order: FulfilmentOrder) -> dict[str, int]:
    """Line id -> units not dispatched yet: open ones, and those of live shipments still in
    the warehouse."""
    lines = {line_id: q for line_id, q in order.open.items() if q > 0}
    for shipment_ids in order.shipments.values():
        for shipment_id in shipment_ids:
            shipment = unit.get(Shipment, UUID(shipment_id))
            if shipment is None or shipment.status in ENDED or shipment.dispatched_at:
                continue
            for line_id, quantity in shipment.lines.items():
                lines[line_id] = lines.get(line_id, 0) + quantity
    return lines
