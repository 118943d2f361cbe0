"""Shipments through the warehouse API on a real server: orders placed and sourced on the
bench network, each shipment accepted, picked and packed, then all dispatched at once on
keep-alive connections; the dispatch rate beside the same run's bare baseline, and the
stock afterwards (each dispatched unit left on hand exactly once)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from adapters.readstore import ReadStore
from bench.http_load import LoadResult, Server, _closed_loop, request
from bench.payloads import CHANNEL
from bench.tracking import CARRIER, TrackingRun, tracking
from domain.orders.order import order_id_for

PARCEL = {"weight_grams": 900, "length_mm": 300, "width_mm": 200, "height_mm": 100}


@dataclass
class ShippingRun:
    steps: LoadResult  # accept, pick and pack: three requests per shipment
    dispatch: LoadResult
    # The same dispatches again: the route's whole path (HTTP, checks, reading the shipment,
    # answering) with nothing to write; the ceiling of dispatch through this API process.
    repeat: LoadResult
    shipments: int
    tracking: TrackingRun


def shipping(env: dict[str, str], count: int, connections: int, store: ReadStore) -> ShippingRun:
    server = Server(env)
    try:
        return asyncio.run(_shipping(server.port, count, connections, store))
    finally:
        server.stop()


async def _shipping(port: int, count: int, connections: int, store: ReadStore) -> ShippingRun:
    tag = f"ship{time.monotonic_ns()}"
    placed = await _closed_loop(port, connections, count, tag)
    assert placed.errors == 0, f"{placed.errors} orders refused"
    orders = [str(order_id_for(CHANNEL, f"{tag}-{n}")) for n in range(count)]
    shipments: list[tuple[str, dict[str, int]]] = []

    async def find(connection: Any, order_id: str) -> None:
        _status, body = await request(*connection, "GET", f"/orders/{order_id}/routing")
        decision = orjson.loads(body)["decisions"][-1]
        for location, shipment_id in decision["shipments"].items():
            shipments.append((shipment_id, decision["plan"][location]))

    await _each(port, connections, orders, find)

    async def prepare(connection: Any, shipment: tuple[str, dict[str, int]]) -> None:
        shipment_id, lines = shipment
        for step, body in (("accept", {}), ("pick", {"lines": lines}),
                           ("pack", {"parcels": [PARCEL]})):  # fmt: skip
            status, answer = await request(*connection, "POST", f"/shipments/{shipment_id}/{step}",
                                           orjson.dumps(body) if body else b"")  # fmt: skip
            assert status == 200, answer

    steps = await _each(port, connections, shipments, prepare, requests_each=3)

    async def dispatch(connection: Any, shipment: tuple[str, dict[str, int]]) -> None:
        handed = {
            "carrier": CARRIER,
            "service": "standard",
            "tracking_number": _number(shipment[0]),
        }
        status, answer = await request(*connection, "POST", f"/shipments/{shipment[0]}/dispatch",
                                       orjson.dumps(handed))  # fmt: skip
        assert status == 200, answer

    dispatched = await _each(port, connections, shipments, dispatch)
    repeated = await _each(port, connections, shipments, dispatch)
    numbered = [(shipment_id, _number(shipment_id)) for shipment_id, _ in shipments]
    tracked = await tracking(port, numbered, connections, store)
    return ShippingRun(steps, dispatched, repeated, len(shipments), tracked)


def _number(shipment_id: str) -> str:
    return "TN-" + shipment_id.replace("-", "")[:32]


async def _each(
    port: int,
    connections: int,
    items: list[Any],
    work: Callable[[Any, Any], Awaitable[None]],
    requests_each: int = 1,
) -> LoadResult:
    """`work` on every item over `connections` keep-alive connections; timed."""
    queue = iter(items)
    latencies: list[float] = []

    async def client() -> None:
        connection = await asyncio.open_connection("127.0.0.1", port)
        for item in queue:
            started = time.perf_counter()
            await work(connection, item)
            latencies.append((time.perf_counter() - started) * 1000)
        connection[1].close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return LoadResult(len(items) * requests_each, time.perf_counter() - started, latencies, 0)
