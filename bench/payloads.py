from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from domain.orders.placement import Address, Customer, Line, PlaceOrder


def order_command(channel_order_id: str, now: datetime) -> PlaceOrder:
    return PlaceOrder(
        channel="bench",
        channel_order_id=channel_order_id,
        placed_at=now - timedelta(seconds=1),
        currency="EUR",
        customer=Customer("Bench Customer", "bench@example.com"),
        shipping_address=Address(
            "Bench Customer", "Meir 1", "2000", "Antwerpen", "BE", latitude=51.2, longitude=4.4
        ),
        lines=(Line("1", "TEE-BLK-M", 2, "19.90"), Line("2", "CAP-RED", 1, "14.50")),
        shipping_price="4.95",
        discount_total="0",
        total="59.25",
    )


def order_body(channel_order_id: str) -> bytes:
    body: dict[str, Any] = {
        "channel": "bench",
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
            {"line_id": "1", "sku": "TEE-BLK-M", "quantity": 2, "unit_price": "19.90"},
            {"line_id": "2", "sku": "CAP-RED", "quantity": 1, "unit_price": "14.50"},
        ],
        "shipping_price": "4.95",
        "discount_total": "0",
        "total": "59.25",
    }
    return orjson.dumps(body)
