"""`dom carriers secret CODE`: the secret is read from stdin, checked, and kept in the read
store (where the webhook finds it), never echoed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from adapters.carrier_secrets import secret_of
from adapters.settings import Settings
from api.bootstrap import bootstrap
from tests.e2e.test_processes import ROOT, dom_env

SECRET = "from-stdin-0123456789abcdefghijklmnop"


def dom_secret(code: str, stdin: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api", "carriers", "secret", code],
                          cwd=ROOT, env=dom_env(tmp_path, None), input=stdin,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_the_secret_is_read_from_stdin_and_checked(tmp_path: Path):
    short = dom_secret("bpost", "too short\n", tmp_path)
    assert short.returncode == 2 and "32" in short.stderr
    bad_code = dom_secret("BPOST!", SECRET + "\n", tmp_path)
    assert bad_code.returncode == 2
    done = dom_secret("bpost", SECRET + "\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    dom = bootstrap(Settings(data_dir=tmp_path / "var"))
    try:
        assert secret_of(dom.store, "bpost") == SECRET
        assert secret_of(dom.store, "BPOST!") is None
    finally:
        dom.close()
