"""`dom relay` as its own process under faults: kill -9 while events are produced, and
NATS itself going away and coming back. Afterwards the stream holds every stored event
exactly once, in order per context, nothing skipped."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.relay_positions import RelayPositions
from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from api.demo import load_network
from tests.builders import NOW, an_order
from tests.cluster.processes import ROOT, environment, free_port, wait_until
from tests.relay_streams import NATS_URL, assert_exactly_once, own_stream

pytestmark = pytest.mark.cluster
NATS_SERVER = "/usr/sbin/nats-server"


def start_relay(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "api", "relay", "--idle", "0.01"],
                            cwd=ROOT, env=env)  # fmt: skip


def relay_env(base: dict[str, str], stream: dict[str, str], url: str) -> dict[str, str]:
    return base | {"DOM_NATS_URL": url, "DOM_RELAY_STREAM": stream["relay_stream"],
                   "DOM_RELAY_SUBJECT_PREFIX": stream["relay_subject_prefix"],
                   "DOM_RELAY_BATCH": "20", "DOM_RELAY_MAX_BACKOFF": "0.5",
                   "DOM_LOG_LEVEL": "warning"}  # fmt: skip


def latest(dom: Container) -> dict[str, int]:
    """Each context's latest event (contexts with none yet left out, as the relay does)."""
    found = {name: app.recorder.max_notification_id() or 0 for name, app in dom.contexts.items()}
    return {name: n for name, n in found.items() if n}


def place_orders(dom: Container, count: int, stop: threading.Event | None = None) -> None:
    for n in range(count):
        if stop is not None and stop.is_set():
            return
        dom.orders.place_order(an_order(lines=1 + n % 3), NOW)
        if n % 10 == 9:
            dom.runtime.catch_up_all()  # fulfilment's reactions: events of the other context
    dom.runtime.catch_up_all()


def test_relay_killed_9_while_events_are_produced_publishes_each_once(clean_postgres: str) -> None:
    with own_stream() as stream:
        dom = bootstrap(Settings(database_url=clean_postgres, **stream))
        load_network(dom, NOW)
        positions = RelayPositions(dom.store, stream["relay_stream"])
        stop = threading.Event()
        producer = threading.Thread(target=place_orders, args=(dom, 500, stop))
        env = relay_env(environment(clean_postgres), stream, NATS_URL)
        producer.start()
        relay = start_relay(env)
        killed_at = []
        try:
            for target in (60, 200, 400, 700):
                wait_until(lambda t=target: sum(positions.load().values()) >= t)
                relay.send_signal(signal.SIGKILL)
                relay.wait()
                killed_at.append(sum(positions.load().values()))
                relay = start_relay(env)
            producer.join()
            wait_until(lambda: positions.load() == latest(dom))
        finally:
            stop.set()
            producer.join()
            relay.terminate()
            relay.wait(15)
        total = sum(latest(dom).values())
        assert all(0 < at < total for at in killed_at)
        assert assert_exactly_once(dom, stream) == total
        dom.close()


class OwnNats:
    """A nats-server of this test's own (port, store folder), to stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.port),
                   "-sd", str(self.folder)]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(self._listening, timeout=20)

    def _listening(self) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # a clean stop: JetStream flushes its files
            self.process.wait(20)


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[OwnNats]:
    server = OwnNats(tmp_path / "jetstream")
    yield server
    server.stop()


def test_relay_waits_out_nats_being_away_then_catches_up_once(
    tmp_path: Path, own_nats: OwnNats
) -> None:
    stream = {"relay_stream": "DOM", "relay_subject_prefix": "dom"}  # a server of its own
    data = tmp_path / "var"
    dom = bootstrap(Settings(data_dir=data))  # embedded: SQLite files shared with the relay
    load_network(dom, NOW)
    place_orders(dom, 30)
    positions = RelayPositions(dom.store, stream["relay_stream"])
    env = relay_env(environment("", DOM_DATA_DIR=str(data)), stream, own_nats.url)
    del env["DOM_DATABASE_URL"]  # embedded mode
    relay = start_relay(env)
    try:
        wait_until(lambda: _relay_state(dom) == "failing")  # NATS was never there
        assert positions.load() == {}
        own_nats.start()
        wait_until(lambda: positions.load() == latest(dom))
        assert _relay_state(dom) is None

        own_nats.stop()  # away mid-stream: orders go on being taken
        place_orders(dom, 30)
        wait_until(lambda: _relay_state(dom) == "failing")
        own_nats.start()
        wait_until(lambda: positions.load() == latest(dom))
        assert relay.poll() is None  # it waited; it did not exit
    finally:
        relay.terminate()
        relay.wait(15)
    assert assert_exactly_once(dom, stream, own_nats.url) == sum(latest(dom).values())
    dom.close()


def _relay_state(dom: Container) -> str | None:
    rows = dom.store.query("SELECT state FROM follower_status WHERE name = 'relay'")
    return rows[0]["state"] if rows else None
