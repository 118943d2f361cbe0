"""The orders context: intake from channels, holds, cancellation, status roll-up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from domain.claims import RequestClaim, Ride, carrying, riding
from domain.errors import Conflict
from domain.orders.channel import ChannelDefinition
from domain.orders.channels import ChannelConfiguration
from domain.orders.order import LineState, Order, order_id_for
from domain.orders.placement import PlaceOrder
from domain.processing import ContextApplication, Outcome, Unit
from domain.recordings import last_notification_id

# The store did not answer (connection lost, timeout, disk full): not this order's fault.
STORE_AWAY = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class Placement:
    order: Order
    created: bool
    notification_id: int | None


class Orders(ChannelConfiguration, ContextApplication):
    name = "orders"

    def place_order(
        self,
        command: PlaceOrder,
        now: datetime,
        known: dict[str, tuple[ChannelDefinition, bool]] | None = None,
    ) -> Placement:
        """Record a new order once; a retry with the same content records nothing."""
        command = self.with_terms(command, {} if known is None else known)
        existing = self._find(order_id_for(command.channel, command.channel_order_id))
        if existing is not None:
            return self._claimed(self._replay(existing, command, now))
        order = Order.place(command, now)
        try:
            recordings = self.save(order)
        except IntegrityError:
            # Another request placed it between our read and our write.
            return self._claimed(self._replay(self.get_order(order.id), command, now))
        return Placement(order, created=True, notification_id=last_notification_id(recordings))

    def _claimed(self, placement: Placement) -> Placement:
        """A retry records no order, but a request claim riding with it is recorded all the
        same (alone: there is nothing else to commit with it)."""
        ride = riding()
        if ride is None or not ride.boarding:
            return placement
        return Placement(placement.order, placement.created, last_notification_id(self.save()))

    def place_orders(
        self,
        requests: Sequence[tuple[PlaceOrder, datetime]],
        rides: Sequence[Ride | None] = (),
    ) -> list[Placement | Exception]:
        """Place many orders, each at its own time, in one transaction (group commit);
        each request gets its own outcome, and one order's fault is its answer alone.

        Optimistic: new orders are saved together without reading first. When
        the shared save is refused (an order exists already, or one order cannot
        be stored), every order is placed alone, with the read that tells a
        retry (200) from a conflict (409). When the store went away during the
        save, its outcome is unknown: each order is read back (`_read_back`); when it
        was never reached (the library's InterfaceError), nothing was recorded.

        `rides`, one per request or none: the request claims (`Idempotency-Key`,
        domain/claims.py) saved in the same transaction as their orders.
        """
        outcomes: list[Placement | Exception] = []
        new: dict[UUID, Order] = {}
        claims: dict[int, RequestClaim] = {}  # request's index -> its claim, saved alongside
        known: dict[str, tuple[ChannelDefinition, bool]] = {}  # channels read for this batch
        rides = list(rides) or [None] * len(requests)
        for index, ((command, now), ride) in enumerate(zip(requests, rides, strict=True)):
            try:
                outcomes.append(
                    self._prepare_claimed(index, command, now, ride, new, claims, known)
                )
            except Exception as error:  # anything, not only a DomainError: this order's answer
                outcomes.append(error)
                claims.pop(index, None)
        if not new and not claims:
            return outcomes
        try:
            last_id = last_notification_id(self._save(*new.values(), *claims.values()))
        except InterfaceError as error:  # the store was never reached: nothing was recorded
            return [error if isinstance(o, Placement) else o for o in outcomes]
        except STORE_AWAY as error:
            return self._read_back(requests, outcomes, error)
        except Exception:
            return [
                self._place_alone(command, now, ride) if isinstance(outcome, Placement) else outcome
                for (command, now), outcome, ride in zip(requests, outcomes, rides, strict=True)
            ]
        for index in claims:
            ride = rides[index]
            assert ride is not None
            ride.recorded_in = self.name
        return [
            Placement(o.order, o.created, last_id) if isinstance(o, Placement) else o
            for o in outcomes
        ]

    def get_order(self, order_id: UUID) -> Order:
        return self.existing(Order, order_id, f"order {order_id}")

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

    def complete_order(self, order_id: UUID, now: datetime) -> Outcome:
        """The clock's step for a delivered order: completed once its return window passed."""

        def work(unit: Unit) -> None:
            order = unit.get(Order, order_id)
            if order is not None:
                order.complete(now)

        return self.act(work)

    def progress_lines(
        self, order_id: UUID, states: dict[str, LineState], now: datetime
    ) -> int | None:
        order = self.get_order(order_id)
        order.progress_lines(states, now)
        return last_notification_id(self.save(order))

    def _prepare_claimed(
        self,
        index: int,
        command: PlaceOrder,
        now: datetime,
        ride: Ride | None,
        new: dict[UUID, Order],
        claims: dict[int, RequestClaim],
        known: dict[str, tuple[ChannelDefinition, bool]],
    ) -> Placement | Exception:
        """`_prepare`, with the request's claim (if any) made beside its order."""
        if ride is not None and not ride.boarding:  # recorded before: this run only renders
            return self._place_alone(command, now, ride)
        claim = None if ride is None else ride.claim_on(self.find(RequestClaim, ride.claim_id))
        placement = self._prepare(self.with_terms(command, known), now, new)
        if claim is not None:
            claims[index] = claim
        return placement

    def _prepare(self, command: PlaceOrder, now: datetime, new: dict[UUID, Order]) -> Placement:
        order_id = order_id_for(command.channel, command.channel_order_id)
        if order_id in new:  # the same order twice in one batch: the second is a retry
            return self._replay(new[order_id], command, now)
        order = Order.place(command, now)
        new[order.id] = order
        return Placement(order, created=True, notification_id=None)

    def _place_alone(
        self, command: PlaceOrder, now: datetime, ride: Ride | None = None
    ) -> Placement | Exception:
        try:
            with carrying(ride):
                return self.place_order(command, now)
        except InterfaceError as error:  # never reached the store
            return error
        except STORE_AWAY as error:
            try:
                return self._recorded(command, now) or error
            except STORE_AWAY:
                return error
        except Exception as error:  # this order's own fault, told apart from the others'
            return error

    def _read_back(
        self,
        requests: Sequence[tuple[PlaceOrder, datetime]],
        outcomes: list[Placement | Exception],
        error: Exception,
    ) -> list[Placement | Exception]:
        """After the store went away during the shared save, answer what it now holds.

        A command's answer is the truth: an order found with the same placement
        was recorded (success); the others get the error. Once a read fails
        too, the rest cannot be known, and get the error without waiting again.
        """
        answers: list[Placement | Exception] = []
        readable = True
        for (command, now), outcome in zip(requests, outcomes, strict=True):
            if isinstance(outcome, Placement):
                found = None
                if readable:
                    try:
                        found = self._recorded(command, now)
                    except STORE_AWAY:
                        readable = False
                outcome = found or error
            answers.append(outcome)
        return answers

    def _recorded(self, command: PlaceOrder, now: datetime) -> Placement | None:
        found = self._find(order_id_for(command.channel, command.channel_order_id))
        if found is None or not found.same_placement(command, now):
            return None
        # Created by this request when it carries this request's own receipt time.
        return Placement(found, found.received_at == now, self._end_of_log())

    def _end_of_log(self) -> int | None:
        """What the read models must reach to show an order read back (its own id is unknown)."""
        try:
            end: int | None = self.recorder.max_notification_id()
        except STORE_AWAY:
            return None
        return end

    def _replay(self, existing: Order, command: PlaceOrder, now: datetime) -> Placement:
        if not existing.same_placement(command, now):
            raise Conflict(
                f"channel order {command.channel}/{command.channel_order_id} "
                "was already placed with different content"
            )
        return Placement(existing, created=False, notification_id=None)

    def _find(self, order_id: UUID) -> Order | None:
        return self.find(Order, order_id)
