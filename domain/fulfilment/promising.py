"""The dates an order is promised and expected, from the calendars of where it ships.

The promise is made with the order's first sourcing decision, counted from the moment it
was placed, and then kept as made: the ship-by and deliver-by the channel sent when it
sent them, else the channel's service level (`terms`, recorded at placement) over the
calendar of every location the decision plans (the latest of them: a split order has
shipped when its last part has), or over the channel's time zone and the destination's
holidays when no location could take it yet. The expected dates are counted again with
every decision from the plan it makes, never earlier than the decision itself: they move
with the plan, the promise does not. An order waiting for stock has no expected dates.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.location import Location, location_id_for
from domain.processing import Unit
from domain.promise import Calendar, Promise, Terms, delivery_calendar, latest, promise

DEFAULT_TERMS = Terms("standard", 1, 3)  # orders placed before channels gave terms


def dates(unit: Unit, order: FulfilmentOrder, plan: list[str], now: datetime) -> dict[str, Any]:
    """{"promise": ..., "expected": ...} for a decision planning `plan` (location codes)."""
    o = order.order
    terms = Terms.of(o["terms"]) if o.get("terms") else DEFAULT_TERMS
    calendars = [calendar for code in plan if (calendar := _calendar(unit, code)) is not None]
    placed_at = datetime.fromisoformat(o["placed_at"]) if o.get("placed_at") else now
    made = order.promise or _promise(o, terms, calendars, placed_at).as_record()
    expected = None
    if calendars:
        start = max(placed_at, now)
        parts = [_dated(terms, calendar, o["country"], placed_at, start) for calendar in calendars]
        expected = latest(parts).as_record()
    return {"promise": made | {"service_level": terms.service_level}, "expected": expected}


def _promise(o: dict[str, Any], terms: Terms, calendars: list[Calendar], at: datetime) -> Promise:
    sent = {key: datetime.fromisoformat(o[key]) for key in ("ship_by", "deliver_by") if o.get(key)}
    ships = calendars or [Calendar(terms.time_zone, o["country"])]
    counted = latest([promise(at, terms, calendar, delivery_calendar(calendar, o["country"]))
                      for calendar in ships])  # fmt: skip
    ship_by = sent.get("ship_by", counted.ship_by)
    if "deliver_by" in sent:
        return Promise(ship_by, sent["deliver_by"])
    if "ship_by" in sent:  # the channel's ship-by, and the carrier's days after it
        delivers = delivery_calendar(ships[0], o["country"])
        day = ship_by.astimezone(ships[0].zone).date()
        return Promise(
            ship_by, ships[0].end_of(delivers.working_days_after(day, terms.transit_days))
        )
    return counted


def _dated(terms: Terms, ships: Calendar, country: str, placed_at: datetime,
           start: datetime) -> Promise:  # fmt: skip
    """When a location ships what it was given at `start`, for an order placed at `placed_at`:
    its handling days from placing, but not before the first day it can ship from `start`."""
    delivers = delivery_calendar(ships, country)
    counted = promise(placed_at, terms, ships, delivers)
    soonest = promise(start, replace(terms, handling_days=0), ships, delivers)
    return counted if counted.ship_by >= soonest.ship_by else soonest


def _calendar(unit: Unit, code: str) -> Calendar | None:
    location = unit.get(Location, location_id_for(code))
    if location is None:
        return None
    p = location.profile
    return Calendar(p["time_zone"], p["country"], tuple(p["working_days"]), p["cutoff_time"])
