"""On Time In Full read model: each order's promise and what became of it, per shipment
whether its carrier tracked it and when it was delivered. `projections/otif_queries.py`
turns the rows into figures per channel and day; docs/otif.md defines them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from adapters.readstore import Sql
from domain.fulfilment.clock import DEFAULT_AT_RISK_HOURS
from domain.fulfilment.fulfilment_order import FulfilmentOrder
from domain.fulfilment.shipment import Shipment
from projections.order_status import iso


def _iso(text: str) -> str:
    return iso(datetime.fromisoformat(text))


class OtifProjection:
    name = "otif"
    upstream = "fulfilment"
    tables: tuple[str, ...] = ("otif_orders", "otif_shipments")
    topics = (
        FulfilmentOrder.Received, FulfilmentOrder.Sourced, FulfilmentOrder.LinesCancelled,
        FulfilmentOrder.AtRisk, FulfilmentOrder.Late, Shipment.Dispatched, Shipment.Tracked,
    )  # fmt: skip

    def apply(self, sql: Sql, events: Sequence[Any]) -> None:
        for event in events:
            if isinstance(event, FulfilmentOrder.Received):
                self._received(sql, event)
            elif isinstance(event, FulfilmentOrder.Sourced):
                self._promised(sql, str(event.originator_id), event.decision.get("promise"))
            elif isinstance(event, FulfilmentOrder.LinesCancelled):
                self._cancelled(sql, str(event.originator_id), event.line_ids, event.at)
            elif isinstance(event, FulfilmentOrder.AtRisk | FulfilmentOrder.Late):
                column = "at_risk_at" if isinstance(event, FulfilmentOrder.AtRisk) else "late_at"
                self._set(sql, str(event.originator_id), {column: iso(event.at)}, event.at)
            elif isinstance(event, Shipment.Dispatched):
                self._dispatched(sql, event)
            elif isinstance(event, Shipment.Tracked):
                self._tracked(sql, event)

    @staticmethod
    def _received(sql: Sql, event: Any) -> None:
        o = event.order
        lines = {line["line_id"]: line["quantity"] for line in o["lines"]}
        placed = o.get("placed_at")
        sql.execute(
            "INSERT INTO otif_orders (order_id, channel, placed_at, lines, ordered_units, "
            "cancelled_units, shipped_units, delivered_units, cancelled_before_dispatch, "
            "at_risk_hours, updated_at) VALUES ({}, {}, {}, {}, {}, 0, 0, 0, 0, {}, {}) "
            "ON CONFLICT (order_id) DO NOTHING",
            (o["order_id"], o["channel"], _iso(placed) if placed else iso(event.timestamp),
             orjson.dumps(lines).decode(), sum(lines.values()),
             (o.get("terms") or {}).get("at_risk_hours", DEFAULT_AT_RISK_HOURS),
             iso(event.timestamp)),
        )  # fmt: skip

    def _promised(self, sql: Sql, order_id: str, promise: dict[str, str] | None) -> None:
        row = self._row(sql, order_id)
        if promise is None or row is None or row["ship_by"] is not None:
            return
        ship_by = datetime.fromisoformat(promise["ship_by"])
        warn = ship_by - timedelta(hours=row["at_risk_hours"])
        changes = {"ship_by": iso(ship_by), "deliver_by": _iso(promise["deliver_by"]),
                   "day": iso(ship_by)[:10], "warn_from": iso(warn)}  # fmt: skip
        self._set(sql, order_id, changes, ship_by)

    def _cancelled(self, sql: Sql, order_id: str, line_ids: list[str], at: datetime) -> None:
        row = self._row(sql, order_id)
        if row is None:
            return
        lines = orjson.loads(row["lines"])
        cancelled = row["cancelled_units"] + sum(lines.get(line_id, 0) for line_id in line_ids)
        whole = cancelled >= row["ordered_units"] and row["shipped_units"] == 0
        self._set(sql, order_id, {"cancelled_units": cancelled,
                                  "cancelled_before_dispatch": int(whole)}, at)  # fmt: skip

    def _dispatched(self, sql: Sql, event: Any) -> None:
        units, at = sum(event.lines.values()), iso(event.at)
        sql.execute(
            "INSERT INTO otif_shipments (shipment_id, order_id, units, dispatched_at, tracked) "
            "VALUES ({}, {}, {}, {}, 0) ON CONFLICT (shipment_id) DO NOTHING",
            (str(event.originator_id), event.order_id, units, at),
        )
        row = self._row(sql, event.order_id)
        if row is None:
            return
        last = max(filter(None, (row["last_dispatch_at"], at)))
        self._set(sql, event.order_id, {"shipped_units": row["shipped_units"] + units,
                                        "last_dispatch_at": last}, event.at)  # fmt: skip

    def _tracked(self, sql: Sql, event: Any) -> None:
        """Any carrier news makes the tracking number valid; a delivery counts its units
        delivered at the carrier's time; lost or returned units no longer count as shipped
        (a re-ship dispatches them again)."""
        shipment_id, at = str(event.originator_id), iso(event.at)
        found = sql.execute(
            "SELECT units FROM otif_shipments WHERE shipment_id = {}", (shipment_id,)
        ).fetchone()
        if found is None:
            return
        delivered = event.became == "delivered"
        sql.execute(
            "UPDATE otif_shipments SET tracked = 1, delivered_at = COALESCE({}, delivered_at) "
            "WHERE shipment_id = {}",
            (at if delivered else None, shipment_id),
        )
        row = self._row(sql, event.order_id)
        if row is None or event.became not in ("delivered", "lost", "returned_to_sender"):
            return
        units = found["units"]
        if delivered:
            last = max(filter(None, (row["last_delivery_at"], at)))
            changes = {"delivered_units": row["delivered_units"] + units, "last_delivery_at": last}
        else:
            changes = {"shipped_units": max(row["shipped_units"] - units, 0)}
        self._set(sql, event.order_id, changes, event.at)

    @staticmethod
    def _row(sql: Sql, order_id: str) -> Any:
        return sql.execute("SELECT * FROM otif_orders WHERE order_id = {}", (order_id,)).fetchone()

    @staticmethod
    def _set(sql: Sql, order_id: str, changes: dict[str, Any], at: datetime) -> None:
        changes = changes | {"updated_at": iso(at)}
        assignments = ", ".join(f"{column} = {{}}" for column in changes)
        sql.execute(
            f"UPDATE otif_orders SET {assignments} WHERE order_id = {{}}",
            (*changes.values(), order_id),
        )
