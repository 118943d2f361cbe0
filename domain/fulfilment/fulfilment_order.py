"""FulfilmentOrder: fulfilment's own record of an order it must ship, and every sourcing
decision taken for it (with the explanation), so that routing can be audited.

It also keeps what a reaction to it needs to decide without a clock: the
latest business time its history records (`latest_at`), and the version of
each stock item its last decision saw (`stock_seen`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict
from domain.fulfilment.sourcing import LineToSource, OrderToSource

SHIP_TO = ("name", "line1", "line2", "postal_code", "city", "country")


class FulfilmentStatus(StrEnum):
    WAITING = "waiting"  # placed, not released yet
    SOURCED = "sourced"  # every line has a location
    BACKORDERED = "backordered"  # some lines wait for stock
    EXCEPTION = "exception"  # a person must decide
    CANCELLED = "cancelled"


class FulfilmentOrder(Aggregate):
    class Received(Aggregate.Created):
        order: dict[str, Any]

    class Released(Aggregate.Event):
        at: datetime

    class Sourced(Aggregate.Event):
        decision: dict[str, Any]
        at: datetime

    class LocationRejected(Aggregate.Event):
        location: str
        lines: dict[str, int]
        reason: str
        at: datetime

    class LinesCancelled(Aggregate.Event):
        line_ids: list[str]
        at: datetime

    class ExceptionResolved(Aggregate.Event):
        note: str
        at: datetime

    # The clock's warnings (domain/fulfilment/clock.py): lines not dispatched yet.
    class AtRisk(Aggregate.Event):
        ship_by: str
        hours: int
        lines: dict[str, int]
        at: datetime

    class Late(Aggregate.Event):
        ship_by: str
        lines: dict[str, int]
        at: datetime

    class WarningsCleared(Aggregate.Event):  # dispatched in full: the warnings are over
        at: datetime

    class WarningAcknowledged(Aggregate.Event):  # a person has seen to it
        kind: str
        note: str
        at: datetime

    class ShortPicked(Aggregate.Event):
        location: str
        lines: dict[str, int]
        at: datetime

    class LinesReopened(Aggregate.Event):
        location: str
        lines: dict[str, int]
        reason: str
        at: datetime

    @staticmethod
    def create_id(order: dict[str, Any]) -> UUID:
        return UUID(order["order_id"])

    @event(Received)
    def __init__(self, order: dict[str, Any]) -> None:
        self.order = order
        self.status = FulfilmentStatus.WAITING
        self.released = False
        self.allocated: dict[str, dict[str, int]] = {}  # location -> line id -> quantity
        self.open: dict[str, int] = {line["line_id"]: line["quantity"] for line in order["lines"]}
        self.excluded: list[str] = []  # locations that rejected this order
        self.decisions = 0
        self.shipments: dict[str, list[str]] = {}  # location -> shipment ids requested there
        self.latest_at: datetime | None = None  # the latest time its events carry
        # sku -> location -> version of the stock item the last decision saw; empty for
        # decisions recorded before it was kept, which then count as having seen nothing.
        self.stock_seen: dict[str, dict[str, int]] = {}
        self.resolution: dict[str, str] | None = None  # a person's note on its last exception
        self.by_hand: dict[str, Any] | None = None  # the last decision, when a person took it
        self.promise: dict[str, str] | None = None  # ship_by, deliver_by: made once, kept
        self.expected: dict[str, str] | None = None  # the same, as the last plan has it
        self.warned: dict[str, str] = {}  # "at_risk" / "late" -> when the clock said so

    @classmethod
    def from_placement(cls, order_id: str, placed: dict[str, Any]) -> FulfilmentOrder:
        address = placed["shipping_address"]
        point = placed.get("destination") or _given(address)  # older placements: the address's
        return cls(order={
            "order_id": order_id, "channel": placed["channel"], "country": address["country"],
            "region": address.get("region"), "latitude": point.get("latitude"),
            "longitude": point.get("longitude"), "located_by": point["located_by"],
            "service_level": placed.get("service_level"),
            # For the carrier's zone and label (older orders were received without them).
            "postal_code": address.get("postal_code"),
            "ship_to": {k: address[k] for k in SHIP_TO if address.get(k)},
            "tags": placed.get("tags", []), "pickup_location": placed.get("pickup_location"),
            "priority": placed.get("priority", 0),
            "lines": [{k: line[k] for k in ("line_id", "sku", "quantity", "unit_price")}
                      | {"group": line.get("group")} for line in placed["lines"]],
            "terms": placed.get("terms"),
        } | {key: _moment(placed[key]) for key in ("placed_at", "ship_by", "deliver_by")
             if placed.get(key)})  # fmt: skip

    def to_source(self) -> OrderToSource:
        """The lines still open, as the sourcing engine sees them."""
        o = self.order
        lines = tuple(
            LineToSource(line["line_id"], line["sku"], self.open[line["line_id"]],
                         Decimal(line["unit_price"]), line.get("group"))
            for line in o["lines"] if self.open.get(line["line_id"], 0) > 0
        )  # fmt: skip
        return OrderToSource(
            order_id=o["order_id"], channel=o["channel"], country=o["country"], lines=lines,
            region=o.get("region"), latitude=o.get("latitude"), longitude=o.get("longitude"),
            service_level=o.get("service_level"), tags=frozenset(o.get("tags", [])),
            pickup_location=o.get("pickup_location"), priority=o.get("priority", 0),
            located_by=o.get("located_by") or _given(o)["located_by"],
        )  # fmt: skip

    def saw_stock(self, sku: str, location: str, version: int) -> bool:
        """Whether the last decision already saw that stock item at `version` or later."""
        return self.stock_seen.get(sku, {}).get(location, 0) >= version

    @property
    def waiting(self) -> bool:
        """Lines wait for stock or for a person: what the exception queue lists."""
        return self.needs_sourcing and self.status in (
            FulfilmentStatus.BACKORDERED,
            FulfilmentStatus.EXCEPTION,
        )

    @property
    def undecided(self) -> bool:
        """Lines wait for a person, not for stock."""
        return self.needs_sourcing and self.status is FulfilmentStatus.EXCEPTION

    def skus(self) -> dict[str, str]:
        """Line id -> SKU."""
        return {line["line_id"]: line["sku"] for line in self.order["lines"]}

    @property
    def needs_sourcing(self) -> bool:
        return (
            self.released
            and self.status is not FulfilmentStatus.CANCELLED
            and any(self.open.values())
        )

    def release(self, at: datetime) -> bool:
        if self.released or self.status is FulfilmentStatus.CANCELLED:
            return False
        self._released(at=at)
        return True

    def record_decision(self, decision: dict[str, Any], at: datetime) -> None:
        """Keep the decision and its explanation; allocated lines leave the open set."""
        self._sourced(decision=decision, at=at)

    def exclude(self, location: str, lines: dict[str, int], reason: str, at: datetime) -> None:
        """A location rejected its shipment: those lines are open again, that location is out."""
        self._rejected(location=location, lines=lines, reason=reason, at=at)

    def cancel(self, line_ids: list[str], at: datetime) -> dict[str, dict[str, int]]:
        """Cancel lines; returns what was allocated to them (location -> line -> quantity)."""
        live = [
            line_id
            for line_id in line_ids
            if self.open.get(line_id, 0) > 0
            or any(line_id in lines for lines in self.allocated.values())
        ]
        if not live:
            return {}
        freed = {
            location: {line_id: q for line_id, q in lines.items() if line_id in live}
            for location, lines in self.allocated.items()
        }
        self._cancelled(line_ids=live, at=at)
        return {location: lines for location, lines in freed.items() if lines}

    def short_picked(self, location: str, lines: dict[str, int], at: datetime) -> None:
        """Units the location did not find: they are open again, to be sourced anew (the
        location stays a candidate: its stock was corrected by what was missing)."""
        self._short_picked(location=location, lines=lines, at=at)

    def reopen(self, location: str, lines: dict[str, int], reason: str, at: datetime) -> bool:
        """Units that left `location` and never arrived (lost, returned): open again, to be
        sourced anew; only what the location still holds of live lines (not cancelled)."""
        held = self.allocated.get(location, {})
        live = {lid: min(q, held[lid]) for lid, q in lines.items() if held.get(lid, 0) > 0}
        if not live:
            return False
        self._reopened(location=location, lines=live, reason=reason, at=at)
        return True

    def resolve(self, note: str, at: datetime) -> bool:
        """A person has dealt with what the order waits for: it leaves the exception queue
        with their note. Its open lines stay open (sourced again when stock rises, on a
        retry or when a policy is activated); False when the same note was recorded last."""
        if not self.waiting:
            raise Conflict(f"order {self.id} waits for nothing: there is no exception to resolve")
        if self.resolution is not None and self.resolution["note"] == note:
            return False
        self._resolved(note=note, at=at)
        return True

    @event(AtRisk)
    def _at_risk(self, ship_by: str, hours: int, lines: dict[str, int], at: datetime) -> None:
        self.warned["at_risk"] = at.isoformat()

    @event(Late)
    def _late(self, ship_by: str, lines: dict[str, int], at: datetime) -> None:
        self.warned["late"] = at.isoformat()

    @event(WarningsCleared)
    def _warnings_cleared(self, at: datetime) -> None:
        self.warned["cleared"] = at.isoformat()

    @event(WarningAcknowledged)
    def _warning_acknowledged(self, kind: str, note: str, at: datetime) -> None:
        self.warned[f"acknowledged_{kind}"] = note

    @event(Released)
    def _released(self, at: datetime) -> None:
        self.released = True
        self._reached(at)

    @event(Sourced)
    def _sourced(self, decision: dict[str, Any], at: datetime) -> None:
        self.decisions += 1
        self.resolution = None  # a new decision is news: the last resolution no longer covers it
        self.by_hand = decision if decision.get("strategy") == "by_hand" else None
        self.stock_seen = decision.get("stock_seen", {})
        self.promise = self.promise or decision.get("promise")
        self.expected = decision.get("expected")
        self._reached(at)
        for location, shipment_id in decision.get("shipments", {}).items():
            self.shipments.setdefault(location, []).append(shipment_id)
        for location, lines in decision["plan"].items():
            for line_id, quantity in lines.items():
                self.allocated.setdefault(location, {})
                self.allocated[location][line_id] = (
                    self.allocated[location].get(line_id, 0) + quantity
                )
                self.open[line_id] -= quantity
        fallback = decision.get("fallback")
        if not any(self.open.values()):
            self.status = FulfilmentStatus.SOURCED
        elif fallback == "backorder":
            self.status = FulfilmentStatus.BACKORDERED
        elif fallback == "cancel_unfillable":
            self.open = {line_id: 0 for line_id in self.open}
            self.status = FulfilmentStatus.SOURCED if self.allocated else FulfilmentStatus.CANCELLED
        else:
            self.status = FulfilmentStatus.EXCEPTION

    @event(LocationRejected)
    def _rejected(self, location: str, lines: dict[str, int], reason: str, at: datetime) -> None:
        self.excluded.append(location)
        self._reached(at)
        for line_id, quantity in lines.items():
            self.allocated.get(location, {}).pop(line_id, None)
            self.open[line_id] = self.open.get(line_id, 0) + quantity
        if not self.allocated.get(location):
            self.allocated.pop(location, None)

    @event(LinesCancelled)
    def _cancelled(self, line_ids: list[str], at: datetime) -> None:
        self._reached(at)
        for line_id in line_ids:
            self.open[line_id] = 0
            for lines in self.allocated.values():
                lines.pop(line_id, None)
        self.allocated = {loc: lines for loc, lines in self.allocated.items() if lines}
        if not self.allocated and not any(self.open.values()):
            self.status = FulfilmentStatus.CANCELLED

    @event(ShortPicked)
    def _short_picked(self, location: str, lines: dict[str, int], at: datetime) -> None:
        self._open_again(location, lines, at)

    def _open_again(self, location: str, lines: dict[str, int], at: datetime) -> None:
        self._reached(at)
        held = self.allocated.get(location, {})
        for line_id, quantity in lines.items():
            held[line_id] = held.get(line_id, 0) - quantity
            if held[line_id] <= 0:
                held.pop(line_id)
            self.open[line_id] = self.open.get(line_id, 0) + quantity
        if not held:
            self.allocated.pop(location, None)

    @event(LinesReopened)
    def _reopened(self, location: str, lines: dict[str, int], reason: str, at: datetime) -> None:
        self._open_again(location, lines, at)

    @event(ExceptionResolved)
    def _resolved(self, note: str, at: datetime) -> None:
        self._reached(at)
        self.resolution = {"note": note, "at": at.isoformat()}

    def _reached(self, at: datetime) -> None:
        self.latest_at = at if self.latest_at is None else max(self.latest_at, at)


def _moment(value: datetime | str) -> str:
    return value if isinstance(value, str) else value.isoformat()


def _given(address: dict[str, Any]) -> dict[str, Any]:
    """The point of an order recorded before dom kept how it was found: the coordinates the
    channel sent, if any."""
    if address.get("latitude") is None:
        return {"located_by": {"method": "unknown"}}
    point = {"latitude": address["latitude"], "longitude": address["longitude"]}
    return point | {"located_by": {"method": "given"}}
