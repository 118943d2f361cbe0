"""Order status read model: the list of orders with filters, and each order's detail.

`OrderStatusView` owns the table and its writes; `OrderStatusProjection`
maps Order events to those writes and nothing else. Each row counts the
events applied to it and the last aggregate version seen, and refuses an
event that is not the next version: a duplicate or a gap fails loudly
instead of corrupting the view.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from adapters.readstore import Row, Sql, marks
from domain.orders.lines import UNDELIVERED
from domain.orders.order import LineState, Order, completion_due, roll_up

COLUMNS = (
    "order_id", "channel", "channel_order_id", "status", "customer_email", "customer_name",
    "placed_at", "currency", "total", "line_count", "detail", "version", "applied_events",
    "updated_at", "complete_after",
)  # fmt: skip


class ProjectionGap(RuntimeError):
    """An event arrived out of sequence for its order: never swallow this."""


def iso(moment: datetime) -> str:
    """Fixed-width UTC text, so that text order is time order in every database."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class OrderStatusView:
    """Writes of the order_status table, batched per transaction."""

    def __init__(self, sql: Sql) -> None:
        self.sql = sql
        self.rows: dict[str, dict[str, Any]] = {}

    def record_placed(
        self, order_id: str, version: int, placed: dict[str, Any], at: datetime
    ) -> None:
        lines = [dict(line, state=LineState.OPEN.value) for line in placed["lines"]]
        detail = dict(placed, order_id=order_id, placed_at=iso(placed["placed_at"]), lines=lines,
                      received_at=iso(at), holds=[], history=[])  # fmt: skip
        if order_id in self.rows:
            raise ProjectionGap(f"order {order_id} placed twice")
        # A row already stored for this order makes the INSERT in flush() fail loudly.
        self.rows[order_id] = {"detail": detail, "version": 0, "applied_events": 0, "new": True}
        self._advance(order_id, version, "placed", at)

    def record_held(self, order_id: str, version: int, reason: str, at: datetime) -> None:
        detail = self._detail(order_id)
        detail["holds"].append(reason)
        self._advance(order_id, version, "held", at, reason=reason)

    def record_released(self, order_id: str, version: int, at: datetime) -> None:
        self._detail(order_id)["holds"] = []
        self._advance(order_id, version, "released", at)

    def record_cancelled(
        self, order_id: str, version: int, line_ids: list[str], reason: str, at: datetime
    ) -> None:
        for line in self._detail(order_id)["lines"]:
            if line["line_id"] in line_ids:
                line["state"], line["cancel_reason"] = LineState.CANCELLED.value, reason
        self._advance(order_id, version, "cancelled", at, reason=reason, line_ids=line_ids)

    def record_lines_progressed(
        self, order_id: str, version: int, states: dict[str, str], at: datetime
    ) -> None:
        for line in self._detail(order_id)["lines"]:
            line["state"] = states.get(line["line_id"], line["state"])
        self._advance(order_id, version, "lines_progressed", at, states=states)

    def record_allocated(
        self, order_id: str, version: int, location: str, lines: dict[str, int], at: datetime
    ) -> None:
        for line in self._detail(order_id)["lines"]:
            if line["line_id"] in lines:
                line.setdefault("allocations", {})[location] = lines[line["line_id"]]
                if line["state"] == LineState.OPEN.value:
                    line["state"] = LineState.ALLOCATED.value
        self._advance(order_id, version, "allocated", at, location=location, lines=lines)

    def record_deallocated(
        self,
        order_id: str,
        version: int,
        location: str,
        line_ids: list[str],
        reason: str,
        at: datetime,
    ) -> None:
        for line in self._detail(order_id)["lines"]:
            held = line.get("allocations", {})
            if line["line_id"] in line_ids and location in held:
                del held[location]
                if not held and line["state"] == LineState.ALLOCATED.value:
                    line["state"] = LineState.OPEN.value
        self._advance(order_id, version, "deallocated", at, location=location, reason=reason)

    def record_dated(
        self, order_id: str, version: int, promise: dict[str, str],
        expected: dict[str, str] | None, at: datetime,
    ) -> None:  # fmt: skip
        detail = self._detail(order_id)
        detail["promise"], detail["expected"] = promise, expected
        self._advance(order_id, version, "dated", at, promise=promise, expected=expected)

    def record_shipped(
        self,
        order_id: str,
        version: int,
        shipment_id: str,
        location: str,
        lines: dict[str, int],
        carrier: dict[str, str],
        at: datetime,
    ) -> None:
        detail = self._detail(order_id)
        for line in detail["lines"]:
            if line["line_id"] in lines:
                line["shipped"] = line.get("shipped", 0) + lines[line["line_id"]]
                if (
                    line["state"] != LineState.CANCELLED.value
                    and line["shipped"] >= line["quantity"]
                ):
                    line["state"] = LineState.SHIPPED.value
        shipment = {"shipment_id": shipment_id, "location": location, "lines": lines,
                    "tracking_link": None, **carrier, "status": "dispatched",
                    "dispatched_at": iso(at), "delivered_at": None}  # fmt: skip
        detail.setdefault("shipments", []).append(shipment)
        self._advance(order_id, version, "shipped", at, shipment_id=shipment_id, location=location)

    def record_shipment_tracked(
        self, order_id: str, version: int, shipment_id: str, status: str, at: datetime
    ) -> None:
        """As Order.ShipmentTracked: delivered units per line; lost or returned units are
        no longer shipped."""
        detail = self._detail(order_id)
        [shipment] = [s for s in detail["shipments"] if s["shipment_id"] == shipment_id]
        shipment["status"] = status
        if status == "delivered":
            shipment["delivered_at"] = iso(at)
        for line in detail["lines"]:
            units = shipment["lines"].get(line["line_id"], 0)
            if not units:
                continue
            if status == "delivered":
                line["delivered"] = line.get("delivered", 0) + units
                if (
                    line["state"] != LineState.CANCELLED.value
                    and line["delivered"] >= line["quantity"]
                ):
                    line["state"] = LineState.DELIVERED.value
            elif status in UNDELIVERED:
                line["shipped"] = line.get("shipped", 0) - units
                if line["state"] == LineState.SHIPPED.value:
                    held = line.get("allocations")
                    line["state"] = (LineState.ALLOCATED if held else LineState.OPEN).value
        self._advance(order_id, version, "shipment_tracked", at, shipment_id=shipment_id,
                      shipment_status=status)  # fmt: skip

    def record_completed(self, order_id: str, version: int, at: datetime) -> None:
        self._detail(order_id)
        self._advance(order_id, version, "completed", at)

    def flush(self) -> None:
        new = [self._values(oid, row) for oid, row in self.rows.items() if row.get("new")]
        old = [self._values(oid, row) for oid, row in self.rows.items() if not row.get("new")]
        if new:
            placeholders = marks(len(COLUMNS))
            self.sql.executemany(
                f"INSERT INTO order_status ({', '.join(COLUMNS)}) VALUES ({placeholders})", new
            )
        if old:
            assignments = ", ".join(column + " = {}" for column in COLUMNS[1:])
            self.sql.executemany(
                "UPDATE order_status SET " + assignments + " WHERE order_id = {}",
                [(*values[1:], values[0]) for values in old],
            )
        self.rows.clear()

    def _advance(self, order_id: str, version: int, kind: str, at: datetime, **facts: Any) -> None:
        row = self.rows[order_id]
        if version != row["version"] + 1:
            raise ProjectionGap(f"order {order_id}: got version {version} after {row['version']}")
        detail = row["detail"]
        states = {line["line_id"]: LineState(line["state"]) for line in detail["lines"]}
        partly = any(
            line.get("shipped") and line["state"] in (LineState.OPEN, LineState.ALLOCATED)
            for line in detail["lines"]
        )
        detail["status"] = roll_up(states, detail["holds"], partly).value
        if kind == "completed" or detail.get("completed_at"):
            detail["status"] = "completed"
            detail["completed_at"] = detail.get("completed_at") or iso(at)
        detail["history"].append({"event": kind, "at": iso(at), "version": version, **facts})
        detail["updated_at"] = iso(at)
        row["version"] = detail["version"] = version
        row["applied_events"] += 1

    def _detail(self, order_id: str) -> dict[str, Any]:
        if order_id not in self.rows:
            loaded = self._load(order_id)
            if loaded is None:
                raise ProjectionGap(f"order {order_id} has events but was never placed")
            self.rows[order_id] = loaded
        detail: dict[str, Any] = self.rows[order_id]["detail"]
        return detail

    def _load(self, order_id: str) -> dict[str, Any] | None:
        found = self.sql.execute(
            "SELECT detail, version, applied_events FROM order_status WHERE order_id = {}",
            (order_id,),
        ).fetchone()
        if found is None:
            return None
        return dict(found, detail=orjson.loads(found["detail"]))

    @staticmethod
    def _values(order_id: str, row: dict[str, Any]) -> tuple[Any, ...]:
        d = row["detail"]
        return (
            order_id, d["channel"], d["channel_order_id"], d["status"],
            d["customer"]["email"].lower(), d["customer"]["name"], d["placed_at"], d["currency"],
            d["total"], len(d["lines"]), orjson.dumps(d).decode(), row["version"],
            row["applied_events"], d["updated_at"], _complete_after(d),
        )  # fmt: skip


def _complete_after(detail: dict[str, Any]) -> str | None:
    """When the clock may complete a delivered order: its return window after the last
    delivery (docs/otif.md); None for any other status."""
    delivered = [s["delivered_at"] for s in detail.get("shipments", []) if s.get("delivered_at")]
    due = completion_due(delivered, detail.get("terms"))
    return iso(due) if due is not None and detail["status"] == "delivered" else None


class OrderStatusProjection:
    name = "order_status"
    upstream = "orders"
    tables: tuple[str, ...] = ("order_status",)
    topics = (
        Order.Placed, Order.Held, Order.Released, Order.Cancelled, Order.LinesProgressed,
        Order.Allocated, Order.Deallocated, Order.Shipped, Order.ShipmentTracked, Order.Dated,
        Order.Completed,
    )  # fmt: skip

    def apply(self, sql: Sql, events: Sequence[Any]) -> None:
        view = OrderStatusView(sql)
        for event in events:
            self._apply_one(view, event)
        view.flush()

    @staticmethod
    def _apply_one(view: OrderStatusView, event: Any) -> None:
        order_id, version = str(event.originator_id), event.originator_version
        if isinstance(event, Order.Placed):
            view.record_placed(order_id, version, event.placed, event.at)
        elif isinstance(event, Order.Held):
            view.record_held(order_id, version, event.reason, event.at)
        elif isinstance(event, Order.Released):
            view.record_released(order_id, version, event.at)
        elif isinstance(event, Order.Cancelled):
            view.record_cancelled(order_id, version, event.line_ids, event.reason, event.at)
        elif isinstance(event, Order.LinesProgressed):
            view.record_lines_progressed(order_id, version, event.states, event.at)
        elif isinstance(event, Order.Allocated):
            view.record_allocated(order_id, version, event.location, event.lines, event.at)
        elif isinstance(event, Order.Deallocated):
            view.record_deallocated(
                order_id, version, event.location, event.line_ids, event.reason, event.at
            )
        elif isinstance(event, Order.Completed):
            view.record_completed(order_id, version, event.at)
        elif isinstance(event, Order.Dated):
            view.record_dated(order_id, version, event.promise, event.expected, event.at)
        elif isinstance(event, Order.Shipped):
            view.record_shipped(order_id, version, event.shipment_id, event.location,
                                event.lines, event.carrier, event.at)  # fmt: skip
        elif isinstance(event, Order.ShipmentTracked):
            view.record_shipment_tracked(order_id, version, event.shipment_id, event.status,
                                         event.at)  # fmt: skip
        else:
            raise ProjectionGap(f"order_status cannot apply {type(event).__qualname__}")


def summary(row: Row) -> dict[str, Any]:
    """The list representation of one order."""
    return {
        "order_id": row["order_id"],
        "channel": row["channel"],
        "channel_order_id": row["channel_order_id"],
        "status": row["status"],
        "customer_email": row["customer_email"],
        "customer_name": row["customer_name"],
        "placed_at": row["placed_at"],
        "currency": row["currency"],
        "total": row["total"],
        "line_count": row["line_count"],
        "updated_at": row["updated_at"],
    }
