"""`make bench`: intake figures with a bare-library baseline measured in the same run."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from adapters.readstore import ReadStore
from adapters.settings import Settings
from bench.auth import auth_overhead
from bench.baseline import bare_saves_per_second
from bench.geocoding import load_cost
from bench.http_load import http_intake, median
from bench.inprocess import orders_per_second
from bench.network import on_hand, prepare, reserved_units
from bench.payloads import UNITS_PER_ORDER
from bench.saves import plain_saves_per_second
from bench.shipping import shipping
from bench.sourcing import latencies_ms
from bench.stock import import_stock_csv, reservations_per_second
from bench.stores import postgres_url, sqlite_dir

COUNT = int(os.environ.get("DOM_BENCH_COUNT", "2000"))
IMPORT_LINES = int(os.environ.get("DOM_BENCH_IMPORT_LINES", "100000"))
CONNECTIONS = int(os.environ.get("DOM_BENCH_CONNECTIONS", "32"))
TARGETS = {"sqlite": 0.8, "postgres": 1.5}


def row(label: str, value: float, baseline: float | None = None, unit: str = "/s") -> None:
    ratio = f"  {value / baseline:5.2f} x bare" if baseline else ""
    print(f"  {label:<48} {value:9.1f} {unit}{ratio}", flush=True)


def on(threads: int) -> str:
    return f"{threads} thread{'s' if threads > 1 else ''}"


def settings_for(store: str, where: Path | str, tag: str) -> Settings:
    """A store of its own for each SQLite measurement; the one bench database on PostgreSQL."""
    if store == "sqlite":
        return Settings(data_dir=Path(where) / tag)
    return Settings(database_url=str(where))


def bench_store(store: str, only: str | None = None) -> None:
    """Every measurement of one store; `only="shipping"`: the bare baseline and shipments."""
    print(f"\n== {store} ==", flush=True)
    where: Path | str = sqlite_dir() if store == "sqlite" else postgres_url()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOM_")}
    if store == "sqlite":
        env["DOM_DATA_DIR"] = str(settings_for(store, where, "http").data_dir)
    else:
        env["DOM_DATABASE_URL"] = str(where)
    bare = bare_saves_per_second(store, where, COUNT)
    row("bare baseline: 1 minimal aggregate / transaction", bare)
    if only == "shipping":
        bench_shipping(settings_for(store, where, "ship"), env, bare)
        return
    for threads in (1, 8):
        saves = plain_saves_per_second(
            settings_for(store, where, f"saves{threads}"), COUNT, threads
        )
        row(f"dom plain saves, {on(threads)} (group commit)", saves, bare)
    reserved = reservations_per_second(settings_for(store, where, "res1"), COUNT)
    row("reservations, 1 thread, availability settled", reserved, bare)
    print(f"    target 0.8 x bare: {'meets' if reserved >= 0.8 * bare else 'MISSES'}", flush=True)
    row(
        "reservations, 8 threads",
        reservations_per_second(settings_for(store, where, "res8"), COUNT, 8),
        bare,
    )
    for threads in (1, 8):
        measured = orders_per_second(settings_for(store, where, f"in{threads}"), COUNT, threads)
        row(f"orders in process, {on(threads)}, sourced, settled", measured.rate, bare)
        sourced(measured.reserved_share)
    bench_http(store, settings_for(store, where, "http"), env, bare)
    bench_shipping(settings_for(store, where, "ship"), env, bare)


def bench_shipping(settings: Settings, env: dict[str, str], bare: float) -> None:
    if "DOM_DATA_DIR" in env:
        env = dict(env, DOM_DATA_DIR=str(settings.data_dir))
    prepare(settings, datetime.now(UTC))
    before = on_hand(settings)
    store = ReadStore(settings)
    run = shipping(env, COUNT // 2, CONNECTIONS, store)
    print(f"  -- shipments through the warehouse API, {CONNECTIONS} connections", flush=True)
    row("accept, pick, pack (requests)", run.steps.rate, bare)
    row("shipments dispatched", run.dispatch.rate, bare)
    print(f"    target 0.5 x bare: {'meets' if run.dispatch.rate >= 0.5 * bare else 'MISSES'}",
          flush=True)  # fmt: skip
    row("dispatch latency p50 / p99", run.dispatch.percentile(50), unit="ms")
    row("", run.dispatch.percentile(99), unit="ms")
    row("dispatch repeated (nothing to write: the route's ceiling)", run.repeat.rate, bare)
    left = before - on_hand(settings)
    print(f"    on hand fell by {left} units for {run.shipments} shipments of "
          f"{UNITS_PER_ORDER} units: {'exactly once' if left == run.shipments * UNITS_PER_ORDER else 'WRONG'}",
          flush=True)  # fmt: skip
    print("  -- carriers' tracking news through the signed webhook", flush=True)
    row("tracking updates, peak (1 update / request)", run.tracking.peak.rate, bare)
    row(f"tracking -> OTIF view lag p50 at {run.tracking.rate:.0f}/s (half peak)",
        run.tracking.lag(50), unit="ms")  # fmt: skip
    row("tracking -> OTIF view lag p99", run.tracking.lag(99), unit="ms")
    print(f"    target p99 < 100 ms: {'meets' if run.tracking.lag(99) < 100 else 'MISSES'}",
          flush=True)  # fmt: skip
    store.close()


def bench_http(store: str, settings: Settings, env: dict[str, str], bare: float) -> None:
    # Embedded mode is one process by design; PostgreSQL mode scales with stateless replicas.
    prepare(settings, datetime.now(UTC))
    for workers in (1,) if store == "sqlite" else (1, 2):
        before = reserved_units(settings)
        run = http_intake(env, COUNT, CONNECTIONS, workers)
        peak, half = run.peak, run.half
        verdict = "meets" if peak.rate >= TARGETS[store] * bare else "MISSES"
        print(f"  -- HTTP, {workers} API process(es), {CONNECTIONS} connections", flush=True)
        row("orders placed (peak)", peak.rate, bare)
        print(f"    target {TARGETS[store]} x bare: {verdict}; errors {peak.errors}", flush=True)
        sourced((reserved_units(settings) - before) / (run.placed * UNITS_PER_ORDER))
        row("latency p50 / p99 at peak", peak.percentile(50), unit="ms")
        row("", peak.percentile(99), unit="ms")
        row(
            f"latency p50 at half the peak rate ({half.rate:.0f}/s)", half.percentile(50), unit="ms"
        )
        row("latency p99 at half the peak rate (target < 50 ms)", half.percentile(99), unit="ms")
        row("peak memory per API process (target < 200 MB)", run.memory_mb, unit="MB")


def bench_auth(store: str) -> None:
    """Intake with the key checked vs. the check overridden by a no-op, same run."""
    print(f"\n== API keys: HTTP intake with and without the key check ({store}) ==", flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOM_")}
    if store == "sqlite":
        env["DOM_DATA_DIR"] = str(sqlite_dir() / "auth")
    else:
        env["DOM_DATABASE_URL"] = postgres_url()
    run = auth_overhead(env, COUNT, CONNECTIONS)
    rounds = lambda rates: " ".join(f"{r:.0f}" for r in rates)  # noqa: E731
    row("orders placed, key checked (median of rounds)", median(run.checked))
    print(f"    rounds: {rounds(run.checked)}", flush=True)
    row("orders placed, check overridden by a no-op", median(run.unchecked))
    print(f"    rounds: {rounds(run.unchecked)}", flush=True)
    print(f"    checked / unchecked: {run.ratio:.2f}", flush=True)
    row("one key check, warm (the keyring's cache)", run.warm_us, unit="us")
    row("one key check, cold (the key read from the store)", run.cold_us, unit="us")


def sourced(share: float) -> None:
    """Says the figure is of the path users run: each order's units really reserved."""
    print(f"    sourced: {share:.0%} of the ordered units reserved", flush=True)


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


def bench_geocoding() -> None:
    print("\n== gazetteer (GeoNames cities, each file in a fresh process) ==", flush=True)
    for population in (15000, 5000, 1000, 500):
        for alternates in (False, True):
            c = load_cost(population, alternates)
            names = "with alternate names" if alternates else "names only"
            print(f"  cities{population:<6} {names:<21} load {c.seconds:5.2f} s  RSS "
                  f"{c.rss_before_mb:5.1f} -> {c.rss_after_mb:6.1f} MB (peak {c.peak_mb:6.1f})  "
                  f"lookup {c.lookup_us:4.1f} us/order", flush=True)  # fmt: skip


def main() -> None:
    stores = sys.argv[1:] or ["sourcing", "geocoding", "sqlite", "postgres", "import",
                              "auth-sqlite", "auth-postgres"]  # fmt: skip
    print(f"dom benchmark: {COUNT} operations per measurement; orders have 2 lines")
    for store in stores:
        if store == "sourcing":
            bench_sourcing()
        elif store == "geocoding":
            bench_geocoding()
        elif store == "import":
            bench_import()
        elif store.startswith("shipping-"):  # shipping-sqlite, shipping-postgres
            bench_store(store.removeprefix("shipping-"), only="shipping")
        elif store.startswith("auth-"):  # auth-sqlite, auth-postgres
            bench_auth(store.removeprefix("auth-"))
        else:
            bench_store(store)


main()
