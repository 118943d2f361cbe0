"""Rebuilding a view beside the live one, so readers never see it emptier than before.

A shadow is an empty copy of a view's tables, made from the database's own
catalogue (so it has the same columns, keys and indexes as the migrations
made): in PostgreSQL a schema of its own, whose tables the rebuild's
transactions reach through `search_path`; in SQLite TEMP tables on one held
connection, which unqualified names reach before the live ones. The rebuild
replays the whole log into the shadow while the live view goes on serving and
following; then one live transaction replaces the live rows by the shadow's,
applies what arrived meanwhile and moves the position. A rebuild that fails
drops the shadow and leaves the live view as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from adapters.readstore import IDENTIFIER, ReadStore, Sql


class Shadow:
    def __init__(self, store: ReadStore, name: str, tables: tuple[str, ...]) -> None:
        for each in (name, *tables):
            if not IDENTIFIER.fullmatch(each):
                raise ValueError(f"{each!r} is not an identifier")
        self.store, self.tables = store, tables
        self.schema = f"rebuild_{name}"
        self._connection: Any = None

    @contextmanager
    def transaction(self) -> Iterator[Sql]:
        """A transaction whose unqualified table names are the shadow's."""
        if self.store.dialect == "postgres":
            with self.store.transaction() as sql:
                sql.execute("SET LOCAL search_path TO {schema}", schema=self.schema)
                yield sql
        else:
            with self._connection.transaction(commit=True) as cursor:
                yield Sql(cursor, "sqlite")

    @contextmanager
    def swap(self) -> Iterator[Sql]:
        """The live transaction that takes the shadow's rows (call `replace_live` in it)."""
        if self.store.dialect == "postgres":
            with self.store.transaction() as sql:
                yield sql
        else:
            with self._connection.transaction(commit=True) as cursor:
                yield Sql(cursor, "sqlite")

    def replace_live(self, sql: Sql) -> None:
        """Inside `swap()`: the live tables get the shadow's rows; afterwards unqualified
        names are the live tables again."""
        live = "main" if self.store.dialect == "sqlite" else self._live_schema(sql)
        copy = "temp" if self.store.dialect == "sqlite" else self.schema
        for table in self.tables:
            sql.execute("DELETE FROM {live}.{table}", live=live, table=table)
            sql.execute(
                "INSERT INTO {live}.{table} SELECT * FROM {copy}.{table}",
                live=live, copy=copy, table=table,
            )  # fmt: skip
            if self.store.dialect == "sqlite":
                sql.execute("DROP TABLE temp.{table}", table=table)

    def _create(self) -> None:
        if self.store.dialect == "postgres":
            with self.store.transaction() as sql:
                live = self._live_schema(sql)
                sql.execute("DROP SCHEMA IF EXISTS {schema} CASCADE", schema=self.schema)
                sql.execute("CREATE SCHEMA {schema}", schema=self.schema)
                for table in self.tables:
                    sql.execute(
                        "CREATE TABLE {schema}.{table} (LIKE {live}.{table} INCLUDING ALL)",
                        schema=self.schema, table=table, live=live,
                    )  # fmt: skip
            return
        with self._connection.transaction(commit=True) as cursor:
            sql = Sql(cursor, "sqlite")
            for table in self.tables:
                sql.execute("DROP TABLE IF EXISTS temp.{table}", table=table)
                for statement in _temporary_copy(sql, table):
                    sql.execute(statement.replace("{", "{{").replace("}", "}}"))

    def _drop(self) -> None:
        if self.store.dialect == "postgres":
            with self.store.transaction() as sql:
                sql.execute("DROP SCHEMA IF EXISTS {schema} CASCADE", schema=self.schema)
            return
        with self._connection.transaction(commit=True) as cursor:
            for table in self.tables:
                Sql(cursor, "sqlite").execute("DROP TABLE IF EXISTS temp.{table}", table=table)

    @staticmethod
    def _live_schema(sql: Sql) -> str:
        row = sql.execute("SELECT current_schema() AS name").fetchone()
        assert row is not None
        return str(row["name"])


def _temporary_copy(sql: Sql, table: str) -> list[str]:
    """CREATE statements for a TEMP copy of a table and its indexes, from sqlite_master.

    SQLite stores each statement normalised ("CREATE TABLE ", "CREATE INDEX ",
    "CREATE UNIQUE INDEX " first, IF NOT EXISTS removed), so the copy only adds
    TEMP, or the temp schema before the index name.
    """
    rows = sql.execute(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = {} AND sql IS NOT NULL "
        "ORDER BY type = 'index'",
        (table,),
    ).fetchall()
    statements = []
    for row in rows:
        text: str = row["sql"]
        for prefix, copy in (
            ("CREATE TABLE ", "CREATE TEMP TABLE "),
            ("CREATE INDEX ", "CREATE INDEX temp."),
            ("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX temp."),
        ):
            if text.startswith(prefix):
                statements.append(copy + text[len(prefix) :])
                break
        else:
            raise ValueError(f"cannot copy {table}: {text[:60]}")
    return statements


@contextmanager
def shadow_of(store: ReadStore, name: str, tables: tuple[str, ...]) -> Iterator[Shadow]:
    """Empty copies of the tables for the duration of a rebuild; dropped afterwards.

    One rebuild of a view at a time: in PostgreSQL a session advisory lock on
    the shadow's name, held on a connection of its own; in SQLite the shadow
    lives on one connection, so two processes never share it.
    """
    shadow = Shadow(store, name, tables)
    with ExitStack() as stack:
        if store.dialect == "sqlite":
            pool = store._lite.pool  # TEMP tables live on one connection
            memory = pool.is_sqlite_memory_mode  # shared-cache memory keeps the pool's interlock
            shadow._connection = pool.get_connection(is_writer=True if memory else None)
            stack.callback(pool.put_connection, shadow._connection)
        else:
            conn = stack.enter_context(store._pg.get_connection())
            locked = conn.execute(
                "SELECT pg_try_advisory_lock(hashtext(%s)) AS locked", (shadow.schema,)
            ).fetchone()
            if not locked or not locked["locked"]:
                raise RebuildRunning(f"a rebuild of {name} is already running")
            stack.callback(
                conn.execute, "SELECT pg_advisory_unlock(hashtext(%s))", (shadow.schema,)
            )
        shadow._create()
        stack.callback(shadow._drop)
        yield shadow


class RebuildRunning(RuntimeError):
    """Another process is rebuilding the same view."""
