"""Shipments read model: every shipment's state by location, the warehouse's pick list."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import orjson

from adapters.readstore import ReadStore, Sql
from domain.fulfilment.shipment import Shipment
from projections.order_status import iso


class ShipmentStatus(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    PICKED = "picked"
    PACKED = "packed"
    DISPATCHED = "dispatched"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERY_FAILED = "delivery_failed"
    DELIVERED = "delivered"
    RETURNED_TO_SENDER = "returned_to_sender"
    LOST = "lost"


class ShipmentsProjection:
    name = "shipments"
    upstream = "fulfilment"
    tables: tuple[str, ...] = ("shipments",)
    topics = (
        Shipment.Requested, Shipment.Accepted, Shipment.Picked, Shipment.Packed,
        Shipment.Dispatched, Shipment.Rejected, Shipment.LinesCancelled, Shipment.Tracked,
        Shipment.CarrierChosen,
    )  # fmt: skip

    def apply(self, sql: Sql, events: Sequence[Any]) -> None:
        for event in events:
            shipment_id, at = str(event.originator_id), iso(event.at)
            if isinstance(event, Shipment.Requested):
                sql.execute(
                    "INSERT INTO shipments (shipment_id, order_id, location, status, lines, "
                    "requested_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}) "
                    "ON CONFLICT (shipment_id) DO NOTHING",
                    (shipment_id, event.order_id, event.location, "requested",
                     orjson.dumps(event.lines).decode(), at, at),
                )  # fmt: skip
            else:
                self._update(sql, shipment_id, event, at)

    @staticmethod
    def _update(sql: Sql, shipment_id: str, event: Any, at: str) -> None:
        changes: dict[str, Any] = {"updated_at": at}
        if isinstance(event, Shipment.Accepted):
            changes["status"] = "accepted"
        elif isinstance(event, Shipment.Picked):
            lines = {line_id: q for line_id, q in event.picked.items() if q > 0}
            changes |= {"status": "picked" if lines else "cancelled",
                        "lines": orjson.dumps(lines).decode()}  # fmt: skip
        elif isinstance(event, Shipment.Packed):
            changes["status"] = "packed"
        elif isinstance(event, Shipment.Dispatched):
            changes |= {"status": "dispatched", "carrier": event.carrier,
                        "service": event.service, "tracking_number": event.tracking_number}  # fmt: skip
        elif isinstance(event, Shipment.CarrierChosen):  # the label printed at pack
            chosen = event.choice.get("chosen")
            if not chosen:
                return
            changes |= {"carrier": chosen["carrier"], "service": chosen["service"],
                        "tracking_number": event.label.get("tracking_number")}  # fmt: skip
        elif isinstance(event, Shipment.Rejected):
            changes["status"] = "rejected"
        elif isinstance(event, Shipment.Tracked):
            if event.became is None:
                return  # kept in the shipment's history only
            changes["status"] = event.became
            if event.became == "delivered":
                changes["delivered_at"] = at
        elif isinstance(event, Shipment.LinesCancelled):
            row = sql.execute(
                "SELECT lines FROM shipments WHERE shipment_id = {}", (shipment_id,)
            ).fetchone()
            left = (
                {k: v for k, v in orjson.loads(row["lines"]).items() if k not in event.line_ids}
                if row
                else {}
            )
            changes["lines"] = orjson.dumps(left).decode()
            if not left:
                changes["status"] = "cancelled"
        assignments = ", ".join(f"{column} = {{}}" for column in changes)
        sql.execute(
            f"UPDATE shipments SET {assignments} WHERE shipment_id = {{}}",
            (*changes.values(), shipment_id),
        )


def pick_list(store: ReadStore, location: str, status: str | None) -> list[dict[str, Any]]:
    """A location's shipments, the most urgent first: by their order's promised ship-by (the
    OTIF read model keeps it), then by when they were requested."""
    clause, params = (" AND s.status = {}", [location, status]) if status else ("", [location])
    rows = store.query(
        "SELECT s.*, o.ship_by FROM shipments s LEFT JOIN otif_orders o "
        "ON o.order_id = s.order_id WHERE s.location = {}" + clause
        + " ORDER BY COALESCE(o.ship_by, '9999'), s.requested_at, s.shipment_id LIMIT 1000",
        params,
    )  # fmt: skip
    return [dict(row, lines=orjson.loads(row["lines"])) for row in rows]
