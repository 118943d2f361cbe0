"""Parked reactions as rows people can see and act on: one table per context they are
recorded in (a policy parks in its own context; see domain/parking.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from adapters.readstore import ReadStore, Sql
from domain.parking import ParkedReactions
from projections.order_status import iso

CONTEXTS = ("orders", "fulfilment")


class ParkedView:
    def __init__(self, sql: Sql, table: str) -> None:
        self.sql, self.table = sql, table

    def park(self, policy: str, subject: str, topic: str, error: str, notification_id: int,
             at: str) -> None:  # fmt: skip
        events = orjson.dumps([{"notification_id": notification_id, "topic": topic}]).decode()
        self.sql.execute(
            "INSERT INTO {table} VALUES ({}, {}, {}, {}, {}, 0, {}, {})",
            (policy, subject, topic, error, events, at, at),
            table=self.table,
        )

    def hold_back(self, policy: str, subject: str, topic: str, notification_id: int,
                  at: str) -> None:  # fmt: skip
        row = self._row(policy, subject)
        events = [
            *orjson.loads(row["events"]),
            {"notification_id": notification_id, "topic": topic},
        ]
        self.sql.execute(
            "UPDATE {table} SET events = {}, updated_at = {} WHERE policy = {} AND subject = {}",
            (orjson.dumps(events).decode(), at, policy, subject),
            table=self.table,
        )

    def resolve(self, policy: str, subject: str) -> None:
        self.sql.execute(
            "DELETE FROM {table} WHERE policy = {} AND subject = {}",
            (policy, subject),
            table=self.table,
        )

    def retry_failed(self, policy: str, subject: str, error: str, at: str) -> None:
        self._row(policy, subject)
        self.sql.execute(
            "UPDATE {table} SET error = {}, retries = retries + 1, updated_at = {} "
            "WHERE policy = {} AND subject = {}",
            (error, at, policy, subject),
            table=self.table,
        )

    def _row(self, policy: str, subject: str) -> dict[str, Any]:
        row = self.sql.execute(
            "SELECT * FROM {table} WHERE policy = {} AND subject = {}",
            (policy, subject),
            table=self.table,
        ).fetchone()
        if row is None:
            raise LookupError(f"{policy}/{subject} was never parked")
        return row


class ParkedProjection:
    tables: tuple[str, ...]
    topics = (
        ParkedReactions.Created,  # read and ignored: keeps the version sequence whole
        ParkedReactions.Parked,
        ParkedReactions.HeldBack,
        ParkedReactions.Resolved,
        ParkedReactions.RetryFailed,
    )

    def __init__(self, context: str) -> None:
        self.upstream = context
        self.name = f"parked_{context}"
        self.tables = (f"parked_{context}",)

    def apply(self, sql: Sql, events: Sequence[Any]) -> None:
        view = ParkedView(sql, self.tables[0])
        for event in events:
            policy = getattr(event, "policy", "")
            if isinstance(event, ParkedReactions.Parked):
                view.park(policy, event.subject, event.topic, event.error, event.notification_id,
                          iso(event.at))  # fmt: skip
            elif isinstance(event, ParkedReactions.HeldBack):
                view.hold_back(policy, event.subject, event.topic, event.notification_id,
                               iso(event.at))  # fmt: skip
            elif isinstance(event, ParkedReactions.Resolved):
                view.resolve(policy, event.subject)
            elif isinstance(event, ParkedReactions.RetryFailed):
                view.retry_failed(policy, event.subject, event.error, iso(event.at))


def parked_items(store: ReadStore, subject: str | None = None) -> list[dict[str, Any]]:
    """Every parked reaction (or those about one subject), oldest first, with the action
    that retries it."""
    clause, params = ("WHERE subject = {} ", [subject]) if subject is not None else ("", [])
    items = []
    for context in CONTEXTS:
        rows = store.query(
            "SELECT * FROM {table} " + clause + "ORDER BY since", params,
            table=f"parked_{context}",
        )  # fmt: skip
        for row in rows:
            items.append({
                "kind": "parked", "policy": row["policy"], "subject": row["subject"],
                "topic": row["topic"], "reason": row["error"], "retries": row["retries"],
                "events": len(orjson.loads(row["events"])), "since": row["since"],
                "updated_at": row["updated_at"],
                "actions": [{"name": "retry", "method": "POST",
                             "href": f"/exceptions/parked/{row['policy']}/{row['subject']}/retry"}],
            })  # fmt: skip
    return sorted(items, key=lambda item: item["since"])
