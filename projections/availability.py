"""Availability read model: locations, and stock per SKU and location, in real time.

Every StockItem event carries the levels it leaves behind, so the view sets
them instead of recomputing; a version check refuses gaps and duplicates.
Available-to-promise across the network is a query over these tables
(`availability_queries`), so it can never disagree with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from adapters.readstore import Sql, marks
from domain.fulfilment.location import Location
from domain.fulfilment.stock_item import StockItem
from projections.order_status import ProjectionGap, iso

LEVELS = ("on_hand", "reserved", "safety_stock")
# Every StockItem event after Created; a new one missing here shows up as a version gap.
STOCK_EVENTS = (
    "Counted", "CountConfirmed", "Received", "Adjusted", "Damaged", "SafetyStockSet",
    "Reserved", "ReservationsReleased", "ReservationsGivenBack", "Dispatched",
    "Shipped",
)  # fmt: skip


class AvailabilityView:
    """Writes of the availability tables; stock rows are batched per transaction."""

    def __init__(self, sql: Sql) -> None:
        self.sql = sql
        self.items: dict[str, dict[str, Any]] = {}

    def record_location(self, location_id: str, profile: dict[str, Any], at: str) -> None:
        code = profile["code"].upper()
        self.sql.execute("DELETE FROM locations WHERE location_id = {}", (location_id,))
        self.sql.execute(
            "INSERT INTO locations VALUES (" + marks(10) + ")",
            (location_id, code, profile["name"], profile["type"], profile["country"],
             int(profile["active"]), profile["priority"], profile["daily_capacity"],
             orjson.dumps(profile).decode(), at),
        )  # fmt: skip
        self.sql.execute("DELETE FROM location_channels WHERE code = {}", (code,))
        channels = [(code, channel) for channel in profile["channels"]]
        if channels:
            self.sql.executemany("INSERT INTO location_channels VALUES ({}, {})", channels)

    def change_location(self, location_id: str, changes: dict[str, Any], at: str) -> None:
        row = self.sql.execute(
            "SELECT detail FROM locations WHERE location_id = {}", (location_id,)
        ).fetchone()
        if row is None:
            raise ProjectionGap(f"location {location_id} changed before it was registered")
        self.record_location(location_id, {**orjson.loads(row["detail"]), **changes}, at)

    def open_item(self, item_id: str, location: str, sku: str, at: str) -> None:
        if item_id in self.items:
            raise ProjectionGap(f"stock item {item_id} created twice")
        self.items[item_id] = {"location_code": location, "sku": sku, "version": 1,
                               "updated_at": at, "new": True, **dict.fromkeys(LEVELS, 0)}  # fmt: skip

    def set_levels(self, item_id: str, version: int, levels: dict[str, int], at: str) -> None:
        item = self.items.get(item_id) or self._load(item_id)
        if version != item["version"] + 1:
            raise ProjectionGap(f"stock item {item_id}: version {version} after {item['version']}")
        item.update(levels, version=version, updated_at=at)
        self.items[item_id] = item

    def flush(self) -> None:
        columns = ("location_code", "sku", *LEVELS, "available", "version", "updated_at")
        rows = {
            item_id: [*(item[c] for c in columns[:5]),
                      item["on_hand"] - item["reserved"] - item["safety_stock"],
                      item["version"], item["updated_at"]]
            for item_id, item in self.items.items()
        }  # fmt: skip
        inserts = [[i, *row] for i, row in rows.items() if self.items[i].get("new")]
        updates = [[*row, i] for i, row in rows.items() if not self.items[i].get("new")]
        if inserts:
            slots = marks(len(columns) + 1)
            self.sql.executemany(
                f"INSERT INTO stock_levels (item_id, {', '.join(columns)}) VALUES ({slots})",
                inserts,
            )
        if updates:
            assignments = ", ".join(c + " = {}" for c in columns)
            self.sql.executemany(
                "UPDATE stock_levels SET " + assignments + " WHERE item_id = {}", updates
            )
        self.items.clear()

    def _load(self, item_id: str) -> dict[str, Any]:
        row = self.sql.execute(
            "SELECT * FROM stock_levels WHERE item_id = {}", (item_id,)
        ).fetchone()
        if row is None:
            raise ProjectionGap(f"stock item {item_id} has events but was never created")
        return row


class AvailabilityProjection:
    name = "availability"
    upstream = "fulfilment"
    tables: tuple[str, ...] = ("locations", "location_channels", "stock_levels")
    topics = (
        Location.Registered,
        Location.Changed,
        StockItem.Created,
        *(getattr(StockItem, name) for name in STOCK_EVENTS),
    )

    def apply(self, sql: Sql, events: Sequence[Any]) -> None:
        view = AvailabilityView(sql)
        for event in events:
            self._apply_one(view, event)
        view.flush()

    @staticmethod
    def _apply_one(view: AvailabilityView, event: Any) -> None:
        aggregate_id, at = str(event.originator_id), iso(event.timestamp)
        if isinstance(event, Location.Registered):
            view.record_location(aggregate_id, event.profile, at)
        elif isinstance(event, Location.Changed):
            view.change_location(aggregate_id, event.changes, at)
        elif isinstance(event, StockItem.Created):
            view.open_item(aggregate_id, event.location_code, event.sku, at)
        elif isinstance(event, StockItem.Event):
            # Every other StockItem event carries its resulting levels (or none: a
            # confirmed count changes no figure but still advances the version).
            view.set_levels(
                aggregate_id, event.originator_version, getattr(event, "levels", {}), at
            )
        elif isinstance(event, Location.Event):
            raise ProjectionGap(f"availability cannot apply {type(event).__qualname__}")
        # Events of the context's other aggregates (orders to fulfil, shipments,
        # policies) are not about availability.
