"""The orders context: intake from channels, holds, cancellation, status roll-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.errors import Conflict, DomainError, NotFound
from domain.orders.order import LineState, Order, order_id_for
from domain.orders.placement import PlaceOrder
from domain.processing import ContextApplication
from domain.recordings import last_notification_id


@dataclass(frozen=True)
class Placement:
    order: Order
    created: bool
    notification_id: int | None


class Orders(ContextApplication):
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
        return Placement(order, created=True, notification_id=last_notification_id(recordings))

    def place_orders(
        self, commands: list[PlaceOrder], now: datetime
    ) -> list[Placement | DomainError]:
        """Place many orders in one transaction (group commit); each gets its own outcome.

        Optimistic: new orders are saved together without reading first. When
        one of them exists already (a retry, or a concurrent writer), the shared
        transaction conflicts and every command is placed alone, with the read
        that tells a retry (200) from a conflict (409).
        """
        outcomes: list[Placement | DomainError] = []
        new: dict[UUID, Order] = {}
        for command in commands:
            try:
                outcomes.append(self._prepare(command, now, new))
            except DomainError as error:
                outcomes.append(error)
        if not new:
            return outcomes
        try:
            last_id = last_notification_id(self.save(*new.values()))
        except IntegrityError:
            return [self._place_alone(command, now) for command in commands]
        return [
            Placement(o.order, o.created, last_id) if isinstance(o, Placement) else o
            for o in outcomes
        ]

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
        return last_notification_id(self.save(order))

    def hold_order(self, order_id: UUID, reason: str, now: datetime) -> int | None:
        order = self.get_order(order_id)
        order.hold(reason, now)
        return last_notification_id(self.save(order))

    def release_order(self, order_id: UUID, now: datetime) -> int | None:
        order = self.get_order(order_id)
        order.release(now)
        return last_notification_id(self.save(order))

    def progress_lines(
        self, order_id: UUID, states: dict[str, LineState], now: datetime
    ) -> int | None:
        order = self.get_order(order_id)
        order.progress_lines(states, now)
        return last_notification_id(self.save(order))

    def _prepare(self, command: PlaceOrder, now: datetime, new: dict[UUID, Order]) -> Placement:
        order_id = order_id_for(command.channel, command.channel_order_id)
        if order_id in new:  # the same order twice in one batch: the second is a retry
            return self._replay(new[order_id], command, now)
        order = Order.place(command, now)
        new[order.id] = order
        return Placement(order, created=True, notification_id=None)

    def _place_alone(self, command: PlaceOrder, now: datetime) -> Placement | DomainError:
        try:
            return self.place_order(command, now)
        except DomainError as error:
            return error

    def _replay(self, existing: Order, command: PlaceOrder, now: datetime) -> Placement:
        if not existing.same_placement(command, now):
            raise Conflict(
                f"channel order {command.channel}/{command.channel_order_id} "
                "was already placed with different content"
            )
        return Placement(existing, created=False, notification_id=None)

    def _find(self, order_id: UUID) -> Order | None:
        return self.find(Order, order_id)
