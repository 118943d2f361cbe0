"""`dom serve`: start-up that says what is wrong, then uvicorn with dom's protocol and logs.

Nothing is announced as serving before it can serve: the stores are checked
and bootstrapped (tables created, followers caught up) and the port is bound
first. A data directory that cannot be used, or a PostgreSQL server that
cannot be reached, ends the command with a message naming it and a non-zero
exit status, within seconds (`DOM_STORE_TIMEOUT` bounds the connection wait).
"""

from __future__ import annotations

import logging.config
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import uvicorn
from eventsourcing.persistence import PersistenceError
from uvicorn.supervisors import Multiprocess

from adapters.persistence import postgres_env
from adapters.settings import Settings
from api.admin_key import admin_key_file
from api.bootstrap import Container, bootstrap
from api.http.app import create_app
from api.http.middleware import RequestIdFilter
from api.http.protocol import Config, TimedHttpProtocol


class StartupFailed(Exception):
    """The server cannot start; the message says what to fix."""


def logging_config(level: str) -> dict[str, Any]:
    """Our log lines (and those of the followers) on stderr, each with its request id;
    uvicorn's own only from warnings up (its start-up chatter repeats ours)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "line": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "line",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {"uvicorn": {"level": "WARNING"}, "uvicorn.access": {"level": "WARNING"}},
    }


class Server(uvicorn.Server):
    """uvicorn's server, announcing itself once the port is bound."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[], None]) -> None:
        super().__init__(config)
        self.announce = announce

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.announce()


def serve(
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    announce: Callable[[str | None], None],
) -> None:
    """Check the stores, bootstrap, bind, announce (with the embedded mode's admin key),
    serve until SIGTERM or Ctrl-C."""
    logging.config.dictConfig(logging_config(settings.log_level))
    container = start(settings)
    admin_key = None
    if settings.mode == "sqlite":
        with naming_the_store(settings):
            admin_key = admin_key_file(container, datetime.now(UTC))
    options = server_options(settings, host, port)
    if workers == 1:
        try:
            Server(Config(create_app(container), **options), lambda: announce(admin_key)).run()
        finally:
            container.close()
        return
    container.close()  # the stores are ready; each API process bootstraps its own
    config = Config("api.http.app:create_app", factory=True, workers=workers, **options)
    sock = config.bind_socket()
    announce(admin_key)
    Multiprocess(config, sockets=[sock]).run()


def server_options(settings: Settings, host: str, port: int) -> dict[str, Any]:
    """uvicorn's options for dom: its protocol, timeouts and logs."""
    return {
        "host": host,
        "port": port,
        "http": TimedHttpProtocol,
        "request_read_timeout": settings.request_read_timeout,
        "timeout_keep_alive": settings.idle_timeout,
        "log_config": logging_config(settings.log_level),
        "log_level": None,
        "access_log": False,
    }


def start(settings: Settings) -> Container:
    """The container, or StartupFailed saying which store or directory is at fault."""
    if settings.mode == "postgres":
        check_postgres(settings)
    elif settings.mode == "sqlite":
        check_data_dir(settings.data_dir)
    with naming_the_store(settings):
        return bootstrap(settings)


def check_data_dir(data_dir: Path) -> None:
    path = data_dir.resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        os.listdir(path)
        with tempfile.TemporaryFile(dir=path) as probe:  # writable, even for root on a ro mount
            probe.write(b"dom")
    except OSError as error:
        raise StartupFailed(f"data directory {path} cannot be used: {error.strerror}") from error


def check_postgres(settings: Settings) -> None:
    assert settings.database_url is not None
    where = postgres_address(settings)
    try:
        seconds = max(2, round(settings.store_timeout))  # libpq counts whole seconds, >= 2
        psycopg.connect(settings.database_url, connect_timeout=seconds).close()
    except psycopg.Error as error:
        reason = " ".join(str(error).split()) or type(error).__name__  # libpq's lines, one line
        raise StartupFailed(f"cannot reach PostgreSQL at {where}: {reason}") from error


def postgres_address(settings: Settings) -> str:
    """host:port/database, without the credentials."""
    pg = postgres_env(settings)
    return f"{pg['POSTGRES_HOST']}:{pg['POSTGRES_PORT']}/{pg['POSTGRES_DBNAME']}"


@contextmanager
def naming_the_store(settings: Settings) -> Iterator[None]:
    """Errors while bootstrapping, reported with the store they come from."""
    if settings.mode == "postgres":
        store = f"PostgreSQL at {postgres_address(settings)}"
    else:
        store = f"data directory {settings.data_dir.resolve()}"
    try:
        yield
    except OSError as error:
        where = error.filename or store
        raise StartupFailed(f"{where}: {error.strerror or error}") from error
    except (PersistenceError, psycopg.Error, sqlite3.Error) as error:
        raise StartupFailed(f"the store in {store} cannot be used: {error}") from error
