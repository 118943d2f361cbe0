"""Group commit: concurrent saves share one database transaction.

Each writer thread queues its stored events. The first thread to find no
commit under way becomes the leader: it takes everything queued, inserts it
in one transaction and hands every writer its own notification ids. A
conflict in the shared batch (two writers racing for one aggregate version)
sends the batch back one writer at a time, so only the loser sees the
IntegrityError. Throughput grows with concurrency because one commit (one
fsync, one table lock) serves many requests.

Selected through the library's APPLICATION_RECORDER_TOPIC setting.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresProcessRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteProcessRecorder

MAX_BATCH_EVENTS = 1000


class _Request:
    __slots__ = ("error", "events", "ids", "settled")

    def __init__(self, events: Sequence[StoredEvent]) -> None:
        self.events = events
        self.ids: Sequence[int] | None = None
        self.error: BaseException | None = None
        self.settled = False

    def settle(self, ids: Sequence[int] | None, error: BaseException | None = None) -> None:
        self.ids, self.error, self.settled = ids, error, True

    def result(self) -> Sequence[int] | None:
        if self.error is not None:
            raise self.error
        return self.ids


class GroupCommit:
    """Coalesces concurrent `insert_events` calls into shared transactions."""

    def __init__(self, insert: Any) -> None:
        self._insert = insert
        self._cond = threading.Condition()
        self._queue: list[_Request] = []
        self._leading = False

    def insert(self, events: Sequence[StoredEvent]) -> Sequence[int] | None:
        request = _Request(events)
        with self._cond:
            self._queue.append(request)
            while self._leading and not request.settled:
                self._cond.wait()
            if request.settled:
                return request.result()
            self._leading = True
            batch = self._take_batch()
        try:
            self._commit(batch)
        finally:
            with self._cond:
                self._leading = False
                self._cond.notify_all()
        return request.result()

    def _take_batch(self) -> list[_Request]:
        batch: list[_Request] = []
        count = 0
        while self._queue and (not batch or count + len(self._queue[0].events) <= MAX_BATCH_EVENTS):
            request = self._queue.pop(0)
            batch.append(request)
            count += len(request.events)
        return batch

    def _commit(self, batch: list[_Request]) -> None:
        try:
            ids = self._insert([event for request in batch for event in request.events])
        except IntegrityError as error:
            if len(batch) == 1:
                batch[0].settle(None, error)
                return
            for request in batch:
                self._commit([request])
            return
        except BaseException as error:
            for request in batch:
                request.settle(None, error)
            return
        offset = 0
        for request in batch:
            size = len(request.events)
            request.settle(None if ids is None else ids[offset : offset + size])
            offset += size


class GroupCommitting:
    """Mixin for the library's recorders: plain saves are group-committed; saves with
    tracking (a policy's reaction and its position) go straight through."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group = GroupCommit(super().insert_events)  # type: ignore[misc]

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if kwargs:
            inserted: Sequence[int] | None = super().insert_events(stored_events, **kwargs)  # type: ignore[misc]
            return inserted
        return self.group.insert(stored_events)


class GroupCommitSQLiteRecorder(GroupCommitting, SQLiteApplicationRecorder):
    pass


class GroupCommitPostgresRecorder(GroupCommitting, PostgresApplicationRecorder):
    pass


class GroupCommitSQLiteProcessRecorder(GroupCommitting, SQLiteProcessRecorder):
    pass


class GroupCommitPostgresProcessRecorder(GroupCommitting, PostgresProcessRecorder):
    pass
