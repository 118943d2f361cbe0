"""Shared test set-up: the real PostgreSQL server, and a container per store.

PostgreSQL is found through DOM_TEST_POSTGRES_URL (default: the local server,
user postgres). Tests that need it fail loudly when it is not there; they are
never skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from tests.faults import disks

ADMIN_URL = os.environ.get("DOM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# One database per concurrent run (several developers or CI jobs on one server).
TEST_DB = os.environ.get("DOM_TEST_DB", "dom_test")


def _test_db_url() -> str:
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{TEST_DB}"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (TEST_DB,)
            ).fetchone()
            if not exists:
                conn.execute(f"CREATE DATABASE {TEST_DB}")
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL is required at {ADMIN_URL} (set DOM_TEST_POSTGRES_URL): {error}")
    return _test_db_url()


def reset_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture
def clean_postgres(postgres_url: str) -> str:
    reset_postgres(postgres_url)
    return postgres_url


def settings_for(store: str, tmp_path: Path, url: str | None = None) -> Settings:
    if store == "memory":
        return Settings(memory=True)
    if store == "sqlite":
        return Settings(data_dir=tmp_path / "var")
    return Settings(database_url=url)


@pytest.fixture(params=["sqlite", "postgres"])
def durable_store(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        reset_postgres(url)
        return settings_for("postgres", tmp_path, url)
    return settings_for("sqlite", tmp_path)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        reset_postgres(url)
        return settings_for("postgres", tmp_path, url)
    return settings_for(request.param, tmp_path)


@pytest.fixture
def dom(any_store: Settings) -> Iterator[Container]:
    container = bootstrap(any_store)
    yield container
    container.close()


small_disk = pytest.fixture(disks.small_disk)  # a tmpfs of its own, to fill up
