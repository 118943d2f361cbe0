"""The Order aggregate: placed by a channel, held or released, cancelled, rolled up.

Public methods check and raise domain errors; the private event methods only
change state, because they run again on every rebuild.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidTransition, Problems
from domain.orders.lines import (
    DISPATCHED,
    LINE_RANK,
    UNDELIVERED,
    LineState,
    OrderStatus,
    roll_up,
)
from domain.orders.payment_report import PAYMENT_PENDING
from domain.orders.placement import PlaceOrder, normalise_placement, sent

__all__ = ["LINE_RANK", "LineState", "Order", "OrderStatus", "order_id_for", "roll_up"]

# Fixed namespace: the order id of (channel, channel order id) never changes.
ORDER_NAMESPACE = UUID("6f1d2a4e-0c1b-4c55-9a53-3b0e8f9d7a10")


def order_id_for(channel: str, channel_order_id: str) -> UUID:
    return uuid5(ORDER_NAMESPACE, f"{channel}\x1f{channel_order_id}")


class Order(Aggregate):
    class Placed(Aggregate.Created):
        class_version = 1
        channel: str
        channel_order_id: str
        placed: dict[str, Any]
        at: datetime

    class Held(Aggregate.Event):
        reason: str
        at: datetime

    class Released(Aggregate.Event):
        at: datetime

    class Cancelled(Aggregate.Event):
        line_ids: list[str]
        reason: str
        at: datetime

    class LinesProgressed(Aggregate.Event):
        states: dict[str, str]
        at: datetime

    class Allocated(Aggregate.Event):
        location: str
        lines: dict[str, int]
        at: datetime

    class Deallocated(Aggregate.Event):
        location: str
        line_ids: list[str]
        reason: str
        at: datetime

    class Completed(Aggregate.Event):  # delivered, and the return window has passed
        at: datetime

    class Dated(Aggregate.Event):
        promise: dict[str, str]
        expected: dict[str, str] | None
        at: datetime

    class Shipped(Aggregate.Event):
        shipment_id: str
        location: str
        lines: dict[str, int]
        carrier: dict[str, str]
        at: datetime

    class ShipmentTracked(Aggregate.Event):
        shipment_id: str
        status: str
        at: datetime

    @staticmethod
    def create_id(channel: str, channel_order_id: str) -> UUID:
        return order_id_for(channel, channel_order_id)

    @classmethod
    def place(cls, command: PlaceOrder, now: datetime) -> Order:
        placement = normalise_placement(command, now)
        order = cls(placed=placement, at=now, **_identity(placement))
        if command.waits_for_payment:  # the channel's payment rule: not before the money
            order._held(reason=PAYMENT_PENDING, at=now)
        else:
            order._released(at=now)
        return order

    @event(Placed)
    def __init__(self, channel: str, channel_order_id: str, placed: dict[str, Any], at: datetime):
        self.channel = channel
        self.channel_order_id = channel_order_id
        self.placement = placed
        self.line_states = {line["line_id"]: LineState.OPEN for line in placed["lines"]}
        self.holds: list[str] = []
        self.cancel_reasons: dict[str, str] = {}
        self.allocations: dict[str, dict[str, int]] = {}  # line id -> location -> quantity
        self.shipped: dict[str, int] = {}  # line id -> units dispatched
        self.delivered: dict[str, int] = {}  # line id -> units the carriers delivered
        self.shipments: dict[str, dict[str, Any]] = {}  # shipment id -> where, what, carrier
        self.received_at = at
        self.status = OrderStatus.RELEASED
        self.promise: dict[str, str] | None = None  # ship_by, deliver_by, as first made
        self.expected: dict[str, str] | None = None  # the same, as the current plan has it

    def same_placement(self, command: PlaceOrder, now: datetime) -> bool:
        """True when the command is a retry of the placement that created this order: what
        the client sent is compared, not what dom derived from it (`placement.sent`)."""
        return sent(normalise_placement(command, now)) == sent(self.placement)

    def date(self, promise: dict[str, str], expected: dict[str, str] | None, now: datetime) -> bool:
        """Fulfilment's promise (kept as first made) and expected dates (moving with the plan)."""
        promise = self.promise or promise
        if promise == self.promise and expected == self.expected:
            return False
        self._dated(promise=promise, expected=expected, at=now)
        return True

    @event(Dated)
    def _dated(
        self, promise: dict[str, str], expected: dict[str, str] | None, at: datetime
    ) -> None:
        self.promise, self.expected = promise, expected

    def complete(self, now: datetime) -> bool:
        """The clock's step: a delivered order is completed once the channel's return window
        (its terms' `return_days`) has passed since its last delivery."""
        delivered = [s["delivered_at"] for s in self.shipments.values() if s.get("delivered_at")]
        if self.status is not OrderStatus.DELIVERED:
            return False
        due = completion_due(delivered, self.placement.get("terms"))
        if due is None or due > now:
            return False
        self._completed(at=now)
        return True

    @event(Completed)
    def _completed(self, at: datetime) -> None:
        self.status = OrderStatus.COMPLETED

    # --- holds -----------------------------------------------------------------

    def hold(self, reason: str, now: datetime) -> None:
        if self.status not in (OrderStatus.RELEASED, OrderStatus.ALLOCATED, OrderStatus.HELD):
            raise InvalidTransition(self.id, self.status, "hold")
        if reason not in self.holds:
            self._held(reason=reason, at=now)

    def release(self, now: datetime) -> None:
        if self.status is not OrderStatus.HELD:
            if self.status in (OrderStatus.RELEASED, OrderStatus.ALLOCATED):
                return  # already released: a retried release changes nothing
            raise InvalidTransition(self.id, self.status, "release")
        self._released(at=now)

    def lift_hold(self, reason: str, now: datetime) -> bool:
        """The cause of one hold is gone (the money came in): released once no hold is left."""
        if reason not in self.holds:
            return False
        if self.holds == [reason]:
            self._released(at=now)
        else:
            self._hold_lifted(reason=reason, at=now)
        return True

    @event("HoldLifted")
    def _hold_lifted(self, reason: str, at: datetime) -> None:
        self.holds.remove(reason)

    @event(Held)
    def _held(self, reason: str, at: datetime) -> None:
        self.holds.append(reason)
        self.status = self._roll_up()

    @event(Released)
    def _released(self, at: datetime) -> None:
        self.holds = []
        self.status = self._roll_up()

    # --- cancellation ----------------------------------------------------------

    def cancel(self, reason: str, now: datetime, line_ids: list[str] | None = None) -> bool:
        """Cancel the whole order or some lines; returns False when nothing was left to cancel."""
        wanted = list(self.line_states) if line_ids is None else list(dict.fromkeys(line_ids))
        self._check_cancellable(wanted, whole=line_ids is None)
        to_cancel = [lid for lid in wanted if self.line_states[lid] is not LineState.CANCELLED]
        if not to_cancel:
            return False
        self._cancelled(line_ids=to_cancel, reason=reason, at=now)
        return True

    def _check_cancellable(self, line_ids: list[str], whole: bool) -> None:
        problems = Problems()
        for line_id in line_ids:
            if line_id not in self.line_states:
                problems.add("line_ids", f"unknown line {line_id!r}")
        if not line_ids:
            problems.add("line_ids", "name at least one line, or leave it out to cancel all")
        problems.raise_if_any()
        dispatched = [lid for lid in line_ids if self.line_states[lid] in DISPATCHED]
        if dispatched and (whole or len(dispatched) == len(line_ids)):
            raise InvalidTransition(self.id, self.status, "cancel")
        if dispatched:
            raise InvalidTransition(self.id, f"shipped on {', '.join(dispatched)}", "cancel")

    @event(Cancelled)
    def _cancelled(self, line_ids: list[str], reason: str, at: datetime) -> None:
        for line_id in line_ids:
            self.line_states[line_id] = LineState.CANCELLED
            self.cancel_reasons[line_id] = reason
        self.status = self._roll_up()

    # --- roll-up fed by fulfilment ---------------------------------------------

    def progress_lines(self, states: dict[str, LineState], now: datetime) -> bool:
        """Move lines forward (allocated, shipped, delivered); stale or repeated news is ignored."""
        problems = Problems()
        for line_id in states:
            if line_id not in self.line_states:
                problems.add("line_ids", f"unknown line {line_id!r}")
        problems.raise_if_any()
        changes = {
            line_id: state
            for line_id, state in states.items()
            if self.line_states[line_id] is not LineState.CANCELLED
            and state is not LineState.CANCELLED
            and LINE_RANK[state] > LINE_RANK[self.line_states[line_id]]
        }
        if not changes:
            return False
        self._lines_progressed(states={k: v.value for k, v in changes.items()}, at=now)
        return True

    def allocate(self, location: str, lines: dict[str, int], now: datetime) -> bool:
        """Fulfilment allocated lines to a location; news about cancelled lines is ignored."""
        live = {
            line_id: quantity
            for line_id, quantity in lines.items()
            if line_id in self.line_states
            and self.line_states[line_id] is not LineState.CANCELLED
            and self.allocations.get(line_id, {}).get(location) != quantity
        }
        if not live:
            return False
        self._allocated(location=location, lines=live, at=now)
        return True

    def deallocate(self, location: str, line_ids: list[str], reason: str, now: datetime) -> bool:
        held = [line_id for line_id in line_ids if location in self.allocations.get(line_id, {})]
        if not held:
            return False
        self._deallocated(location=location, line_ids=held, reason=reason, at=now)
        return True

    def ship(
        self,
        shipment_id: str,
        location: str,
        lines: dict[str, int],
        carrier: dict[str, str],
        now: datetime,
    ) -> bool:
        """Fulfilment dispatched a shipment of this order; news of one already known changes
        nothing. A line is shipped once all its units left, the order partly shipped before."""
        if shipment_id in self.shipments:
            return False
        known = {line_id: q for line_id, q in lines.items() if line_id in self.line_states}
        self._shipped(shipment_id=shipment_id, location=location, lines=known, carrier=carrier,
                      at=now)  # fmt: skip
        return True

    @event(Shipped)
    def _shipped(
        self,
        shipment_id: str,
        location: str,
        lines: dict[str, int],
        carrier: dict[str, str],
        at: datetime,
    ) -> None:
        self.shipments[shipment_id] = {"location": location, "lines": lines, **carrier,
                                       "dispatched_at": at.isoformat()}  # fmt: skip
        ordered = {line["line_id"]: line["quantity"] for line in self.placement["lines"]}
        for line_id, quantity in lines.items():
            self.shipped[line_id] = self.shipped.get(line_id, 0) + quantity
            live = self.line_states[line_id] is not LineState.CANCELLED
            if live and self.shipped[line_id] >= ordered[line_id]:
                self.line_states[line_id] = LineState.SHIPPED
        self.status = self._roll_up()

    def track_shipment(self, shipment_id: str, status: str, now: datetime) -> bool:
        """A carrier's news of one of its shipments: a line is delivered once all its units
        arrived; the units of a shipment lost or returned to sender are no longer shipped
        (their lines may be re-shipped or cancelled). A shipment it does not know, news it
        has, or news after the shipment's end change nothing."""
        known = self.shipments.get(shipment_id)
        if known is None or known.get("status", "dispatched") in (
            status,
            "delivered",
            *UNDELIVERED,
        ):
            return False
        self._shipment_tracked(shipment_id=shipment_id, status=status, at=now)
        return True

    @event(ShipmentTracked)
    def _shipment_tracked(self, shipment_id: str, status: str, at: datetime) -> None:
        shipment = self.shipments[shipment_id]
        shipment["status"] = status
        if status == "delivered":
            shipment["delivered_at"] = at.isoformat()
            ordered = {line["line_id"]: line["quantity"] for line in self.placement["lines"]}
            for line_id, quantity in shipment["lines"].items():
                self.delivered[line_id] = self.delivered.get(line_id, 0) + quantity
                live = self.line_states[line_id] is not LineState.CANCELLED
                if live and self.delivered[line_id] >= ordered[line_id]:
                    self.line_states[line_id] = LineState.DELIVERED
        elif status in UNDELIVERED:
            for line_id, quantity in shipment["lines"].items():
                self.shipped[line_id] = self.shipped.get(line_id, 0) - quantity
                if self.shipped[line_id] <= 0:
                    self.shipped.pop(line_id)
                if self.line_states[line_id] is LineState.SHIPPED:
                    allocated = bool(self.allocations.get(line_id))
                    self.line_states[line_id] = LineState.ALLOCATED if allocated else LineState.OPEN
        self.status = self._roll_up()

    def _roll_up(self) -> OrderStatus:
        partly = any(
            self.line_states[lid] not in DISPATCHED
            and self.line_states[lid] is not LineState.CANCELLED
            for lid in self.shipped
        )
        return roll_up(self.line_states, self.holds, partly)

    @event(Allocated)
    def _allocated(self, location: str, lines: dict[str, int], at: datetime) -> None:
        _allocate(self, location, lines)
        self.status = self._roll_up()

    @event(Deallocated)
    def _deallocated(self, location: str, line_ids: list[str], reason: str, at: datetime) -> None:
        _deallocate(self, location, line_ids)
        self.status = self._roll_up()

    @event(LinesProgressed)
    def _lines_progressed(self, states: dict[str, str], at: datetime) -> None:
        for line_id, state in states.items():
            self.line_states[line_id] = LineState(state)
        self.status = self._roll_up()


def completion_due(delivered_at: list[str], terms: dict[str, Any] | None) -> datetime | None:
    """When a delivered order may be completed: its terms' return window (`return_days`,
    30 for orders placed before terms were kept) after its last delivery; None before any."""
    if not delivered_at:
        return None
    days = (terms or {}).get("return_days", 30)
    return max(datetime.fromisoformat(at) for at in delivered_at) + timedelta(days=days)


def _allocate(order: Order, location: str, lines: dict[str, int]) -> None:
    for line_id, quantity in lines.items():
        order.allocations.setdefault(line_id, {})[location] = quantity
        if order.line_states[line_id] is LineState.OPEN:
            order.line_states[line_id] = LineState.ALLOCATED


def _deallocate(order: Order, location: str, line_ids: list[str]) -> None:
    for line_id in line_ids:
        held = order.allocations.get(line_id, {})
        held.pop(location, None)
        if not held and order.line_states[line_id] is LineState.ALLOCATED:
            order.line_states[line_id] = LineState.OPEN
            order.allocations.pop(line_id, None)


def _identity(placement: dict[str, Any]) -> dict[str, str]:
    return {"channel": placement["channel"], "channel_order_id": placement["channel_order_id"]}
