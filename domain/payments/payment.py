"""Payment: one way an order is paid, from the channel's report to the last refund.

An order may have several. A payment opens in one of two ways:

- `authorised`: a card or wallet authorisation (provider, provider reference, amount,
  expiry). Captured per dispatched shipment, never more than authorised; what is left
  is voided; refunded, never more than captured less refunded.
- `pending`: money still to come (a bank transfer paid in advance, an invoice with a
  due date, cash on delivery), with the creditor reference dom gave the customer.
  Incoming money is recorded as it arrives, underpaid and overpaid alike; it is
  `paid` once it covers the amount. Refunds never exceed what arrived.

Every step is idempotent on what identifies it (the shipment a capture is for, the
bank entry a transfer came in, the refund's id): a step seen before changes nothing.
The rules are checked here; the events only record (STYLE.md).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict, InvalidTransition

AUTHORISED_METHODS = ("card", "wallet", "marketplace")
PENDING_METHODS = ("bank_transfer", "invoice", "cash_on_delivery")
PAYMENT_NAMESPACE = uuid5(NAMESPACE_URL, "dom:payments:payment")
OPEN = ("authorised", "captured", "pending", "paid")


def payment_id_for(order_id: str, provider: str, reference: str) -> UUID:
    """The same report of the same payment, however often a channel sends it, is one."""
    return uuid5(PAYMENT_NAMESPACE, f"{order_id}\x1f{provider.lower()}\x1f{reference}")


class Payment(Aggregate):
    class Opened(Aggregate.Created):
        order_id: str
        channel: str
        channel_order_id: str
        method: str
        amount: Decimal
        currency: str
        provider: str
        reference: str  # the provider's reference, or the creditor reference dom gave
        status: str  # authorised or pending
        expires_at: datetime | None
        due_on: str | None  # ISO date an invoice is due
        at: datetime

    class Captured(Aggregate.Event):
        shipment_id: str
        amount: Decimal
        at: datetime

    class Voided(Aggregate.Event):
        amount: Decimal
        reason: str
        at: datetime

    class Received(Aggregate.Event):
        order_id: str
        entry_id: str
        amount: Decimal
        paid: bool  # covered in full with this entry
        at: datetime

    class Refunded(Aggregate.Event):
        refund_id: str
        amount: Decimal
        reason: str
        at: datetime

    class Failed(Aggregate.Event):
        order_id: str
        reason: str
        at: datetime

    class Expired(Aggregate.Event):
        order_id: str
        at: datetime

    @staticmethod
    def create_id(order_id: str, provider: str, reference: str, **_: Any) -> UUID:
        return payment_id_for(order_id, provider, reference)

    @event(Opened)
    def __init__(self, order_id: str, channel: str, channel_order_id: str, method: str,
                 amount: Decimal, currency: str, provider: str, reference: str, status: str, expires_at: datetime | None,
                 due_on: str | None, at: datetime) -> None:  # fmt: skip
        self.order_id, self.method, self.amount, self.currency = order_id, method, amount, currency
        self.channel, self.channel_order_id = channel, channel_order_id
        self.provider, self.reference, self.status = provider, reference, status
        self.expires_at, self.due_on, self.opened_at = expires_at, due_on, at
        self.captures: dict[str, Decimal] = {}  # shipment id -> amount
        self.received: dict[str, Decimal] = {}  # bank entry id -> amount
        self.refunds: dict[str, Decimal] = {}  # refund id -> amount
        self.voided = Decimal(0)
        self.reason: str | None = None  # why it failed

    @property
    def captured(self) -> Decimal:
        return sum(self.captures.values(), Decimal(0))

    @property
    def arrived(self) -> Decimal:
        return sum(self.received.values(), Decimal(0))

    @property
    def refunded(self) -> Decimal:
        return sum(self.refunds.values(), Decimal(0))

    @property
    def collected(self) -> Decimal:
        """The money dom holds for the order through this payment (before refunds)."""
        return self.arrived if self.method in PENDING_METHODS else self.captured

    @property
    def capturable(self) -> Decimal:
        if self.status not in ("authorised", "captured"):
            return Decimal(0)
        return self.amount - self.captured - self.voided

    @property
    def outstanding(self) -> Decimal:
        """What a pending payment still waits for (0 once covered; never negative)."""
        return (
            max(self.amount - self.arrived, Decimal(0)) if self.status == "pending" else Decimal(0)
        )

    @property
    def surplus(self) -> Decimal:
        """What arrived beyond the amount: owed back to the customer."""
        return max(self.arrived - self.amount, Decimal(0))

    def capture(self, shipment_id: str, amount: Decimal, now: datetime) -> bool:
        """Capture `amount` for a dispatched shipment; the same shipment again changes nothing."""
        if shipment_id in self.captures:
            if self.captures[shipment_id] != amount:
                raise Conflict(
                    f"shipment {shipment_id} captured {self.captures[shipment_id]} already"
                )
            return False
        if self.status not in ("authorised", "captured"):
            raise InvalidTransition(self.id, self.status, "capture")
        if self.expires_at is not None and now >= self.expires_at:
            raise InvalidTransition(self.id, "expired", "capture")
        if amount < 0 or amount > self.capturable:
            raise Conflict(f"capture of {amount} exceeds the {self.capturable} left to capture")
        self._captured(shipment_id=shipment_id, amount=amount, at=now)
        return True

    def void(self, reason: str, now: datetime) -> bool:
        """Let go of what is left of the authorisation (order complete or cancelled)."""
        left = self.capturable
        if not left:
            return False
        self._voided(amount=left, reason=reason, at=now)
        return True

    def receive(self, entry_id: str, amount: Decimal, now: datetime) -> bool:
        """Money came in for a pending payment (a bank entry, cash at the door)."""
        if entry_id in self.received:
            return False
        if self.method not in PENDING_METHODS or self.status not in ("pending", "paid"):
            raise InvalidTransition(self.id, self.status, "receive money")
        if amount <= 0:
            raise Conflict(f"an incoming amount must be positive, not {amount}")
        covered = self.arrived + amount >= self.amount
        self._received(order_id=self.order_id, entry_id=entry_id, amount=amount, paid=covered,
                       at=now)  # fmt: skip
        return True

    def refund(self, refund_id: str, amount: Decimal, reason: str, now: datetime) -> bool:
        """Give back `amount`: never more than collected less refunded."""
        if refund_id in self.refunds:
            if self.refunds[refund_id] != amount:
                raise Conflict(f"refund {refund_id} was for {self.refunds[refund_id]}")
            return False
        left = self.collected - self.refunded
        if amount <= 0 or amount > left:
            raise Conflict(f"a refund of {amount} exceeds the {left} that can be refunded")
        self._refunded(refund_id=refund_id, amount=amount, reason=reason, at=now)
        return True

    def fail(self, reason: str, now: datetime) -> bool:
        """The provider declined it, or the channel reports it failed."""
        if self.status == "failed":
            return False
        if self.captured or self.arrived:
            raise InvalidTransition(self.id, self.status, "fail")
        self._failed(order_id=self.order_id, reason=reason, at=now)
        return True

    def expire(self, now: datetime) -> bool:
        """An authorisation past its expiry with nothing captured lapses (the clock's step)."""
        if self.status != "authorised" or self.expires_at is None or now < self.expires_at:
            return False
        self._expired(order_id=self.order_id, at=now)
        return True

    @event(Captured)
    def _captured(self, shipment_id: str, amount: Decimal, at: datetime) -> None:
        self.captures[shipment_id] = amount
        self.status = "captured"

    @event(Voided)
    def _voided(self, amount: Decimal, reason: str, at: datetime) -> None:
        self.voided += amount
        if not self.captured:
            self.status = "voided"

    @event(Received)
    def _received(
        self, order_id: str, entry_id: str, amount: Decimal, paid: bool, at: datetime
    ) -> None:
        self.received[entry_id] = amount
        if self.arrived >= self.amount:
            self.status = "paid"

    @event(Refunded)
    def _refunded(self, refund_id: str, amount: Decimal, reason: str, at: datetime) -> None:
        self.refunds[refund_id] = amount

    @event(Failed)
    def _failed(self, order_id: str, reason: str, at: datetime) -> None:
        self.status, self.reason = "failed", reason

    @event(Expired)
    def _expired(self, order_id: str, at: datetime) -> None:
        self.status = "expired"
