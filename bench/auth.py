"""What checking API keys costs HTTP intake: the same run with the key checked as always
(a warm key: the keyring's cache), and with the check overridden by a no-op, alternated
over a few rounds so that a busy machine weighs on both alike; and what one check costs
in process, warm (the cache) and cold (the key's aggregate read from the store)."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.settings import Settings
from api.bootstrap import bootstrap
from api.keyring import Keyring, new_key_id, new_secret
from bench.http_load import Server, _closed_loop

ROUNDS = 3


@dataclass
class AuthRun:
    checked: list[float]  # orders per second, one per round
    unchecked: list[float]
    warm_us: float  # one check from the cache
    cold_us: float  # one check reading the key from the store

    @property
    def ratio(self) -> float:
        return statistics.median(self.checked) / statistics.median(self.unchecked)


def intake(env: dict[str, str], total: int, connections: int, unchecked: bool) -> float:
    command = [sys.executable, "-m", "bench.serve_app", *(["--unchecked"] if unchecked else [])]
    server = Server(env, command=command)
    try:
        tag = f"a{int(unchecked)}-{os.getpid()}-{time.monotonic_ns()}"
        asyncio.run(_closed_loop(server.port, connections, 200, f"{tag}-warm"))
        return asyncio.run(_closed_loop(server.port, connections, total, f"{tag}-peak")).rate
    finally:
        server.stop()


def check_costs(settings: Settings, count: int = 2000) -> tuple[float, float]:
    """Microseconds per check: from the cache, and from the store (a cache of 0 s)."""
    dom = bootstrap(settings)
    try:
        now = datetime.now(UTC)
        token = dom.access.issue_key(new_key_id(), new_secret(), ("admin", "bench", None),
                                     "bench", now).token  # fmt: skip
        dom.keyring.verify(token, now)
        started = time.perf_counter()
        for _ in range(count):
            dom.keyring.cached(token, now)
        warm = (time.perf_counter() - started) / count * 1e6
        cold_ring = Keyring(dom.access, 0)
        started = time.perf_counter()
        for _ in range(count):
            cold_ring.verify(token, now)
        return warm, (time.perf_counter() - started) / count * 1e6
    finally:
        dom.close()


def auth_overhead(env: dict[str, str], total: int, connections: int) -> AuthRun:
    """Each run on its own data directory (embedded) so that none finds another's orders."""
    rates: dict[bool, list[float]] = {False: [], True: []}
    for n in range(ROUNDS):
        for unchecked in (False, True):
            here = dict(env)
            if "DOM_DATA_DIR" in here:
                here["DOM_DATA_DIR"] = f"{here['DOM_DATA_DIR']}-{n}-{int(unchecked)}"
            rates[unchecked].append(intake(here, total, connections, unchecked))
    url = env.get("DOM_DATABASE_URL")
    settings = Settings(data_dir=f"{env.get('DOM_DATA_DIR', 'var')}-costs", database_url=url)
    warm, cold = check_costs(settings)
    return AuthRun(rates[False], rates[True], warm, cold)
