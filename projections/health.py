"""How followers fail alone: bounded attempts with backoff, and a health each one reports.

A follower that cannot go on never retries without a bound and never raises
into the command that drove it. It is either

- `failing`: the store did not answer (connection refused or dropped, a lock
  or a full disk); it tries again at its next call, from its position;
- `stalled` (projections): an event it cannot apply; it stops, keeps its
  position, and resumes when the process is restarted after the fix. Other
  followers and every command go on.

Policies never stall: an event they cannot react to is parked (domain/parking.py).

Each change of health is logged, counted in the metrics, and written to the
`follower_status` table so that `/ready` in any process shows it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from eventsourcing.persistence import InterfaceError, OperationalError
from prometheus_client import Counter, Gauge

from adapters.postgres_store import waited_for_a_connection
from adapters.readstore import ReadStore

T = TypeVar("T")
log = logging.getLogger("dom.followers")
TRANSIENT = (OperationalError, InterfaceError)  # the store did not answer: try again later
ATTEMPTS = 4
BACKOFF = 0.05  # seconds before the second attempt, doubled each time after

POSITION = Gauge("dom_follower_position", "Last upstream position processed", ["follower"])
STALLED = Gauge("dom_follower_stalled", "1 while a projection is stalled on an event", ["follower"])
FAILURES = Counter(
    "dom_follower_failures_total", "Attempts that failed, by kind", ["follower", "kind"]
)
PARKED = Counter("dom_reactions_parked_total", "Events a policy parked", ["policy"])


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def transient(error: BaseException) -> bool:
    return isinstance(error, TRANSIENT)


def now() -> datetime:
    """Runtime bookkeeping (health, parking) is stamped here, outside the domain."""
    return datetime.now(UTC)


@dataclass
class Health:
    state: Literal["running", "failing", "stalled"] = "running"
    error: str | None = None
    notification_id: int | None = None
    topic: str | None = None
    since: str | None = None

    def as_record(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


class Watch:
    """One follower's health: in memory, and in `follower_status` when it changes."""

    def __init__(self, name: str, store: ReadStore) -> None:
        self.name = name
        self.store = store
        self.health = Health()
        self._recorded = True  # a row may be left by an earlier process: cleared on first progress

    @property
    def stalled(self) -> bool:
        return self.health.state == "stalled"

    def ok(self, position: int) -> None:
        POSITION.labels(self.name).set(position)
        if self.health.state != "running":
            log.warning("%s recovered at position %s", self.name, position)
            self.health = Health()
            STALLED.labels(self.name).set(0)
        if self._recorded:
            self._write()

    def failing(self, error: BaseException) -> None:
        FAILURES.labels(self.name, "store").inc()
        if self.health.state != "failing" or self.health.error != describe(error):
            log.error("%s cannot reach its store: %s", self.name, describe(error))
            self.health = Health("failing", describe(error), since=now().isoformat())
            if not waited_for_a_connection(error):  # else writing it would wait as long again
                self._write()

    def stall(self, error: BaseException, notification_id: int | None, topic: str | None) -> None:
        FAILURES.labels(self.name, "event").inc()
        STALLED.labels(self.name).set(1)
        log.error(
            "%s stalled: cannot apply notification %s (%s): %s",
            self.name, notification_id, topic, describe(error), exc_info=error,
        )  # fmt: skip
        self.health = Health("stalled", describe(error), notification_id, topic, now().isoformat())
        self._write()

    def _write(self) -> None:
        """Best effort: when the read store itself is away, the health stays in memory."""
        self._recorded = self.health.state != "running"
        try:
            with self.store.transaction() as sql:
                sql.execute("DELETE FROM follower_status WHERE name = {}", (self.name,))
                if self.health.state != "running":
                    h = self.health
                    sql.execute(
                        "INSERT INTO follower_status VALUES ({}, {}, {}, {}, {}, {})",
                        (self.name, h.state, h.error, h.notification_id, h.topic, h.since),
                    )
        except Exception as error:  # the store is the problem; the log has it
            self._recorded = True  # try again at the next change
            log.warning("%s could not record its health: %s", self.name, describe(error))


def attempts(run: Callable[[], T], on_failure: Callable[[BaseException], None]) -> T | None:
    """Run with bounded attempts while the store does not answer; None when it never did."""
    delay = BACKOFF
    for attempt in range(ATTEMPTS):
        try:
            return run()
        except TRANSIENT as error:
            if attempt == ATTEMPTS - 1 or waited_for_a_connection(error):
                on_failure(error)  # after waiting the store timeout, do not wait again
                return None
            time.sleep(delay)
            delay *= 2
    return None
