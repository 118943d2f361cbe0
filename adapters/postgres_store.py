"""PostgreSQL that answers within a bounded time, and notices dead connections before use.

The library's PostgreSQL recorders retry a failed call ten times and wait up to
the pool's timeout for a connection each time, so a database that refuses
connections made a request hang for two minutes. Here:

- every pooled connection gets libpq timeouts (connect, TCP keepalives, TCP user
  timeout) and a server-side statement timeout, and the pool waits at most the
  store timeout for a connection (`DOM_STORE_TIMEOUT`);
- a pooled connection is checked before use: a connection the server closed
  (terminated backend, restart) has its socket readable while idle, and only
  then is it pinged, so the check costs nothing in the normal case; a dead one
  is replaced at once;
- reads are retried once on a dropped connection (never after waiting the whole
  store timeout for a connection); writes are not retried, because after a
  dropped connection their outcome is unknown and the caller must find out.

Selected through the library's PERSISTENCE_MODULE setting (`adapters.postgres_store:Factory`).
"""

from __future__ import annotations

import select
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import psycopg
import psycopg_pool
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    ConnectionPool,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
    PostgresProcessRecorder,
    PostgresTrackingRecorder,
)
from psycopg import Connection

from adapters.group_commit import GroupCommitting

T = TypeVar("T")
DROPPED = (OperationalError, InterfaceError)
STORE_TIMEOUT = "STORE_TIMEOUT"  # env keys of ours, next to the library's POSTGRES_* keys
STATEMENT_TIMEOUT = "STATEMENT_TIMEOUT"


def alive(conn: Connection[Any]) -> bool:
    """False if the server closed the connection while it sat in the pool.

    An idle connection receives nothing unless the server ends it (a FATAL
    notice, then EOF), so a readable socket is the sign; only then is it
    pinged, so the check costs no round trip in the normal case.
    """
    if conn.closed:
        return False
    readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    if not readable:
        return True
    try:
        ConnectionPool.check_connection(conn)
    except psycopg.Error:
        return False
    return True


class Unreachable(psycopg.InterfaceError):
    """No connection within the store timeout: nothing was sent, so nothing was done."""


class CheckedPool(ConnectionPool[Any]):
    """Hands out only live connections: a dead one is closed at once (the pool opens a
    replacement) and the next is taken, with none of the pool's backoff between checks,
    so a restart that killed every pooled connection costs no wait."""

    def getconn(self, timeout: float | None = None) -> Any:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            try:
                conn = super().getconn(max(0.0, deadline - time.monotonic()))
            except psycopg_pool.PoolTimeout as error:
                raise Unreachable(f"no connection to the store: {error}") from error
            if alive(conn):
                return conn
            conn.close()
            self.putconn(conn)


def harden(datastore: PostgresDatastore, timeout: float, statement_timeout: float) -> None:
    """Replace the datastore's (unopened) pool by one with bounded waits and checked connections."""
    old = datastore.pool  # built by the library, not opened yet
    assert isinstance(old.kwargs, dict), "the library passes connection arguments as a dict"
    seconds = max(2, round(timeout))  # libpq's connect_timeout is whole seconds, at least 2
    datastore.pool = CheckedPool(
        old.conninfo,
        connection_class=Connection,
        kwargs={
            **old.kwargs,
            "connect_timeout": seconds,
            "keepalives": 1,
            "keepalives_idle": seconds,
            "keepalives_interval": 1,
            "keepalives_count": 3,
            "tcp_user_timeout": int(timeout * 1000),
            "options": f"-c statement_timeout={int(statement_timeout * 1000)}",
        },
        min_size=old.min_size,
        max_size=old.max_size,
        open=False,
        configure=datastore.after_connect_func(),
        timeout=timeout,
        max_waiting=old.max_waiting,
        max_lifetime=old.max_lifetime,
        reconnect_timeout=old.reconnect_timeout,
    )


def waited_for_a_connection(error: BaseException) -> bool:
    """The pool gave up waiting for a connection: the store is away, a retry would wait again.
    (The library raises it as its InterfaceError: nothing reached the store.)"""
    return isinstance(error.__cause__, Unreachable)


def read_retried_once(call: Callable[[], T]) -> T:
    """A read on a connection that dropped under it is tried once more on a fresh one."""
    try:
        return call()
    except DROPPED as error:
        if waited_for_a_connection(error):
            raise
        return call()


def _unretried(bound: Any) -> Any:
    """The library method without the library's own retry decorator (ten attempts)."""
    function = getattr(bound.__func__, "__wrapped__", bound.__func__)
    return function.__get__(bound.__self__)


class BoundedRetries:
    """Mixin for the library's PostgreSQL recorders: reads retried once, writes never."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        inserted: Sequence[int] | None = _unretried(super().insert_events)(  # type: ignore[misc]
            stored_events, **kwargs
        )
        return inserted

    def select_events(self, *args: Any, **kwargs: Any) -> Any:
        read = _unretried(super().select_events)  # type: ignore[misc]
        return read_retried_once(lambda: read(*args, **kwargs))

    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        read = _unretried(super().select_notifications)  # type: ignore[misc]
        return read_retried_once(lambda: read(*args, **kwargs))

    def max_notification_id(self) -> Any:
        read = _unretried(super().max_notification_id)  # type: ignore[misc]
        return read_retried_once(read)

    def max_tracking_id(self, application_name: str) -> Any:
        read = _unretried(super().max_tracking_id)  # type: ignore[misc]
        return read_retried_once(lambda: read(application_name))

    def has_tracking_id(self, *args: Any, **kwargs: Any) -> Any:
        read = _unretried(super().has_tracking_id)  # type: ignore[misc]
        return read_retried_once(lambda: read(*args, **kwargs))


class ApplicationRecorder(GroupCommitting, BoundedRetries, PostgresApplicationRecorder):
    """Group-committed plain saves; bounded retries."""


class ProcessRecorder(GroupCommitting, BoundedRetries, PostgresProcessRecorder):
    """Group-committed plain saves, policy reactions with their tracking; bounded retries."""


class TrackingRecorder(BoundedRetries, PostgresTrackingRecorder):
    """The read models' positions; bounded retries."""


class Factory(PostgresFactory):
    def __init__(self, env: Any) -> None:
        super().__init__(env)
        harden(
            self.datastore,
            float(self.env.get(STORE_TIMEOUT) or 5),
            float(self.env.get(STATEMENT_TIMEOUT) or 30),
        )
