"""What operations can do about an order that waits for stock or a person, and about a
shipment a location cannot make: each action is a command recorded as events, retried
on a version conflict, and harmless when repeated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from domain.errors import NotFound
from domain.fulfilment.by_hand import allocate_by_hand
from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.routing import reject_shipment, source_order
from domain.fulfilment.shipment import Shipment
from domain.processing import ContextApplication, Outcome, Unit


class ExceptionActions(ContextApplication):
    def reject_shipment(self, shipment_id: UUID, reason: str, now: datetime) -> Outcome:
        """The location cannot ship (no stock, no capacity): its lines are sourced again without it."""

        def act(unit: Unit) -> None:
            shipment = unit.get(Shipment, shipment_id)
            if shipment is None:
                raise NotFound(f"shipment {shipment_id} not found")
            reject_shipment(unit, shipment, reason, now)

        return self.act(act)

    def source_again(self, order_id: UUID, now: datetime) -> Outcome:
        """Source an order's open lines again now, by the active policy: an operator's retry
        of an order waiting for stock or a person. An order with nothing left to source
        changes nothing (a retry of the retry, or an order sourced meanwhile)."""

        def decide(unit: Unit, order: FulfilmentOrder) -> None:
            if order.needs_sourcing:
                source_order(unit, order, max(now, order.latest_at or now))

        return self._on_order(order_id, decide)

    def allocate_by_hand(
        self, order_id: UUID, location: str, line_ids: list[str] | None, note: str, now: datetime
    ) -> Outcome:
        """Ship the order's open lines (or the named ones) from a location a person chose;
        Conflict when nothing waits, InsufficientStock when the location lacks the stock."""
        return self._on_order(order_id, lambda unit, order: allocate_by_hand(
            unit, order, location, line_ids, note, max(now, order.latest_at or now)))  # fmt: skip

    def resolve_exception(self, order_id: UUID, note: str, now: datetime) -> Outcome:
        """A person has dealt with what the order waits for: it leaves the queue, noted."""
        return self._on_order(order_id, lambda unit, order: order.resolve(
            note, max(now, order.latest_at or now)))  # fmt: skip

    def fulfilment_order(self, order_id: UUID) -> FulfilmentOrder:
        return self.existing(FulfilmentOrder, order_id, f"order {order_id} (in fulfilment)")

    def _on_order(
        self, order_id: UUID, decide: Callable[[Unit, FulfilmentOrder], object]
    ) -> Outcome:
        def act(unit: Unit) -> None:
            order = unit.get(FulfilmentOrder, order_id)
            if order is None:
                raise NotFound(f"order {order_id} is not known to fulfilment")
            decide(unit, order)

        return self.act(act)
