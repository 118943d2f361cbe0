"""Fresh stores for a benchmark run: a temp SQLite folder, a reset PostgreSQL database."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import psycopg

ADMIN_URL = os.environ.get(
    "DOM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BENCH_DB = "dom_bench"


def postgres_url() -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)).fetchone():
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
    url = f"{ADMIN_URL.rpartition('/')[0]}/{BENCH_DB}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return url


def sqlite_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="dom-bench-"))
