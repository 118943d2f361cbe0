"""The read-model database: SQLite in embedded mode, PostgreSQL in distributed mode.

Views write their rows and their tracking position (the eventsourcing
library's tracking records) in one transaction through `transaction()`.
SQL is written once with `?` placeholders and portable types; this module
adapts the placeholders for psycopg.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import (
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteDatastore,
    SQLiteTrackingRecorder,
)

from adapters.persistence import postgres_env
from adapters.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
Row = dict[str, Any]


class Sql:
    """One cursor inside one transaction, with the same calls on both databases."""

    def __init__(self, cursor: Any, dialect: Literal["sqlite", "postgres"]) -> None:
        self.cursor = cursor
        self.dialect = dialect

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Sql:
        self.cursor.execute(self._adapt(statement), tuple(params))
        return self

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self.cursor.executemany(self._adapt(statement), [tuple(row) for row in rows])

    def fetchall(self) -> list[Row]:
        return [dict(row) for row in self.cursor.fetchall()]

    def fetchone(self) -> Row | None:
        row = self.cursor.fetchone()
        return None if row is None else dict(row)

    def _adapt(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.dialect == "postgres" else statement


class ReadStore:
    """Connection pool, tracking recorder and migrations of the read models."""

    def __init__(self, settings: Settings) -> None:
        self.dialect: Literal["sqlite", "postgres"]
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
            self.tracking_table = "view_tracking"
            self.tracking = PostgresTrackingRecorder(
                self._pg, tracking_table_name=self.tracking_table
            )
        else:
            self.dialect = "sqlite"
            if settings.mode == "memory":
                name = f"file:dom-views-{uuid.uuid4().hex}?mode=memory&cache=shared"
            else:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
                name = str(settings.data_dir / "views.sqlite")
            self._lite = SQLiteDatastore(name, lock_timeout=10)
            self._lite.pool = RebuildableViewsPool(db_name=name, lock_timeout=10)
            self.tracking_table = "tracking"  # the library's fixed name in SQLite
            self.tracking = SQLiteTrackingRecorder(self._lite)
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

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.transaction(commit=False) as sql:
            return sql.execute(statement, params).fetchall()

    def position(self, name: str) -> int:
        return self.tracking.max_tracking_id(name) or 0

    def record_position(self, sql: Sql, tracking: Tracking) -> None:
        """Advance a tracking position inside the caller's transaction.

        Raises the library's IntegrityError when the position is not ahead of
        the stored one: another process got there first, and the caller's
        transaction must roll back so nothing is applied twice.
        """
        self.tracking._insert_tracking(sql.cursor, tracking)  # type: ignore[attr-defined]

    def migrate(self) -> list[str]:
        """Apply the numbered SQL files in migrations/ that are not applied yet."""
        applied = []
        with self.transaction() as sql:
            if self.dialect == "postgres":
                sql.execute("SELECT pg_advisory_xact_lock(7243001)")
            sql.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
            )
            done = {
                row["version"]
                for row in sql.execute("SELECT version FROM schema_migrations").fetchall()
            }
            for path in sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql")):
                version = int(path.name[:4])
                if version in done:
                    continue
                for statement in _statements(path.read_text()):
                    sql.execute(statement)
                sql.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, path.name))
                applied.append(path.name)
        return applied

    def close(self) -> None:
        (self._pg if self.dialect == "postgres" else self._lite).close()


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


def _statements(text: str) -> list[str]:
    without_comments = re.sub(r"--[^\n]*", "", text)
    return [part.strip() for part in without_comments.split(";") if part.strip()]
