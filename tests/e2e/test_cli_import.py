"""`dom import locations|stock FILE.csv`: good lines applied, rejected lines reported, reruns change nothing."""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from api.imports import Rejected, import_locations, import_stock
from projections.availability_queries import inventory
from tests.builders import NOW
from tests.e2e.test_processes import dom_env, run_dom

LOCATIONS = """code,name,type,country,latitude,longitude,time_zone,channels,daily_capacity,line1,postal_code,city,extra
WH1,Antwerp DC,distribution_centre,BE,51.2,4.4,Europe/Brussels,webshop;marketplace,500,Havenlaan 1,2000,Antwerpen,x
ST1,Paris store,store,FR,48.85,2.35,Europe/Paris,webshop,50,,,,
BAD,Nowhere,castle,XX,100,0,Mars/Base,,,,,,
"""


def stock_csv(path: Path, lines: int) -> Path:
    rows = ["location,sku,quantity,counted_at,safety_stock"]
    for n in range(lines):
        rows.append(
            f"{'WH1' if n % 2 else 'ST1'},SKU-{n // 2},{n % 30},2026-11-26T10:00:00+00:00,{n % 2}"
        )
    rows += [
        "NOPE,SKU-X,5,2026-11-26T10:00:00Z,",
        "WH1,SKU-Y,-5,2026-11-26T10:00:00Z,",
        "WH1,SKU-Z,5,yesterday,",
        "WH1,SKU-1,9,2026-11-26T11:00:00+01:00,",  # SKU-1 at WH1 at that moment again
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_import_locations_then_stock_twice(tmp_path: Path):
    env = dom_env(tmp_path, None)
    (tmp_path / "locations.csv").write_text(LOCATIONS)
    located = run_dom("import", "locations", str(tmp_path / "locations.csv"), env=env)
    assert located.returncode == 1, located.stderr
    assert "2 locations registered or changed" in located.stdout
    assert (
        "line 4: " in located.stderr and "type" in located.stderr and "time_zone" in located.stderr
    )

    csv = stock_csv(tmp_path / "stock.csv", 2000)
    first = run_dom("import", "stock", str(csv), "--chunk", "300", env=env)
    assert first.returncode == 1
    assert "2000 counts applied, 0 unchanged" in first.stdout
    assert "4 lines rejected" in first.stderr
    for line, reason in [
        (2002, "unknown location 'NOPE'"),
        (2003, "quantity"),
        (2004, "yesterday"),
        (2005, "line 5 counts SKU-1 at WH1 at the same moment"),
    ]:
        assert f"line {line}: " in first.stderr and reason in first.stderr
    again = run_dom("import", "stock", str(csv), env=env)
    assert "0 counts applied, 2000 unchanged" in again.stdout

    dom = bootstrap(Settings(data_dir=tmp_path / "var"))
    assert [
        (r["location"], r["on_hand"], r["safety_stock"]) for r in inventory(dom.store, "SKU-1")
    ] == [("ST1", 2, 0), ("WH1", 3, 1)]
    dom.close()


def test_a_file_without_the_columns_is_refused(tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,qty\nA,1\n")
    answer = run_dom("import", "stock", str(bad), env=dom_env(tmp_path, None))
    assert answer.returncode == 2 and "missing columns" in answer.stderr
    missing = run_dom("import", "stock", str(tmp_path / "none.csv"), env=dom_env(tmp_path, None))
    assert missing.returncode == 2


# --- a line dom cannot record is rejected naming its column; the others are applied ---

EDGE_LOCATIONS = (
    b"code,name,type,country,latitude,longitude,time_zone,line1\n"
    b"WH1,Antwerp DC,distribution_centre,BE,51.2,4.4,Europe/Brussels,Meir 1\n"
    b"WH2,Ghent\x00DC,distribution_centre,BE,51.0,3.7,Europe/Brussels,\n"
    b"WH3,Liege DC,distribution_centre,BE,50.6,5.5,Europe/Brussels,Rue\x01 1\n"
    b"WH4,Namur \xff DC,distribution_centre,BE,50.4,4.8,Europe/Brussels,\n"
    b"WH5,Mons DC,distribution_centre,BE,NaN,3.9,Europe/Brussels,\n"
    b"WH6,Leuven DC,distribution_centre,BE,50.8,4.7,Europe/Brussels,Naamsestraat 1\n"
    b"WH\x007,Bruges DC,distribution_centre,BE,51.2,3.2,Europe/Brussels,\n"
    b"W H8,Aalst DC,distribution_centre,BE,50.9,4.0,Europe/Brussels,\n"
)
EDGE_STOCK = (
    b"location,sku,quantity,counted_at\n"
    b"WH1,A,5,2026-11-26T10:00:00Z\n"
    b"WH1,B\x00,5,2026-11-26T10:00:00Z\n"
    b"WH1,C,5,0001-01-01T00:00:00+01:00\n"
    b"WH1,D,5,1969-12-31T23:59:59Z\n"
    b"WH1,E,5,2026-11-26T10:00:00Z\x00\n"
    b"WH1,F\xed\xa0\x80,5,2026-11-26T10:00:00Z\n"
    b"WH1,G,7,2026-11-26T10:00:00Z\n"
)


def rejected_columns(rejected: list[Rejected]) -> dict[int, str]:
    return {item.line: item.reason.partition(":")[0] for item in rejected}


def test_csv_fields_that_cannot_be_recorded_reject_their_line_naming_the_column(
    dom: Container, tmp_path: Path
):
    locations, stock = tmp_path / "locations.csv", tmp_path / "stock.csv"
    locations.write_bytes(EDGE_LOCATIONS)
    stock.write_bytes(EDGE_STOCK)

    located, refused = import_locations(dom, locations, NOW, tqdm(disable=True))
    assert located.applied == 2
    assert rejected_columns(refused) == {
        3: "name",
        4: "line1",
        5: "name",
        6: "latitude",
        8: "code",
        9: "code",
    }

    counted, refused = import_stock(dom, stock, 100, NOW, tqdm(disable=True))
    assert counted.applied == 2
    assert rejected_columns(refused) == {
        3: "sku",
        4: "counted_at",
        5: "counted_at",
        6: "counted_at",
        7: "sku",
    }
    assert [(row["location"], row["on_hand"]) for row in inventory(dom.store, "G")] == [("WH1", 7)]


# --- every rejected line: its number, its column, a plain reason, in file order ---------


def test_active_must_say_yes_or_no_and_is_not_read_as_no(dom: Container, tmp_path: Path):
    """`active=maybe` became an inactive location."""
    path = tmp_path / "locations.csv"
    path.write_text(
        "code,name,type,country,latitude,longitude,time_zone,active\n"
        "WH1,Antwerp DC,warehouse,BE,51.2,4.4,Europe/Brussels,maybe\n"
        "WH2,Ghent DC,warehouse,BE,51.0,3.7,Europe/Brussels,no\n"
        "WH3,Liege DC,warehouse,BE,50.6,5.5,Europe/Brussels,Yes\n"
    )
    report, refused = import_locations(dom, path, NOW, tqdm(disable=True))
    assert [(r.line, r.reason) for r in refused] == [
        (2, "active: must be true or false (not 'maybe')")
    ]
    assert report.applied == 2
    assert not dom.fulfilment.knows_location("WH1")
    assert not dom.fulfilment.get_location("WH2").active
    assert dom.fulfilment.get_location("WH3").active


def test_stock_lines_are_rejected_in_file_order_with_plain_reasons(dom: Container, tmp_path: Path):
    """Python's own messages ('invalid literal for int()') and lines reported out of order."""
    path = tmp_path / "locations.csv"
    path.write_text(
        "code,name,type,country,latitude,longitude,time_zone\n"
        "WH1,Antwerp DC,warehouse,BE,51.2,4.4,Europe/Brussels\n"
    )
    import_locations(dom, path, NOW, tqdm(disable=True))
    stock = tmp_path / "stock.csv"
    stock.write_text(
        "location,sku,quantity,counted_at\n"
        "WH1,A,5,2099-01-01T00:00:00Z\n"
        "WH1,B,five,2026-11-26T10:00:00Z\n"
        "WH1,C,5,yesterday\n"
        "WH1,D,5,2026-11-26T10:00:00Z\n"
    )
    report, refused = import_stock(dom, stock, 100, NOW, tqdm(disable=True))
    assert [(r.line, r.reason) for r in refused] == [
        (2, "counted_at: is in the future"),
        (3, "quantity: must be a whole number (not 'five')"),
        (4, "counted_at: must be a date-time with an offset, e.g. 2026-11-26T08:00:00Z "
            "(not 'yesterday')"),
    ]  # fmt: skip
    assert report.applied == 1


def test_a_count_the_domain_refuses_rejects_its_line_and_the_chunk_goes_on(
    dom: Container, tmp_path: Path
):
    """A count older than the movements kept to place it used to stop the whole import."""
    from datetime import timedelta

    from domain.fulfilment.application import Movement, StockCount

    path = tmp_path / "locations.csv"
    path.write_text(
        "code,name,type,country,latitude,longitude,time_zone\n"
        "WH1,Antwerp DC,warehouse,BE,51.2,4.4,Europe/Brussels\n"
    )
    import_locations(dom, path, NOW, tqdm(disable=True))
    dom.fulfilment.count_stock([StockCount("WH1", "A", 1, NOW)], NOW)
    dom.fulfilment.move_stock("WH1", "A", Movement.RECEIVED, 1, "", "r1", NOW)
    later = NOW + timedelta(days=3)
    dom.fulfilment.move_stock("WH1", "A", Movement.RECEIVED, 1, "", "r2", later)
    stock = tmp_path / "stock.csv"
    stock.write_text(
        "location,sku,quantity,counted_at\n"
        "WH1,B,4,2026-11-26T10:00:00Z\n"
        f"WH1,A,9,{(NOW + timedelta(hours=1)).isoformat()}\n"
        "WH1,C,6,2026-11-26T10:00:00Z\n"
    )
    report, refused = import_stock(dom, stock, 100, later, tqdm(disable=True))
    assert [(r.line, r.reason.partition(":")[0]) for r in refused] == [(3, "counted_at")]
    assert "older than the movements kept" in refused[0].reason
    assert report.applied == 2
    assert [row["on_hand"] for row in inventory(dom.store, "C")] == [6]
