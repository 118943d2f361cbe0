"""Group commit: concurrent plain saves share one database transaction.

Each writer thread queues its stored events. A thread that finds no commit
under way becomes the leader: it takes what is queued (up to MAX_BATCH_EVENTS),
inserts it in one transaction and hands every writer its own notification
ids. One commit (one fsync, one PostgreSQL table lock) then serves many
saves, so throughput grows with concurrency.

Every writer returns only once its own request is settled: a writer whose
request did not fit in the batch it led leads the next one. What goes wrong
in a shared batch reaches the right writers:

- a conflict or any other refusal (one writer's event the database or the
  driver will not take) sends the batch back one writer at a time, so only
  that writer sees its error, as it would have without group commit;
- the store being away (the library's OperationalError or InterfaceError:
  connection lost, timeout, disk full, locked) reaches every writer of the
  batch, who must treat the outcome as unknown;
- a leader stopped by KeyboardInterrupt or SystemExit still settles its batch
  (outcome unknown), and a waiter that finds its leader's thread gone takes
  over, so no writer waits for a leader that will never answer.

Saves that carry a tracking record (a policy's reaction and the position it
processed) go straight through: each is its own transaction, so two
processes racing for one position conflict exactly as the library intends.

Selected through the library's APPLICATION_RECORDER_TOPIC and
PROCESS_RECORDER_TOPIC settings.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresProcessRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteProcessRecorder

MAX_BATCH_EVENTS = 1000
# A waiter looks this often whether its leader's thread still exists.
LEADER_CHECK_SECONDS = 1.0
STORE_AWAY = (OperationalError, InterfaceError)

Ids = Sequence[int] | None
Outcome = tuple[Ids, BaseException | None]


class _Request:
    __slots__ = ("error", "events", "ids", "settled")

    def __init__(self, events: Sequence[StoredEvent]) -> None:
        self.events = events
        self.ids: Ids = None
        self.error: BaseException | None = None
        self.settled = False

    def settle(self, outcome: Outcome) -> None:
        self.ids, self.error = outcome
        self.settled = True

    def result(self) -> Ids:
        if self.error is not None:
            raise self.error
        return self.ids


def _unknown(reason: str) -> OperationalError:
    return OperationalError(f"group commit: {reason}; the outcome of this save is unknown")


class GroupCommit:
    """Coalesces concurrent `insert(events)` calls into shared transactions."""

    def __init__(self, insert: Callable[[Sequence[StoredEvent]], Ids]) -> None:
        self._insert = insert
        self._cond = threading.Condition()
        self._queue: deque[_Request] = deque()
        self._leader: threading.Thread | None = None
        self._in_flight: list[_Request] = []

    @property
    def queued(self) -> int:
        """Saves waiting for a leader to take them."""
        with self._cond:
            return len(self._queue)

    def insert(self, events: Sequence[StoredEvent]) -> Ids:
        request = _Request(events)
        with self._cond:
            self._queue.append(request)
        while True:
            batch = self._wait_or_lead(request)
            if batch is None:
                return request.result()
            self._lead(batch)

    def _wait_or_lead(self, request: _Request) -> list[_Request] | None:
        """None once the request is settled; else the batch this thread now leads.

        An unsettled request with no leader is still queued: a leader settles
        everything it took before it steps down.
        """
        with self._cond:
            while not request.settled and self._leader is not None:
                if not self._leader.is_alive():
                    self._take_over_from_dead_leader()
                    break
                self._cond.wait(LEADER_CHECK_SECONDS)
            if request.settled:
                return None
            self._leader = threading.current_thread()
            self._in_flight = self._take_batch()
            return self._in_flight

    def _take_over_from_dead_leader(self) -> None:
        for taken in self._in_flight:
            if not taken.settled:
                taken.settle((None, _unknown("the leading thread ended mid-commit")))
        self._leader, self._in_flight = None, []

    def _take_batch(self) -> list[_Request]:
        batch = [self._queue.popleft()]
        count = len(batch[0].events)
        while self._queue and count + len(self._queue[0].events) <= MAX_BATCH_EVENTS:
            request = self._queue.popleft()
            batch.append(request)
            count += len(request.events)
        return batch

    def _lead(self, batch: list[_Request]) -> None:
        outcomes: list[Outcome] = []
        try:
            outcomes = self._commit(batch)
        finally:  # also when interrupted: nobody may wait for a batch nobody settles
            with self._cond:
                for request, outcome in zip(batch, outcomes, strict=False):
                    request.settle(outcome)
                for request in batch[len(outcomes) :]:
                    request.settle((None, _unknown("the leading thread was interrupted")))
                self._leader, self._in_flight = None, []
                self._cond.notify_all()

    def _commit(self, batch: list[_Request]) -> list[Outcome]:
        try:
            ids = self._insert([event for request in batch for event in request.events])
        except STORE_AWAY as error:
            return [(None, error)] * len(batch)
        except Exception as error:  # refused: find whose events, writer by writer
            if len(batch) == 1:
                return [(None, error)]
            return self._one_by_one(batch)
        outcomes: list[Outcome] = []
        offset = 0
        for request in batch:
            size = len(request.events)
            outcomes.append((None if ids is None else ids[offset : offset + size], None))
            offset += size
        return outcomes

    def _one_by_one(self, batch: list[_Request]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for request in batch:
            if outcomes and isinstance(outcomes[-1][1], STORE_AWAY):
                # The store went away meanwhile: the rest hear it without waiting for it again.
                outcomes.append(outcomes[-1])
            else:
                outcomes += self._commit([request])
        return outcomes


class GroupCommitting:
    """Mixin for the library's recorders: plain saves are group-committed; saves with
    tracking (a policy's reaction and its position) go straight through.

    The library's Application always passes `tracking=` (None for a plain save).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group = GroupCommit(self._insert_in_one_transaction)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Ids:
        if kwargs.get("tracking") is None and kwargs.keys() <= {"tracking"}:
            return self.group.insert(stored_events)
        inserted: Ids = super().insert_events(stored_events, **kwargs)  # type: ignore[misc]
        return inserted

    def _insert_in_one_transaction(self, stored_events: Sequence[StoredEvent]) -> Ids:
        # Looked up on each call, so the recorder below is whatever the class says now.
        inserted: Ids = super().insert_events(stored_events)  # type: ignore[misc]
        return inserted


class GroupCommitSQLiteRecorder(GroupCommitting, SQLiteApplicationRecorder):
    pass


class GroupCommitPostgresRecorder(GroupCommitting, PostgresApplicationRecorder):
    pass


class GroupCommitSQLiteProcessRecorder(GroupCommitting, SQLiteProcessRecorder):
    pass


class GroupCommitPostgresProcessRecorder(GroupCommitting, PostgresProcessRecorder):
    pass
