"""Queries of the order status read model: filtered, keyset-paged list and detail."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson

from adapters.readstore import ReadStore
from projections.order_status import iso, summary


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class OrderFilter:
    status: str | None = None
    channel: str | None = None
    placed_from: datetime | None = None
    placed_to: datetime | None = None
    q: str | None = None
    limit: int = 50
    cursor: str | None = None


def list_orders(store: ReadStore, wanted: OrderFilter) -> dict[str, Any]:
    """Newest first; the cursor is the last (placed_at, order_id) seen, so pages never shift."""
    where, params = _conditions(wanted)
    key = store.key("cursor")
    if wanted.cursor:
        placed_at, order_id = decode_cursor(key, wanted)
        where.append("(placed_at < {} OR (placed_at = {} AND order_id < {}))")
        params += [placed_at, placed_at, order_id]
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = store.query(
        "SELECT * FROM order_status " + clause + " ORDER BY placed_at DESC, order_id DESC LIMIT {}",
        [*params, wanted.limit + 1],
    )
    page = rows[: wanted.limit]
    more = len(rows) > wanted.limit
    last = page[-1] if more else None
    next_cursor = encode_cursor(key, wanted, last["placed_at"], last["order_id"]) if last else None
    return {"items": [summary(row) for row in page], "next_cursor": next_cursor}


def order_detail(store: ReadStore, order_id: str) -> dict[str, Any] | None:
    rows = store.query("SELECT detail FROM order_status WHERE order_id = {}", (order_id,))
    return orjson.loads(rows[0]["detail"]) if rows else None


def _conditions(wanted: OrderFilter) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if wanted.status:
        where.append("status = {}")
        params.append(wanted.status)
    if wanted.channel:
        where.append("channel = {}")
        params.append(wanted.channel)
    if wanted.placed_from:
        where.append("placed_at >= {}")
        params.append(iso(wanted.placed_from))
    if wanted.placed_to:
        where.append("placed_at < {}")
        params.append(iso(wanted.placed_to))
    if wanted.q:
        where.append("(channel_order_id = {} OR customer_email = {})")
        params += [wanted.q, wanted.q.lower()]
    return where, params


# A cursor is the last (placed_at, order_id) of a page and a signature over it and the
# query's filters, with a key of the deployment: a hand-made or altered cursor, or one
# used with other filters than the query it came from, is refused rather than followed.
CURSOR = (
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z_"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[0-9a-f]{32}$"
)


def encode_cursor(key: bytes, wanted: OrderFilter, placed_at: str, order_id: str) -> str:
    position = f"{placed_at}_{order_id}"
    return f"{position}.{_signature(key, wanted, position)}"


def decode_cursor(key: bytes, wanted: OrderFilter) -> tuple[str, str]:
    cursor = wanted.cursor or ""
    if not re.fullmatch(CURSOR, cursor):
        raise BadCursor("cursor is not one this API returned")
    position, _, signature = cursor.rpartition(".")
    if not hmac.compare_digest(signature, _signature(key, wanted, position)):
        raise BadCursor("cursor is not one this API returned for these filters")
    placed_at, _, order_id = position.partition("_")
    return placed_at, order_id


def _signature(key: bytes, wanted: OrderFilter, position: str) -> str:
    filters = replace(wanted, cursor=None, limit=0)  # a page size may change between pages
    message = f"{position}|{filters!r}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def due_for_completion(store: ReadStore, now: datetime, limit: int = 1000) -> list[str]:
    """Delivered orders whose return window has passed: the clock completes them."""
    rows = store.query(
        "SELECT order_id FROM order_status WHERE complete_after <= {} "
        "ORDER BY complete_after LIMIT {}",
        (iso(now), limit),
    )
    return [row["order_id"] for row in rows]
