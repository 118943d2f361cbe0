"""Payments read model: each payment's state per order (what the order detail and the
statement import read: which transfers still wait, and for how much)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from adapters.readstore import ReadStore, Sql
from domain.payments.payment import PENDING_METHODS, Payment
from projections.order_status import iso


class PaymentsProjection:
    name = "payments"
    upstream = "payments"
    tables: tuple[str, ...] = ("payments",)
    topics = (Payment.Opened, Payment.Received, Payment.Captured, Payment.Refunded,
              Payment.Voided, Payment.Failed, Payment.Expired)  # fmt: skip

    def apply(self, sql: Sql, events: Sequence[Any]) -> None:
        for event in events:
            payment_id, at = str(event.originator_id), iso(event.at)
            if isinstance(event, Payment.Opened):
                expires = iso(event.expires_at) if event.expires_at else None
                sql.execute(
                    "INSERT INTO payments VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, "
                    "'0', '0', '0', {}, {}, {}, {}) ON CONFLICT (payment_id) DO NOTHING",
                    (payment_id, event.order_id, event.channel, event.channel_order_id,
                     event.method, event.provider, event.reference, event.status,
                     event.currency, str(event.amount), event.due_on, expires,
                     event.originator_version, at),
                )  # fmt: skip
                continue
            row = sql.execute(
                "SELECT * FROM payments WHERE payment_id = {}", (payment_id,)
            ).fetchone()
            if row is None:
                continue
            changes = _changes(event, row)
            sets = ", ".join(f"{column} = {{}}" for column in changes)
            sql.execute(
                f"UPDATE payments SET {sets}, version = {{}}, updated_at = {{}} "
                "WHERE payment_id = {}",
                (*changes.values(), event.originator_version, at, payment_id),
            )


def _changes(event: Any, row: dict[str, Any]) -> dict[str, Any]:
    kind = type(event).__name__
    if kind in ("Received", "Captured", "Refunded"):
        column = {"Received": "arrived", "Captured": "captured", "Refunded": "refunded"}[kind]
        total = Decimal(row[column]) + Decimal(event.amount)
        status = {"Received": "paid" if getattr(event, "paid", False) else row["status"],
                  "Captured": "captured", "Refunded": row["status"]}[kind]  # fmt: skip
        return {column: str(total), "status": status}
    if kind == "Voided":
        return {"status": row["status"] if Decimal(row["captured"]) else "voided"}
    return {"status": {"Failed": "failed", "Expired": "expired"}[kind]}


def payments_of(store: ReadStore, order_id: str) -> list[dict[str, Any]]:
    return store.query(
        "SELECT * FROM payments WHERE order_id = {} ORDER BY payment_id", (order_id,)
    )


def transfers(store: ReadStore) -> list[dict[str, Any]]:
    """Every payment that money comes in for (paid ones too: a statement imported again
    matches them, and finds its entries recorded already)."""
    marks = ", ".join("{}" for _ in PENDING_METHODS)
    return store.query(f"SELECT * FROM payments WHERE method IN ({marks})", PENDING_METHODS)


SHOWN = (
    "payment_id",
    "method",
    "provider",
    "reference",
    "status",
    "currency",
    "amount",
    "arrived",
    "captured",
    "refunded",
    "due_on",
    "expires_at",
)


def payment_documents(store: ReadStore, order_id: str) -> list[dict[str, Any]]:
    """An order's payments as the order detail shows them; `outstanding`: what a transfer
    still waits for."""
    shown = []
    for row in payments_of(store, order_id):
        outstanding = max(Decimal(row["amount"]) - Decimal(row["arrived"]), Decimal(0))
        document = {key: row[key] for key in SHOWN}
        document["outstanding"] = str(outstanding) if row["status"] == "pending" else "0"
        shown.append(document)
    return shown
