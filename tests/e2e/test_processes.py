"""The real processes: `dom serve` under uvicorn on both stores, and the CLI commands."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.bootstrap import bootstrap
from api.http.app import create_app
from tests.access_builders import admin_headers
from tests.builders import an_order_payload

ROOT = Path(__file__).resolve().parents[2]
WORKERS = (
    "order-status",
    "availability",
    "routing",
    "parked-orders",
    "parked-fulfilment",
    "fulfilment-policy",
    "orders-policy",
    "backorder-policy",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dom_env(tmp_path: Path, url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOM_")}
    env["DOM_DATA_DIR"] = str(tmp_path / "var")
    if url:
        env["DOM_DATABASE_URL"] = url
    return env


def run_dom(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@dataclass(frozen=True)
class Served:
    base: str
    headers: dict[str, str]  # an admin key's


def issued_admin_key(data_dir: Path, url: str | None) -> dict[str, str]:
    """An admin key issued in the store before the server starts (as `dom keys create`)."""
    dom = bootstrap(data_dir=data_dir, database_url=url)
    try:
        return admin_headers(dom)
    finally:
        dom.close()


@pytest.fixture(params=["sqlite", "postgres", "postgres+workers"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    """A real API process; with "+workers" the projection runs in its own `dom work` process."""
    url = request.getfixturevalue("clean_postgres") if request.param != "sqlite" else None
    env = dom_env(tmp_path, url)
    headers = issued_admin_key(tmp_path / "var", url)
    port = free_port()
    env["DOM_PORT"] = str(port)
    processes = []
    if request.param.endswith("+workers"):
        env["DOM_FOLLOWERS"] = "workers"
        for name in WORKERS:  # all at once, on a fresh database
            worker = [sys.executable, "-m", "api", "work", name, "--idle", "0.01"]
            processes.append(subprocess.Popen(worker, cwd=ROOT, env=env))
    process = subprocess.Popen([sys.executable, "-m", "api", "serve"], cwd=ROOT, env=env)
    processes.append(process)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # nine processes start at once on two cores
        while True:
            try:
                if httpx.get(f"{base}/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "dom serve did not become ready"
            time.sleep(0.1)
        yield Served(base, headers)
    finally:
        for each in processes:
            each.terminate()
            each.wait(10)


def test_a_real_server_takes_orders_once_and_shows_them_at_once(server: Served):
    payload = an_order_payload(channel="webshop")
    with httpx.Client(base_url=server.base, headers=server.headers) as client:
        created = client.post("/orders", json=payload)
        assert created.status_code == 201
        order_id = created.json()["order_id"]
        assert client.get(f"/orders/{order_id}").status_code == 200
        assert [i["order_id"] for i in client.get("/orders?channel=webshop").json()["items"]] == [
            order_id
        ]
        again = client.post("/orders", json=payload)
        assert again.status_code == 200  # the order as it is now: dated since (version 3)
        assert again.json() | {"version": created.json()["version"]} == created.json()
        payload["lines"][0]["quantity"] = 0
        assert client.post("/orders", json=payload).status_code == 422


def test_demo_is_idempotent_and_rebuild_replays_it(tmp_path: Path):
    env = dom_env(tmp_path, None)
    first = run_dom("demo", env=env)
    # Twelve orders of the last hours and seventeen of the past weeks, carried through.
    assert first.returncode == 0 and "29 orders placed" in first.stdout, first.stderr
    second = run_dom("demo", env=env)
    assert "0 orders placed, 29 already there" in second.stdout
    rebuilt = run_dom("projections", "rebuild", env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    replayed = dict(line.split(": replayed ") for line in rebuilt.stdout.splitlines())
    # 29 orders: placed and released, dated, allocated by the demo's routing policy, ...
    assert int(replayed["order_status"].split()[0]) > 3 * 29
    assert int(replayed["availability"].split()[0]) > 0
    assert int(replayed["routing"].split()[0]) >= 29 and int(replayed["otif"].split()[0]) > 29


def test_work_refuses_an_unknown_name(tmp_path: Path):
    answer = run_dom("work", "nothing", env=dom_env(tmp_path, None))
    assert answer.returncode == 2 and "unknown follower" in answer.stderr


def test_orders_are_sourced_by_the_policies_wherever_they_run(server: Served):
    """Inline in the API, or in one worker process per follower: the same outcome."""
    rules = {"strategies": [{"name": "any", "criteria": [{"kind": "stock", "mode": "line"}]}]}
    location = {"name": "DC", "type": "warehouse", "country": "BE", "latitude": 51.2, "longitude": 4.4,
                "time_zone": "Europe/Brussels", "channels": ["webshop"]}  # fmt: skip
    count = {"location": "WH1", "sku": "SKU-1", "quantity": 5, "counted_at": "2026-11-26T08:00:00Z"}
    payload = an_order_payload(channel="webshop")
    with httpx.Client(base_url=server.base, headers=server.headers, timeout=10) as client:
        assert client.put("/locations/WH1", json=location).status_code == 201
        assert client.post("/stock/counts", json={"counts": [count]}).status_code == 200
        assert (
            client.post("/routing-policies/default/versions", json={"rules": rules}).status_code
            == 201
        )
        assert client.post("/routing-policies/default/versions/1/activate").status_code == 200
        order_id = client.post("/orders", json=payload).json()["order_id"]
        deadline = time.monotonic() + 30
        while client.get(f"/orders/{order_id}").json()["status"] != "allocated":
            assert time.monotonic() < deadline, client.get(f"/orders/{order_id}/routing").text
            time.sleep(0.1)
        assert client.get(f"/orders/{order_id}/routing").json()["decisions"][0]["plan"] == {
            "WH1": {"1": 1}
        }


def test_the_demo_shows_every_status_an_otif_table_and_warnings(tmp_path: Path):
    env = dom_env(tmp_path, None)
    assert run_dom("demo", env=env).returncode == 0
    dom = bootstrap(data_dir=tmp_path / "var")
    with TestClient(create_app(dom), headers=admin_headers(dom)) as client:
        orders = client.get("/orders", params={"limit": 100}).json()["items"]
        statuses = {order["status"] for order in orders}
        assert {"allocated", "shipped", "delivered", "completed"} <= statuses, statuses
        kinds = {item["kind"] for item in client.get("/exceptions").json()["items"]}
        assert {"late", "lost", "returned_to_sender"} <= kinds, kinds
        today = datetime.now(UTC).date()
        weeks = {"from": str(today - timedelta(days=60)), "to": str(today + timedelta(days=9))}
        rows = client.get("/otif", params=weeks).json()
        channels = {row["channel"] for row in rows["items"]}
        assert channels == {"webshop", "marketplace", "instagram"}
        otif = [row["otif"] for row in rows["items"] if row["otif"] is not None]
        assert any(0 < value < 100 for value in otif) or {0.0, 100.0} <= set(otif), otif
