"""Plain saves through dom's event store, beside the bare baseline: the same minimal
aggregate, saved by an application configured as dom's contexts are (orjson and a
schema version on every event, the process recorder, group commit), from 1 or N threads.
"""

from __future__ import annotations

from adapters.persistence import event_store_env
from adapters.settings import Settings
from bench.baseline import Minimal
from bench.inprocess import per_second
from domain.processing import ContextApplication


class PlainSaves(ContextApplication):
    name = "saves"


def plain_saves_per_second(settings: Settings, count: int, threads: int = 1) -> float:
    app = PlainSaves(env=event_store_env(settings, PlainSaves.name))
    for _ in range(50):  # warm up connections and prepared statements, as the baseline does
        app.save(Minimal())
    per_thread = count // threads

    def save(_: int) -> None:
        for _ in range(per_thread):
            app.save(Minimal())

    rate = per_second(save, threads, per_thread)
    app.close()
    return rate
