"""The order every intake figure places: two lines, three units, of the bench SKUs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from domain.orders.placement import Address, Customer, Line, PlaceOrder

CHANNEL = "bench"
SKUS = ("TEE-BLK-M", "CAP-RED")
UNITS_PER_ORDER = 3


def order_command(channel_order_id: str, now: datetime) -> PlaceOrder:
    return PlaceOrder(
        channel=CHANNEL,
        channel_order_id=channel_order_id,
        placed_at=now - timedelta(seconds=1),
        currency="EUR",
        customer=Customer("Bench Customer", "bench@example.com"),
        shipping_address=Address(
            "Bench Customer", "Meir 1", "2000", "Antwerpen", "BE", latitude=51.2, longitude=4.4
        ),
        lines=(Line("1", SKUS[0], 2, "19.90"), Line("2", SKUS[1], 1, "14.50")),
        shipping_price="4.95",
        discount_total="0",
        total="59.25",
    )


def order_body(channel_order_id: str) -> bytes:
    body: dict[str, Any] = {
        "channel": CHANNEL,
        "channel_order_id": channel_order_id,
        "placed_at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
        "currency": "EUR",
        "customer": {"name": "Bench Customer", "email": "bench@example.com"},
        "shipping_address": {
            "name": "Bench Customer",
            "line1": "Meir 1",
            "postal_code": "2000",
            "city": "Antwerpen",
            "country": "BE",
            "latitude": 51.2,
            "longitude": 4.4,
        },
        "lines": [
            {"line_id": "1", "sku": SKUS[0], "quantity": 2, "unit_price": "19.90"},
            {"line_id": "2", "sku": SKUS[1], "quantity": 1, "unit_price": "14.50"},
        ],
        "shipping_price": "4.95",
        "discount_total": "0",
        "total": "59.25",
    }
    return orjson.dumps(body)
