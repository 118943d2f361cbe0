"""`dom serve` says "serving" only once it serves; otherwise it says what is wrong, and where."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from tests.e2e.test_processes import dom_env, free_port, run_dom


def serve(env: dict[str, str]) -> tuple[int, str, str, float]:
    env = env | {"DOM_PORT": env.get("DOM_PORT", str(free_port())), "DOM_STORE_TIMEOUT": "1"}
    started = time.monotonic()
    done = run_dom("serve", env=env)
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


def test_a_data_directory_that_cannot_be_created_is_named_and_nothing_is_served(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = dom_env(tmp_path, None) | {"DOM_DATA_DIR": str(blocker / "var")}
    code, out, err, _ = serve(env)
    assert code != 0 and "serving" not in out
    assert f"data directory {blocker / 'var'}" in err, err


def test_a_store_file_that_is_not_a_database_is_named_and_nothing_is_served(tmp_path: Path):
    env = dom_env(tmp_path, None)
    data = Path(env["DOM_DATA_DIR"])
    data.mkdir()
    (data / "views.sqlite").write_bytes(b"this is not a database file" * 100)
    code, out, err, _ = serve(env)
    assert code != 0 and "serving" not in out
    assert str(data) in err and "not a database" in err, err


def test_an_unreachable_postgres_is_named_with_host_and_port_within_seconds(tmp_path: Path):
    port = free_port()  # nothing listens there
    code, out, err, took = serve(dom_env(tmp_path, f"postgresql://postgres@127.0.0.1:{port}/dom"))
    assert code != 0 and "serving" not in out
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port}" in err, err
    assert took < 10


def test_a_port_already_taken_is_reported_and_nothing_is_served(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = dom_env(tmp_path, None) | {"DOM_PORT": str(port)}
        code, out, err, _ = serve(env)
    assert code != 0 and "serving" not in out
    assert "address already in use" in err.lower(), err
