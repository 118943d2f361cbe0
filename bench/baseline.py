"""The bare baseline: the eventsourcing library saving one minimal aggregate per transaction."""

from __future__ import annotations

import time
from pathlib import Path
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from adapters.persistence import postgres_env
from adapters.settings import Settings


class Minimal(Aggregate):
    @event("Created")
    def __init__(self) -> None:
        pass


class BareBaseline(Application[UUID]):
    name = "bare"


def bare_env(store: str, location: str | Path) -> dict[str, str]:
    if store == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(Path(location) / "bare.sqlite"),
        }
    env = postgres_env(Settings(database_url=str(location)))
    return {"PERSISTENCE_MODULE": "eventsourcing.postgres", **env}


def bare_saves_per_second(store: str, location: str | Path, count: int) -> float:
    app = BareBaseline(env=bare_env(store, location))
    for _ in range(50):  # warm up connections and prepared statements
        app.save(Minimal())
    started = time.perf_counter()
    for _ in range(count):
        app.save(Minimal())
    elapsed = time.perf_counter() - started
    app.close()
    return count / elapsed
