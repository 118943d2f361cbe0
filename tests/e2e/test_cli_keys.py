"""`dom keys create|list|rotate|revoke` on the store directly, and the embedded mode's
admin key that `dom serve` writes once and prints on every start."""

from __future__ import annotations

import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from api.bootstrap import bootstrap
from tests.e2e.test_processes import ROOT, dom_env, free_port, run_dom


def keys(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_dom("keys", *args, env=dom_env(tmp_path, None))


def verified(tmp_path: Path, token: str) -> object:
    dom = bootstrap(data_dir=tmp_path / "var")
    try:
        found = dom.access.verify(token, datetime.now(UTC))
        return None if found is None else found.principal
    finally:
        dom.close()


def test_create_list_rotate_revoke(tmp_path: Path):
    created = keys(tmp_path, "create", "--kind", "channel", "--owner", "webshop")
    assert created.returncode == 0, created.stderr
    line, token = created.stdout.strip().splitlines()
    key_id = token.split("_")[1]
    assert line.startswith(key_id) and "orders:write" in line and "active" in line
    principal = verified(tmp_path, token)
    assert principal is not None and principal.owner == "webshop"  # type: ignore[attr-defined]

    narrow = keys(tmp_path, "create", "--kind", "location", "--owner", "wh1",
                  "--scopes", "warehouse")  # fmt: skip
    assert narrow.returncode == 0 and "[warehouse]" in narrow.stdout and "WH1" in narrow.stdout

    listed = keys(tmp_path, "list")
    assert listed.returncode == 0 and len(listed.stdout.strip().splitlines()) == 2
    assert token.split("_", 2)[2] not in listed.stdout

    rotated = keys(tmp_path, "rotate", key_id, "--grace-hours", "0")
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.strip().splitlines()[1]
    assert verified(tmp_path, token) is None and verified(tmp_path, new) is not None

    revoked = keys(tmp_path, "revoke", key_id, "--reason", "leaked")
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert verified(tmp_path, new) is None


def test_bad_input_is_a_message_and_a_non_zero_exit_and_records_nothing(tmp_path: Path):
    for args in (
        ("create", "--kind", "channel", "--owner", "webshop", "--scopes", "keys:admin"),
        ("create", "--kind", "channel", "--owner", "Web Shop"),
        ("create", "--kind", "robot", "--owner", "x"),
        ("rotate", "not-an-id"),
        ("revoke", "0" * 32),
        ("rotate", "0" * 32, "--grace-hours", "9999"),
    ):
        answer = keys(tmp_path, *args)
        assert answer.returncode != 0, args
        assert answer.stderr.strip(), args
    assert keys(tmp_path, "list").stdout.strip() == ""


def test_dom_serve_writes_an_admin_key_once_and_prints_it_on_every_start(tmp_path: Path):
    env = dom_env(tmp_path, None) | {"DOM_PORT": str(free_port())}
    printed = []
    for _ in range(2):
        server = subprocess.Popen([sys.executable, "-m", "api", "serve"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, text=True)  # fmt: skip
        try:
            assert server.stdout is not None
            assert "serving on http://" in server.stdout.readline()
            printed.append(server.stdout.readline())
            path = tmp_path / "var" / "admin.key"
            token = path.read_text().strip()
            assert token in printed[-1]
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            base = f"http://127.0.0.1:{env['DOM_PORT']}"
            headers = {"Authorization": f"Bearer {token}"}
            assert httpx.get(f"{base}/keys", headers=headers).status_code == 200
            assert httpx.get(f"{base}/keys").status_code == 401
        finally:
            server.terminate()
            server.wait(10)
    assert printed[0] == printed[1]
    assert len(keys(tmp_path, "list").stdout.strip().splitlines()) == 1
