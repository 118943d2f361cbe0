"""Builders that keep tests short: an_order(lines=3), an_order_payload(...)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.orders.placement import Address, Customer, Line, PlaceOrder

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
_numbers = itertools.count(1)


def an_order(
    lines: int = 1,
    channel: str = "webshop",
    channel_order_id: str | None = None,
    email: str = "ann@example.com",
    placed_at: datetime | None = None,
    **overrides: Any,
) -> PlaceOrder:
    order_lines = tuple(Line(str(i + 1), f"SKU-{i + 1}", i + 1, "10.00") for i in range(lines))
    subtotal = sum(Decimal(line.unit_price) * line.quantity for line in order_lines)
    values: dict[str, Any] = {
        "channel": channel,
        "channel_order_id": channel_order_id or f"CO-{next(_numbers)}",
        "placed_at": placed_at or NOW - timedelta(minutes=5),
        "currency": "EUR",
        "customer": Customer("Ann Smith", email),
        "shipping_address": Address("Ann Smith", "Meir 1", "2000", "Antwerpen", "BE"),
        "lines": order_lines,
        "shipping_price": "4.95",
        "discount_total": "0",
        "total": str(subtotal + Decimal("4.95")),
    }
    values.update(overrides)
    return PlaceOrder(**values)


def an_order_payload(lines: int = 1, **overrides: Any) -> dict[str, Any]:
    """The JSON body of POST /orders."""
    order_lines = [
        {"line_id": str(i + 1), "sku": f"SKU-{i + 1}", "quantity": i + 1, "unit_price": "10.00"}
        for i in range(lines)
    ]
    subtotal = sum(Decimal(line["unit_price"]) * line["quantity"] for line in order_lines)
    payload: dict[str, Any] = {
        "channel": "webshop",
        "channel_order_id": f"HTTP-{next(_numbers)}",
        "placed_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "currency": "EUR",
        "customer": {"name": "Ann Smith", "email": "ann@example.com"},
        "shipping_address": {
            "name": "Ann Smith",
            "line1": "Meir 1",
            "postal_code": "2000",
            "city": "Antwerpen",
            "country": "BE",
            "latitude": 51.2,
            "longitude": 4.4,
        },
        "lines": order_lines,
        "shipping_price": "4.95",
        "discount_total": "0.00",
        "total": str(subtotal + Decimal("4.95")),
    }
    payload.update(overrides)
    return payload
