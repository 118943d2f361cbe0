"""Orders placed per second inside one process, read model updated after each command."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from adapters.settings import Settings
from api.bootstrap import bootstrap
from bench.payloads import order_command


def orders_per_second(settings: Settings, count: int, threads: int = 1) -> float:
    dom = bootstrap(settings)
    now = datetime.now(UTC)
    prefix = f"in{threads}-{time.monotonic_ns()}"
    for n in range(20):  # warm-up
        dom.orders.place_order(order_command(f"{prefix}-w{n}", now), now)
    per_thread = count // threads

    def place(worker: int) -> None:
        for n in range(per_thread):
            placement = dom.orders.place_order(order_command(f"{prefix}-{worker}-{n}", now), now)
            dom.runtime.settle("orders", placement.notification_id)

    rate = per_second(place, threads, per_thread)
    dom.close()
    return rate


def per_second(work: Callable[[int], None], threads: int, per_thread: int) -> float:
    """Run `work(worker)` on each thread at once; operations per second over all of them."""
    workers = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return per_thread * threads / (time.perf_counter() - started)
