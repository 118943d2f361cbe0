from decimal import Decimal
from typing import Any

import pytest

from domain.errors import InvalidCommand
from domain.fulfilment.routing_rules import Criterion, Fallback, RuleSet, parse_rules


def a_strategy(*criteria: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": "main", "criteria": list(criteria), "fallback": "backorder", **fields}


def a_rule_set(*strategies: dict[str, Any]) -> dict[str, Any]:
    return {"strategies": list(strategies) or [a_strategy()]}


def refused(data: Any) -> dict[str, str]:
    """The problems parse_rules names, field path -> message."""
    with pytest.raises(InvalidCommand) as caught:
        parse_rules(data)
    return {p.field: p.message for p in caught.value.problems}


# -- a valid rule set ---------------------------------------------------------------------------


def test_a_valid_rule_set_is_parsed_into_strategies():
    data = a_rule_set(
        a_strategy(
            {"kind": "channel"},
            {"kind": "capacity"},
            {"kind": "max_distance", "km": 250},
            {"kind": "location_type", "include": ["warehouse"]},
            {"kind": "location_group", "exclude": ["outlet"]},
            {"kind": "stock", "mode": "partial"},
            {"kind": "distance", "bands_km": [50, 200]},
            {"kind": "priority"},
            {"kind": "shipping_cost", "rates": {"WH1": {"BE": 4.5, "*": 9}}},
            {"kind": "stock_coverage"},
            {"kind": "fewest_shipments"},
            {"kind": "max_splits", "max": 2},
            {"kind": "keep_groups_together"},
            {"kind": "min_shipment_value", "amount": "25.00"},
            name="express",
            when={
                "channels": ["web"],
                "countries": ["BE", "NL"],
                "regions": ["VLG"],
                "min_value": "10",
                "max_value": 500,
                "service_levels": ["express"],
                "min_priority": 3,
                "tags": ["vip"],
                "skus": ["SKU-1"],
            },
            fallback="cancel_unfillable",
        ),
        {"criteria": [{"kind": "priority"}]},
    )

    rule_set = parse_rules(data)

    assert isinstance(rule_set, RuleSet)
    first, second = rule_set.strategies
    assert first.name == "express"
    assert first.fallback is Fallback.CANCEL
    assert [c.kind for c in first.criteria] == [
        c["kind"] for c in data["strategies"][0]["criteria"]
    ]
    assert first.criteria[2] == Criterion("max_distance", {"km": 250})
    assert first.criteria[11].param("max") == 2
    assert first.criteria[0].param("missing", "default") == "default"
    when = first.conditions
    assert when.channels == frozenset({"web"})
    assert when.countries == frozenset({"BE", "NL"})
    assert when.regions == frozenset({"VLG"})
    assert when.min_value == Decimal("10")
    assert when.max_value == Decimal("500")
    assert when.service_levels == frozenset({"express"})
    assert when.min_priority == 3
    assert when.tags == frozenset({"vip"})
    assert when.skus == frozenset({"SKU-1"})
    # Defaults: named after its place, no conditions, fallback exception.
    assert second.name == "strategies.1"
    assert second.fallback is Fallback.EXCEPTION
    assert second.conditions.channels == frozenset()
    assert second.conditions.min_value is None


def test_a_stock_criterion_without_a_mode_is_accepted():
    rule_set = parse_rules(a_rule_set(a_strategy({"kind": "stock"})))
    assert rule_set.strategies[0].criteria == (Criterion("stock", {}),)


@pytest.mark.parametrize("mode", ["whole", "line", "partial"])
def test_every_stock_mode_is_accepted(mode):
    parse_rules(a_rule_set(a_strategy({"kind": "stock", "mode": mode})))


@pytest.mark.parametrize("fallback", ["backorder", "exception", "cancel_unfillable"])
def test_every_fallback_is_accepted(fallback):
    rule_set = parse_rules(a_rule_set(a_strategy(fallback=fallback)))
    assert rule_set.strategies[0].fallback == Fallback(fallback)


def test_a_rule_set_is_frozen():
    rule_set = parse_rules(a_rule_set())
    with pytest.raises(AttributeError):
        rule_set.strategies = ()  # type: ignore[misc]


# -- refusals -----------------------------------------------------------------------------------


def test_an_unknown_criterion_kind_is_refused_naming_its_path():
    problems = refused(a_rule_set(a_strategy({"kind": "priority"}, {"kind": "cheapest"})))
    assert list(problems) == ["strategies.0.criteria.1.kind"]
    assert "'cheapest'" in problems["strategies.0.criteria.1.kind"]


def test_a_criterion_without_a_kind_or_not_an_object_is_refused():
    problems = refused(a_rule_set(a_strategy({"km": 5}, "distance")))
    assert set(problems) == {"strategies.0.criteria.0.kind", "strategies.0.criteria.1.kind"}


@pytest.mark.parametrize(
    ("criterion", "path"),
    [
        ({"kind": "max_distance"}, "strategies.0.criteria.0.km"),
        ({"kind": "max_distance", "km": 0}, "strategies.0.criteria.0.km"),
        ({"kind": "max_distance", "km": -10}, "strategies.0.criteria.0.km"),
        ({"kind": "max_distance", "km": "100"}, "strategies.0.criteria.0.km"),
        ({"kind": "stock", "mode": "most"}, "strategies.0.criteria.0.mode"),
        ({"kind": "max_splits"}, "strategies.0.criteria.0.max"),
        ({"kind": "max_splits", "max": 0}, "strategies.0.criteria.0.max"),
        ({"kind": "max_splits", "max": 1.5}, "strategies.0.criteria.0.max"),
        ({"kind": "location_type"}, "strategies.0.criteria.0"),
        ({"kind": "location_type", "include": []}, "strategies.0.criteria.0"),
        ({"kind": "location_group"}, "strategies.0.criteria.0"),
        ({"kind": "min_shipment_value"}, "strategies.0.criteria.0.amount"),
        ({"kind": "min_shipment_value", "amount": "lots"}, "strategies.0.criteria.0.amount"),
        ({"kind": "shipping_cost"}, "strategies.0.criteria.0.rates"),
        ({"kind": "shipping_cost", "rates": [1, 2]}, "strategies.0.criteria.0.rates"),
        ({"kind": "distance", "bands_km": [50, 0]}, "strategies.0.criteria.0.bands_km"),
    ],
)
def test_bad_params_are_refused_naming_the_field(criterion, path):
    problems = refused(a_rule_set(a_strategy(criterion)))
    assert list(problems) == [path]


def test_the_path_names_the_strategy_and_the_criterion_at_fault():
    problems = refused(
        a_rule_set(
            a_strategy({"kind": "priority"}),
            a_strategy(
                {"kind": "priority"}, {"kind": "priority"}, {"kind": "max_splits", "max": 0}
            ),
        )
    )
    assert list(problems) == ["strategies.1.criteria.2.max"]


def test_an_unknown_fallback_is_refused():
    problems = refused(a_rule_set(a_strategy(fallback="shrug")))
    assert list(problems) == ["strategies.0.fallback"]
    assert "backorder" in problems["strategies.0.fallback"]


def test_a_bad_condition_value_is_refused():
    problems = refused(a_rule_set(a_strategy(when={"min_value": "a lot", "max_value": "10"})))
    assert list(problems) == ["strategies.0.when.min_value"]


def test_an_empty_strategies_list_is_refused():
    assert list(refused({"strategies": []})) == ["strategies"]


@pytest.mark.parametrize(
    "data", [None, [], "rules", 42, {}, {"strategies": None}, {"strategies": {"a": 1}}]
)
def test_a_rule_set_that_is_not_an_object_with_a_strategies_list_is_refused(data):
    assert list(refused(data)) == ["strategies"]


def test_a_strategy_that_is_not_an_object_is_refused():
    assert list(refused({"strategies": ["nearest"]})) == ["strategies.0"]


def test_every_problem_is_reported_at_once():
    problems = refused(
        a_rule_set(
            a_strategy({"kind": "teleport"}, {"kind": "max_distance"}, fallback="?"),
            a_strategy({"kind": "stock", "mode": "some"}),
        )
    )
    assert set(problems) == {
        "strategies.0.criteria.0.kind",
        "strategies.0.criteria.1.km",
        "strategies.0.fallback",
        "strategies.1.criteria.0.mode",
    }


# -- rule sets accepted although they cannot be applied (validation gaps) -----------------------


@pytest.mark.parametrize(
    ("strategy", "path"),
    [
        pytest.param(
            a_strategy(when="web only"),
            "strategies.0.when",
            id="when-not-an-object",
        ),
        pytest.param(
            {"name": "main", "criteria": 5},
            "strategies.0.criteria",
            id="criteria-not-a-list",
        ),
        pytest.param(
            a_strategy(when={"min_priority": "high"}),
            "strategies.0.when.min_priority",
            id="min-priority-not-a-number",
        ),
        pytest.param(
            a_strategy({"kind": "shipping_cost", "rates": {"WH1": 4.5}}),
            "strategies.0.criteria.0.rates",
            id="rates-entry-not-an-object",
        ),
        pytest.param(
            a_strategy({"kind": "location_type", "include": "store"}),
            "strategies.0.criteria.0.include",
            id="include-a-string",
        ),
    ],
)
def test_a_rule_set_that_cannot_be_applied_is_refused_when_drafted(strategy, path):
    problems = refused(a_rule_set(strategy))
    assert path in problems
