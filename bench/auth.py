"""What checking API keys costs HTTP intake: the same run with the key checked as always
(a warm key: the keyring's cache), and with the check overridden by a no-op."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass

from bench.http_load import LoadResult, Server, _closed_loop


@dataclass
class AuthRun:
    checked: LoadResult
    unchecked: LoadResult


def intake(env: dict[str, str], total: int, connections: int, unchecked: bool) -> LoadResult:
    command = [sys.executable, "-m", "bench.serve_app", *(["--unchecked"] if unchecked else [])]
    server = Server(env, command=command)
    try:
        tag = f"a{int(unchecked)}-{os.getpid()}-{time.monotonic_ns()}"
        asyncio.run(_closed_loop(server.port, connections, 200, f"{tag}-warm"))
        return asyncio.run(_closed_loop(server.port, connections, total, f"{tag}-peak"))
    finally:
        server.stop()


def auth_overhead(env: dict[str, str], total: int, connections: int) -> AuthRun:
    """Each run on its own data directory (embedded) so that neither finds the other's orders."""
    runs = {}
    for unchecked in (False, True):
        here = dict(env)
        if "DOM_DATA_DIR" in here:
            here["DOM_DATA_DIR"] = f"{here['DOM_DATA_DIR']}-{'off' if unchecked else 'on'}"
        runs[unchecked] = intake(here, total, connections, unchecked)
    return AuthRun(runs[False], runs[True])
