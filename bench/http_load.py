"""A real uvicorn server and a concurrent keep-alive load client on loopback."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import httpx

from adapters.settings import Settings
from api.bootstrap import bootstrap
from bench.payloads import order_body

ROOT = Path(__file__).resolve().parents[1]
# Sent with every request: the admin key the running Server issued before it started.
AUTHORIZATION: dict[str, str] = {}


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def admin_key(env: dict[str, str]) -> str:
    """An admin key issued in the store the server will use, as `dom keys create` would."""
    url = env.get("DOM_DATABASE_URL")
    dom = bootstrap(Settings(data_dir=Path(env.get("DOM_DATA_DIR", "var")), database_url=url))
    try:
        return dom.access.issue_key(uuid4(), secrets.token_urlsafe(32), ("admin", "bench", None),
                                    "bench", datetime.now(UTC)).token  # fmt: skip
    finally:
        dom.close()


class Server:
    def __init__(
        self, env: dict[str, str], workers: int = 1, command: list[str] | None = None
    ) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        AUTHORIZATION["Authorization"] = f"Bearer {admin_key(env)}"
        env = dict(env, DOM_PORT=str(self.port))
        command = command or [sys.executable, "-m", "api", "serve", "--workers", str(workers)]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)

    def peak_memory_mb(self) -> float:
        """Peak resident memory of the largest API process (the server or a worker of it)."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(pid) for pid in children.read_text().split()]
        return max(_peak_rss_mb(pid) for pid in pids)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: bytes, path: str = "/orders"
) -> int:
    return (await request(reader, writer, "POST", path, body))[0]


async def request(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """One request on a keep-alive connection: its status and body."""
    sent = AUTHORIZATION | (headers or {})
    more = "".join(f"{name}: {value}\r\n" for name, value in sent.items())
    head = (f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"{more}Content-Length: {len(body)}\r\n\r\n")  # fmt: skip
    writer.write(head.encode() + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _closed_loop(port: int, connections: int, total: int, prefix: str) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for n in counter:
            body = order_body(f"{prefix}-{n}")
            started = time.perf_counter()
            if await _post(reader, writer, body) != 201:
                errors += 1
            latencies.append((time.perf_counter() - started) * 1000)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return LoadResult(total, time.perf_counter() - started, latencies, errors)


async def _open_loop(port: int, rate: float, seconds: float, prefix: str) -> LoadResult:
    """Requests sent on a fixed schedule; latency counts from the scheduled time."""
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(64):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []
    errors = 0

    async def one(n: int, due: float) -> None:
        nonlocal errors
        reader, writer = await pool.get()
        if await _post(reader, writer, order_body(f"{prefix}-{n}")) != 201:
            errors += 1
        latencies.append((time.perf_counter() - due) * 1000)
        pool.put_nowait((reader, writer))

    total = int(rate * seconds)
    started = time.perf_counter()
    tasks = []
    for n in range(total):
        due = started + n / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait()[1].close()
    return LoadResult(total, time.perf_counter() - started, latencies, errors)


@dataclass
class HttpRun:
    peak: LoadResult  # closed loop
    half: LoadResult  # open loop at half the peak rate
    memory_mb: float  # the largest API process's peak
    placed: int  # orders answered 201, warm-up included


def http_intake(env: dict[str, str], total: int, connections: int, workers: int = 1) -> HttpRun:
    server = Server(env, workers)
    try:
        tag = f"h{os.getpid()}-{time.monotonic_ns()}"
        warm = asyncio.run(_closed_loop(server.port, connections, 200, f"{tag}-warm"))
        peak = asyncio.run(_closed_loop(server.port, connections, total, f"{tag}-peak"))
        half = asyncio.run(_open_loop(server.port, peak.rate / 2, 5.0, f"{tag}-half"))
        placed = sum(r.requests - r.errors for r in (warm, peak, half))
        return HttpRun(peak, half, server.peak_memory_mb(), placed)
    finally:
        server.stop()


def median(values: list[float]) -> float:
    return statistics.median(values)
