"""The eventsourcing library's own conformance cases, run against the recorders we put in
its place: group commit on SQLite and PostgreSQL, and the PostgreSQL recorders dom runs
(adapters/postgres_store.py), its tracking recorder included.

Each class mirrors how the library's test suite runs the same cases against its
own recorders (tests/persistence_tests/test_sqlite.py and test_postgres.py in
the eventsourcing repository): same datastore settings, same pool sizes for the
concurrent cases. PostgreSQL is the real test server (tests/conftest.py), its
schema reset before each case.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import TestCase

import pytest
from eventsourcing.persistence import ApplicationRecorder, ProcessRecorder
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests import persistence as library

from adapters.group_commit import (
    GroupCommitPostgresProcessRecorder,
    GroupCommitPostgresRecorder,
    GroupCommitSQLiteProcessRecorder,
    GroupCommitSQLiteRecorder,
)
from adapters.persistence import postgres_env
from adapters.postgres_store import ApplicationRecorder as DomPostgresRecorder
from adapters.postgres_store import ProcessRecorder as DomPostgresProcessRecorder
from adapters.postgres_store import TrackingRecorder as DomPostgresTrackingRecorder
from adapters.settings import Settings

# The library's longest legal names, as its own PostgreSQL cases use.
EVENTS_TABLE = "s" * 50 + "stored_events"
TRACKING_TABLE = "n" * 42 + "notification_tracking"


class InTmpFolder(TestCase):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path


# --- SQLite ---------------------------------------------------------------------------


class TestGroupCommitSQLiteRecorder(
    InTmpFolder, library.ApplicationRecorderTestCase[GroupCommitSQLiteRecorder]
):
    db_uri = ":memory:"

    def create_recorder(self) -> GroupCommitSQLiteRecorder:
        recorder = GroupCommitSQLiteRecorder(SQLiteDatastore(db_name=self.db_uri, pool_size=100))
        recorder.create_table()
        return recorder

    def test_concurrent_no_conflicts(self, initial_position: int = 0) -> None:
        self.db_uri = f"file:{self.folder / 'events.db'}"
        super().test_concurrent_no_conflicts()

    def test_concurrent_no_conflicts_in_memory_db(self) -> None:
        self.db_uri = "file::memory:?cache=shared"
        super().test_concurrent_no_conflicts()

    def test_concurrent_throughput(self) -> None:
        self.db_uri = f"file:{self.folder / 'events.db'}"
        super().test_concurrent_throughput()


class TestGroupCommitSQLiteProcessRecorder(library.ProcessRecorderTestCase):
    def create_recorder(self) -> ProcessRecorder:
        recorder = GroupCommitSQLiteProcessRecorder(SQLiteDatastore(db_name=":memory:"))
        recorder.create_table()
        return recorder


class TestGroupCommitSQLiteNonInterleaving(
    InTmpFolder, library.NonInterleavingNotificationIDsBaseCase
):
    """Two writers of 1,000 events each race: each writer's events stay contiguous."""

    def create_recorder(self) -> ApplicationRecorder:
        datastore = SQLiteDatastore(db_name=f"file:{self.folder / 'events.db'}")
        recorder = GroupCommitSQLiteRecorder(datastore)
        recorder.create_table()
        return recorder


# --- PostgreSQL -----------------------------------------------------------------------


class OnPostgres(TestCase):
    """A datastore on the test database, pool sizes as in the library's own cases."""

    @pytest.fixture(autouse=True)
    def _datastore(self, clean_postgres: str) -> Iterator[None]:
        env = postgres_env(Settings(database_url=clean_postgres))
        self.datastore = PostgresDatastore(
            env["POSTGRES_DBNAME"],
            env["POSTGRES_HOST"],
            env["POSTGRES_PORT"],
            env["POSTGRES_USER"],
            env["POSTGRES_PASSWORD"],
            pool_size=1,
            max_overflow=0,
            max_waiting=0,
        )
        yield
        self.datastore.close()

    def resize_pool(self, size: int) -> None:
        self.datastore.pool.open()
        self.datastore.pool.resize(size, size)


class PostgresApplicationCases(OnPostgres, library.ApplicationRecorderTestCase[Any]):
    recorder_class: type[Any]

    def create_recorder(self) -> Any:
        recorder = self.recorder_class(self.datastore, events_table_name=EVENTS_TABLE)
        recorder.create_table()
        return recorder

    def test_insert_subscribe(self) -> None:
        self.resize_pool(2)
        super().optional_test_insert_subscribe()

    def test_concurrent_no_conflicts(self, initial_position: int = 0) -> None:
        self.resize_pool(12)
        super().test_concurrent_no_conflicts()

    def test_concurrent_throughput(self) -> None:
        self.resize_pool(10)
        super().test_concurrent_throughput()


class PostgresProcessCases(OnPostgres, library.ProcessRecorderTestCase):
    recorder_class: type[Any]

    def create_recorder(self) -> ProcessRecorder:
        recorder: ProcessRecorder = self.recorder_class(
            datastore=self.datastore,
            events_table_name=EVENTS_TABLE,
            tracking_table_name=TRACKING_TABLE,
        )
        recorder.create_table()  # type: ignore[attr-defined]
        return recorder


class PostgresNonInterleavingCases(OnPostgres, library.NonInterleavingNotificationIDsBaseCase):
    insert_num = 100  # as the library's own PostgreSQL case
    recorder_class: type[Any]

    def create_recorder(self) -> ApplicationRecorder:
        self.resize_pool(2)
        recorder: ApplicationRecorder = self.recorder_class(self.datastore)
        recorder.create_table()  # type: ignore[attr-defined]
        return recorder


class TestGroupCommitPostgresRecorder(PostgresApplicationCases):
    recorder_class = GroupCommitPostgresRecorder


class TestGroupCommitPostgresProcessRecorder(PostgresProcessCases):
    recorder_class = GroupCommitPostgresProcessRecorder


class TestGroupCommitPostgresNonInterleaving(PostgresNonInterleavingCases):
    recorder_class = GroupCommitPostgresRecorder


# What dom runs on PostgreSQL: group commit over reads retried once and writes never.


class TestDomPostgresRecorder(PostgresApplicationCases):
    recorder_class = DomPostgresRecorder


class TestDomPostgresProcessRecorder(PostgresProcessCases):
    recorder_class = DomPostgresProcessRecorder


class TestDomPostgresNonInterleaving(PostgresNonInterleavingCases):
    recorder_class = DomPostgresRecorder


class TestDomPostgresTrackingRecorder(OnPostgres, library.TrackingRecorderTestCase):
    def create_recorder(self) -> DomPostgresTrackingRecorder:
        recorder = DomPostgresTrackingRecorder(self.datastore, tracking_table_name=TRACKING_TABLE)
        recorder.create_table()
        return recorder


# Only the concrete cases above are collected.
del InTmpFolder, OnPostgres, PostgresApplicationCases, PostgresProcessCases
del PostgresNonInterleavingCases
