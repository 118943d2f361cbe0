"""The orders context: intake from channels, holds, cancellation, status roll-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain.errors import Conflict, NotFound
from domain.orders.order import LineState, Order, order_id_for
from domain.orders.placement import PlaceOrder


@dataclass(frozen=True)
class Placement:
    order: Order
    created: bool
    notification_id: int | None


class Orders(Application[UUID]):
    name = "orders"

    def place_order(self, command: PlaceOrder, now: datetime) -> Placement:
        """Record a new order once; a retry with the same content records nothing."""
        existing = self._find(order_id_for(command.channel, command.channel_order_id))
        if existing is not None:
            return self._replay(existing, command, now)
        order = Order.place(command, now)
        try:
            recordings = self.save(order)
        except IntegrityError:
            # Another request placed it between our read and our write.
            return self._replay(self.get_order(order.id), command, now)
        return Placement(order, created=True, notification_id=_last_id(recordings))

    def get_order(self, order_id: UUID) -> Order:
        order = self._find(order_id)
        if order is None:
            raise NotFound(f"order {order_id} not found")
        return order

    def cancel_order(
        self, order_id: UUID, reason: str, now: datetime, line_ids: list[str] | None = None
    ) -> int | None:
        order = self.get_order(order_id)
        order.cancel(reason, now, line_ids)
        return _last_id(self.save(order))

    def hold_order(self, order_id: UUID, reason: str, now: datetime) -> int | None:
        order = self.get_order(order_id)
        order.hold(reason, now)
        return _last_id(self.save(order))

    def release_order(self, order_id: UUID, now: datetime) -> int | None:
        order = self.get_order(order_id)
        order.release(now)
        return _last_id(self.save(order))

    def progress_lines(
        self, order_id: UUID, states: dict[str, LineState], now: datetime
    ) -> int | None:
        order = self.get_order(order_id)
        order.progress_lines(states, now)
        return _last_id(self.save(order))

    def _replay(self, existing: Order, command: PlaceOrder, now: datetime) -> Placement:
        if not existing.same_placement(command, now):
            raise Conflict(
                f"channel order {command.channel}/{command.channel_order_id} "
                "was already placed with different content"
            )
        return Placement(existing, created=False, notification_id=None)

    def _find(self, order_id: UUID) -> Order | None:
        try:
            order: Order = self.repository.get(order_id)
        except AggregateNotFoundError:
            return None
        return order


def _last_id(recordings: list) -> int | None:  # type: ignore[type-arg]
    return recordings[-1].notification.id if recordings else None
