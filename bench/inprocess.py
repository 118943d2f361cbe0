"""Orders placed per second inside one process, read model updated after each command."""

from __future__ import annotations

import threading
import time
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

    workers = [threading.Thread(target=place, args=(w,)) for w in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    dom.close()
    return per_thread * threads / elapsed
