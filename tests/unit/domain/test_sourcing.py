from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest

from domain.errors import InvalidCommand
from domain.fulfilment.routing_rules import Fallback, RuleSet, parse_rules
from domain.fulfilment.sourcing import (
    Candidate,
    Decision,
    LineToSource,
    Network,
    OrderToSource,
    source,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

# The order ships to Brussels (50.85, 4.35); distances from there, rounded.
MECHELEN = (51.03, 4.48)  # 22 km
ANTWERP = (51.22, 4.40)  # 41 km
GHENT = (51.05, 3.72)  # 49 km
LIEGE = (50.63, 5.57)  # 89 km
AMSTERDAM = (52.37, 4.90)  # 173 km
PARIS = (48.86, 2.35)  # 264 km
MADRID = (40.42, -3.70)  # 1316 km


# -- builders -----------------------------------------------------------------------------------


def a_candidate(
    code: str, at: tuple[float, float] = ANTWERP, stock: dict[str, int] | None = None, **kw: Any
) -> Candidate:
    kw.setdefault("type", "warehouse")
    kw.setdefault("channels", frozenset({"web"}))
    return Candidate(code=code, latitude=at[0], longitude=at[1], stock=stock or {}, **kw)


def a_line(
    line_id: str, sku: str = "A", quantity: int = 1, price: str = "10", group: str | None = None
) -> LineToSource:
    return LineToSource(line_id, sku, quantity, Decimal(price), group)


def an_order(
    *lines: LineToSource,
    lat: float | None = 50.85,
    lon: float | None = 4.35,
    channel: str = "web",
    country: str = "BE",
    **kw: Any,
) -> OrderToSource:
    return OrderToSource(
        order_id="O-1",
        channel=channel,
        country=country,
        lines=lines or (a_line("1"),),
        latitude=lat,
        longitude=lon,
        **kw,
    )


def rules(
    *criteria: dict[str, Any] | str,
    fallback: str = "backorder",
    when: dict[str, Any] | None = None,
    name: str = "main",
) -> RuleSet:
    """One strategy; a criterion given as a bare string is {"kind": that}."""
    return parse_rules(
        {
            "strategies": [
                {
                    "name": name,
                    "when": when or {},
                    "criteria": [{"kind": c} if isinstance(c, str) else c for c in criteria],
                    "fallback": fallback,
                }
            ]
        }
    )


def sourced(order: OrderToSource, rule_set: RuleSet, *candidates: Candidate) -> Decision:
    return source(order, Network(candidates), rule_set, 7, NOW)


def verdict(decision: Decision, code: str, kind: str) -> dict[str, Any]:
    [found] = [v for v in decision.explain(code)["verdicts"] if v["criterion"] == kind]
    return found


def ranked(decision: Decision) -> list[str]:
    return [decision.network.codes[n] for n in decision.ranked]


# -- excluders ----------------------------------------------------------------------------------


def test_max_distance_excludes_a_location_further_than_the_limit():
    # given: the far location would win on priority
    far = a_candidate("FAR", PARIS, {"A": 5}, priority=1)
    near = a_candidate("NEAR", ANTWERP, {"A": 5}, priority=50)
    # when
    decision = sourced(
        an_order(), rules({"kind": "max_distance", "km": 100}, "priority"), far, near
    )
    # then
    assert decision.plan == {"NEAR": {"1": 1}}
    assert decision.unfilled == {}
    far_why = decision.explain("FAR")
    assert far_why["excluded"] is True
    assert far_why["rank"] is None
    assert far_why["allocated"] == {}
    assert verdict(decision, "FAR", "max_distance") == {
        "criterion": "max_distance",
        "passed": False,
        "value": pytest.approx(263.6, abs=0.5),
        "unit": "km",
    }
    assert decision.explain("NEAR")["excluded"] is False
    assert decision.explain("NEAR")["rank"] == 1
    assert verdict(decision, "NEAR", "max_distance")["passed"] is True
    assert verdict(decision, "NEAR", "max_distance")["value"] == pytest.approx(41.3, abs=0.5)


def test_max_distance_without_the_orders_coordinates_is_unknown_not_a_pass():
    """It passed everywhere: a strategy limited to 100 km shipped from Paris to anywhere."""
    far = a_candidate("FAR", PARIS, {"A": 5}, priority=1)
    near = a_candidate("NEAR", ANTWERP, {"A": 5}, priority=50)

    decision = sourced(
        an_order(lat=None, lon=None),
        rules({"kind": "max_distance", "km": 100}, "priority"),
        far,
        near,
    )

    assert decision.plan == {} and decision.unfilled == {"1": 1}
    assert verdict(decision, "FAR", "max_distance") == {
        "criterion": "max_distance",
        "passed": False,
        "value": None,
        "unit": "km",
        "unknown": "unknown: the shipping address could not be located "
        "(no coordinates were sent and its city was not found)",
    }
    assert decision.explain("FAR")["excluded"] and decision.explain("NEAR")["excluded"]


def test_location_type_include_keeps_only_those_types():
    warehouse = a_candidate("WH", stock={"A": 5}, type="warehouse", priority=1)
    store = a_candidate("ST", stock={"A": 5}, type="store", priority=9)
    supplier = a_candidate("DS", stock={"A": 5}, type="drop_ship_supplier", priority=5)

    decision = sourced(
        an_order(),
        rules({"kind": "location_type", "include": ["store", "drop_ship_supplier"]}, "priority"),
        warehouse,
        store,
        supplier,
    )

    assert decision.plan == {"DS": {"1": 1}}
    assert ranked(decision) == ["DS", "ST"]
    assert decision.explain("WH")["excluded"] is True
    assert verdict(decision, "WH", "location_type")["passed"] is False
    assert verdict(decision, "ST", "location_type")["passed"] is True


def test_location_type_exclude_removes_those_types():
    warehouse = a_candidate("WH", stock={"A": 5}, type="warehouse", priority=9)
    store = a_candidate("ST", stock={"A": 5}, type="store", priority=1)

    decision = sourced(
        an_order(),
        rules({"kind": "location_type", "exclude": ["store"]}, "priority"),
        warehouse,
        store,
    )

    assert decision.plan == {"WH": {"1": 1}}
    assert verdict(decision, "ST", "location_type") == {
        "criterion": "location_type",
        "passed": False,
        "value": None,
        "unit": "",
    }
    assert decision.explain("ST")["excluded"] is True
    assert decision.explain("WH")["excluded"] is False


def test_location_group_include_keeps_only_members():
    north = a_candidate("N", stock={"A": 5}, groups=frozenset({"north", "flagship"}), priority=9)
    south = a_candidate("S", stock={"A": 5}, groups=frozenset({"south"}), priority=1)
    none = a_candidate("X", stock={"A": 5}, priority=1)

    decision = sourced(
        an_order(),
        rules({"kind": "location_group", "include": ["north"]}, "priority"),
        north,
        south,
        none,
    )

    assert decision.plan == {"N": {"1": 1}}
    assert ranked(decision) == ["N"]
    assert verdict(decision, "S", "location_group")["passed"] is False
    assert verdict(decision, "X", "location_group")["passed"] is False
    assert verdict(decision, "N", "location_group")["passed"] is True


def test_location_group_exclude_removes_members():
    outlet = a_candidate("OUT", stock={"A": 5}, groups=frozenset({"outlet"}), priority=1)
    regular = a_candidate("REG", stock={"A": 5}, groups=frozenset({"north"}), priority=9)

    decision = sourced(
        an_order(),
        rules({"kind": "location_group", "exclude": ["outlet"]}, "priority"),
        outlet,
        regular,
    )

    assert decision.plan == {"REG": {"1": 1}}
    assert decision.explain("OUT")["excluded"] is True
    assert verdict(decision, "OUT", "location_group")["passed"] is False
    assert verdict(decision, "REG", "location_group")["passed"] is True


def test_channel_excludes_locations_not_serving_the_orders_channel():
    web_only = a_candidate("WEB", stock={"A": 5}, channels=frozenset({"web"}), priority=1)
    both = a_candidate(
        "BOTH", stock={"A": 5}, channels=frozenset({"web", "marketplace"}), priority=9
    )

    decision = sourced(
        an_order(channel="marketplace"), rules("channel", "priority"), web_only, both
    )

    assert decision.plan == {"BOTH": {"1": 1}}
    assert verdict(decision, "WEB", "channel")["passed"] is False
    assert decision.explain("WEB")["excluded"] is True
    assert verdict(decision, "BOTH", "channel")["passed"] is True


def test_capacity_excludes_a_location_at_its_daily_capacity():
    full = a_candidate("FULL", stock={"A": 5}, daily_capacity=10, orders_today=10, priority=1)
    over = a_candidate("OVER", stock={"A": 5}, daily_capacity=10, orders_today=12, priority=1)
    one_left = a_candidate("ONE", stock={"A": 5}, daily_capacity=10, orders_today=9, priority=9)

    decision = sourced(an_order(), rules("capacity", "priority"), full, over, one_left)

    assert decision.plan == {"ONE": {"1": 1}}
    assert verdict(decision, "FULL", "capacity") == {
        "criterion": "capacity",
        "passed": False,
        "value": 0.0,
        "unit": "orders left today",
    }
    assert verdict(decision, "OVER", "capacity")["passed"] is False
    assert verdict(decision, "OVER", "capacity")["value"] == -2.0
    assert verdict(decision, "ONE", "capacity")["passed"] is True
    assert verdict(decision, "ONE", "capacity")["value"] == 1.0


def test_a_daily_capacity_of_zero_means_no_limit():
    unlimited = a_candidate("UNL", stock={"A": 5}, daily_capacity=0, orders_today=5000)

    decision = sourced(an_order(), rules("capacity"), unlimited)

    assert decision.plan == {"UNL": {"1": 1}}
    assert verdict(decision, "UNL", "capacity") == {
        "criterion": "capacity",
        "passed": True,
        "value": None,
        "unit": "orders left today",
    }


def test_stock_mode_whole_keeps_only_locations_that_can_ship_every_line():
    everything = a_candidate("ALL", stock={"A": 1, "B": 1}, priority=9)
    some = a_candidate("SOME", stock={"A": 1}, priority=1)
    order = an_order(a_line("1", "A"), a_line("2", "B"))

    decision = sourced(
        order, rules({"kind": "stock", "mode": "whole"}, "priority"), everything, some
    )

    assert decision.plan == {"ALL": {"1": 1, "2": 1}}
    assert verdict(decision, "SOME", "stock") == {
        "criterion": "stock",
        "passed": False,
        "value": 1.0,
        "unit": "lines in stock",
    }
    assert verdict(decision, "ALL", "stock")["passed"] is True
    assert verdict(decision, "ALL", "stock")["value"] == 2.0


def test_stock_mode_line_keeps_locations_that_can_ship_at_least_one_whole_line():
    has_a = a_candidate("HAS-A", stock={"A": 2}, priority=1)
    has_b = a_candidate("HAS-B", stock={"B": 1}, priority=2)
    too_few = a_candidate("FEW", stock={"A": 1, "B": 0}, priority=0)
    order = an_order(a_line("1", "A", 2), a_line("2", "B"))

    decision = sourced(
        order, rules({"kind": "stock", "mode": "line"}, "priority"), has_a, has_b, too_few
    )

    assert decision.plan == {"HAS-A": {"1": 2}, "HAS-B": {"2": 1}}
    assert decision.unfilled == {}
    assert ranked(decision) == ["HAS-A", "HAS-B"]
    assert verdict(decision, "FEW", "stock")["passed"] is False
    assert verdict(decision, "FEW", "stock")["value"] == 0.0
    assert verdict(decision, "HAS-A", "stock")["value"] == 1.0


def test_stock_mode_partial_splits_one_line_across_two_locations():
    # given: nobody has all 5 units
    first = a_candidate("FIRST", stock={"A": 3}, priority=1)
    second = a_candidate("SECOND", stock={"A": 4}, priority=2)
    empty = a_candidate("EMPTY", stock={"B": 9}, priority=0)
    order = an_order(a_line("1", "A", 5))
    # when
    decision = sourced(
        order, rules({"kind": "stock", "mode": "partial"}, "priority"), first, second, empty
    )
    # then: 3 from the better-ranked location, the remaining 2 from the next one
    assert decision.plan == {"FIRST": {"1": 3}, "SECOND": {"1": 2}}
    assert decision.unfilled == {}
    assert decision.fallback is None
    assert verdict(decision, "FIRST", "stock")["passed"] is True
    assert verdict(decision, "FIRST", "stock")["value"] == 0.0  # no whole line in stock
    assert verdict(decision, "EMPTY", "stock")["passed"] is False
    assert decision.explain("FIRST")["allocated"] == {"1": 3}
    assert decision.explain("SECOND")["allocated"] == {"1": 2}


def test_stock_mode_partial_leaves_what_nobody_has_unfilled():
    decision = sourced(
        an_order(a_line("1", "A", 5)),
        rules({"kind": "stock", "mode": "partial"}),
        a_candidate("X", stock={"A": 2}),
        a_candidate("Y", stock={"A": 1}),
    )
    assert decision.plan == {"X": {"1": 2}, "Y": {"1": 1}}
    assert decision.unfilled == {"1": 2}
    assert decision.fallback is Fallback.BACKORDER


def test_stock_mode_line_does_not_split_a_line():
    decision = sourced(
        an_order(a_line("1", "A", 5)),
        rules({"kind": "stock", "mode": "line"}),
        a_candidate("X", stock={"A": 3}),
        a_candidate("Y", stock={"A": 4}),
    )
    assert decision.plan == {}
    assert decision.unfilled == {"1": 5}
    assert decision.explain("X")["excluded"] is True
    assert decision.explain("Y")["excluded"] is True


# -- rankers ------------------------------------------------------------------------------------


def test_distance_ranks_the_nearest_first():
    decision = sourced(
        an_order(),
        rules("distance"),
        a_candidate("PAR", PARIS, {"A": 1}),
        a_candidate("LIE", LIEGE, {"A": 1}),
        a_candidate("ANT", ANTWERP, {"A": 1}),
    )

    assert decision.plan == {"ANT": {"1": 1}}
    assert ranked(decision) == ["ANT", "LIE", "PAR"]
    assert [decision.explain(c)["rank"] for c in ("ANT", "LIE", "PAR")] == [1, 2, 3]
    assert verdict(decision, "LIE", "distance") == {
        "criterion": "distance",
        "passed": None,
        "value": pytest.approx(89.3, abs=0.5),
        "unit": "km",
    }
    assert decision.explain("PAR")["excluded"] is False


def test_distance_bands_treat_one_band_as_equal_and_fall_through_to_the_next_ranker():
    # given: ANT and LIE are both within 100 km; PAR has the best priority but is in a further band
    antwerp = a_candidate("ANT", ANTWERP, {"A": 1}, priority=50)
    liege = a_candidate("LIE", LIEGE, {"A": 1}, priority=10)
    paris = a_candidate("PAR", PARIS, {"A": 1}, priority=1)
    # when
    decision = sourced(
        an_order(),
        rules({"kind": "distance", "bands_km": [100, 500]}, "priority"),
        antwerp,
        liege,
        paris,
    )
    # then
    assert decision.plan == {"LIE": {"1": 1}}
    assert ranked(decision) == ["LIE", "ANT", "PAR"]
    assert verdict(decision, "ANT", "distance")["value"] == pytest.approx(41.3, abs=0.5)
    assert verdict(decision, "ANT", "priority")["value"] == 50.0
    assert verdict(decision, "LIE", "priority")["value"] == 10.0


def test_distance_bands_given_out_of_order_rank_as_if_sorted_or_are_refused():
    criteria = ({"kind": "distance", "bands_km": [500, 100]}, "priority")
    try:
        unsorted = rules(*criteria)
    except InvalidCommand:
        return  # refusing the rule set when drafted is fine too
    # Paris is in the 100-500 km band, Madrid beyond 500 km: Paris first despite its priority
    candidates = (
        a_candidate("PAR", PARIS, {"A": 1}, priority=9),
        a_candidate("MAD", MADRID, {"A": 1}, priority=1),
    )
    decision = sourced(an_order(), unsorted, *candidates)
    expected = sourced(
        an_order(), rules({"kind": "distance", "bands_km": [100, 500]}, "priority"), *candidates
    )
    assert ranked(expected) == ["PAR", "MAD"]
    assert ranked(decision) == ranked(expected)


def test_distance_without_order_coordinates_ties_and_falls_through():
    decision = sourced(
        an_order(lat=None, lon=None),
        rules("distance", "priority"),
        a_candidate("ANT", ANTWERP, {"A": 1}, priority=5),
        a_candidate("PAR", PARIS, {"A": 1}, priority=1),
    )
    assert ranked(decision) == ["PAR", "ANT"]
    assert verdict(decision, "PAR", "distance")["value"] is None


def test_priority_ranks_the_lowest_number_first():
    decision = sourced(
        an_order(),
        rules("priority"),
        a_candidate("LOW", stock={"A": 1}, priority=100),
        a_candidate("TOP", stock={"A": 1}, priority=1),
        a_candidate("MID", stock={"A": 1}, priority=20),
    )
    assert decision.plan == {"TOP": {"1": 1}}
    assert ranked(decision) == ["TOP", "MID", "LOW"]
    assert verdict(decision, "MID", "priority") == {
        "criterion": "priority",
        "passed": None,
        "value": 20.0,
        "unit": "priority rank",
    }


SHIPPING_RATES = {
    "A-WH": {"BE": 7.5, "*": 9},
    "B-WH": {"*": 5},
    "C-WH": {"NL": 1},
    # D-WH has no rate at all
}


def test_shipping_cost_ranks_the_cheapest_first_using_the_country_then_the_star_rate():
    candidates = [a_candidate(code, stock={"A": 1}) for code in ("D-WH", "C-WH", "B-WH", "A-WH")]
    criterion = {"kind": "shipping_cost", "rates": SHIPPING_RATES}

    decision = sourced(an_order(country="BE"), rules(criterion), *candidates)

    assert decision.plan == {"B-WH": {"1": 1}}
    # C-WH has no BE and no "*" rate, D-WH no rates: both last, by code
    assert ranked(decision) == ["B-WH", "A-WH", "C-WH", "D-WH"]
    assert verdict(decision, "A-WH", "shipping_cost") == {
        "criterion": "shipping_cost",
        "passed": None,
        "value": 7.5,
        "unit": "cost",
    }
    assert verdict(decision, "B-WH", "shipping_cost")["value"] == 5.0
    assert verdict(decision, "C-WH", "shipping_cost")["value"] is None
    assert verdict(decision, "D-WH", "shipping_cost")["value"] is None


def test_shipping_cost_uses_the_rate_of_the_orders_country():
    candidates = [a_candidate(code, stock={"A": 1}) for code in ("D-WH", "C-WH", "B-WH", "A-WH")]
    criterion = {"kind": "shipping_cost", "rates": SHIPPING_RATES}

    decision = sourced(an_order(country="NL"), rules(criterion), *candidates)

    assert decision.plan == {"C-WH": {"1": 1}}
    assert ranked(decision) == ["C-WH", "B-WH", "A-WH", "D-WH"]
    assert verdict(decision, "A-WH", "shipping_cost")["value"] == 9.0  # the "*" rate


def test_stock_coverage_ranks_the_location_with_most_lines_in_stock_first():
    order = an_order(a_line("1", "A"), a_line("2", "B"), a_line("3", "C"))

    decision = sourced(
        order,
        rules("stock_coverage", "priority"),
        a_candidate("ONE", stock={"A": 1}, priority=1),
        a_candidate("TWO", stock={"A": 1, "B": 1}, priority=2),
        a_candidate("ALL", stock={"A": 1, "B": 1, "C": 1}, priority=3),
    )

    assert decision.plan == {"ALL": {"1": 1, "2": 1, "3": 1}}
    assert ranked(decision) == ["ALL", "TWO", "ONE"]
    assert verdict(decision, "TWO", "stock_coverage") == {
        "criterion": "stock_coverage",
        "passed": None,
        "value": 2.0,
        "unit": "lines in stock",
    }


def test_lines_of_one_sku_are_counted_together_against_a_locations_stock():
    """A, B, C hold 1, 1 and 3 units; three lines of that SKU, one unit each. Each of A and
    B can ship one of them, not three: C covers them all and ships the whole order."""
    order = an_order(a_line("1", "A"), a_line("2", "A"), a_line("3", "A"))

    decision = sourced(
        order,
        rules({"kind": "stock", "mode": "line"}, "stock_coverage", "priority",
              {"kind": "max_splits", "max": 1}),
        a_candidate("A-WH", stock={"A": 1}, priority=1),
        a_candidate("B-WH", stock={"A": 1}, priority=2),
        a_candidate("C-WH", stock={"A": 3}, priority=3),
    )  # fmt: skip

    assert decision.plan == {"C-WH": {"1": 1, "2": 1, "3": 1}} and decision.unfilled == {}
    assert verdict(decision, "A-WH", "stock_coverage")["value"] == 1.0
    assert verdict(decision, "C-WH", "stock_coverage")["value"] == 3.0


def test_coverage_counts_the_smallest_lines_of_a_sku_first():
    """4 units of a SKU cover the lines of 1 and 3 units, or 1 and 2, never 3 and 2."""
    order = an_order(a_line("1", "A", 3), a_line("2", "A", 1), a_line("3", "A", 2))

    decision = sourced(order, rules("stock_coverage"), a_candidate("WH", stock={"A": 4}))

    assert verdict(decision, "WH", "stock_coverage")["value"] == 2.0


def test_rankers_apply_in_the_order_given():
    near_low = a_candidate("NEAR", MECHELEN, {"A": 1}, priority=9)
    far_top = a_candidate("FAR", LIEGE, {"A": 1}, priority=1)

    by_distance = sourced(an_order(), rules("distance", "priority"), near_low, far_top)
    by_priority = sourced(an_order(), rules("priority", "distance"), near_low, far_top)

    assert ranked(by_distance) == ["NEAR", "FAR"]
    assert ranked(by_priority) == ["FAR", "NEAR"]


# -- allocation ---------------------------------------------------------------------------------


def test_without_fewest_shipments_lines_go_to_the_best_ranked_location_holding_them():
    near = a_candidate("NEAR", MECHELEN, {"A": 1})
    far = a_candidate("FAR", LIEGE, {"A": 1, "B": 1})
    order = an_order(a_line("1", "A"), a_line("2", "B"))

    decision = sourced(order, rules("distance"), near, far)

    assert decision.plan == {"NEAR": {"1": 1}, "FAR": {"2": 1}}


def test_a_ranked_location_that_ships_nothing_says_why():
    near = a_candidate("NEAR", MECHELEN, {"A": 1})
    far = a_candidate("FAR", LIEGE, {"A": 1})
    decision = sourced(an_order(a_line("1", "A")), rules("distance"), near, far)
    assert decision.explain("FAR")["allocation"] == (
        "not needed: every line was placed at a location ranked higher"
    )


def test_fewest_shipments_prefers_one_location_that_fills_everything_even_if_ranked_lower():
    # given
    near = a_candidate("NEAR", MECHELEN, {"A": 1})
    far = a_candidate("FAR", LIEGE, {"A": 1, "B": 1})
    order = an_order(a_line("1", "A"), a_line("2", "B"))
    # when
    decision = sourced(order, rules("distance", "fewest_shipments"), near, far)
    # then
    assert decision.plan == {"FAR": {"1": 1, "2": 1}}
    assert decision.unfilled == {}
    assert decision.explain("NEAR")["rank"] == 1
    assert decision.explain("NEAR")["allocated"] == {}
    assert decision.explain("FAR")["rank"] == 2
    assert decision.explain("FAR")["allocated"] == {"1": 1, "2": 1}
    # allocation criteria give no verdicts of their own, but say why a location ranked
    # first ships nothing
    assert [v["criterion"] for v in decision.explain("FAR")["verdicts"]] == ["distance"]
    assert decision.explain("NEAR")["allocation"] == "fewest_shipments: FAR ships the whole order"
    assert "allocation" not in decision.explain("FAR")


def test_fewest_shipments_splits_when_no_location_can_fill_everything():
    order = an_order(a_line("1", "A"), a_line("2", "B"))
    decision = sourced(
        order,
        rules("priority", "fewest_shipments"),
        a_candidate("X", stock={"A": 1}, priority=1),
        a_candidate("Y", stock={"B": 1}, priority=2),
    )
    assert decision.plan == {"X": {"1": 1}, "Y": {"2": 1}}


def test_max_splits_leaves_lines_beyond_the_allowed_shipments_unfilled():
    # given: each line is only at one location; max 1 split = at most 2 shipments
    order = an_order(a_line("1", "A"), a_line("2", "B"), a_line("3", "C"))
    candidates = (
        a_candidate("X", stock={"A": 1}, priority=1),
        a_candidate("Y", stock={"B": 1}, priority=2),
        a_candidate("Z", stock={"C": 1}, priority=3),
    )
    # when
    decision = sourced(order, rules("priority", {"kind": "max_splits", "max": 1}), *candidates)
    # then
    assert decision.plan == {"X": {"1": 1}, "Y": {"2": 1}}
    assert decision.unfilled == {"3": 1}
    assert decision.fallback is Fallback.BACKORDER
    assert decision.explain("Z")["rank"] == 3
    assert decision.explain("Z")["excluded"] is False
    assert decision.explain("Z")["allocated"] == {}
    assert decision.explain("Z")["allocation"] == (
        "max_splits: the order already ships from 2 location(s), at most 2"
    )


def test_max_splits_still_uses_locations_already_shipping():
    order = an_order(a_line("1", "A"), a_line("2", "B"), a_line("3", "C"))
    candidates = (
        a_candidate("X", stock={"A": 1, "C": 1}, priority=1),
        a_candidate("Y", stock={"B": 1}, priority=2),
        a_candidate("Z", stock={"C": 1}, priority=0),
    )
    decision = sourced(order, rules("priority", {"kind": "max_splits", "max": 1}), *candidates)
    # lines go in order: 1 to X, 2 to Y; Z ranks first for line 3 but would be a third
    # shipment, so X, already shipping, takes it
    assert decision.plan == {"X": {"1": 1, "3": 1}, "Y": {"2": 1}}
    assert decision.unfilled == {}
    assert decision.explain("Z")["rank"] == 1
    assert decision.explain("Z")["allocated"] == {}


def test_keep_groups_together_never_splits_a_kits_lines():
    # given: the better-ranked location has only half of the kit
    half = a_candidate("HALF", stock={"A": 1}, priority=1)
    whole = a_candidate("KIT", stock={"A": 1, "B": 1}, priority=2)
    order = an_order(a_line("1", "A", group="kit"), a_line("2", "B", group="kit"))
    # when
    apart = sourced(order, rules("priority"), half, whole)
    together = sourced(order, rules("priority", "keep_groups_together"), half, whole)
    # then
    assert apart.plan == {"HALF": {"1": 1}, "KIT": {"2": 1}}
    assert together.plan == {"KIT": {"1": 1, "2": 1}}
    assert together.explain("HALF")["rank"] == 1
    assert together.explain("HALF")["allocated"] == {}


def test_keep_groups_together_leaves_a_kit_unfilled_rather_than_split():
    order = an_order(a_line("1", "A", group="kit"), a_line("2", "B", group="kit"), a_line("3", "C"))
    decision = sourced(
        order,
        rules({"kind": "stock", "mode": "partial"}, "priority", "keep_groups_together"),
        a_candidate("X", stock={"A": 1, "C": 1}, priority=1),
        a_candidate("Y", stock={"B": 1}, priority=2),
    )
    assert decision.plan == {"X": {"3": 1}}
    assert decision.unfilled == {"1": 1, "2": 1}


def test_min_shipment_value_drops_a_shipment_under_the_amount():
    # given: line 1 (100.00) is only at X, line 2 (5.00) only at Y
    order = an_order(a_line("1", "A", price="100"), a_line("2", "B", price="5"))
    x = a_candidate("X", stock={"A": 1}, priority=1)
    y = a_candidate("Y", stock={"B": 1}, priority=2)
    # when
    decision = sourced(
        order, rules("priority", {"kind": "min_shipment_value", "amount": "20"}), x, y
    )
    # then
    assert decision.plan == {"X": {"1": 1}}
    assert decision.unfilled == {"2": 1}
    assert decision.fallback is Fallback.BACKORDER
    assert decision.explain("Y")["allocated"] == {}
    assert decision.explain("Y")["rank"] == 2
    why = "min_shipment_value: its shipment from Y (5) would be under 20"
    assert decision.explain("Y")["allocation"] == why
    assert decision.as_record()["reason"] == why  # not "no eligible location"


def test_min_shipment_value_sends_a_shipment_worth_exactly_the_amount():
    order = an_order(a_line("1", "A", 2, price="10"))
    decision = sourced(
        order,
        rules({"kind": "min_shipment_value", "amount": "20.00"}),
        a_candidate("X", stock={"A": 2}),
    )
    assert decision.plan == {"X": {"1": 2}}
    assert decision.unfilled == {}


def test_min_shipment_value_returns_the_part_of_a_split_line_it_drops():
    order = an_order(a_line("1", "A", 5, price="10"))
    decision = sourced(
        order,
        rules(
            {"kind": "stock", "mode": "partial"},
            "priority",
            {"kind": "min_shipment_value", "amount": "25"},
        ),
        a_candidate("X", stock={"A": 4}, priority=1),
        a_candidate("Y", stock={"A": 9}, priority=2),
    )
    # Y can ship all 5 at once, so the line is not split
    assert decision.plan == {"Y": {"1": 5}}

    split = sourced(
        order,
        rules(
            {"kind": "stock", "mode": "partial"},
            "priority",
            {"kind": "min_shipment_value", "amount": "25"},
        ),
        a_candidate("X", stock={"A": 4}, priority=1),
        a_candidate("Y", stock={"A": 1}, priority=2),
    )
    assert split.plan == {"X": {"1": 4}}
    assert split.unfilled == {"1": 1}


def test_min_shipment_value_also_applies_to_a_single_fewest_shipments_shipment():
    order = an_order(a_line("1", "A", price="5"))
    decision = sourced(
        order,
        rules("fewest_shipments", {"kind": "min_shipment_value", "amount": "20"}),
        a_candidate("X", stock={"A": 1}),
    )
    assert decision.plan == {}
    assert decision.unfilled == {"1": 1}


# -- fallbacks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fallback", "expected"),
    [
        ("backorder", Fallback.BACKORDER),
        ("exception", Fallback.EXCEPTION),
        ("cancel_unfillable", Fallback.CANCEL),
    ],
)
def test_the_strategys_fallback_is_reported_when_something_is_unfilled(fallback, expected):
    order = an_order(a_line("1", "A"), a_line("2", "B", 3))

    decision = sourced(
        order, rules("priority", fallback=fallback), a_candidate("X", stock={"A": 1, "B": 2})
    )

    assert decision.plan == {"X": {"1": 1}}
    assert decision.unfilled == {"2": 3}
    assert decision.fallback is expected
    assert decision.as_record()["fallback"] == fallback
    assert verdict(decision, "X", "priority")["value"] == 100.0


@pytest.mark.parametrize("fallback", ["backorder", "exception", "cancel_unfillable"])
def test_no_fallback_when_everything_is_filled(fallback):
    decision = sourced(
        an_order(), rules("priority", fallback=fallback), a_candidate("X", stock={"A": 1})
    )
    assert decision.unfilled == {}
    assert decision.fallback is None
    assert decision.as_record()["fallback"] is None


def test_no_matching_strategy_leaves_everything_unfilled_as_an_exception():
    rule_set = rules("priority", when={"channels": ["marketplace"]}, fallback="backorder")
    order = an_order(a_line("1", "A", 2), a_line("2", "B"))

    decision = sourced(order, rule_set, a_candidate("X", stock={"A": 9, "B": 9}))

    assert decision.strategy is None
    assert decision.fallback is Fallback.EXCEPTION
    assert decision.plan == {}
    assert decision.unfilled == {"1": 2, "2": 1}
    assert decision.explain("X") == {
        "location": "X",
        "excluded": True,
        "rank": None,
        "allocated": {},
        "verdicts": [],
    }


def test_an_empty_network_leaves_everything_to_the_fallback():
    decision = sourced(an_order(), rules("priority", fallback="exception"))
    assert decision.plan == {}
    assert decision.unfilled == {"1": 1}
    assert decision.fallback is Fallback.EXCEPTION


# -- strategy selection -------------------------------------------------------------------------


def two_strategies(when: dict[str, Any]) -> RuleSet:
    return parse_rules(
        {
            "strategies": [
                {"name": "special", "when": when, "criteria": [{"kind": "priority"}]},
                {"name": "default", "criteria": [{"kind": "priority"}]},
            ]
        }
    )


@pytest.mark.parametrize(
    ("when", "matching", "other"),
    [
        ({"channels": ["marketplace"]}, {"channel": "marketplace"}, {"channel": "web"}),
        ({"countries": ["NL", "LU"]}, {"country": "NL"}, {"country": "BE"}),
        ({"regions": ["VLG"]}, {"region": "VLG"}, {"region": None}),
        ({"min_value": "20"}, {"lines": (a_line("1", "A", 2),)}, {"lines": (a_line("1", "A", 1),)}),
        ({"max_value": 15}, {"lines": (a_line("1", "A", 1),)}, {"lines": (a_line("1", "A", 2),)}),
        ({"service_levels": ["express"]}, {"service_level": "express"}, {"service_level": None}),
        ({"tags": ["vip", "b2b"]}, {"tags": frozenset({"gift", "vip"})}, {"tags": frozenset()}),
        (
            {"skus": ["B"]},
            {"lines": (a_line("1", "A"), a_line("2", "B"))},
            {"lines": (a_line("1", "A"),)},
        ),
        ({"min_priority": 5}, {"priority": 5}, {"priority": 4}),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) and "lines" not in v else None,
)
def test_a_strategy_is_chosen_by_its_conditions(when, matching, other):
    network = (a_candidate("X", stock={"A": 9, "B": 9}),)

    def chosen(**fields: Any) -> str | None:
        lines = fields.pop("lines", (a_line("1", "A"),))
        return sourced(an_order(*lines, **fields), two_strategies(when), *network).strategy

    assert chosen(**matching) == "special"
    assert chosen(**other) == "default"


def test_all_conditions_of_a_strategy_must_hold():
    rule_set = two_strategies({"channels": ["web"], "countries": ["NL"]})
    network = (a_candidate("X", stock={"A": 9}),)
    assert sourced(an_order(country="NL"), rule_set, *network).strategy == "special"
    assert sourced(an_order(country="BE"), rule_set, *network).strategy == "default"


def test_the_first_matching_strategy_wins_and_its_criteria_apply():
    rule_set = parse_rules(
        {
            "strategies": [
                {
                    "name": "express from warehouses",
                    "when": {"service_levels": ["express"]},
                    "criteria": [
                        {"kind": "location_type", "include": ["warehouse"]},
                        {"kind": "priority"},
                    ],
                    "fallback": "exception",
                },
                {
                    "name": "also express",
                    "when": {"service_levels": ["express"]},
                    "criteria": [{"kind": "priority"}],
                },
                {"name": "default", "criteria": [{"kind": "priority"}], "fallback": "backorder"},
            ]
        }
    )
    store = a_candidate("ST", stock={"A": 1}, type="store", priority=1)
    warehouse = a_candidate("WH", stock={"A": 1}, type="warehouse", priority=2)

    express = sourced(an_order(service_level="express"), rule_set, store, warehouse)
    standard = sourced(an_order(service_level="standard"), rule_set, store, warehouse)

    assert express.strategy == "express from warehouses"
    assert express.plan == {"WH": {"1": 1}}
    assert verdict(express, "ST", "location_type")["passed"] is False
    assert standard.strategy == "default"
    assert standard.plan == {"ST": {"1": 1}}


# -- click & collect ----------------------------------------------------------------------------


def test_click_and_collect_sources_only_from_the_pickup_location():
    # given: the warehouse would win on priority
    store = a_candidate("STORE", GHENT, {"A": 3}, type="store", pickup=True, priority=50)
    warehouse = a_candidate("WH", MECHELEN, {"A": 9}, priority=1)
    # when
    decision = sourced(an_order(pickup_location="STORE"), rules("priority"), store, warehouse)
    # then
    assert decision.plan == {"STORE": {"1": 1}}
    assert ranked(decision) == ["STORE"]
    assert verdict(decision, "STORE", "click_and_collect")["passed"] is True
    assert verdict(decision, "WH", "click_and_collect") == {
        "criterion": "click_and_collect",
        "passed": False,
        "value": None,
        "unit": "collect here",
    }
    assert decision.explain("WH")["excluded"] is True


def test_click_and_collect_fills_nothing_when_the_location_does_not_offer_pickup():
    store = a_candidate("STORE", GHENT, {"A": 3}, type="store", pickup=False)
    other = a_candidate("OTHER", MECHELEN, {"A": 3}, type="store", pickup=True)

    decision = sourced(
        an_order(pickup_location="STORE"), rules("priority", fallback="exception"), store, other
    )

    assert decision.plan == {}
    assert decision.unfilled == {"1": 1}
    assert decision.fallback is Fallback.EXCEPTION
    assert verdict(decision, "STORE", "click_and_collect")["passed"] is False
    assert verdict(decision, "OTHER", "click_and_collect")["passed"] is False


def test_click_and_collect_at_an_unknown_location_fills_nothing():
    decision = sourced(
        an_order(pickup_location="NOWHERE"),
        rules("priority"),
        a_candidate("STORE", stock={"A": 3}, pickup=True),
    )
    assert decision.plan == {}
    assert decision.unfilled == {"1": 1}


# -- several lines of one SKU -------------------------------------------------------------------


def test_several_lines_of_one_sku_are_summed_for_the_whole_order():
    # given: 2 + 2 units of A; SHORT holds 3 (each line alone fits), ENOUGH holds 4
    order = an_order(a_line("1", "A", 2), a_line("2", "A", 2))
    short = a_candidate("SHORT", MECHELEN, {"A": 3})
    enough = a_candidate("ENOUGH", LIEGE, {"A": 4})
    # when
    whole = sourced(order, rules({"kind": "stock", "mode": "whole"}, "distance"), short, enough)
    fewest = sourced(order, rules("distance", "fewest_shipments"), short, enough)
    by_line = sourced(order, rules("distance"), short, enough)
    # then
    assert whole.plan == {"ENOUGH": {"1": 2, "2": 2}}
    assert verdict(whole, "SHORT", "stock")["passed"] is False
    assert verdict(whole, "ENOUGH", "stock")["passed"] is True
    assert fewest.plan == {"ENOUGH": {"1": 2, "2": 2}}
    # line by line, SHORT ships one line and does not promise more than it holds
    assert by_line.plan == {"SHORT": {"1": 2}, "ENOUGH": {"2": 2}}


# -- the acceptance scenario --------------------------------------------------------------------


def test_distance_then_capacity_chooses_the_far_location_and_explains_why():
    # given
    far = a_candidate("FAR", PARIS, {"A": 5}, daily_capacity=100, orders_today=10)
    near_empty = a_candidate("NEAR-EMPTY", MECHELEN, {"A": 0}, daily_capacity=100)
    near_busy = a_candidate("NEAR-BUSY", ANTWERP, {"A": 5}, daily_capacity=20, orders_today=20)
    policy = rules(
        "capacity", {"kind": "stock", "mode": "line"}, "distance", name="distance then capacity"
    )
    # when
    decision = sourced(an_order(a_line("1", "A", 2)), policy, far, near_empty, near_busy)
    # then
    assert decision.strategy == "distance then capacity"
    assert decision.plan == {"FAR": {"1": 2}}
    assert decision.unfilled == {}
    assert decision.fallback is None

    far_why = decision.explain("FAR")
    assert far_why["excluded"] is False
    assert far_why["rank"] == 1
    assert far_why["allocated"] == {"1": 2}

    empty_why = decision.explain("NEAR-EMPTY")
    assert empty_why["excluded"] is True
    assert empty_why["rank"] is None
    assert verdict(decision, "NEAR-EMPTY", "stock")["passed"] is False
    assert verdict(decision, "NEAR-EMPTY", "capacity")["passed"] is True
    lost_on = [v["criterion"] for v in empty_why["verdicts"] if v["passed"] is False]
    assert lost_on == ["stock"]

    busy_why = decision.explain("NEAR-BUSY")
    assert busy_why["excluded"] is True
    assert busy_why["rank"] is None
    assert verdict(decision, "NEAR-BUSY", "capacity")["passed"] is False
    assert verdict(decision, "NEAR-BUSY", "stock")["passed"] is True
    lost_on = [v["criterion"] for v in busy_why["verdicts"] if v["passed"] is False]
    assert lost_on == ["capacity"]
    # the distances are shown even for excluded locations
    assert verdict(decision, "NEAR-BUSY", "distance")["value"] == pytest.approx(41.3, abs=0.5)


# -- determinism and the record -----------------------------------------------------------------


def test_ties_are_broken_by_location_code():
    same = {"at": ANTWERP, "stock": {"A": 1}, "priority": 5}
    candidates = (a_candidate("C", **same), a_candidate("A", **same), a_candidate("B", **same))

    decision = sourced(an_order(), rules("distance", "priority"), *candidates)

    assert ranked(decision) == ["A", "B", "C"]
    assert decision.plan == {"A": {"1": 1}}
    reversed_network = sourced(an_order(), rules("distance", "priority"), *reversed(candidates))
    assert reversed_network.plan == decision.plan
    assert ranked(reversed_network) == ranked(decision)


def test_without_rankers_the_order_is_by_location_code():
    decision = sourced(
        an_order(),
        rules("channel"),
        a_candidate("Z", stock={"A": 1}),
        a_candidate("M", stock={"A": 1}),
    )
    assert ranked(decision) == ["M", "Z"]
    assert decision.plan == {"M": {"1": 1}}


def test_the_same_input_gives_the_same_record():
    order = an_order(a_line("1", "A", 3), a_line("2", "B"))
    candidates = (
        a_candidate("X", MECHELEN, {"A": 1, "B": 1}),
        a_candidate("Y", LIEGE, {"A": 5}),
    )
    policy = rules({"kind": "stock", "mode": "partial"}, "distance")
    assert (
        sourced(order, policy, *candidates).as_record()
        == sourced(order, policy, *candidates).as_record()
    )


def test_the_record_is_json_serialisable():
    # given: every kind of criterion, a split line and an unfilled line
    policy = rules(
        "channel",
        "capacity",
        {"kind": "max_distance", "km": 500},
        {"kind": "location_type", "exclude": ["drop_ship_supplier"]},
        {"kind": "location_group", "exclude": ["outlet"]},
        {"kind": "stock", "mode": "partial"},
        "stock_coverage",
        {"kind": "distance", "bands_km": [50, 200]},
        {"kind": "shipping_cost", "rates": {"X": {"BE": 4.5}}},
        "priority",
        "fewest_shipments",
        {"kind": "max_splits", "max": 2},
        "keep_groups_together",
        {"kind": "min_shipment_value", "amount": "1"},
    )
    order = an_order(a_line("1", "A", 5), a_line("2", "Z"))
    candidates = (
        a_candidate("X", MECHELEN, {"A": 2}, daily_capacity=10, orders_today=3),
        a_candidate("Y", LIEGE, {"A": 2}),
        a_candidate("FAR", MADRID, {"A": 9}),  # beyond 500 km
    )
    # when
    decision = sourced(order, policy, *candidates)
    record = decision.as_record()
    # then
    assert orjson.loads(orjson.dumps(record)) == record
    assert record["policy_version"] == 7
    assert record["strategy"] == "main"
    assert record["plan"] == {"X": {"1": 2}, "Y": {"1": 2}}
    assert record["unfilled"] == {"1": 1, "2": 1}
    assert record["fallback"] == "backorder"
    assert [c["location"] for c in record["candidates"]] == ["X", "Y", "FAR"]
    assert record["candidates"][2]["excluded"] is True


def test_the_record_without_a_matching_strategy_is_json_serialisable():
    decision = sourced(
        an_order(), rules(when={"countries": ["NL"]}), a_candidate("X", stock={"A": 1})
    )
    record = decision.as_record()
    assert orjson.loads(orjson.dumps(record)) == record
    assert record["strategy"] is None
    assert record["fallback"] == "exception"
