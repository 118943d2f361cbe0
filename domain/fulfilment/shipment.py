"""Shipment: what one location is asked to ship for one order, step by step through the
warehouse: requested, accepted, picked (short picks named), packed in parcels, dispatched
to a carrier; or rejected by the location, or cancelled with the order's lines.

Each step is refused out of order (InvalidTransition) and changes nothing when it is
repeated with the same content (a retried request); the same step with other content
after it happened is a Conflict. What a step does to stock and to the order is decided
beside it, in domain/fulfilment/shipping.py, and saved in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict, FieldProblem, InvalidCommand, InvalidTransition
from domain.fulfilment.tracking import (
    CARRIER_STATUSES,
    UNDELIVERED,
    CarrierUpdate,
    check_update,
    history_entry,
    leads,
)

# The warehouse's steps, in order: each needs the one before it.
STEPS = ("requested", "accepted", "picked", "packed", "dispatched")


def shipment_id_for(order_id: str, location: str, attempt: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"dom:shipment:{order_id}:{location.upper()}:{attempt}")


class Shipment(Aggregate):
    class Requested(Aggregate.Created):
        order_id: str
        location: str
        lines: dict[str, int]
        skus: dict[str, str]
        attempt: int
        at: datetime

    @staticmethod
    def create_id(order_id: str, location: str, attempt: int) -> UUID:
        return shipment_id_for(order_id, location, attempt)

    @event(Requested)
    def __init__(self, order_id: str, location: str, lines: dict[str, int], skus: dict[str, str],
                 attempt: int, at: datetime) -> None:  # fmt: skip
        self.order_id = order_id
        self.location = location
        self.lines = lines
        self.skus = skus  # line id -> sku, for releasing reservations
        self.attempt = attempt  # the sourcing decision that requested it
        self.requested_at = at
        self.status = "requested"
        self.history: list[dict[str, str]] = [{"status": "requested", "at": at.isoformat()}]
        self.picked: dict[str, int] = {}  # line id -> units picked
        self.parcels: list[dict[str, int]] = []
        self.carrier: dict[str, str] = {}  # carrier, service, tracking_number once dispatched
        self.tracking_link: str | None = None
        self.dispatched_at: datetime | None = None
        # The carrier chosen at pack (domain/fulfilment/packing.py), its label; None before.
        self.carriage: dict[str, Any] | None = None

    def reject(self, reason: str, now: datetime) -> bool:
        if self.status == "rejected":
            return False
        if self.status not in ("requested", "accepted"):
            raise InvalidTransition(self.id, self.status, "reject")
        self._rejected(reason=reason, order_id=self.order_id, location=self.location,
                       lines=self.lines, at=now)  # fmt: skip
        return True

    def accept(self, now: datetime) -> bool:
        """The location takes the shipment on."""
        if not self._step("accepted"):
            return False
        self._accepted(at=now)
        return True

    def pick(self, picked: dict[str, int], now: datetime) -> dict[str, int]:
        """Record what was picked of every line (0 when none was found); returns the units
        missing per line (a short pick), {} when all was found or on a repeat."""
        problems = [FieldProblem(f"lines.{line_id}", "is not a line of this shipment")
                    for line_id in picked if line_id not in self.lines]  # fmt: skip
        problems += [
            FieldProblem(
                f"lines.{line_id}",
                f"{quantity} picked: between 0 and the {self.lines[line_id]} requested",
            )
            for line_id, quantity in picked.items()
            if line_id in self.lines and not 0 <= quantity <= self.lines[line_id]
        ]
        problems += [FieldProblem(f"lines.{line_id}", "missing: give every line, 0 if none found")
                     for line_id in self.lines if line_id not in picked]  # fmt: skip
        if self.status in ("picked", "packed", "dispatched") and picked == self.picked:
            return {}
        if problems:
            raise InvalidCommand(problems)
        if not self._step("picked"):
            raise Conflict(f"shipment {self.id} was picked already, as {self.picked}")
        short = {lid: self.lines[lid] - q for lid, q in picked.items() if q < self.lines[lid]}
        self._picked(order_id=self.order_id, location=self.location, picked=picked, short=short,
                     at=now)  # fmt: skip
        return short

    def pack(self, parcels: list[dict[str, int]], now: datetime) -> bool:
        """Parcels with their weight (g) and dimensions (mm)."""
        if self.status in ("packed", "dispatched") and parcels == self.parcels:
            return False
        if not self._step("packed"):
            raise Conflict(f"shipment {self.id} was packed already, in other parcels")
        self._packed(parcels=parcels, at=now)
        return True

    def dispatch(
        self, carrier: str, service: str, tracking_number: str, now: datetime,
        tracking_link: str | None = None,
    ) -> bool:  # fmt: skip
        """Handed to a carrier: the units leave the location (its stock is consumed beside);
        `tracking_link` is the carrier's page for the parcel, when the carrier has one."""
        handed = {"carrier": carrier, "service": service, "tracking_number": tracking_number}
        if self.status == "dispatched" and handed == self.carrier:
            return False
        if not self._step("dispatched"):
            raise Conflict(f"shipment {self.id} was dispatched already, as {self.carrier}")
        self._dispatched(order_id=self.order_id, location=self.location, lines=self.lines,
                         at=now, tracking_link=tracking_link, **handed)  # fmt: skip
        return True

    def choose_carrier(self, choice: dict[str, Any], label: dict[str, str], now: datetime) -> None:
        """The carrier and service chosen when packed, explained, and its label (tracking
        number, link, ZPL document): none when no carrier could be chosen."""
        self._carrier_chosen(choice=choice, label=label, at=now)

    def _step(self, status: str) -> bool:
        """Whether `status` is the next step; False when the shipment is there or past it
        (a repeat: with other content, the caller's Conflict); InvalidTransition otherwise."""
        if self.status in STEPS and STEPS.index(self.status) >= STEPS.index(status):
            return False
        if self.status not in STEPS or STEPS.index(self.status) + 1 != STEPS.index(status):
            raise InvalidTransition(self.id, self.status, STEP_VERBS[status])
        return True

    class Accepted(Aggregate.Event):
        at: datetime

    class Picked(Aggregate.Event):
        order_id: str
        location: str
        picked: dict[str, int]
        short: dict[str, int]
        at: datetime

    class Packed(Aggregate.Event):
        parcels: list[dict[str, int]]
        at: datetime

    class Dispatched(Aggregate.Event):
        order_id: str
        location: str
        lines: dict[str, int]
        carrier: str
        service: str
        tracking_number: str
        at: datetime
        tracking_link: str | None = None  # None in events recorded before it was kept

    class CarrierChosen(Aggregate.Event):
        choice: dict[str, Any]
        label: dict[str, str]
        at: datetime

    @event(Accepted)
    def _accepted(self, at: datetime) -> None:
        self._became("accepted", at)

    @event(Picked)
    def _picked(self, order_id: str, location: str, picked: dict[str, int],
                short: dict[str, int], at: datetime) -> None:  # fmt: skip
        self.picked = picked
        self.lines = {line_id: q for line_id, q in picked.items() if q > 0}
        if self.lines:
            self._became("picked", at, short=",".join(f"{k}:{v}" for k, v in short.items()))
        else:  # nothing was found: the shipment ends here, its lines are sourced again
            self._became("cancelled", at, reason="nothing found at pick")

    @event(Packed)
    def _packed(self, parcels: list[dict[str, int]], at: datetime) -> None:
        self.parcels = parcels
        self._became("packed", at)

    @event(CarrierChosen)
    def _carrier_chosen(self, choice: dict[str, Any], label: dict[str, str], at: datetime) -> None:
        self.carriage = {"choice": choice, **label}

    @event(Dispatched)
    def _dispatched(self, order_id: str, location: str, lines: dict[str, int], carrier: str,
                    service: str, tracking_number: str, at: datetime,
                    tracking_link: str | None = None) -> None:  # fmt: skip
        self.carrier = {"carrier": carrier, "service": service, "tracking_number": tracking_number}
        self.tracking_link = tracking_link
        self.dispatched_at = at
        self._became("dispatched", at)

    def _became(self, status: str, at: datetime, **details: str) -> None:
        self.status = status
        self.history.append({"status": status, "at": at.isoformat()}
                            | {k: v for k, v in details.items() if v})  # fmt: skip

    def cancel_lines(self, line_ids: list[str], reason: str, now: datetime) -> bool:
        """The order's lines were cancelled: they leave the shipment; with none left, it is cancelled."""
        gone = [line_id for line_id in line_ids if line_id in self.lines]
        if self.status not in STEPS[:-1] or not gone:  # dispatched: the goods have left
            return False
        self._lines_cancelled(line_ids=gone, reason=reason, at=now)
        return True

    class LinesCancelled(Aggregate.Event):
        line_ids: list[str]
        reason: str
        at: datetime

    @event(LinesCancelled)
    def _lines_cancelled(self, line_ids: list[str], reason: str, at: datetime) -> None:
        for line_id in line_ids:
            self.lines.pop(line_id, None)
        if not self.lines:
            self.status = "cancelled"
        self.history.append({"status": "lines_cancelled", "at": at.isoformat(), "reason": reason,
                             "lines": ",".join(line_ids)})  # fmt: skip

    class Rejected(Aggregate.Event):
        reason: str
        order_id: str
        location: str
        lines: dict[str, int]
        at: datetime

    @event(Rejected)
    def _rejected(
        self, reason: str, order_id: str, location: str, lines: dict[str, int], at: datetime
    ) -> None:
        self.status = "rejected"
        self.history.append({"status": "rejected", "at": at.isoformat(), "reason": reason})

    # --- with the carrier, after dispatch (the rules: domain/fulfilment/tracking.py) --------
    # Class defaults: what a shipment recorded before tracking existed has.
    carrier_status_at: datetime | None = None  # the carrier time of the update that leads
    delivered_at: datetime | None = None
    carrier_events: frozenset[str] = frozenset()  # the updates recorded (CarrierUpdate.key)
    follow_up: dict[str, str] | None = None  # a lost or returned shipment: re-shipped/resolved

    def track(self, update: CarrierUpdate, now: datetime) -> bool:
        """A carrier's news of the shipment; False for a duplicate. Refused before dispatch."""
        if self.dispatched_at is None or self.status not in ("dispatched", *CARRIER_STATUSES):
            raise InvalidTransition(self.id, self.status, "track")
        if update.key() in self.carrier_events:
            return False
        check_update(update, now)
        became = update.status if leads(self.status, self.carrier_status_at, update) else None
        handed = self.carrier
        self._tracked(order_id=self.order_id, location=self.location, lines=self.lines,
                      carrier=handed["carrier"], service=handed["service"],
                      tracking_number=handed["tracking_number"], became=became,
                      status=update.status, at=update.at.astimezone(UTC),
                      event_id=update.event_id, reason=update.reason, attempt=update.attempt,
                      place=update.place)  # fmt: skip
        return True

    def reship(self, now: datetime) -> bool:
        """A lost or returned shipment's lines are to be sourced again (beside, in
        domain/fulfilment/delivery.py); False when that was decided already."""
        if self.status not in UNDELIVERED:
            raise InvalidTransition(self.id, self.status, "re-ship")
        if self.follow_up is not None and self.follow_up["action"] == "reshipped":
            return False
        self._reshipped(order_id=self.order_id, location=self.location, lines=self.lines, at=now)
        return True

    def resolve(self, note: str, now: datetime) -> bool:
        """A person dealt with a lost or returned shipment otherwise: noted, off the queue."""
        if self.status not in UNDELIVERED:
            raise Conflict(f"shipment {self.id} is {self.status}: there is no exception to resolve")
        if self.follow_up is not None and self.follow_up["action"] == "reshipped":
            raise Conflict(f"shipment {self.id} was re-shipped already")
        if self.follow_up is not None and self.follow_up.get("note") == note:
            return False
        self._resolved(note=note, at=now)
        return True

    class Tracked(Aggregate.Event):
        order_id: str
        location: str
        lines: dict[str, int]
        carrier: str
        service: str
        tracking_number: str
        became: str | None  # the shipment's new status; None when the update does not lead
        status: str
        at: datetime
        event_id: str | None
        reason: str | None
        attempt: int | None
        place: str | None  # where the carrier says it is

    class Reshipped(Aggregate.Event):
        order_id: str
        location: str
        lines: dict[str, int]
        at: datetime

    class ExceptionResolved(Aggregate.Event):
        note: str
        at: datetime

    @event(Tracked)
    def _tracked(self, order_id: str, location: str, lines: dict[str, int], carrier: str,
                 service: str, tracking_number: str, became: str | None, status: str,
                 at: datetime, event_id: str | None, reason: str | None, attempt: int | None,
                 place: str | None) -> None:  # fmt: skip
        update = CarrierUpdate(status, at, event_id, reason, attempt, place)
        self.carrier_events = self.carrier_events | {update.key()}
        if became is not None:
            self.status, self.carrier_status_at = became, at
            self.delivered_at = at if became == "delivered" else None
        self.history = sorted([*self.history, history_entry(update)],
                              key=lambda entry: datetime.fromisoformat(entry["at"]))  # fmt: skip

    @event(Reshipped)
    def _reshipped(self, order_id: str, location: str, lines: dict[str, int], at: datetime) -> None:
        self.follow_up = {"action": "reshipped", "at": at.isoformat()}

    @event(ExceptionResolved)
    def _resolved(self, note: str, at: datetime) -> None:
        self.follow_up = {"action": "resolved", "note": note, "at": at.isoformat()}


STEP_VERBS = {"accepted": "accept", "picked": "pick", "packed": "pack", "dispatched": "dispatch"}
