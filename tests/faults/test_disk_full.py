"""Embedded mode on a small filesystem that fills up: intake answers 503 at once instead of
hanging, /ready names the full disk, the process still stops on SIGTERM, intake resumes
when space comes back, and every acknowledged order is there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.builders import an_order_payload
from tests.e2e.test_processes import ROOT, dom_env, free_port, issued_admin_key
from tests.faults.disks import fill


def test_a_full_disk_gets_503_at_once_and_nothing_acknowledged_is_lost(small_disk: Path):
    env = dom_env(small_disk, None) | {"DOM_PORT": str(free_port()),
                                       "DOM_MIN_FREE_BYTES": str(256 * 1024)}  # fmt: skip
    headers = issued_admin_key(small_disk / "var", None)
    server = subprocess.Popen([sys.executable, "-m", "api", "serve"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{env['DOM_PORT']}"
    acknowledged: list[str] = []
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            wait_ready(client)
            for _ in range(5):
                acknowledged.append(
                    client.post("/orders", json=an_order_payload()).json()["order_id"]
                )
            filler = fill(small_disk)

            refused = []
            for _ in range(5):
                started = time.monotonic()
                answer = client.post("/orders", json=an_order_payload())
                assert time.monotonic() - started < 10, "intake must answer, not hang"
                if answer.status_code == 201:
                    acknowledged.append(answer.json()["order_id"])
                else:
                    refused.append(answer)
            assert refused, "a full disk refuses intake"
            for answer in refused:
                assert answer.status_code == 503 and answer.headers["Retry-After"]
                assert answer.json()["error"] in ("store_full", "store_unavailable")
            ready = client.get("/ready")
            assert ready.status_code == 503 and "disk full" in " ".join(ready.json()["causes"])

            filler.unlink()
            deadline = time.monotonic() + 20
            while (again := client.post("/orders", json=an_order_payload())).status_code != 201:
                assert time.monotonic() < deadline, again.text
                time.sleep(0.2)
            acknowledged.append(again.json()["order_id"])
            for order_id in acknowledged:
                assert client.get(f"/orders/{order_id}").status_code == 200, order_id
            fill(small_disk)
        server.send_signal(signal.SIGTERM)  # with the disk full again
        assert server.wait(15) is not None
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    os.sync()


def wait_ready(client: httpx.Client) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if client.get("/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "dom serve did not become ready"
        time.sleep(0.1)
