"""Routing read models: every sourcing decision with its explanation, and the exception
queue (projections/exception_queue.py) fed by decisions and by shipments that did not
reach the customer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from adapters.readstore import ReadStore, Sql
from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.shipment import Shipment
from domain.fulfilment.tracking import UNDELIVERED
from projections.exception_queue import (
    ExceptionsView,
    exception_queue,
    order_entry,
    shipment_entry,
    waiting_of,
    warning_entry,
)
from projections.order_status import iso

__all__ = ["RoutingProjection", "exception_queue", "routing_of", "waiting_of"]

KINDS = {"backorder": "backordered", "exception": "needs_decision"}


class RoutingView:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql
        self.exceptions = ExceptionsView(sql)

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
            self.exceptions.clear(order_entry(order_id))
            return
        reason = decision.get("reason") or _reason(decision)
        self.exceptions.order_waits(order_id, kind, reason, decision["unfilled"], at)


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
        Shipment.Tracked,
        Shipment.Reshipped,
        Shipment.ExceptionResolved,
        FulfilmentOrder.AtRisk,
        FulfilmentOrder.Late,
        FulfilmentOrder.WarningsCleared,
        FulfilmentOrder.WarningAcknowledged,
    )

    def apply(self, sql: Sql, events: Sequence[Any]) -> None:
        view = RoutingView(sql)
        for event in events:
            if isinstance(event, FulfilmentOrder.Sourced):
                attempt = int(event.decision.get("attempt", event.originator_version))
                view.record_decision(
                    str(event.originator_id), attempt, event.decision, iso(event.at)
                )
            else:
                self._queue(view.exceptions, event)

    @staticmethod
    def _queue(view: ExceptionsView, event: Any) -> None:
        if isinstance(event, FulfilmentOrder.LinesCancelled):
            view.lines_cancelled(str(event.originator_id), event.line_ids)
        elif isinstance(event, FulfilmentOrder.ExceptionResolved):
            view.resolve(order_entry(str(event.originator_id)), event.note, iso(event.at))
        elif isinstance(event, Shipment.Tracked) and event.became in UNDELIVERED:
            view.shipment_undelivered(event, iso(event.at))
        elif isinstance(event, Shipment.Reshipped):
            view.clear(shipment_entry(str(event.originator_id)))
        elif isinstance(event, Shipment.ExceptionResolved):
            view.resolve(shipment_entry(str(event.originator_id)), event.note, iso(event.at))
        else:
            RoutingProjection._warnings(view, event)

    @staticmethod
    def _warnings(view: ExceptionsView, event: Any) -> None:
        order_id = str(event.originator_id)
        if isinstance(event, FulfilmentOrder.AtRisk):
            view.warned(event, "at_risk", iso(event.at))
        elif isinstance(event, FulfilmentOrder.Late):
            view.warned(event, "late", iso(event.at))
        elif isinstance(event, FulfilmentOrder.WarningsCleared):
            for kind in ("at_risk", "late"):
                view.clear(warning_entry(order_id, kind))
        elif isinstance(event, FulfilmentOrder.WarningAcknowledged):
            view.resolve(warning_entry(order_id, event.kind), event.note, iso(event.at))


def routing_of(store: ReadStore, order_id: str) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT record, decided_at FROM routing_decisions WHERE order_id = {} "
        "ORDER BY decided_at, attempt",
        (order_id,),
    )
    return [orjson.loads(row["record"]) | {"decided_at": row["decided_at"]} for row in rows]
