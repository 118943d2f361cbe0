"""Configuration from DOM_* environment variables (see README, "Configuration")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOM_", extra="ignore")

    # Embedded mode keeps SQLite files here; unused when database_url is set.
    data_dir: Path = Path("./var")
    # postgresql://user:pass@host:port/db selects the distributed mode's store.
    database_url: str | None = None
    # In-memory event store and read models: for unit tests and benchmarks only.
    memory: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    # "inline": the API process drives projections and policies after each
    # command. "workers": `dom work NAME` processes do it, and the API waits
    # for the read model to reach a command's position before answering.
    followers: Literal["inline", "workers"] = "inline"
    read_your_writes_timeout: float = 5.0
    # Seconds between the clock's steps (at-risk and late orders) in an API process that
    # drives its followers inline; 0: none (run `dom tick`, or `dom work clock`).
    clock_seconds: Annotated[float, Field(ge=0, le=3600)] = 60.0
    # PostgreSQL connections opened per pool (four pools a process: three contexts and the
    # read models; access's at most 2); each pool may grow to three times this under load.
    pool_size: Annotated[int, Field(ge=1, le=100)] = 4
    # Seconds a store may take to give a connection or answer before the caller gets
    # 503 with Retry-After (PostgreSQL pool wait and connect timeout, SQLite lock wait).
    store_timeout: Annotated[float, Field(gt=0, le=120)] = 5.0
    # Seconds one SQL statement may run on PostgreSQL (server-side statement_timeout).
    statement_timeout: Annotated[float, Field(gt=0, le=3600)] = 30.0
    # Embedded mode: below this many free bytes in data_dir, /ready says the disk is full.
    min_free_bytes: Annotated[int, Field(ge=0)] = 16 * 1024 * 1024
    # `dom serve`: a request body larger than this is refused with 413 before it is read.
    # The largest legitimate body, POST /stock/counts with 20,000 counts, is 2.1 MB
    # compact and 6 MB pretty-printed with every field at its longest.
    max_body_bytes: Annotated[int, Field(ge=1024)] = 8 * 1024 * 1024
    # `dom serve`: seconds a request (headers and body) may take to arrive, from its first
    # byte or from the connection opening; a slower or silent connection is closed.
    request_read_timeout: Annotated[float, Field(gt=0, le=3600)] = 10.0
    # `dom serve`: seconds an idle keep-alive connection stays open between requests.
    idle_timeout: Annotated[int, Field(ge=1, le=3600)] = 5
    # `dom serve`: level of the log lines (on stderr; each names its request id).
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Seconds a verified API key is taken from this process's cache before it is read from
    # the store again: how long a revocation made by another process may take to bite.
    # 0: every request reads its key (docs/security.md).
    key_cache_seconds: Annotated[float, Field(ge=0, le=60)] = 5.0
    # Requests per second each API key may send to this process, in bursts of up to
    # rate_limit_burst (a token bucket per key, docs/security.md); false: no limit.
    rate_limit: bool = True
    rate_limit_per_second: Annotated[float, Field(ge=0.1, le=100_000)] = 200.0
    rate_limit_burst: Annotated[int, Field(ge=1, le=1_000_000)] = 400
    # `dom relay`: every stored event goes to NATS JetStream (docs/relay.md).
    nats_url: str = "nats://127.0.0.1:4222"
    # Hours an Idempotency-Key is kept (its claim and its answer) before it may be used
    # again; at least the day that the IETF draft and the payment APIs promise.
    idempotency_hours: Annotated[float, Field(ge=24, le=24 * 366)] = 24.0
    # The stream dom creates or updates itself; its subjects are `<prefix>.>`.
    relay_stream: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = "DOM"
    relay_subject_prefix: Annotated[
        str, Field(pattern=r"^[a-z0-9_-]{1,32}(\.[a-z0-9_-]{1,32}){0,3}$")
    ] = "dom"
    # Seconds JetStream remembers a Nats-Msg-Id: a relay restarted within this window
    # after a crash republishes its unacknowledged tail without duplicates.
    relay_duplicate_window: Annotated[float, Field(ge=1, le=86400)] = 120.0
    relay_replicas: Annotated[int, Field(ge=1, le=5)] = 1
    # Events published before their acknowledgements are awaited and the position stored.
    relay_batch: Annotated[int, Field(ge=1, le=10000)] = 500
    # Seconds a batch's acknowledgements may take before the batch is tried again.
    relay_ack_timeout: Annotated[float, Field(gt=0, le=120)] = 10.0
    # Longest wait between attempts while NATS (or a store) does not answer.
    relay_max_backoff: Annotated[float, Field(gt=0, le=600)] = 30.0

    @property
    def mode(self) -> Literal["memory", "sqlite", "postgres"]:
        if self.memory:
            return "memory"
        return "postgres" if self.database_url else "sqlite"
