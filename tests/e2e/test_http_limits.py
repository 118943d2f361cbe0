"""A real `dom serve` under abuse: bodies too large, requests too slow, connections silent.

Raw sockets where the HTTP client would hide what happens on the wire. The
server runs with short timeouts (1 s to read a request, 3 s idle) so that each
test takes seconds; the defaults are longer.
"""

from __future__ import annotations

import select
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.builders import an_order_payload
from tests.e2e.test_processes import ROOT, dom_env, free_port

READ_TIMEOUT = 1.0
IDLE_TIMEOUT = 3
SLACK = 2.0  # the machine may be busy: generous, yet far below never
LIMIT = 8 * 1024 * 1024  # the default DOM_MAX_BODY_BYTES
MB = 1024 * 1024


class Served:
    def __init__(self, process: subprocess.Popen[bytes], port: int, data: Path, log: Path):
        self.process, self.port, self.data, self.log = process, port, data, log
        self.base = f"http://127.0.0.1:{port}"

    @property
    def headers(self) -> dict[str, str]:
        """The admin key `dom serve` wrote on its first start (embedded mode)."""
        return {"Authorization": f"Bearer {(self.data / 'admin.key').read_text().strip()}"}

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.settimeout(10)
        return sock

    def peak_memory(self) -> int:
        """The process's peak resident memory (VmHWM), in bytes."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmHWM")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("served")
    env = dom_env(tmp, None)
    port = free_port()
    env |= {"DOM_PORT": str(port), "DOM_REQUEST_READ_TIMEOUT": str(READ_TIMEOUT),
            "DOM_IDLE_TIMEOUT": str(IDLE_TIMEOUT), "DOM_STORE_TIMEOUT": "1"}  # fmt: skip
    log = tmp / "stderr.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "api", "serve"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr,
        )  # fmt: skip
    try:
        assert process.stdout is not None
        assert b"serving on" in process.stdout.readline(), log.read_text()
        yield Served(process, port, tmp / "var", log)
    finally:
        process.terminate()
        process.wait(10)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or 10 s pass)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def read_one_response(sock: socket.socket) -> bytes:
    """One whole response on a kept-alive connection: its head, then Content-Length bytes.

    A response may come in several segments (head and body apart), so a single recv
    could leave part of it to be mistaken for the next answer."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"closed mid-response: {received!r}"
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))  # fmt: skip
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, f"closed mid-body: {received!r}"
        body += chunk
    assert len(body) == length, "more bytes than one response"
    return head + b"\r\n\r\n" + body


def status_and_body(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), orjson.loads(body)


# --- bodies over the limit -----------------------------------------------------------


def test_a_50_mb_body_is_refused_with_413_before_it_is_read(served: Served):
    with httpx.Client(base_url=served.base, headers=served.headers, timeout=30) as client:
        for _ in range(3):  # the first requests load what every later one needs
            assert client.get("/orders").status_code == 200
        before = served.peak_memory()
        started = time.monotonic()
        answer = client.post("/stock/counts", content=b"x" * (50 * MB),
                             headers={"content-type": "application/json"})  # fmt: skip
        assert answer.status_code == 413 and answer.json()["error"] == "body_too_large"
        assert answer.headers["connection"] == "close" and answer.headers["x-request-id"]
        assert time.monotonic() - started < 5
        assert served.peak_memory() - before < 4 * MB


def test_a_chunked_body_is_refused_once_it_passes_the_limit(served: Served):
    """Without Content-Length the body is counted as it comes: at most the limit is held."""

    def chunks() -> Iterator[bytes]:
        for _ in range(50 * 16):
            yield b"x" * 65536

    with httpx.Client(base_url=served.base, headers=served.headers, timeout=30) as client:
        before = served.peak_memory()
        answer = client.post("/stock/counts", content=chunks(),
                             headers={"content-type": "application/json"})  # fmt: skip
        assert answer.status_code == 413 and answer.json()["error"] == "body_too_large"
        assert served.peak_memory() - before < 2 * LIMIT + 4 * MB  # not the 150 MB of before


def test_a_content_length_of_2_gb_with_no_body_is_answered_at_once(served: Served):
    with served.connect() as sock:
        started = time.monotonic()
        sock.sendall(b"POST /orders HTTP/1.1\r\nHost: dom\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 2147483648\r\n\r\n")  # fmt: skip
        status, body = status_and_body(read_until_closed(sock))
        assert status == 413 and body["error"] == "body_too_large"
        assert time.monotonic() - started < 1


def test_the_largest_legitimate_body_is_accepted(served: Served):
    """20,000 counts, every field at its longest: under the default limit."""
    location = {"name": "DC", "type": "warehouse", "country": "BE", "latitude": 51.2,
                "longitude": 4.4, "time_zone": "Europe/Brussels", "channels": ["webshop"]}  # fmt: skip
    counts = [
        {"location": "L" * 32, "sku": f"{n:064d}", "quantity": 10_000_000,
         "counted_at": "2026-01-01T08:00:00.123456+01:00", "safety_stock": 10_000_000}
        for n in range(20_000)
    ]  # fmt: skip
    body = orjson.dumps({"counts": counts}, option=orjson.OPT_INDENT_2)
    assert 5 * MB < len(body) < LIMIT
    with httpx.Client(base_url=served.base, headers=served.headers, timeout=120) as client:
        assert client.put(f"/locations/{'L' * 32}", json=location).status_code in (200, 201)
        answer = client.post("/stock/counts", content=body,
                             headers={"content-type": "application/json"})  # fmt: skip
        assert answer.status_code == 200, answer.text


# --- slow and silent connections ----------------------------------------------------


def test_a_connection_that_sends_nothing_is_closed_after_the_read_timeout(served: Served):
    with served.connect() as sock:
        started = time.monotonic()
        assert read_until_closed(sock) == b""  # closed without a word: nothing was asked
        assert READ_TIMEOUT - 0.1 < time.monotonic() - started < READ_TIMEOUT + SLACK


def test_a_request_sent_a_byte_at_a_time_is_cut_off_with_408(served: Served):
    request = b"GET /orders HTTP/1.1\r\nHost: dom\r\n\r\n"
    with served.connect() as sock:
        started = time.monotonic()
        for byte in request:  # the whole request would take 9 s
            sock.send(bytes([byte]))
            if select.select([sock], [], [], 0.25)[0]:
                break  # the server answered: stop sending to a closed connection
        status, body = status_and_body(read_until_closed(sock))
    assert status == 408 and body["error"] == "request_timeout"
    assert time.monotonic() - started < READ_TIMEOUT + SLACK


def test_a_body_that_trickles_in_is_cut_off_with_408(served: Served):
    with served.connect() as sock:
        started = time.monotonic()
        sock.sendall(b"POST /stock/counts HTTP/1.1\r\nHost: dom\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")  # fmt: skip
        status, body = status_and_body(read_until_closed(sock))
    assert status == 408 and body["error"] == "request_timeout"
    assert time.monotonic() - started < READ_TIMEOUT + SLACK


def test_keep_alive_connections_serve_requests_then_close_when_idle(served: Served):
    """The read clock runs only while a request arrives: a pause longer than it between two
    requests is fine, and an idle connection is closed after DOM_IDLE_TIMEOUT."""
    request = b"GET /health HTTP/1.1\r\nHost: dom\r\n\r\n"
    with served.connect() as sock:
        for _ in range(2):
            sock.sendall(request)
            assert read_one_response(sock).startswith(b"HTTP/1.1 200 ")
            time.sleep(READ_TIMEOUT + 0.5)
        started = time.monotonic()
        assert read_until_closed(sock) == b""
        assert time.monotonic() - started < IDLE_TIMEOUT + SLACK


def test_a_malformed_request_is_answered_400_in_json(served: Served):
    with served.connect() as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        status, body = status_and_body(read_until_closed(sock))
    assert status == 400 and body["error"] == "bad_request"


# --- the log --------------------------------------------------------------------------


def test_a_store_fault_is_logged_with_the_request_id_the_caller_got(served: Served):
    lock = sqlite3.connect(served.data / "orders.sqlite", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        answer = httpx.post(
            f"{served.base}/orders", json=an_order_payload(), headers=served.headers, timeout=10
        )
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert answer.status_code == 503 and answer.headers["retry-after"]
    request_id = answer.json()["request_id"]
    assert request_id == answer.headers["x-request-id"]
    lines = [line for line in served.log.read_text().splitlines() if f"[{request_id}]" in line]
    assert lines and "store_unavailable" in lines[0], served.log.read_text()
