"""`dom simulate` on a seeded history: two policies, different and explained results."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from api.simulate import simulate
from domain.fulfilment.application import Movement, StockCount
from domain.orders.placement import Address, Line
from tests.builders import NOW, an_order
from tests.e2e.test_processes import dom_env, run_dom
from tests.stock_builders import a_location

NEAREST = {"strategies": [{"name": "nearest", "criteria": [{"kind": "stock", "mode": "whole"},
                                                            {"kind": "distance"}], "fallback": "backorder"}]}  # fmt: skip
BY_PRIORITY = {"strategies": [{"name": "priority", "criteria": [{"kind": "stock", "mode": "whole"},
                                                                 {"kind": "priority"}], "fallback": "backorder"}]}  # fmt: skip
START = NOW - timedelta(days=1)


def seeded(settings: Settings) -> Container:
    """A day of history: two locations, the nearest policy live, eight orders, one receipt."""
    dom = bootstrap(settings)
    before = START - timedelta(hours=1)
    dom.fulfilment.define_location(
        a_location("NEAR", latitude=51.2, longitude=4.4, priority=50), before
    )
    dom.fulfilment.define_location(a_location("FAR", latitude=41.4, longitude=2.2, priority=1,
                                              country="ES", time_zone="Europe/Madrid"), before)  # fmt: skip
    dom.fulfilment.count_stock(
        [StockCount("NEAR", "SKU-1", 5, before), StockCount("FAR", "SKU-1", 50, before)], before
    )
    dom.fulfilment.draft_policy("default", NEAREST, "", before)
    dom.fulfilment.activate_policy("default", 1, before)
    dom.runtime.catch_up_all()
    for n in range(8):
        at = START + timedelta(hours=n + 1)
        if n == 4:
            dom.fulfilment.move_stock("NEAR", "SKU-1", Movement.RECEIVED, 3, "", "PO-1", at)
        command = replace(
            an_order(channel_order_id=f"SIM-{n}", placed_at=at - timedelta(minutes=1)),
            shipping_address=Address(
                "Ann", "Meir 1", "2000", "Antwerpen", "BE", latitude=51.2, longitude=4.4
            ),
            lines=(Line("1", "SKU-1", 2, "10.00"),),
            total="24.95",
        )
        dom.orders.place_order(command, at)
        dom.runtime.catch_up_all()
    return dom


@pytest.fixture
def history(durable_store: Settings):
    dom = seeded(durable_store)
    yield dom
    dom.close()


def measures(report) -> dict[str, tuple[str, str]]:
    return {name: (actual, simulated) for name, actual, simulated in report.measures}


def test_the_live_policy_replayed_gives_what_really_happened(history: Container):
    report = simulate(history, NEAREST, START, NOW)
    assert report.orders == 8
    assert all(actual == simulated for actual, simulated in measures(report).values())
    assert report.differences == []


def test_another_policy_gives_different_explained_results(history: Container):
    before = history.fulfilment.recorder.max_notification_id()
    report = simulate(history, BY_PRIORITY, START, NOW)
    figures = measures(report)
    actual_km, simulated_km = (float(v) for v in figures["mean distance (km)"])
    assert simulated_km > actual_km + 500  # everything ships from FAR now
    assert figures["fill rate"] == ("100.0%", "100.0%")
    assert len(report.differences) >= 3
    assert "simulated FAR" in report.differences[0] and "rank 1" in report.differences[0]
    assert history.fulfilment.recorder.max_notification_id() == before  # live stores untouched


def test_the_cli_prints_both_columns(tmp_path: Path):
    dom = seeded(Settings(data_dir=tmp_path / "var"))
    dom.close()
    policy = tmp_path / "priority.json"
    policy.write_text(json.dumps(BY_PRIORITY))
    answer = run_dom("simulate", "--policy", str(policy), "--from", START.isoformat(), "--to", NOW.isoformat(),
                     env=dom_env(tmp_path, None))  # fmt: skip
    assert answer.returncode == 0, answer.stderr
    assert "8 orders released" in answer.stdout and "mean distance (km)" in answer.stdout
    assert "orders routed differently" in answer.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"strategies": [{"criteria": [{"kind": "teleport"}]}]}))
    refused = run_dom("simulate", "--policy", str(bad), env=dom_env(tmp_path, None))
    assert refused.returncode == 2 and "teleport" in refused.stderr


def with_a_backorder(settings: Settings) -> tuple[Container, str, datetime]:
    """One location with 4 units, three orders of 2 (the third waits), then 2 units arrive."""
    dom = bootstrap(settings)
    before = START - timedelta(hours=1)
    dom.fulfilment.define_location(a_location("NEAR", latitude=51.2, longitude=4.4), before)
    dom.fulfilment.count_stock([StockCount("NEAR", "SKU-1", 4, before)], before)
    dom.fulfilment.draft_policy("default", NEAREST, "", before)
    dom.fulfilment.activate_policy("default", 1, before)
    order_ids = []
    for n in range(3):
        at = START + timedelta(hours=n + 1)
        command = replace(an_order(channel_order_id=f"BO-{n}", placed_at=at - timedelta(minutes=1)),
                          lines=(Line("1", "SKU-1", 2, "10.00"),), total="24.95")  # fmt: skip
        order_ids.append(str(dom.orders.place_order(command, at).order.id))
        dom.runtime.catch_up_all()
    arrived = START + timedelta(hours=5)
    dom.fulfilment.move_stock("NEAR", "SKU-1", Movement.RECEIVED, 2, "", "PO-7", arrived)
    dom.runtime.catch_up_all()
    return dom, order_ids[-1], arrived


def test_a_backorder_is_sourced_again_at_the_time_the_stock_arrived(durable_store: Settings):
    dom, waiting, arrived = with_a_backorder(durable_store)
    try:
        report = simulate(dom, NEAREST, START, NOW)
    finally:
        dom.close()
    backorder, sourced = report.simulated.decisions[waiting]
    assert backorder["fallback"] == "backorder"
    assert sourced["plan"] == {"NEAR": {"1": 2}}
    assert sourced["at"] == arrived.isoformat()  # within the period, not the day it is replayed
    assert ("fill rate", "100.0%", "100.0%") in report.measures
    assert report.differences == []


def test_a_late_count_under_an_earlier_recorded_damage_replays(durable_store: Settings):
    """Live: 10 on hand, 8 damaged at 03:00, then a count of 3 dated 02:00 recorded after it
    (on hand 3 - 8 stops at 0). Replayed in business time the count comes first and the
    damage is more than on hand: the simulation failed, blaming the policy file."""
    dom = bootstrap(durable_store)
    try:
        before = START - timedelta(hours=1)
        dom.fulfilment.define_location(a_location("NEAR", latitude=51.2, longitude=4.4), before)
        dom.fulfilment.count_stock([StockCount("NEAR", "SKU-1", 10, before)], before)
        dom.fulfilment.draft_policy("default", NEAREST, "", before)
        dom.fulfilment.activate_policy("default", 1, before)
        damaged_at = START + timedelta(hours=3)
        dom.fulfilment.move_stock(
            "NEAR", "SKU-1", Movement.DAMAGED, 8, "dropped", "D-1", damaged_at
        )
        counted_at = START + timedelta(hours=2)
        dom.fulfilment.count_stock([StockCount("NEAR", "SKU-1", 3, counted_at)], damaged_at)
        assert dom.fulfilment.stock_item("NEAR", "SKU-1").on_hand == 0
        report = simulate(dom, NEAREST, START, NOW)
        assert report.orders == 0
    finally:
        dom.close()


def test_a_period_before_a_location_existed_replays_without_it(durable_store: Settings):
    """Stock of a location registered after `--to` was seeded, and the simulation failed."""
    dom = seeded(durable_store)
    try:
        later = NOW + timedelta(minutes=1)
        dom.fulfilment.define_location(a_location("NEW", latitude=50.0, longitude=4.0), later)
        dom.fulfilment.count_stock([StockCount("NEW", "SKU-1", 9, later)], later)
        report = simulate(dom, NEAREST, START, START + timedelta(hours=3))
        assert report.orders == 2
    finally:
        dom.close()


def test_the_cli_says_what_is_wrong_and_whose_fault_it_is(tmp_path: Path):
    dom = seeded(Settings(data_dir=tmp_path / "var"))
    dom.close()
    policy = tmp_path / "nearest.json"
    policy.write_text(json.dumps(NEAREST))
    env = dom_env(tmp_path, None)
    backwards = run_dom("simulate", "--policy", str(policy), "--from", NOW.isoformat(),
                        "--to", START.isoformat(), env=env)  # fmt: skip
    assert backwards.returncode == 2
    assert "--from" in backwards.stderr and "must be before --to" in backwards.stderr
    (tmp_path / "bad.json").write_text("{not json")
    refused = run_dom("simulate", "--policy", str(tmp_path / "bad.json"), env=env)
    assert refused.returncode == 2 and refused.stderr.startswith(str(tmp_path / "bad.json"))
