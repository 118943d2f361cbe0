"""Routing read models: every sourcing decision with its explanation, and the exception
queue (orders that wait for stock or for a person)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from adapters.readstore import ReadStore, Sql
from domain.fulfilment.fulfilment_order import FulfilmentOrder
from projections.order_status import iso
from projections.parked import parked_items

KINDS = {"backorder": "backordered", "exception": "needs_decision"}


class RoutingView:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def record_decision(
        self, order_id: str, attempt: int, decision: dict[str, Any], at: str
    ) -> None:
        # Decisions recorded before every decision carried its attempt are numbered by the
        # event's version: a later attempt may meet that number, and the later one is kept.
        self.sql.execute(
            "INSERT INTO routing_decisions VALUES ({}, {}, {}, {}, {}, {}, {}) "
            "ON CONFLICT (order_id, attempt) DO UPDATE SET decided_at = excluded.decided_at, "
            "strategy = excluded.strategy, policy_version = excluded.policy_version, "
            "fallback = excluded.fallback, record = excluded.record",
            (order_id, attempt, at, decision.get("strategy"), decision.get("policy_version"),
             decision.get("fallback"), orjson.dumps(decision).decode()),
        )  # fmt: skip
        kind = KINDS.get(decision.get("fallback") or "")
        if not (kind and decision["unfilled"]):
            self.clear(order_id)
            return
        # Still waiting after another attempt: what it waits for is the latest decision's,
        # since when is the first time it started waiting (kept, not reset by each retry).
        reason = decision.get("reason") or _reason(decision)
        # A resolution covered the decisions before this one: the order is back in the queue.
        self.sql.execute(
            "INSERT INTO exceptions (order_id, kind, reason, lines, since) "
            "VALUES ({}, {}, {}, {}, {}) ON CONFLICT (order_id) DO UPDATE "
            "SET kind = excluded.kind, reason = excluded.reason, lines = excluded.lines, "
            "resolved_at = NULL, resolution = NULL",
            (order_id, kind, reason, orjson.dumps(decision["unfilled"]).decode(), at),
        )

    def resolve(self, order_id: str, note: str, at: str) -> None:
        self.sql.execute(
            "UPDATE exceptions SET resolved_at = {}, resolution = {} WHERE order_id = {}",
            (at, note, order_id),
        )

    def clear(self, order_id: str) -> None:
        self.sql.execute("DELETE FROM exceptions WHERE order_id = {}", (order_id,))


def _reason(decision: dict[str, Any]) -> str:
    if decision.get("strategy") is None:
        return "no strategy of the routing policy matches the order"
    lines = ", ".join(decision["unfilled"])
    return f"no eligible location can ship line(s) {lines}"


class RoutingProjection:
    name = "routing"
    upstream = "fulfilment"
    tables: tuple[str, ...] = ("routing_decisions", "exceptions")
    topics = (
        FulfilmentOrder.Sourced,
        FulfilmentOrder.LinesCancelled,
        FulfilmentOrder.ExceptionResolved,
    )

    def apply(self, sql: Sql, events: Sequence[Any]) -> None:
        view = RoutingView(sql)
        for event in events:
            if isinstance(event, FulfilmentOrder.Sourced):
                attempt = int(event.decision.get("attempt", event.originator_version))
                view.record_decision(
                    str(event.originator_id), attempt, event.decision, iso(event.at)
                )
            elif isinstance(event, FulfilmentOrder.LinesCancelled):
                view.clear(str(event.originator_id))
            elif isinstance(event, FulfilmentOrder.ExceptionResolved):
                view.resolve(str(event.originator_id), event.note, iso(event.at))


def routing_of(store: ReadStore, order_id: str) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT record, decided_at FROM routing_decisions WHERE order_id = {} "
        "ORDER BY decided_at, attempt",
        (order_id,),
    )
    return [orjson.loads(row["record"]) | {"decided_at": row["decided_at"]} for row in rows]


def waiting_of(store: ReadStore, order_id: str) -> dict[str, Any] | None:
    """What the order waits for (stock or a person), since when, and for which lines."""
    rows = store.query("SELECT * FROM exceptions WHERE order_id = {}", (order_id,))
    if not rows:
        return None
    row = dict(rows[0], lines=orjson.loads(rows[0]["lines"]))
    waiting = {key: row[key] for key in ("kind", "reason", "lines", "since")}
    if row["resolved_at"] is not None:
        waiting["resolved"] = {"note": row["resolution"], "at": row["resolved_at"]}
    return waiting | {"actions": _actions(order_id)}


def exception_queue(store: ReadStore, kind: str | None = None) -> list[dict[str, Any]]:
    """Orders waiting for stock or a person, and reactions a policy parked; oldest first."""
    items: list[dict[str, Any]] = []
    if kind != "parked":
        clause, params = (" AND kind = {}", [kind]) if kind else ("", [])
        rows = store.query(
            "SELECT order_id, kind, reason, lines, since FROM exceptions WHERE "
            "resolved_at IS NULL" + clause + " ORDER BY since, order_id",
            params,
        )
        items = [
            dict(row, lines=orjson.loads(row["lines"]), actions=_actions(row["order_id"]))
            for row in rows
        ]
    if kind in (None, "parked"):
        items += parked_items(store)
    return sorted(items, key=lambda item: item["since"])


ACTIONS = {
    "retry": "source its open lines again now, by the active policy",
    "allocate": "ship its open lines (or the named ones) from a location you name",
    "cancel_lines": "cancel its open lines: the order's cancellation, as the channel's would be",
    "resolve": "take it off the queue with a note; its lines stay open",
}


def _actions(order_id: str) -> list[dict[str, str]]:
    """What a person can do about a waiting order, each a POST under the order."""
    return [
        {"name": name, "method": "POST", "href": f"/exceptions/orders/{order_id}/{name.replace('_', '-')}",
         "does": does}
        for name, does in ACTIONS.items()
    ]  # fmt: skip
