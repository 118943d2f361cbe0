"""Queries of the availability read model."""

from __future__ import annotations

from typing import Any

import orjson

from adapters.readstore import ReadStore, marks


def available_to_promise(store: ReadStore, skus: list[str], channel: str) -> list[dict[str, Any]]:
    """Per SKU, the units that active locations serving the channel can promise."""
    slots = marks(len(skus))
    rows = store.query(
        "SELECT s.sku, SUM(CASE WHEN s.available > 0 THEN s.available ELSE 0 END) AS atp, "
        "COUNT(CASE WHEN s.available > 0 THEN 1 END) AS locations "
        "FROM stock_levels s "
        "JOIN locations l ON l.code = s.location_code AND l.active = 1 "
        "JOIN location_channels c ON c.code = s.location_code AND c.channel = {} "
        "WHERE s.sku IN (" + slots + ") GROUP BY s.sku",
        [channel, *skus],
    )
    found = {row["sku"]: row for row in rows}
    return [
        {"sku": sku, "channel": channel,
         "available_to_promise": int(found[sku]["atp"]) if sku in found else 0,
         "locations": int(found[sku]["locations"]) if sku in found else 0}
        for sku in skus
    ]  # fmt: skip


def inventory(
    store: ReadStore, sku: str, location: str | None = None, channel: str | None = None
) -> list[dict[str, Any]]:
    """One SKU at every location that has a record of it; only `location`'s row, or only
    the rows of the locations serving `channel`, when named."""
    where, params = ["s.sku = {}"], [sku]
    if location is not None:
        where.append("s.location_code = {}")
        params.append(location)
    if channel is not None:
        where.append("s.location_code IN (SELECT code FROM location_channels WHERE channel = {})")
        params.append(channel)
    rows = store.query(
        "SELECT s.location_code AS location, l.type, l.active, s.on_hand, s.reserved, "
        "s.safety_stock, s.available, s.updated_at FROM stock_levels s "
        "JOIN locations l ON l.code = s.location_code WHERE " + " AND ".join(where)
        + " ORDER BY s.location_code",
        params,
    )  # fmt: skip
    return [shown(dict(row, active=bool(row["active"]))) for row in rows]


def shown(levels: dict[str, Any]) -> dict[str, Any]:
    """Levels as people read them: available never below zero; units reserved beyond what is
    on hand (an oversell the oversold policy is sourcing away) said as `oversold`."""
    return levels | {
        "available": max(0, levels["available"]),
        "oversold": max(0, levels["reserved"] - levels["on_hand"]),
    }


def locations(
    store: ReadStore, channel: str | None = None, active: bool | None = None
) -> list[dict[str, Any]]:
    where: list[str] = []
    params: list[object] = []
    if channel is not None:
        where.append("code IN (SELECT code FROM location_channels WHERE channel = {})")
        params.append(channel)
    if active is not None:
        where.append("active = {}")
        params.append(int(active))
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = store.query("SELECT detail FROM locations " + clause + " ORDER BY code", params)
    return [orjson.loads(row["detail"]) for row in rows]
