"""The read-model database: SQLite in embedded mode, PostgreSQL in distributed mode.

Views write their rows and their tracking position (the eventsourcing
library's tracking records) in one transaction through `transaction()`.

SQL is written once, in portable SQL, with `{}` where a value goes (Python's
format syntax: `{{` and `}}` for a literal brace; `{name}` for a trusted
identifier such as a table name). Each driver then binds the values itself:
sqlite3 receives `?`, psycopg a raw cursor with PostgreSQL's own `$1, $2...`,
so nothing in the SQL text (a `?` or `%` in a literal, say) is ever rewritten.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import string
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import psycopg
from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import (
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteDatastore,
    SQLiteTrackingRecorder,
)
from psycopg.rows import dict_row

from adapters.persistence import postgres_env
from adapters.postgres_store import TrackingRecorder as PostgresTrackingRecorder
from adapters.postgres_store import harden, read_retried_once
from adapters.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
MIGRATION_LOCK = 7243001
Row = dict[str, Any]
Dialect = Literal["sqlite", "postgres"]
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


@lru_cache(maxsize=1024)
def bind(statement: str, count: int, dialect: Dialect, **names: str) -> str:
    """The statement with each `{}` replaced by the driver's own placeholder."""
    slots = sum(1 for _, field, _, _ in string.Formatter().parse(statement) if field == "")
    if slots != count:
        raise ValueError(f"{count} values for {slots} slots in: {statement}")
    for name, value in names.items():
        if not IDENTIFIER.fullmatch(value):
            raise ValueError(f"{name}={value!r} is not an identifier")
    marks = ["?"] * count if dialect == "sqlite" else [f"${n}" for n in range(1, count + 1)]
    return statement.format(*marks, **names)


def marks(count: int) -> str:
    """`{}, {}, ...`: slots for a list of values (an IN list, a row)."""
    return ", ".join(["{}"] * count)


class Sql:
    """One cursor inside one transaction, with the same calls on both databases."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self.dialect = dialect
        if dialect == "postgres":  # PostgreSQL's own $n placeholders: no client-side parsing
            cursor = psycopg.RawCursor(cursor.connection, row_factory=dict_row)
        self.cursor = cursor

    def execute(self, statement: str, params: Sequence[Any] = (), **names: str) -> Sql:
        self.cursor.execute(bind(statement, len(params), self.dialect, **names), tuple(params))
        return self

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]], **names: str) -> None:
        if rows:
            sql = bind(statement, len(rows[0]), self.dialect, **names)
            self.cursor.executemany(sql, [tuple(row) for row in rows])

    def fetchall(self) -> list[Row]:
        return [dict(row) for row in self.cursor.fetchall()]

    def fetchone(self) -> Row | None:
        row = self.cursor.fetchone()
        return None if row is None else dict(row)


class ReadStore:
    """Connection pool, tracking recorder and migrations of the read models."""

    def __init__(self, settings: Settings) -> None:
        self.dialect: Dialect
        self.tracking: TrackingRecorder
        if settings.mode == "postgres":
            self.dialect = "postgres"
            pg = postgres_env(settings)
            self._pg = PostgresDatastore(
                dbname=pg["POSTGRES_DBNAME"],
                host=pg["POSTGRES_HOST"],
                port=pg["POSTGRES_PORT"],
                user=pg["POSTGRES_USER"],
                password=pg["POSTGRES_PASSWORD"],
                pool_size=settings.pool_size,
                max_overflow=settings.pool_size * 2,
            )
            harden(self._pg, settings.store_timeout, settings.statement_timeout)
            self.tracking_table = "view_tracking"
            self.tracking = PostgresTrackingRecorder(
                self._pg, tracking_table_name=self.tracking_table
            )
        else:
            self.dialect = "sqlite"
            if settings.mode == "memory":
                self.name = f"file:dom-views-{uuid.uuid4().hex}?mode=memory&cache=shared"
            else:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
                self.name = str(settings.data_dir / "views.sqlite")
            timeout = max(1, round(settings.store_timeout))
            self._lite = SQLiteDatastore(self.name, lock_timeout=timeout)
            self._lite.pool = RebuildableViewsPool(db_name=self.name, lock_timeout=timeout)
            self.tracking_table = "tracking"  # the library's fixed name in SQLite
            self.tracking = SQLiteTrackingRecorder(self._lite)
        self._keys: dict[str, bytes] = {}
        self.tracking.create_table()
        self.migrate()

    @contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator[Sql]:
        datastore: Any = self._pg if self.dialect == "postgres" else self._lite
        with datastore.transaction(commit=commit) as cursor:
            sql = Sql(cursor, self.dialect)
            if commit and self.dialect == "postgres":
                # Read models are rebuildable and keep their position in the same
                # transaction: a crash may lose the last commits, never mix them.
                sql.execute("SET LOCAL synchronous_commit TO OFF")
            yield sql

    def query(self, statement: str, params: Sequence[Any] = (), **names: str) -> list[Row]:
        """A read, tried once more on a fresh connection if its connection dropped."""

        def read() -> list[Row]:
            with self.transaction(commit=False) as sql:
                return sql.execute(statement, params, **names).fetchall()

        return read_retried_once(read)

    def key(self, name: str) -> bytes:
        """A secret of this deployment's read models, made at first use (the first writer
        wins a race) and the same for every process: what paging cursors are signed with."""
        if name not in self._keys:
            with self.transaction() as sql:
                sql.execute(
                    "INSERT INTO read_model_keys VALUES ({}, {}) ON CONFLICT (name) DO NOTHING",
                    (name, secrets.token_hex(32)),
                )
                row = sql.execute(
                    "SELECT value FROM read_model_keys WHERE name = {}", (name,)
                ).fetchone()
            assert row is not None
            self._keys[name] = bytes.fromhex(row["value"])
        return self._keys[name]

    def position(self, name: str) -> int:
        return read_retried_once(lambda: self.tracking.max_tracking_id(name)) or 0

    def lock_position(self, sql: Sql, name: str) -> int:
        """The tracked position, locked until the transaction ends (SQLite: one writer)."""
        lock = " FOR UPDATE" if self.dialect == "postgres" else ""
        if self.dialect == "sqlite":  # take the write lock first: no upgrade from a read later
            sql.execute(
                "UPDATE {table} SET notification_id = notification_id WHERE application_name = {}",
                (name,),
                table=self.tracking_table,
            )
        row = sql.execute(
            "SELECT notification_id FROM {table} WHERE application_name = {}" + lock,
            (name,),
            table=self.tracking_table,
        ).fetchone()
        if row is None:
            sql.execute(
                "INSERT INTO {table} (application_name, notification_id) VALUES ({}, 0) "
                "ON CONFLICT (application_name) DO NOTHING",
                (name,),
                table=self.tracking_table,
            )
            return self.lock_position(sql, name)
        return int(row["notification_id"])

    def record_position(self, sql: Sql, tracking: Tracking) -> None:
        """Advance a tracking position inside the caller's transaction.

        Raises the library's IntegrityError when the position is not ahead of
        the stored one: another process got there first, and the caller's
        transaction must roll back so nothing is applied twice.
        """
        raw = sql.cursor if self.dialect == "sqlite" else _library_cursor(sql)
        self.tracking._insert_tracking(raw, tracking)  # type: ignore[attr-defined]

    def set_position(self, sql: Sql, name: str, notification_id: int) -> None:
        """Move a position anywhere (a rebuild swaps in a view that is at its own position)."""
        sql.execute(
            "UPDATE {table} SET notification_id = {} WHERE application_name = {}",
            (notification_id, name),
            table=self.tracking_table,
        )

    def migrate(self, directory: Path = MIGRATIONS) -> list[str]:
        """Apply each numbered SQL file in migrations/ once, recorded in schema_migrations.

        A file is run whole by the database's own parser: PostgreSQL takes the
        whole text in one call; for SQLite it is cut where sqlite3 itself says a
        statement is complete, so `;` inside literals, comments or trigger
        bodies is never a boundary. A file and its record commit together.
        """
        applied = []
        with self.transaction() as sql:
            if self.dialect == "postgres":
                sql.execute("SELECT pg_advisory_xact_lock({})", (MIGRATION_LOCK,))
            sql.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
            )
            done = {row["version"] for row in sql.execute(
                "SELECT version FROM schema_migrations").fetchall()}  # fmt: skip
            for path in sorted(directory.glob("[0-9][0-9][0-9][0-9]_*.sql")):
                version = int(path.name[:4])
                if version in done:
                    continue
                for statement in self._statements(path.read_text(encoding="utf-8")):
                    sql.cursor.execute(statement)
                sql.execute("INSERT INTO schema_migrations VALUES ({}, {})", (version, path.name))
                applied.append(path.name)
        return applied

    def _statements(self, text: str) -> list[str]:
        if self.dialect == "postgres":
            return [text]
        statements, pending = [], ""
        for piece in text.split(";"):
            pending += piece + ";"
            if sqlite3.complete_statement(pending):
                statements.append(pending)
                pending = ""
        if pending.strip(" \t\r\n;"):
            statements.append(pending.rstrip(";"))  # a last statement without its `;`
        return statements

    def close(self) -> None:
        (self._pg if self.dialect == "postgres" else self._lite).close()


def _library_cursor(sql: Sql) -> Any:
    """The library's tracking insert writes %s placeholders: give it a plain cursor."""
    return sql.cursor.connection.cursor()


class RebuildableViewsPool(SQLiteConnectionPool):
    """Read-model connections that do not wait for fsync at each commit.

    In WAL mode with synchronous=NORMAL a power loss may lose the last
    commits but never corrupts the file; rows and tracking positions are
    committed together, so the projections simply apply those events again.
    The event store keeps the library's default (FULL).
    """

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        connection.cursor().execute("PRAGMA synchronous=NORMAL")
        return connection
