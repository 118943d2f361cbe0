"""Reservations per second, and the 100,000-line stock CSV import."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from adapters.settings import Settings
from api.bootstrap import bootstrap
from bench.inprocess import per_second
from domain.fulfilment.application import StockCount
from domain.fulfilment.location import LocationProfile, LocationType

SKUS = 200
ROOT = Path(__file__).resolve().parents[1]


def reservations_per_second(settings: Settings, count: int, threads: int = 1) -> float:
    """One unit per reservation, each for its own order, spread over 200 SKUs at one location."""
    dom = bootstrap(settings)
    now = datetime.now(UTC)
    code = f"B{time.monotonic_ns() % 10**9}"
    profile = LocationProfile(
        code, "Bench DC", LocationType.WAREHOUSE, "BE", 51.2, 4.4, "Europe/Brussels"
    )
    dom.fulfilment.define_location(profile, now)
    dom.fulfilment.count_stock(
        [StockCount(code, f"SKU-{n}", 10_000_000, now) for n in range(SKUS)], now
    )
    per_thread = count // threads

    def reserve(worker: int) -> None:
        for n in range(per_thread):
            outcome = dom.fulfilment.reserve(code, f"SKU-{n % SKUS}", f"o-{worker}-{n}", {"1": 1})
            dom.runtime.settle("fulfilment", outcome.notification_id)

    for n in range(SKUS):  # warm the aggregate cache, as a running service has it
        dom.fulfilment.stock_item(code, f"SKU-{n}")
    rate = per_second(reserve, threads, per_thread)
    dom.close()
    return rate


def write_stock_csv(path: Path, lines: int) -> Path:
    with path.open("w") as out:
        out.write("location,sku,quantity,counted_at,safety_stock\n")
        for n in range(lines):
            if n % 10_000 == 9_999:
                out.write(
                    f"NOWHERE,SKU-{n},1,2026-11-26T10:00:00Z,\n"
                )  # rejected: unknown location
                continue
            out.write(
                f"{'WH1' if n % 2 else 'WH2'},SKU-{n // 2},{n % 50},2026-11-26T10:00:00+00:00,{n % 3}\n"
            )
    return path


def import_stock_csv(folder: Path, lines: int) -> list[tuple[str, float, str]]:
    """Time `dom import stock` on a fresh embedded store, then again on the same file."""
    env = {"DOM_DATA_DIR": str(folder / "var"), "PATH": "/usr/bin:/bin"}
    locations = folder / "locations.csv"
    locations.write_text(
        "code,name,type,country,latitude,longitude,time_zone,channels\n"
        "WH1,Antwerp DC,distribution_centre,BE,51.2,4.4,Europe/Brussels,webshop\n"
        "WH2,Lille DC,distribution_centre,FR,50.6,3.1,Europe/Paris,webshop\n"
    )
    subprocess.run(
        [sys.executable, "-m", "api", "import", "locations", str(locations)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    csv = write_stock_csv(folder / "stock.csv", lines)
    results = []
    for run in ("first", "again"):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "api", "import", "stock", str(csv)],
                              cwd=ROOT, env=env, capture_output=True, text=True)  # fmt: skip
        elapsed = time.perf_counter() - started
        summary = done.stdout.strip().splitlines()[-1]
        rejected = next((line for line in done.stderr.splitlines() if "rejected" in line), "")
        results.append((run, lines / elapsed, f"{summary}; {rejected}"))
    return results
