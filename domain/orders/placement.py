"""The PlaceOrder command and the pure rules that check and normalise it.

The normalised placement is what the Order.Placed event records, and what a
retried request is compared with: two requests are "the same order" exactly
when their normalised placements are equal, leaving out `destination`. The
destination is the point the order ships to and how it was found
(`located_by`): the channel's own coordinates, or a point the edge looked up
for the address's city (`PlaceOrder.located`), or none. It is derived, not
sent, so it takes no part in telling a retry from a conflict: a gazetteer
that changed between two tries must not turn a retry into a 409.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.errors import Problems
from domain.moments import from_the_future, moment_problem
from domain.money import MINOR_UNITS, Money, MoneyError, parse_amount
from domain.orders.payment_report import PaymentReport, normalise_payment
from domain.promise import Terms
from domain.text import text_problems

# Patterns are matched whole (fullmatch): `$` would also match before a final newline.
CHANNEL_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_QUANTITY = 100_000  # units of one line
MAX_AMOUNT = Decimal(10) ** 12  # any price or total: far above any order, exact in a Decimal
PRIORITIES = range(10)


@dataclass(frozen=True)
class Customer:
    name: str
    email: str
    phone: str | None = None


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    postal_code: str
    city: str
    country: str
    line2: str | None = None
    region: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Located:
    """Where the edge found an address with no coordinates, and how (`located_by`)."""

    latitude: float
    longitude: float
    located_by: dict[str, Any]


GIVEN = {"method": "given"}  # the channel sent the coordinates
UNKNOWN = {"method": "unknown"}  # no coordinates, and the city could not be located


@dataclass(frozen=True)
class Line:
    line_id: str
    sku: str
    quantity: int
    unit_price: str
    group: str | None = None  # lines of one kit ship together


@dataclass(frozen=True)
class PlaceOrder:
    channel: str
    channel_order_id: str
    placed_at: datetime
    currency: str
    customer: Customer
    shipping_address: Address
    lines: tuple[Line, ...]
    shipping_price: str
    discount_total: str
    total: str
    service_level: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    pickup_location: str | None = None  # click & collect: the store the customer collects at
    priority: int | None = None  # 0 (normal) to 9 (most urgent), for routing rules
    located: Located | None = None  # the edge's lookup of an address without coordinates
    ship_by: datetime | None = None  # a marketplace's own promise, when it sends one
    deliver_by: datetime | None = None
    terms: Terms | None = None  # the channel's service level, as dom found it (derived)
    payment: PaymentReport | None = None  # how the channel says it is paid
    waits_for_payment: bool = False  # the channel's payment rule holds it (derived)


def normalise_placement(command: PlaceOrder, now: datetime) -> dict[str, Any]:
    """Check every business rule of a placement and return its canonical form.

    Raises InvalidCommand naming every field at fault, and nothing else,
    whatever the command holds.
    """
    problems = Problems()
    for path, problem in text_problems(command):
        problems.add(".".join(map(str, path)), problem)
    _check_identity(command, now, problems)
    currency = command.currency
    if currency not in MINOR_UNITS:
        problems.add("currency", f"unsupported currency {currency!r}")
        problems.raise_if_any()
    _check_address(command.shipping_address, problems)
    _check_located(command.located, problems)
    if not EMAIL_PATTERN.fullmatch(command.customer.email):
        problems.add("customer.email", "not an email address")
    lines = _normalise_lines(command, problems)
    shipping = _money(command.shipping_price, currency, "shipping_price", problems)
    discount = _money(command.discount_total, currency, "discount_total", problems)
    total = _money(command.total, currency, "total", problems)
    problems.raise_if_any()
    assert shipping is not None and discount is not None and total is not None
    expected = _expected_total(lines, shipping, discount, currency)
    if total != expected:
        problems.add(
            "total", f"{command.total} does not equal lines + shipping - discount = {expected}"
        )
    if command.payment is not None:
        payment = normalise_payment(
            command.payment, currency, total.amount, command.placed_at, problems
        )
    problems.raise_if_any()
    optional: dict[str, Any] = {"payment": payment} if command.payment is not None else {}
    if command.pickup_location:
        optional["pickup_location"] = command.pickup_location.upper()
    if command.priority:
        optional["priority"] = command.priority
    for key in ("ship_by", "deliver_by"):
        if (moment := getattr(command, key)) is not None:
            optional[key] = moment.astimezone(UTC)
    if command.terms is not None:
        optional["terms"] = command.terms.as_record()
    return optional | {
        "channel": command.channel,
        "channel_order_id": command.channel_order_id,
        "placed_at": command.placed_at.astimezone(UTC),
        "currency": currency,
        "customer": _drop_none(vars(command.customer)),
        "shipping_address": _drop_none(vars(command.shipping_address)),
        "lines": lines,
        "shipping_price": str(shipping),
        "discount_total": str(discount),
        "total": str(total),
        "service_level": command.service_level,
        "tags": sorted(set(command.tags)),
        "destination": destination(command),
    }


def destination(command: PlaceOrder) -> dict[str, Any]:
    """The point the order ships to and how it was found; coordinates sent by the channel win."""
    address, located = command.shipping_address, command.located
    if address.latitude is not None and address.longitude is not None:
        return {"latitude": address.latitude, "longitude": address.longitude, "located_by": GIVEN}
    if located is not None:
        point = {"latitude": located.latitude, "longitude": located.longitude}
        return point | {"located_by": dict(located.located_by)}
    return {"located_by": UNKNOWN}


DERIVED = ("destination", "terms")


def sent(placement: dict[str, Any]) -> dict[str, Any]:
    """What the client sent, normalised: the placement without what dom derived from it."""
    return {key: value for key, value in placement.items() if key not in DERIVED}


def _check_identity(command: PlaceOrder, now: datetime, problems: Problems) -> None:
    if not CHANNEL_PATTERN.fullmatch(command.channel):
        problems.add("channel", "lower-case letters, digits, '.', '_' or '-', at most 64")
    if not command.channel_order_id.strip():
        problems.add("channel_order_id", "must not be blank")
    if problem := moment_problem(command.placed_at):
        problems.add("placed_at", problem)
    elif from_the_future(command.placed_at, now):
        problems.add("placed_at", "is in the future")
    if command.priority is not None and command.priority not in PRIORITIES:
        problems.add("priority", "must be from 0 (normal) to 9 (most urgent)")
    _check_promise(command, problems)


def _check_promise(command: PlaceOrder, problems: Problems) -> None:
    """A channel's own dates: real moments, ship-by after placing, deliver-by after ship-by."""
    ship_by, deliver_by = command.ship_by, command.deliver_by
    for key, moment in (("ship_by", ship_by), ("deliver_by", deliver_by)):
        if moment is not None and (problem := moment_problem(moment)):
            problems.add(key, problem)
            return
    placed_ok = moment_problem(command.placed_at) is None
    if ship_by is not None and placed_ok and ship_by < command.placed_at:
        problems.add("ship_by", "is before placed_at")
    if ship_by is not None and deliver_by is not None and deliver_by < ship_by:
        problems.add("deliver_by", "is before ship_by")


def _check_address(address: Address, problems: Problems) -> None:
    if not re.fullmatch(r"[A-Z]{2}", address.country):
        problems.add("shipping_address.country", "must be an ISO 3166-1 alpha-2 code")
    has_lat, has_lon = address.latitude is not None, address.longitude is not None
    if has_lat != has_lon:
        problems.add("shipping_address", "latitude and longitude come together")
    if address.latitude is not None and not -90 <= address.latitude <= 90:
        problems.add("shipping_address.latitude", "must be between -90 and 90")
    if address.longitude is not None and not -180 <= address.longitude <= 180:
        problems.add("shipping_address.longitude", "must be between -180 and 180")


def _check_located(located: Located | None, problems: Problems) -> None:
    """The edge's lookup is checked as the channel's coordinates are: a gazetteer is data too."""
    if located is None:
        return
    if not (-90 <= located.latitude <= 90 and -180 <= located.longitude <= 180):
        problems.add("shipping_address", "the located point is not on Earth")


def _normalise_lines(command: PlaceOrder, problems: Problems) -> list[dict[str, Any]]:
    if not command.lines:
        problems.add("lines", "an order has at least one line")
    seen: set[str] = set()
    lines = []
    for index, line in enumerate(command.lines):
        where = f"lines.{index}"
        if line.line_id in seen:
            problems.add(f"{where}.line_id", f"duplicate line id {line.line_id!r}")
        seen.add(line.line_id)
        if not 0 < line.quantity <= MAX_QUANTITY:
            problems.add(f"{where}.quantity", f"must be from 1 to {MAX_QUANTITY}")
        price = _money(line.unit_price, command.currency, f"{where}.unit_price", problems)
        lines.append(
            {
                "line_id": line.line_id,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": str(price) if price is not None else line.unit_price,
            }
            | ({"group": line.group} if line.group else {})
        )
    return lines


def _money(text: str, currency: str, where: str, problems: Problems) -> Money | None:
    try:
        amount = parse_amount(text, currency)
    except MoneyError as error:
        problems.add(where, str(error))
        return None
    except ArithmeticError:  # e.g. "1e30": too many digits to round to the minor unit
        problems.add(where, f"must be less than {MAX_AMOUNT:,}")
        return None
    if amount < 0:
        problems.add(where, "must not be negative")
        return None
    if amount >= MAX_AMOUNT:
        problems.add(where, f"must be less than {MAX_AMOUNT:,}")
        return None
    return Money(amount, currency)


def _expected_total(
    lines: list[dict[str, Any]], shipping: Money, discount: Money, currency: str
) -> Money:
    subtotal = Money.zero(currency)
    for line in lines:
        subtotal += Money(Decimal(line["unit_price"]), currency).times(line["quantity"])
    return subtotal + shipping - discount


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
