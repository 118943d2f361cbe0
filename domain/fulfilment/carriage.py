"""Which carrier and service take a shipment, and why. Pure: no I/O, no clock.

A carrier serves a destination through its zones: a destination matches a zone by its
country, or by its country and postal code (one code, a prefix, or a range of codes of
one length); the most specific match wins (a postal rule over a country, a longer fixed
part over a shorter). A service serves the zone when it has both a transit time and a
rate for it, and every parcel fits one of the zone's weight bands; the price is the sum
of each parcel's band.

The shipment leaves on its pick-up day: the day it is packed, in the location's local
time, when that is a working day of the carrier and before its cut-off there (the
carrier's own for that location, else the location's); otherwise the carrier's next
working day. It is delivered after its transit time in the carrier's working days.

The rule: a carrier and service the warehouse named; else, when the order asked for a
service level, the cheapest service of that level; else the cheapest that delivers on or
before the order's deliver-by date; with no deliver-by date, the cheapest. Ties go to the
earlier delivery, then by carrier code and service name. Every service of every carrier
is explained, as sourcing explains each location: taken, or why it was passed over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from domain.fulfilment.location import WEEKDAYS

Definition = dict[str, Any]  # a carrier's normalised definition (carrier_schema)


@dataclass(frozen=True)
class Destination:
    country: str
    postal_code: str | None = None


@dataclass(frozen=True)
class Pickup:
    """Where and when the parcels are ready: the location, its local time, its own cut-off."""

    location: str
    local_time: datetime  # naive, the location's wall clock
    cutoff: str = "17:00"


@dataclass(frozen=True)
class Asked:
    """What the shipment asks for: a service level and deliver-by date from the order, a
    carrier and service named by the warehouse."""

    service_level: str | None = None
    deliver_by: date | None = None
    carrier: str | None = None
    service: str | None = None


@dataclass(frozen=True)
class Quote:
    carrier: str
    service: str
    service_level: str
    zone: str
    price: Decimal
    currency: str
    transit_days: int
    ship_date: date
    delivery_date: date

    def as_record(self) -> dict[str, Any]:
        return {"carrier": self.carrier, "service": self.service,
                "service_level": self.service_level, "zone": self.zone,
                "price": f"{self.price:f}", "currency": self.currency,
                "transit_days": self.transit_days, "ship_date": self.ship_date.isoformat(),
                "delivery_date": self.delivery_date.isoformat()}  # fmt: skip


@dataclass(frozen=True)
class Choice:
    chosen: Quote | None
    rule: str
    candidates: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None  # why nothing was chosen

    def as_record(self) -> dict[str, Any]:
        record = {"chosen": self.chosen.as_record() if self.chosen else None,
                  "rule": self.rule, "candidates": self.candidates}  # fmt: skip
        return record | ({"reason": self.reason} if self.reason else {})


def zone_of(carrier: Definition, country: str, postal_code: str | None) -> str | None:
    """The carrier's zone for a destination, the most specific match; None when none."""
    code = "".join((postal_code or "").upper().split())
    best: tuple[int, str] | None = None
    for zone, destinations in sorted(carrier["zones"].items()):
        for destination in destinations:
            fit = _specificity(destination, country, code)
            if fit is not None and (best is None or fit > best[0]):
                best = (fit, zone)
    return best[1] if best else None


def _specificity(destination: str, country: str, code: str) -> int | None:
    """How closely a zone's destination matches, or None when it does not."""
    wanted, _, postal = destination.partition(":")
    if wanted != country:
        return None
    if not postal:
        return 0
    if postal.endswith("*"):
        return 1 + len(postal) - 1 if code.startswith(postal[:-1]) else None
    low, dash, high = postal.partition("-")
    if not dash:
        return 100 if code == low else None  # one code: as specific as it gets
    if len(code) != len(low) or not low <= code <= high:
        return None
    return 1 + next((n for n, (a, b) in enumerate(zip(low, high, strict=True)) if a != b), len(low))


def transit_days(carrier: Definition, service: str, zone: str) -> int | None:
    found = carrier["services"][service]["transit_days"].get(zone)
    return int(found) if found is not None else None


def price_of(bands: Sequence[dict[str, Any]], weights: Sequence[int]) -> Decimal | None:
    """The sum of each parcel's band price; None when a parcel is over the heaviest band."""
    total = Decimal(0)
    for weight in weights:
        band = next((b for b in bands if weight <= b["up_to_grams"]), None)
        if band is None:
            return None
        total += Decimal(band["price"])
    return total


def ship_date(carrier: Definition, pickup: Pickup) -> date:
    """The carrier's pick-up day: today before its cut-off on one of its working days, else
    its next working day."""
    cutoff = time.fromisoformat(carrier["pickup_cutoffs"].get(pickup.location, pickup.cutoff))
    day = pickup.local_time.date()
    if pickup.local_time.time() >= cutoff:
        day += timedelta(days=1)
    return _working_day_from(carrier, day)


def delivery_date(carrier: Definition, shipped: date, days: int) -> date:
    """`days` working days of the carrier after the pick-up day."""
    day = shipped
    for _ in range(days):
        day = _working_day_from(carrier, day + timedelta(days=1))
    return day


def _working_day_from(carrier: Definition, day: date) -> date:
    working = {WEEKDAYS.index(name) for name in carrier["working_days"]}
    while day.weekday() not in working:
        day += timedelta(days=1)
    return day


def quote(
    carrier: Definition, service: str, destination: Destination, weights: Sequence[int],
    pickup: Pickup,
) -> Quote | str:  # fmt: skip
    """What a service would charge and when it would deliver, or why it cannot."""
    zone = zone_of(carrier, destination.country, destination.postal_code)
    where = " ".join(filter(None, (destination.country, destination.postal_code)))
    if zone is None:
        return f"no zone of {carrier['code']} holds {where}"
    days = transit_days(carrier, service, zone)
    bands = carrier["services"][service]["rates"].get(zone)
    if days is None or bands is None:
        return f"serves no destination of zone {zone} (no {'rate' if days else 'transit time'})"
    price = price_of(bands, weights)
    if price is None:
        heaviest = bands[-1]["up_to_grams"]
        return (
            f"a parcel of {max(weights)} g is over its heaviest band in zone {zone} ({heaviest} g)"
        )
    shipped = ship_date(carrier, pickup)
    return Quote(carrier["code"], service, carrier["services"][service]["service_level"], zone,
                 price, carrier["currency"], days, shipped,
                 delivery_date(carrier, shipped, days))  # fmt: skip


def choose_service(
    carriers: Sequence[Definition], destination: Destination, weights: Sequence[int],
    pickup: Pickup, asked: Asked,
) -> Choice:  # fmt: skip
    """The carrier and service for a shipment by the rule above, every candidate explained."""
    rule, passes = _rule(asked)
    quotes: list[Quote] = []
    candidates: list[dict[str, Any]] = []
    for carrier in sorted(carriers, key=lambda c: c["code"]):
        for service in sorted(carrier["services"]):
            entry: dict[str, Any] = {"carrier": carrier["code"], "service": service}
            found = quote(carrier, service, destination, weights, pickup)
            if not carrier["active"]:
                entry["passed_over"] = "the carrier is not active"
            elif isinstance(found, str):
                entry["passed_over"] = found
            else:
                entry |= found.as_record()
                if reason := passes(found):
                    entry["passed_over"] = reason
                else:
                    quotes.append(found)
            candidates.append(entry)
    quotes.sort(key=lambda q: (q.price, q.delivery_date, q.carrier, q.service))
    chosen = quotes[0] if quotes else None
    for entry in candidates:
        if chosen and (entry["carrier"], entry["service"]) == (chosen.carrier, chosen.service):
            entry["chosen"] = True
        elif "passed_over" not in entry:
            entry["passed_over"] = f"dearer or later than {chosen.carrier} {chosen.service}"  # type: ignore[union-attr]
    reason = None if chosen else f"no carrier serves this shipment: {rule}" + (
        "" if candidates else " (no active carrier is defined)")  # fmt: skip
    return Choice(chosen, rule, candidates, reason)


def _rule(asked: Asked) -> tuple[str, Any]:
    """The rule that applies, in words, and the test a serving quote must pass (a reason
    to pass it over, or None)."""
    if asked.carrier:
        named = (asked.carrier.upper(), asked.service)

        def by_hand(q: Quote) -> str | None:
            return (
                None if (q.carrier, q.service) == named else "not the one the warehouse asked for"
            )

        return f"asked by the warehouse: {named[0]} {named[1]}", by_hand
    if asked.service_level:
        level = asked.service_level

        def of_level(q: Quote) -> str | None:
            return (
                None
                if q.service_level == level
                else f"service level {q.service_level}, not {level}"
            )

        return f"the cheapest {level} service (the order's service level)", of_level
    if asked.deliver_by:
        by = asked.deliver_by

        def in_time(q: Quote) -> str | None:
            late = q.delivery_date > by
            return f"delivers {q.delivery_date}, after the deliver-by date {by}" if late else None

        return f"the cheapest that delivers by {by} (the order's deliver-by date)", in_time
    return "the cheapest (the order asks for no service level and no deliver-by date)", (
        lambda q: None
    )
