"""On Time In Full figures per channel and day, counted at the moment asked (`now`): an
order not yet due counts in no rate; docs/otif.md defines each figure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from adapters.readstore import ReadStore
from projections.order_status import iso

# Each order's facts as SQL over one otif_orders row; {now} is bound once per use.
LIVE = "(ordered_units - cancelled_units)"
COUNTED = "cancelled_before_dispatch = 0"
ALL_SHIPPED = f"({LIVE} > 0 AND shipped_units >= {LIVE})"
ALL_DELIVERED = f"({LIVE} > 0 AND delivered_units >= {LIVE})"
SHIP_DUE = f"({COUNTED} AND ship_by IS NOT NULL AND ({ALL_SHIPPED} OR ship_by < {{now}}))"
SHIPPED_ON_TIME = f"({SHIP_DUE} AND {ALL_SHIPPED} AND last_dispatch_at <= ship_by)"
DELIVERY_DUE = (
    f"({COUNTED} AND deliver_by IS NOT NULL AND ({ALL_DELIVERED} OR deliver_by < {{now}}))"
)
DELIVERED_ON_TIME = f"({DELIVERY_DUE} AND {ALL_DELIVERED} AND last_delivery_at <= deliver_by)"
IN_FULL = f"({DELIVERY_DUE} AND cancelled_units = 0 AND shipped_units >= ordered_units)"
OTIF = f"({DELIVERED_ON_TIME} AND cancelled_units = 0 AND delivered_units >= ordered_units)"
COUNTS = {
    "orders": "1 = 1",
    "cancelled_before_dispatch": "cancelled_before_dispatch = 1",
    "ship_due": SHIP_DUE,
    "shipped_on_time": SHIPPED_ON_TIME,
    "delivery_due": DELIVERY_DUE,
    "delivered_on_time": DELIVERED_ON_TIME,
    "in_full": IN_FULL,
    "otif": OTIF,
}


def otif_figures(
    store: ReadStore, now: datetime, first: date, last: date, channel: str | None
) -> list[dict[str, Any]]:
    """One row per channel and ship-by day with counts, rates and tracked shipments."""
    sums = ", ".join(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {name}"
                     for name, condition in COUNTS.items())  # fmt: skip
    where, params = "day >= {} AND day <= {}", [first.isoformat(), last.isoformat()]
    if channel is not None:
        where, params = where + " AND channel = {}", [*params, channel]
    stamp = iso(now)
    uses = sum(condition.count("{now}") for condition in COUNTS.values())
    query = f"SELECT channel, day, {sums} FROM otif_orders WHERE {where} GROUP BY channel, day"
    rows = store.query(query.replace("{now}", "{}"), [stamp] * uses + params)
    tracking = _tracking(store, first, last, channel)
    return [
        counted(dict(row), tracking.get((row["channel"], row["day"]), (0, 0)))
        for row in sorted(rows, key=lambda r: (r["channel"], r["day"]))
    ]


def _tracking(
    store: ReadStore, first: date, last: date, channel: str | None
) -> dict[tuple[str, str], tuple[int, int]]:
    where, params = "o.day >= {} AND o.day <= {}", [first.isoformat(), last.isoformat()]
    if channel is not None:
        where, params = where + " AND o.channel = {}", [*params, channel]
    rows = store.query(
        "SELECT o.channel, o.day, COUNT(*) AS dispatched, SUM(s.tracked) AS tracked "
        "FROM otif_shipments s JOIN otif_orders o ON o.order_id = s.order_id "
        f"WHERE {where} GROUP BY o.channel, o.day",
        params,
    )
    return {(r["channel"], r["day"]): (int(r["dispatched"]), int(r["tracked"] or 0)) for r in rows}


def counted(row: dict[str, Any], tracking: tuple[int, int]) -> dict[str, Any]:
    """Counts to percentages (None where nothing is due yet)."""
    counts = {name: int(row[name] or 0) for name in COUNTS}
    dispatched, tracked = tracking
    return {
        "channel": row["channel"],
        "day": row["day"],
        "counts": counts | {"shipments_dispatched": dispatched, "shipments_tracked": tracked},
        "shipped_on_time": _percent(counts["shipped_on_time"], counts["ship_due"]),
        "delivered_on_time": _percent(counts["delivered_on_time"], counts["delivery_due"]),
        "in_full": _percent(counts["in_full"], counts["delivery_due"]),
        "otif": _percent(counts["otif"], counts["delivery_due"]),
        "late_shipment_rate": _percent(
            counts["ship_due"] - counts["shipped_on_time"], counts["ship_due"]
        ),
        "valid_tracking_rate": _percent(tracked, dispatched),
        "cancellation_rate": _percent(counts["cancelled_before_dispatch"], counts["orders"]),
    }


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def due_for_warning(store: ReadStore, now: datetime, limit: int = 1000) -> list[str]:
    """Orders not dispatched in full whose warning time or ship-by has come and that the
    clock has not yet said so of (it decides each again on the aggregates)."""
    stamp = iso(now)
    rows = store.query(
        f"SELECT order_id FROM otif_orders WHERE {COUNTED} AND late_at IS NULL "
        f"AND NOT {ALL_SHIPPED} AND ((warn_from <= {{}} AND at_risk_at IS NULL) "
        "OR ship_by <= {}) ORDER BY ship_by LIMIT {}",
        (stamp, stamp, limit),
    )
    return [row["order_id"] for row in rows]
