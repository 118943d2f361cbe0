"""The exception queue: what needs a person, several entries per order, each with its kind,
reason, lines and the actions that apply.

An order has at most one entry of its own (`order:<id>`: it waits for stock, kind
`backordered`, or for a decision, `needs_decision`) and one per shipment that did not
reach the customer (`shipment:<id>`: `lost` or `returned_to_sender`). Other kinds
(`at_risk`, `late`) take their own entry ids the same way. Resolving an entry resolves
that entry only; a resolved entry leaves the queue and stays on record for the order.
"""

from __future__ import annotations

from typing import Any

import orjson

from adapters.readstore import ReadStore, Sql
from projections.parked import parked_items

ORDER_KINDS = ("backordered", "needs_decision")


def order_entry(order_id: str) -> str:
    return f"order:{order_id}"


def shipment_entry(shipment_id: str) -> str:
    return f"shipment:{shipment_id}"


def warning_entry(order_id: str, kind: str) -> str:
    return f"{kind}:{order_id}"


class ExceptionsView:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def order_waits(self, order_id: str, kind: str, reason: str, lines: Any, since: str) -> None:
        """Still waiting after another attempt: what it waits for is the latest decision's,
        since when is the first time it started waiting (kept, not reset by each retry); a
        resolution covered the decisions before this one: the order is back in the queue."""
        self.sql.execute(
            "INSERT INTO exceptions (entry_id, order_id, kind, reason, lines, since) "
            "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (entry_id) DO UPDATE "
            "SET kind = excluded.kind, reason = excluded.reason, lines = excluded.lines, "
            "resolved_at = NULL, resolution = NULL",
            (order_entry(order_id), order_id, kind, reason, orjson.dumps(lines).decode(), since),
        )

    def shipment_undelivered(self, event: Any, since: str) -> None:
        """A carrier lost the shipment or brought it back: its lines need a person."""
        said = f": {event.reason}" if event.reason else ""
        what = "lost" if event.became == "lost" else "returned to sender"
        reason = f"{event.carrier} {event.tracking_number}: {what}{said}"
        self.sql.execute(
            "INSERT INTO exceptions (entry_id, order_id, kind, shipment_id, reason, lines, since) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}) ON CONFLICT (entry_id) DO NOTHING",
            (shipment_entry(str(event.originator_id)), event.order_id, event.became,
             str(event.originator_id), reason, orjson.dumps(event.lines).decode(), since),
        )  # fmt: skip

    def warned(self, event: Any, kind: str, since: str) -> None:
        """The clock's warning: ship-by near (`at_risk`) or missed (`late`, which takes the
        place of the order's `at_risk` entry)."""
        order_id = str(event.originator_id)
        if kind == "late":
            self.clear(warning_entry(order_id, "at_risk"))
            reason = f"ship-by {event.ship_by} has passed; not dispatched in full"
        else:
            reason = f"ship-by {event.ship_by} is less than {event.hours} h away; not dispatched"
        self.sql.execute(
            "INSERT INTO exceptions (entry_id, order_id, kind, reason, lines, since) "
            "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (entry_id) DO NOTHING",
            (warning_entry(order_id, kind), order_id, kind, reason,
             orjson.dumps(event.lines).decode(), since),
        )  # fmt: skip

    def resolve(self, entry_id: str, note: str, at: str) -> None:
        self.sql.execute(
            "UPDATE exceptions SET resolved_at = {}, resolution = {} WHERE entry_id = {}",
            (at, note, entry_id),
        )

    def clear(self, entry_id: str) -> None:
        self.sql.execute("DELETE FROM exceptions WHERE entry_id = {}", (entry_id,))

    def lines_cancelled(self, order_id: str, line_ids: list[str]) -> None:
        """The order's own entry goes; a shipment's entry loses those lines, and goes with
        its last one."""
        self.clear(order_entry(order_id))
        rows = self.sql.execute(
            "SELECT entry_id, lines FROM exceptions WHERE order_id = {}", (order_id,)
        ).fetchall()
        for row in rows:
            lines = orjson.loads(row["lines"])
            left = {line_id: q for line_id, q in lines.items() if line_id not in line_ids}
            if not left:
                self.clear(row["entry_id"])
            elif left != lines:
                self.sql.execute(
                    "UPDATE exceptions SET lines = {} WHERE entry_id = {}",
                    (orjson.dumps(left).decode(), row["entry_id"]),
                )


def waiting_of(store: ReadStore, order_id: str) -> dict[str, Any] | None:
    """What the order waits for (stock or a person), since when, and for which lines."""
    rows = store.query("SELECT * FROM exceptions WHERE entry_id = {}", (order_entry(order_id),))
    return _item(rows[0], with_resolution=True) if rows else None


def exceptions_of(store: ReadStore, order_id: str) -> list[dict[str, Any]]:
    """Every entry of the order, resolved or not, oldest first."""
    rows = store.query(
        "SELECT * FROM exceptions WHERE order_id = {} ORDER BY since, entry_id", (order_id,)
    )
    return [_item(row, with_resolution=True) | {"entry_id": row["entry_id"]} for row in rows]


def exception_queue(
    store: ReadStore, kind: str | None = None, channel: str | None = None
) -> list[dict[str, Any]]:
    """Entries waiting for a person or for stock, and reactions a policy parked; oldest first.
    With `channel`: only the entries of its orders, and no parked reactions."""
    items: list[dict[str, Any]] = []
    if kind != "parked":
        clause, params = (" AND kind = {}", [kind]) if kind else ("", [])
        if channel is not None:
            clause += " AND order_id IN (SELECT order_id FROM order_status WHERE channel = {})"
            params.append(channel)
        rows = store.query(
            "SELECT * FROM exceptions WHERE resolved_at IS NULL" + clause
            + " ORDER BY since, entry_id",
            params,
        )  # fmt: skip
        items = [
            {"entry_id": row["entry_id"], "order_id": row["order_id"]} | _item(row) for row in rows
        ]
    if kind in (None, "parked") and channel is None:
        items += parked_items(store)
    return sorted(items, key=lambda item: item["since"])


def _item(row: dict[str, Any], with_resolution: bool = False) -> dict[str, Any]:
    item = {key: row[key] for key in ("kind", "reason", "since")}
    item["lines"] = orjson.loads(row["lines"])
    if row["shipment_id"] is not None:
        item["shipment_id"] = row["shipment_id"]
    if with_resolution and row["resolved_at"] is not None:
        item["resolved"] = {"note": row["resolution"], "at": row["resolved_at"]}
    return item | {"actions": actions(row)}


ORDER_ACTIONS = {
    "retry": "source its open lines again now, by the active policy",
    "allocate": "ship its open lines (or the named ones) from a location you name",
    "cancel_lines": "cancel its open lines: the order's cancellation, as the channel's would be",
    "resolve": "take it off the queue with a note; its lines stay open",
}
SHIPMENT_ACTIONS = {
    "reship": "source the shipment's lines again now, by the active policy (a new shipment)",
    "cancel_lines": "cancel the shipment's lines: the order's cancellation of those lines",
    "resolve": "take it off the queue with a note (e.g. the customer was refunded)",
}


WARNING_ACTIONS = {
    "acknowledge": "take the warning off the queue with a note (e.g. the carrier was told)",
}


def actions(row: dict[str, Any]) -> list[dict[str, str]]:
    """What a person can do about an entry, each a POST under the order or the shipment."""
    if row["kind"] in ("at_risk", "late"):
        base = f"/exceptions/orders/{row['order_id']}/warnings/{row['kind']}"
        offered = WARNING_ACTIONS
    elif row["shipment_id"] is not None:
        base, offered = f"/exceptions/shipments/{row['shipment_id']}", SHIPMENT_ACTIONS
    else:
        base, offered = f"/exceptions/orders/{row['order_id']}", ORDER_ACTIONS
    return [
        {"name": name, "method": "POST", "href": f"{base}/{name.replace('_', '-')}", "does": does}
        for name, does in offered.items()
    ]
