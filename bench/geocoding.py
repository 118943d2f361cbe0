"""The gazetteer's cost: load time and memory of each GeoNames file, and one lookup.

Each file is measured in a fresh interpreter (`python -m bench.geocoding POP ALT`),
so one measurement's memory does not hide in another's: RSS before the load,
after it (what the process keeps) and the peak while loading (VmHWM).
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from typing import NamedTuple

ADDRESSES = [
    ("Paris", "FR", None), ("München", "DE", None), ("Antwerpen", "BE", None),
    ("Springfield", "US", "MA"), ("S-Hertogenbosch", "NL", None), ("Nowhere Town", "GB", None),
    ("Lyon", "FR", None), ("Zürich", "CH", None), ("Kraków", "PL", None), ("Porto", "PT", None),
]  # fmt: skip


class LoadCost(NamedTuple):
    population: int
    alternates: bool
    seconds: float
    rss_before_mb: float
    rss_after_mb: float
    peak_mb: float
    lookup_us: float


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0


def _measure_here(population: int, alternates: bool) -> LoadCost:
    from adapters.geocoding import Gazetteer  # after the "before" figure is taken

    before = _status_mb("VmRSS:")
    gazetteer = Gazetteer(population, alternates)
    started = time.perf_counter()
    gazetteer.load()
    seconds = time.perf_counter() - started
    rng = random.Random(7)
    asked = [rng.choice(ADDRESSES) for _ in range(100_000)]
    started = time.perf_counter()
    for city, country, region in asked:
        gazetteer.locate(city, country, region)
    lookup_us = (time.perf_counter() - started) / len(asked) * 1e6
    return LoadCost(
        population, alternates, seconds, before, _status_mb("VmRSS:"), _status_mb("VmHWM:"),
        lookup_us,
    )  # fmt: skip


def load_cost(population: int, alternates: bool) -> LoadCost:
    """Measured in a child interpreter that loads nothing else."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.geocoding", str(population), str(int(alternates))],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return LoadCost(int(out[0]), out[1] == "1", *map(float, out[2:]))  # type: ignore[arg-type]


if __name__ == "__main__":
    cost = _measure_here(int(sys.argv[1]), sys.argv[2] == "1")
    print(cost.population, int(cost.alternates), *cost[2:])
