"""Where one SKU can ship from now: the locations a product page's promise is counted over."""

from __future__ import annotations

from typing import Any

import orjson

from adapters.readstore import ReadStore


def shipping_locations(
    store: ReadStore, sku: str, quantity: int, channel: str
) -> list[dict[str, Any]]:
    """Active locations that ship, serve the channel (as sourcing's channel criterion: the
    channel among their channels) and can promise
    `quantity` units of `sku`, each with its profile and units available."""
    rows = store.query(
        "SELECT l.detail, s.available FROM stock_levels s "
        "JOIN locations l ON l.code = s.location_code AND l.active = 1 "
        "WHERE s.sku = {} AND s.available >= {} ORDER BY l.priority, l.code",
        (sku, quantity),
    )
    found = []
    for row in rows:
        profile = orjson.loads(row["detail"])
        if channel in profile["channels"] and "ships" in profile["capabilities"]:
            found.append(profile | {"available": row["available"]})
    return found
