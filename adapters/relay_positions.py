"""Where `dom relay` keeps how far it has published, and what it says when it cannot go on.

The position of each context (table `relay_positions`, migration 0013) is
written only after JetStream acknowledged every message up to it, so it is
never ahead of the stream. Its health goes to `follower_status` under the
name `relay`, which `/ready` in any process reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from adapters.readstore import ReadStore, Row

NAME = "relay"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class RelayPositions:
    def __init__(self, store: ReadStore, stream: str) -> None:
        self.store = store
        self.stream = stream

    def load(self) -> dict[str, int]:
        rows = self.store.query(
            "SELECT context, notification_id FROM relay_positions WHERE stream = {}",
            (self.stream,),
        )
        return {row["context"]: int(row["notification_id"]) for row in rows}

    def save(self, positions: Mapping[str, int]) -> None:
        """Store positions that JetStream has acknowledged (never call it before)."""
        with self.store.transaction() as sql:
            for context, position in positions.items():
                sql.execute(
                    "INSERT INTO relay_positions VALUES ({}, {}, {}, {}) "
                    "ON CONFLICT (stream, context) DO UPDATE SET "
                    "notification_id = excluded.notification_id, updated_at = excluded.updated_at",
                    (self.stream, context, position, _now()),
                )

    def report(self) -> list[Row]:
        return self.store.query(
            "SELECT context, notification_id, updated_at FROM relay_positions "
            "WHERE stream = {} ORDER BY context",
            (self.stream,),
        )

    def health(
        self,
        state: Literal["running", "failing", "stalled"],
        error: str | None = None,
        notification_id: int | None = None,
        topic: str | None = None,
    ) -> None:
        """The relay's row in `follower_status`: gone while running, so /ready is degraded
        exactly while the relay cannot publish."""
        with self.store.transaction() as sql:
            sql.execute("DELETE FROM follower_status WHERE name = {}", (NAME,))
            if state != "running":
                sql.execute(
                    "INSERT INTO follower_status VALUES ({}, {}, {}, {}, {}, {})",
                    (NAME, state, error, notification_id, topic, _now()),
                )
