"""Real dom processes for the cluster tests: API servers and workers on one PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
WORKERS = ("order-status", "availability", "routing", "parked-orders", "parked-fulfilment",
           "fulfilment-policy", "orders-policy", "backorder-policy")  # fmt: skip


def environment(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOM_")}
    return env | {"DOM_DATABASE_URL": url, "DOM_POOL_SIZE": "2"} | extra


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`dom serve` in its own process; `kill()` is kill -9."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = env | {"DOM_PORT": str(self.port)}
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([sys.executable, "-m", "api", "serve"], cwd=ROOT, env=self.env)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            assert process.poll() is None, "dom serve exited"
            assert time.monotonic() < deadline, "dom serve did not become ready"
            time.sleep(0.1)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def restart(self) -> None:
        self.process = self._start()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


def start_worker(name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "api", "work", name, "--idle", "0.01", "--batch", "7"]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_until(condition, timeout: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
