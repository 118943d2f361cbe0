"""kill -9 the order-status worker mid-stream: after a restart the read model equals a
rebuild from zero, with no event applied twice and none skipped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from adapters.settings import Settings
from api.bootstrap import bootstrap
from tests.builders import NOW, an_order

ROOT = Path(__file__).resolve().parents[2]


def start_worker(url: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DOM_DATABASE_URL=url, DOM_FOLLOWERS="workers")
    command = [
        sys.executable,
        "-m",
        "api",
        "work",
        "order-status",
        "--idle",
        "0.01",
        "--batch",
        "7",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_kill_9_mid_stream_then_restart_equals_a_rebuild(clean_postgres: str):
    dom = bootstrap(Settings(database_url=clean_postgres, followers="workers"))
    follower = dom.runtime.followers["order_status"]
    stop = threading.Event()

    def stream_orders() -> None:
        n = 0
        while not stop.is_set() and n < 600:
            placement = dom.orders.place_order(an_order(lines=1 + n % 3), NOW)
            if n % 5 == 0:
                dom.orders.cancel_order(placement.order.id, "crash test", NOW, ["1"])
            n += 1

    producer = threading.Thread(target=stream_orders)
    producer.start()
    worker = start_worker(clean_postgres)
    kill_positions = []
    try:
        for target in (150, 500, 900):
            wait_until(lambda t=target: follower.position() >= t)
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            kill_positions.append(follower.position())
            worker = start_worker(clean_postgres)
        producer.join()
        final = dom.orders.recorder.max_notification_id()
        wait_until(lambda: follower.position() == final)
    finally:
        stop.set()
        producer.join()
        worker.terminate()
        worker.wait(10)

    assert all(0 < position < final for position in kill_positions)
    rows = dom.store.query("SELECT * FROM order_status ORDER BY order_id")
    events_per_order = {
        str(row["originator_id"]): row["n"] for row in _events_per_order(clean_postgres)
    }
    assert len(rows) == len(events_per_order) == 600
    for row in rows:  # every event applied exactly once, in order
        assert row["applied_events"] == row["version"] == events_per_order[row["order_id"]]

    assert follower.rebuild() == final
    assert dom.store.query("SELECT * FROM order_status ORDER BY order_id") == rows
    dom.close()


def _events_per_order(url: str) -> list[dict]:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT originator_id, count(*) AS n FROM orders_events GROUP BY originator_id"
        ).fetchall()
