"""The concurrency claims, proven across OS processes on the real PostgreSQL: two API
processes never oversell, kill -9 with several writers loses nothing acknowledged and
applies nothing twice, and two workers of one projection apply each event once."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from adapters.settings import Settings
from api.bootstrap import bootstrap
from tests.builders import an_order_payload
from tests.cluster.processes import Server, environment, start_worker, wait_until
from tests.e2e.test_processes import issued_admin_key

pytestmark = pytest.mark.cluster
LOCATION = {"name": "DC", "type": "warehouse", "country": "BE", "latitude": 51.2,
            "longitude": 4.4, "time_zone": "Europe/Brussels", "channels": ["webshop"]}  # fmt: skip


def test_two_api_processes_never_oversell_the_last_units(clean_postgres: str):
    key = issued_admin_key(Path("var"), clean_postgres)  # data_dir unused: PostgreSQL
    servers = [Server(environment(clean_postgres)) for _ in range(2)]
    try:
        first = httpx.Client(base_url=servers[0].url, headers=key, timeout=30)
        assert first.put("/locations/WH1", json=LOCATION).status_code == 201
        count = {"location": "WH1", "sku": "LAST", "quantity": 10,
                 "counted_at": "2026-11-26T08:00:00Z"}  # fmt: skip
        assert first.post("/stock/counts", json={"counts": [count]}).status_code == 200

        def reserve(n: int) -> int:
            body = {"location": "WH1", "sku": "LAST", "order_id": f"race-{n}", "lines": {"1": 1}}
            with httpx.Client(base_url=servers[n % 2].url, headers=key, timeout=30) as client:
                return client.post("/stock/reservations", json=body).status_code

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(reserve, range(50)))
        assert answers.count(200) == 10 and answers.count(409) == 40, answers
        for server in servers:
            [level] = httpx.get(f"{server.url}/inventory/LAST", headers=key).json()["locations"]
            assert (level["on_hand"], level["reserved"], level["available"]) == (10, 10, 0)
        history = _stock_history(clean_postgres)
        assert all(levels["reserved"] <= levels["on_hand"] for levels in history)
    finally:
        for server in servers:
            server.stop()


def test_kill_9_with_several_concurrent_writers_loses_nothing_and_applies_nothing_twice(
    clean_postgres: str,
):
    env = environment(clean_postgres, DOM_FOLLOWERS="workers", DOM_READ_YOUR_WRITES_TIMEOUT="0.2")
    key = issued_admin_key(Path("var"), clean_postgres)
    servers = [Server(env) for _ in range(2)]
    worker = start_worker("order-status", env)
    acknowledged: set[str] = set()
    lock, stop = threading.Lock(), threading.Event()

    def write(writer: int) -> None:
        n = 0
        while not stop.is_set() and n < 150:
            payload = an_order_payload(channel_order_id=f"W{writer}-{n}")
            for attempt in range(40):  # a retry of a command is harmless: resend until answered
                server = servers[(writer + attempt) % 2]
                try:
                    answer = httpx.post(
                        f"{server.url}/orders", json=payload, headers=key, timeout=10
                    )
                except httpx.TransportError:
                    continue
                if answer.status_code in (200, 201):
                    with lock:
                        acknowledged.add(answer.json()["order_id"])
                    break
            n += 1

    writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in writers:
        thread.start()
    try:
        for round_ in range(3):
            wait_until(lambda r=round_: len(acknowledged) >= 100 * (r + 1))
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            if round_ == 1:
                servers[0].kill()  # an API process dies mid-intake too
                servers[0].restart()
            worker = start_worker("order-status", env)
        for thread in writers:
            thread.join()
        dom = bootstrap(Settings(database_url=clean_postgres, followers="workers"))
        follower = dom.runtime.followers["order_status"]
        final = dom.orders.recorder.max_notification_id()
        wait_until(lambda: follower.position() >= final)
    finally:
        stop.set()
        worker.terminate()
        worker.wait(10)
        for server in servers:
            server.stop()

    assert len(acknowledged) == 600
    rows = dom.store.query("SELECT * FROM order_status ORDER BY order_id")
    per_order = _events_per_order(clean_postgres)
    assert {row["order_id"] for row in rows} == acknowledged == set(per_order)
    for row in rows:  # every event applied exactly once, in order
        assert row["applied_events"] == row["version"] == per_order[row["order_id"]]
    dom.runtime.followers["order_status"].rebuild()
    assert dom.store.query("SELECT * FROM order_status ORDER BY order_id") == rows
    dom.close()


def test_two_workers_of_one_projection_apply_each_event_once(clean_postgres: str):
    env = environment(clean_postgres, DOM_FOLLOWERS="workers")
    dom = bootstrap(Settings(database_url=clean_postgres, followers="workers"))
    workers = [start_worker("order-status", env) for _ in range(2)]
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda n: dom.orders.place_order(_command(n), _now()), range(400)))
        follower = dom.runtime.followers["order_status"]
        final = dom.orders.recorder.max_notification_id()
        wait_until(lambda: follower.position() >= final)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(10)
    rows = dom.store.query("SELECT * FROM order_status")
    per_order = _events_per_order(clean_postgres)
    assert len(rows) == len(per_order) == 400
    for row in rows:
        assert row["applied_events"] == row["version"] == per_order[row["order_id"]]
    dom.close()


def _command(n: int) -> Any:
    from tests.builders import an_order

    return an_order(channel_order_id=f"TWO-{n}", lines=1 + n % 3)


def _now() -> Any:
    from tests.builders import NOW

    return NOW


def _events_per_order(url: str) -> dict[str, int]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT originator_id, count(*) AS n FROM orders_events GROUP BY originator_id"
        ).fetchall()
    return {str(row["originator_id"]): row["n"] for row in rows}


def _stock_history(url: str) -> list[dict[str, int]]:
    import orjson

    with psycopg.connect(url, row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT state FROM fulfilment_events WHERE topic LIKE '%StockItem%' "
            "ORDER BY notification_id"
        ).fetchall()
    states = [orjson.loads(bytes(row["state"])) for row in rows]
    return [state["levels"] for state in states if "levels" in state]
