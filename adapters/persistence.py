"""The event store of each bounded context, chosen by configuration.

Each context is its own eventsourcing Application with its own table:
`<context>_events` in PostgreSQL, `<data_dir>/<context>.sqlite` in embedded
mode. The settings below are the library's own environment keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlparse

import psycopg

from adapters.settings import Settings

TRANSCODER = "adapters.serialization:OrjsonTranscoder"
MAPPER = "adapters.serialization:VersionedMapper"


def event_store_env(settings: Settings, context: str) -> dict[str, str]:
    """The library environment for one context's Application."""
    env = {
        "TRANSCODER_TOPIC": TRANSCODER,
        "MAPPER_TOPIC": MAPPER,
        # Keep recently used aggregates in memory; each read still fast-forwards
        # through newer events, so several processes can share one store.
        "AGGREGATE_CACHE_MAXSIZE": "20000",
    }
    if settings.mode == "memory":
        env["PERSISTENCE_MODULE"] = "eventsourcing.popo"
    elif settings.mode == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        env |= {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.data_dir / f"{context}.sqlite"),
            "SQLITE_LOCK_TIMEOUT": str(max(1, round(settings.store_timeout))),
            "APPLICATION_RECORDER_TOPIC": "adapters.group_commit:GroupCommitSQLiteRecorder",
            "PROCESS_RECORDER_TOPIC": "adapters.group_commit:GroupCommitSQLiteProcessRecorder",
        }
    else:
        env |= {
            "PERSISTENCE_MODULE": "adapters.postgres_store:Factory",
            **postgres_env(settings),
            "POSTGRES_POOL_SIZE": str(settings.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(settings.pool_size * 2),
            "POSTGRES_LOCK_TIMEOUT": str(max(1, round(settings.store_timeout))),
            "STORE_TIMEOUT": str(settings.store_timeout),
            "STATEMENT_TIMEOUT": str(settings.statement_timeout),
            "APPLICATION_RECORDER_TOPIC": "adapters.postgres_store:ApplicationRecorder",
            "PROCESS_RECORDER_TOPIC": "adapters.postgres_store:ProcessRecorder",
        }
    # Prefix every key with the context's name so that one process can host
    # several contexts, each with its own table, without their settings mixing.
    return {f"{context.upper()}_{key}": value for key, value in env.items()}


def postgres_env(settings: Settings) -> dict[str, str]:
    assert settings.database_url is not None
    url = urlparse(settings.database_url)
    if url.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"DOM_DATABASE_URL must be postgresql://..., not {url.scheme}://")
    return {
        "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
    }


SCHEMA_LOCK = 7243000


@contextmanager
def schema_lock(settings: Settings) -> Iterator[None]:
    """Serialise table creation between processes that start together.

    Workers and API replicas started at once on a fresh PostgreSQL database
    would otherwise race on CREATE TABLE / CREATE FUNCTION ("tuple
    concurrently updated"). SQLite and memory stores need no lock.
    """
    if settings.mode != "postgres":
        yield
        return
    assert settings.database_url is not None
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
