"""Orders placed per second inside one process: each order sourced, reserved and the read
models settled before the next command, as the API does before it answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.settings import Settings
from api.bootstrap import bootstrap
from bench.network import load_network, reserved
from bench.payloads import UNITS_PER_ORDER, order_command


@dataclass(frozen=True)
class Measured:
    rate: float
    reserved_share: float  # units reserved / units ordered: 1.0 when every order was sourced


def orders_per_second(settings: Settings, count: int, threads: int = 1) -> Measured:
    dom = bootstrap(settings)
    now = datetime.now(UTC)
    load_network(dom, now)
    prefix = f"in{threads}-{time.monotonic_ns()}"
    for n in range(20):  # warm-up
        placement = dom.orders.place_order(order_command(f"{prefix}-w{n}", now), now)
        dom.runtime.settle("orders", placement.notification_id)
    per_thread = count // threads
    before = reserved(dom)

    def place(worker: int) -> None:
        for n in range(per_thread):
            placement = dom.orders.place_order(order_command(f"{prefix}-{worker}-{n}", now), now)
            dom.runtime.settle("orders", placement.notification_id)

    rate = per_second(place, threads, per_thread)
    share = (reserved(dom) - before) / (per_thread * threads * UNITS_PER_ORDER)
    dom.close()
    return Measured(rate, share)


def per_second(work: Callable[[int], None], threads: int, per_thread: int) -> float:
    """Run `work(worker)` on each thread at once; operations per second over all of them."""
    workers = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return per_thread * threads / (time.perf_counter() - started)
