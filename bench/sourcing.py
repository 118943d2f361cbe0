"""Sourcing engine latency: 2,000 locations x 20 lines and 100 locations x 5 lines."""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime
from decimal import Decimal

from domain.fulfilment.routing_rules import parse_rules
from domain.fulfilment.sourcing import Candidate, LineToSource, Network, OrderToSource, source

RULES = parse_rules(
    {
        "strategies": [
            {
                "name": "nearest with stock",
                "criteria": [
                    {"kind": "channel"},
                    {"kind": "capacity"},
                    {"kind": "max_distance", "km": 1500},
                    {"kind": "stock", "mode": "partial"},
                    {"kind": "stock_coverage"},
                    {"kind": "distance", "bands_km": [50, 200, 800]},
                    {"kind": "priority"},
                    {"kind": "fewest_shipments"},
                    {"kind": "max_splits", "max": 3},
                ],
                "fallback": "backorder",
            }
        ]
    }
)


def network(locations: int, skus: int, rng: random.Random) -> list[Candidate]:
    return [
        Candidate(
            code=f"L{n:04d}",
            type=rng.choice(["warehouse", "store"]),
            latitude=rng.uniform(36, 60),
            longitude=rng.uniform(-9, 24),
            stock={f"S{s}": rng.randint(0, 5) for s in rng.sample(range(skus), k=min(skus, 40))},
            channels=frozenset({"web"}),
            priority=rng.randint(1, 100),
            daily_capacity=rng.choice([0, 50, 200]),
            orders_today=rng.randint(0, 60),
        )
        for n in range(locations)
    ]


def an_order(lines: int, skus: int, rng: random.Random) -> OrderToSource:
    return OrderToSource(
        order_id="o", channel="web", country="BE", latitude=50.85, longitude=4.35,
        lines=tuple(LineToSource(str(n), f"S{rng.randrange(skus)}", rng.randint(1, 2), Decimal("10"))
                    for n in range(lines)),
    )  # fmt: skip


def latencies_ms(locations: int, lines: int, runs: int) -> tuple[float, float, float]:
    rng = random.Random(7)
    candidates = Network(network(locations, 200, rng))
    orders = [an_order(lines, 200, rng) for _ in range(runs)]
    now = datetime.now(UTC)
    timings = []
    for order in orders:
        started = time.perf_counter()
        source(order, candidates, RULES, 1, now)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(0.99 * len(timings))], timings[-1]
