"""`make bench`: intake figures with a bare-library baseline measured in the same run."""

from __future__ import annotations

import os
import sys

from adapters.settings import Settings
from bench.baseline import bare_saves_per_second
from bench.http_load import http_intake
from bench.inprocess import orders_per_second
from bench.sourcing import latencies_ms
from bench.stock import import_stock_csv, reservations_per_second
from bench.stores import postgres_url, sqlite_dir

COUNT = int(os.environ.get("DOM_BENCH_COUNT", "2000"))
IMPORT_LINES = int(os.environ.get("DOM_BENCH_IMPORT_LINES", "100000"))
CONNECTIONS = int(os.environ.get("DOM_BENCH_CONNECTIONS", "32"))
TARGETS = {"sqlite": 0.8, "postgres": 1.5}


def row(label: str, value: float, baseline: float | None = None, unit: str = "/s") -> None:
    ratio = f"  {value / baseline:5.2f} x bare" if baseline else ""
    print(f"  {label:<44} {value:9.1f} {unit}{ratio}", flush=True)


def bench_store(store: str) -> None:
    print(f"\n== {store} ==", flush=True)
    if store == "sqlite":
        location = sqlite_dir()
        settings_for = lambda tag: Settings(data_dir=location / tag)  # noqa: E731
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOM_")}
        env["DOM_DATA_DIR"] = str(location / "http")
        bare_location: object = location
    else:
        url = postgres_url()
        settings_for = lambda tag: Settings(database_url=url)  # noqa: E731
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOM_")} | {
            "DOM_DATABASE_URL": url
        }
        bare_location = url
    bare = bare_saves_per_second(store, bare_location, COUNT)  # type: ignore[arg-type]
    row("bare baseline: 1 minimal aggregate / transaction", bare)
    reserved = reservations_per_second(settings_for("res1"), COUNT)
    row("reservations, 1 thread, availability settled", reserved, bare)
    print(f"    target 0.8 x bare: {'meets' if reserved >= 0.8 * bare else 'MISSES'}", flush=True)
    row("reservations, 8 threads", reservations_per_second(settings_for("res8"), COUNT, 8), bare)
    row(
        "in process, 1 thread, read model settled",
        orders_per_second(settings_for("in1"), COUNT),
        bare,
    )
    row(
        "in process, 8 threads (group commit)",
        orders_per_second(settings_for("in8"), COUNT, threads=8),
        bare,
    )
    # Embedded mode is one process by design; PostgreSQL mode scales with stateless replicas.
    for workers in (1,) if store == "sqlite" else (1, 2):
        peak, half, memory = http_intake(env, COUNT, CONNECTIONS, workers)
        verdict = "meets" if peak.rate >= TARGETS[store] * bare else "MISSES"
        print(f"  -- HTTP, {workers} API process(es), {CONNECTIONS} connections", flush=True)
        row("orders placed (peak)", peak.rate, bare)
        print(f"    target {TARGETS[store]} x bare: {verdict}; errors {peak.errors}", flush=True)
        row("latency p50 / p99 at peak", peak.percentile(50), unit="ms")
        row("", peak.percentile(99), unit="ms")
        row(
            f"latency p50 at half the peak rate ({half.rate:.0f}/s)", half.percentile(50), unit="ms"
        )
        row("latency p99 at half the peak rate (target < 50 ms)", half.percentile(99), unit="ms")
        row("peak memory per API process (target < 200 MB)", memory, unit="MB")


def bench_import() -> None:
    print(f"\n== stock CSV import, {IMPORT_LINES} lines, embedded store ==", flush=True)
    for run, rate, summary in import_stock_csv(sqlite_dir(), IMPORT_LINES):
        row(f"dom import stock ({run})", rate, unit="lines/s")
        print(f"    {summary}", flush=True)


def bench_sourcing() -> None:
    print("\n== sourcing engine (pure, in process) ==", flush=True)
    for locations, lines, target in (
        (100, 5, 0.3),
        (500, 10, None),
        (2000, 20, 5.0),
        (4000, 20, None),
    ):
        p50, p99, worst = latencies_ms(locations, lines, 1000 if locations <= 500 else 300)
        aim = f" (target p99 < {target} ms)" if target else ""
        print(f"  {locations:>5} locations x {lines:>2} lines: p50 {p50:6.3f} ms  p99 {p99:6.3f} ms  "
              f"max {worst:6.3f} ms{aim}", flush=True)  # fmt: skip


def main() -> None:
    stores = sys.argv[1:] or ["sourcing", "sqlite", "postgres", "import"]
    print(f"dom benchmark: {COUNT} operations per measurement; orders have 2 lines")
    for store in stores:
        if store == "sourcing":
            bench_sourcing()
        elif store == "import":
            bench_import()
        else:
            bench_store(store)


main()
