"""A shipment with the carrier: what each piece of carrier news does to its status, and the
lookup from a carrier's tracking number to the shipment.

Carriers send news late, twice and out of order. Each update carries the carrier's own
time (`at`) and, when the carrier has one, its event id. The rules:

- a duplicate (the same event id, or without one the same content) changes nothing;
- a terminal status (delivered, returned to sender, lost) is never undone: later news
  is kept in the history, the status stays;
- otherwise the update with the latest carrier time leads, and at the same time the
  higher rank (in transit < out for delivery < delivery failed); the first carrier
  update always leads over our own "dispatched" (the carrier's clock is not ours);
- every update is kept in the shipment's history, in carrier time order.

The lookup (`TrackingNumber`) is created in the transaction that dispatches, so a webhook
finds the shipment with no read model in between; its id is derived from the carrier
and the number, so a second shipment claiming the same number is a Conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict, FieldProblem, InvalidCommand
from domain.moments import MAX_CLOCK_SKEW

RANK = {"in_transit": 1, "out_for_delivery": 2, "delivery_failed": 3}
TERMINAL = ("delivered", "returned_to_sender", "lost")
CARRIER_STATUSES = (*RANK, *TERMINAL)
# What needs a person: the goods did not reach the customer.
UNDELIVERED = ("returned_to_sender", "lost")


@dataclass(frozen=True)
class CarrierUpdate:
    status: str
    at: datetime
    event_id: str | None = None
    reason: str | None = None
    attempt: int | None = None
    place: str | None = None  # where the carrier says it is

    def key(self) -> str:
        """What makes two updates the same one: the carrier's id, or else all it says."""
        if self.event_id:
            return f"id:{self.event_id}"
        at = self.at.astimezone(UTC).isoformat()
        return f"{self.status}|{at}|{self.reason or ''}|{self.attempt or ''}|{self.place or ''}"

    def problems(self, now: datetime) -> list[FieldProblem]:
        found = []
        if self.status not in CARRIER_STATUSES:
            found.append(FieldProblem("status", f"not a carrier status: {self.status!r}"))
        if self.at > now + MAX_CLOCK_SKEW:
            found.append(FieldProblem("at", "is in the future"))
        if self.attempt is not None and self.attempt < 1:
            found.append(FieldProblem("attempt", "must be 1 or more"))
        return found


def leads(current: str, current_at: datetime | None, update: CarrierUpdate) -> bool:
    """Whether the update sets the shipment's status (see the module's rules)."""
    if current in TERMINAL:
        return False
    if update.status in TERMINAL or current_at is None:
        return True
    return (update.at, RANK[update.status]) > (current_at, RANK.get(current, 0))


def check_update(update: CarrierUpdate, now: datetime) -> None:
    if problems := update.problems(now):
        raise InvalidCommand(problems)


def history_entry(update: CarrierUpdate) -> dict[str, str]:
    details = {
        "status": update.status,
        "at": update.at.astimezone(UTC).isoformat(),
        "source": "carrier",
        "event_id": update.event_id,
        "reason": update.reason,
        "attempt": str(update.attempt) if update.attempt is not None else None,
        "place": update.place,
    }
    return {key: value for key, value in details.items() if value is not None}


def tracking_id_for(carrier: str, tracking_number: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"dom:tracking:{carrier.lower()}:{tracking_number.upper()}")


class TrackingNumber(Aggregate):
    """Which shipment a carrier's tracking number belongs to."""

    class Assigned(Aggregate.Created):
        carrier: str
        tracking_number: str
        shipment_id: str

    @staticmethod
    def create_id(carrier: str, tracking_number: str, shipment_id: str) -> UUID:
        return tracking_id_for(carrier, tracking_number)

    @event(Assigned)
    def __init__(self, carrier: str, tracking_number: str, shipment_id: str) -> None:
        self.carrier = carrier
        self.tracking_number = tracking_number
        self.shipment_id = shipment_id

    def check_for(self, shipment_id: str) -> None:
        if self.shipment_id != shipment_id:
            raise Conflict(
                f"tracking number {self.tracking_number} of {self.carrier} belongs to shipment "
                f"{self.shipment_id}"
            )
