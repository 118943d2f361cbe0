"""Carriers' tracking news through the signed webhook of a real server: the peak rate of
updates, then the lag from sending an update to the OTIF view showing it, at half that
rate (open loop: each update leaves on its schedule, whether or not the last one came
back), read in the read store itself."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from adapters.carrier_secrets import sign
from adapters.readstore import ReadStore
from bench.http_load import LoadResult, request

SECRET = "bench-tracking-secret-0123456789abcdef"
CARRIER = "bench"


@dataclass
class TrackingRun:
    peak: LoadResult  # in-transit news, one update per request, closed loop
    lag_ms: list[float]  # delivered news at half the peak rate: sent -> visible in OTIF
    rate: float

    def lag(self, p: float) -> float:
        ordered = sorted(self.lag_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def tracking(port: int, shipments: list[tuple[str, str]], connections: int,
                   store: ReadStore) -> TrackingRun:  # fmt: skip
    """`shipments`: (shipment id, tracking number), all dispatched with carrier `bench`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = orjson.dumps({"secret": SECRET})
    status, answer = await request(
        reader, writer, "PUT", f"/carriers/{CARRIER}/tracking-secret", body
    )
    assert status == 204, answer
    writer.close()
    peak = await _closed(port, connections, [n for _, n in shipments], "in_transit")
    rate = peak.rate / 2
    lags = await _open(port, shipments, rate, store)
    return TrackingRun(peak, lags, rate)


def _news(number: str, status: str) -> bytes:
    at = datetime.now(UTC).isoformat()
    update = {
        "tracking_number": number,
        "status": status,
        "at": at,
        "event_id": f"{status}-{number}",
    }
    return orjson.dumps({"updates": [update]})


async def _send(connection: Any, number: str, status: str) -> None:
    body = _news(number, status)
    headers = {"Dom-Signature": sign(SECRET, body, datetime.now(UTC))}
    code, answer = await request(
        *connection, "POST", f"/carriers/{CARRIER}/tracking", body, headers
    )
    assert code == 200 and orjson.loads(answer)["outcomes"][0]["outcome"] == "applied", answer


async def _closed(port: int, connections: int, numbers: list[str], status: str) -> LoadResult:
    queue = iter(numbers)
    latencies: list[float] = []

    async def client() -> None:
        connection = await asyncio.open_connection("127.0.0.1", port)
        for number in queue:
            started = time.perf_counter()
            await _send(connection, number, status)
            latencies.append((time.perf_counter() - started) * 1000)
        connection[1].close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return LoadResult(len(numbers), time.perf_counter() - started, latencies, 0)


async def _open(port: int, shipments: list[tuple[str, str]], rate: float,
                store: ReadStore) -> list[float]:  # fmt: skip
    lags: list[float] = []
    start = time.perf_counter()

    async def one(n: int, shipment_id: str, number: str) -> None:
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
        sent = time.perf_counter()
        connection = await asyncio.open_connection("127.0.0.1", port)
        await _send(connection, number, "delivered")
        connection[1].close()
        while not await asyncio.to_thread(_visible, store, shipment_id):
            await asyncio.sleep(0.001)
        lags.append((time.perf_counter() - sent) * 1000)

    await asyncio.gather(*(one(n, s, number) for n, (s, number) in enumerate(shipments)))
    return lags


def _visible(store: ReadStore, shipment_id: str) -> bool:
    rows = store.query(
        "SELECT delivered_at FROM otif_shipments WHERE shipment_id = {}", (shipment_id,)
    )
    return bool(rows) and rows[0]["delivered_at"] is not None
