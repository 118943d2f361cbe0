from decimal import Decimal
from typing import Any

import pytest

from domain.errors import InvalidCommand
from domain.fulfilment.routing_rules import (
    KINDS,
    Criterion,
    Fallback,
    RuleSet,
    normalise_rules,
    parse_rules,
)
from domain.fulfilment.routing_schema import RuleSetSpec


def a_strategy(*criteria: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": "main", "criteria": list(criteria), "fallback": "backorder", **fields}


def a_rule_set(*strategies: dict[str, Any]) -> dict[str, Any]:
    return {"strategies": list(strategies) or [a_strategy()]}


def refused(data: Any) -> dict[str, str]:
    """The problems parse_rules names, field path (under "rules.") -> message."""
    with pytest.raises(InvalidCommand) as caught:
        parse_rules(data)
    problems = {p.field: p.message for p in caught.value.problems}
    assert all(path == "rules" or path.startswith("rules.") for path in problems)
    return {path.removeprefix("rules."): message for path, message in problems.items()}


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


def test_a_stock_criterion_without_a_mode_is_accepted_with_the_default_mode():
    rule_set = parse_rules(a_rule_set(a_strategy({"kind": "stock"})))
    assert rule_set.strategies[0].criteria == (Criterion("stock", {"mode": "line"}),)


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
    assert set(problems) == {"strategies.0.criteria.0.kind", "strategies.0.criteria.1"}


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
        ({"kind": "distance", "bands_km": [50, 0]}, "strategies.0.criteria.0.bands_km.1"),
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


@pytest.mark.parametrize("data", [{}, {"strategies": None}, {"strategies": {"a": 1}}])
def test_a_rule_set_without_a_strategies_list_is_refused(data):
    assert list(refused(data)) == ["strategies"]


@pytest.mark.parametrize("data", [None, [], "rules", 42])
def test_a_rule_set_that_is_not_an_object_is_refused(data):
    assert list(refused(data)) == ["rules"]


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
            "strategies.0.criteria.0.rates.WH1",
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


# -- the strict schema: every class of rule set that can never apply -----------------------------


def criterion(**fields: Any) -> dict[str, Any]:
    """A rule set whose one criterion is `fields`; its problems are under `criteria.0`."""
    return a_rule_set(a_strategy(fields))


def when(**conditions: Any) -> dict[str, Any]:
    return a_rule_set(a_strategy(when=conditions))


INF = float("inf")  # what orjson and json make of 1e400
CASES = [
    # unknown keys, at every level
    ("rule-set-key", {**a_rule_set(), "version": 2}, "version"),
    ("strategy-key", a_rule_set(a_strategy(priority=1)), "strategies.0.priority"),
    ("condition-key", when(country=["BE"]), "strategies.0.when.country"),
    ("param-of-max-distance", criterion(kind="max_distance", km=5, miles=3), "strategies.0.criteria.0.miles"),
    ("param-of-a-bare-kind", criterion(kind="priority", order="desc"), "strategies.0.criteria.0.order"),
    ("param-of-stock", criterion(kind="stock", mode="line", strict=True), "strategies.0.criteria.0.strict"),
    ("rate-table-key", criterion(kind="shipping_cost", rates={"WH1": {"Belgium": 4}}), "strategies.0.criteria.0.rates.WH1.Belgium.[key]"),
    # numbers that are not finite
    ("km-infinite", criterion(kind="max_distance", km=INF), "strategies.0.criteria.0.km"),
    ("band-infinite", criterion(kind="distance", bands_km=[50, INF]), "strategies.0.criteria.0.bands_km.1"),
    ("cost-infinite", criterion(kind="shipping_cost", rates={"WH1": {"BE": INF}}), "strategies.0.criteria.0.rates.WH1.BE"),
    # booleans and strings where a number belongs
    ("km-boolean", criterion(kind="max_distance", km=True), "strategies.0.criteria.0.km"),
    ("max-splits-boolean", criterion(kind="max_splits", max=True), "strategies.0.criteria.0.max"),
    ("cost-boolean", criterion(kind="shipping_cost", rates={"WH1": {"BE": True}}), "strategies.0.criteria.0.rates.WH1.BE"),
    ("band-boolean", criterion(kind="distance", bands_km=[True, 5]), "strategies.0.criteria.0.bands_km.0"),
    ("cost-string", criterion(kind="shipping_cost", rates={"WH1": {"BE": "4.5"}}), "strategies.0.criteria.0.rates.WH1.BE"),
    ("amount-nan", criterion(kind="min_shipment_value", amount="NaN"), "strategies.0.criteria.0.amount"),
    ("min-value-infinity", when(min_value="Infinity"), "strategies.0.when.min_value"),
    ("amount-float", criterion(kind="min_shipment_value", amount=0.1), "strategies.0.criteria.0.amount"),
    ("amount-exponent", criterion(kind="min_shipment_value", amount="1e400"), "strategies.0.criteria.0.amount"),
    # negative amounts and costs
    ("amount-negative", criterion(kind="min_shipment_value", amount="-1"), "strategies.0.criteria.0.amount"),
    ("min-value-negative", when(min_value="-5"), "strategies.0.when.min_value"),
    ("max-value-negative", when(max_value=-5), "strategies.0.when.max_value"),
    ("cost-negative", criterion(kind="shipping_cost", rates={"WH1": {"BE": -1}}), "strategies.0.criteria.0.rates.WH1.BE"),
    # ranges
    ("min-value-above-max-value", when(min_value="100", max_value="10"), "strategies.0.when.max_value"),
    ("min-priority-above-9", when(min_priority=10), "strategies.0.when.min_priority"),
    ("min-priority-below-0", when(min_priority=-1), "strategies.0.when.min_priority"),
    ("bands-empty", criterion(kind="distance", bands_km=[]), "strategies.0.criteria.0.bands_km"),
    ("empty-name", a_rule_set(a_strategy(name="")), "strategies.0.name"),
    ("blank-name", a_rule_set(a_strategy(name="   ")), "strategies.0.name"),
    ("empty-tag", when(tags=[""]), "strategies.0.when.tags.0"),
    # codes and names that no order or location can have
    ("unknown-country", when(countries=["BE", "XX"]), "strategies.0.when.countries.1"),
    ("lower-case-country", when(countries=["be"]), "strategies.0.when.countries.0"),
    ("alpha-3-country", when(countries=["BEL"]), "strategies.0.when.countries.0"),
    ("lower-case-rate-country", criterion(kind="shipping_cost", rates={"WH1": {"be": 4}}), "strategies.0.criteria.0.rates.WH1.be.[key]"),
    ("unknown-location-type", criterion(kind="location_type", include=["shop"]), "strategies.0.criteria.0.include.0"),
    ("capitalised-location-type", criterion(kind="location_type", exclude=["Warehouse"]), "strategies.0.criteria.0.exclude.0"),
    ("channel-with-a-blank", when(channels=["web shop"]), "strategies.0.when.channels.0"),
    ("channel-in-capitals", when(channels=["WEB"]), "strategies.0.when.channels.0"),
    ("channel-empty", when(channels=[""]), "strategies.0.when.channels.0"),
    ("rate-table-location-code", criterion(kind="shipping_cost", rates={"W H": {"BE": 4}}), "strategies.0.criteria.0.rates.W H.[key]"),
    # control characters in any string
    ("nul-in-a-name", a_rule_set(a_strategy(name="a\x00b")), "strategies.0.name"),
    ("newline-in-a-tag", when(tags=["a\nb"]), "strategies.0.when.tags.0"),
    ("escape-in-a-region", when(regions=["\x1b[31mVLG"]), "strategies.0.when.regions.0"),
    ("delete-in-a-sku", when(skus=["SKU\x7f"]), "strategies.0.when.skus.0"),
    ("tab-in-a-service-level", when(service_levels=["express\tx"]), "strategies.0.when.service_levels.0"),
    ("nul-in-a-group", criterion(kind="location_group", include=["nor\x00th"]), "strategies.0.criteria.0.include.0"),
]  # fmt: skip


# Refused before the schema too; kept so that the schema cannot let them through.
REFUSED_BEFORE = [
    ("km-nan", criterion(kind="max_distance", km=float("nan")), "strategies.0.criteria.0.km"),
    ("min-priority-boolean", when(min_priority=True), "strategies.0.when.min_priority"),
    ("amount-boolean", criterion(kind="min_shipment_value", amount=True), "strategies.0.criteria.0.amount"),
    ("min-value-boolean", when(min_value=False), "strategies.0.when.min_value"),
    ("max-splits-string", criterion(kind="max_splits", max="2"), "strategies.0.criteria.0.max"),
    ("min-priority-string", when(min_priority="3"), "strategies.0.when.min_priority"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "path"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_rule_set_that_can_never_apply_is_refused_naming_the_exact_path(data, path):
    assert path in refused(data)


@pytest.mark.parametrize(
    ("data", "path"), [c[1:] for c in REFUSED_BEFORE], ids=[c[0] for c in REFUSED_BEFORE]
)
def test_numbers_of_the_wrong_kind_stay_refused(data, path):
    assert path in refused(data)


def test_a_problem_is_named_once_at_its_own_path_not_under_the_criterion_kind():
    problems = refused(
        a_rule_set(a_strategy({"kind": "priority"}, {"kind": "max_distance", "km": INF}))
    )
    assert problems == {"strategies.0.criteria.1.km": "Input should be a finite number"}


def test_unknown_keys_are_called_unknown():
    assert refused(when(country=["BE"])) == {"strategies.0.when.country": "unknown field"}


def test_the_schema_knows_every_kind_sourcing_knows():
    schema = RuleSetSpec.model_json_schema()
    criteria = schema["$defs"]["StrategySpec"]["properties"]["criteria"]["items"]
    assert set(criteria["discriminator"]["mapping"]) == KINDS


# -- the stored form -----------------------------------------------------------------------------


def test_the_normalised_form_is_what_sourcing_applies():
    # given: amounts as numbers, a lower-case location code, defaults left out
    data = a_rule_set(
        {
            "name": "  main  ",
            "when": {"min_value": 10, "countries": ["BE"]},
            "criteria": [
                {"kind": "stock"},
                {"kind": "max_distance", "km": 250},
                {"kind": "shipping_cost", "rates": {"wh1": {"BE": 4.5, "*": 9}}},
                {"kind": "min_shipment_value", "amount": "25.00"},
            ],
        }
    )
    # when
    stored = normalise_rules(data)
    # then: defaults filled in, amounts as decimal strings, codes as locations have them
    assert stored == {
        "strategies": [
            {
                "name": "main",
                "when": {"min_value": "10", "countries": ["BE"]},
                "criteria": [
                    {"kind": "stock", "mode": "line"},
                    {"kind": "max_distance", "km": 250.0},
                    {"kind": "shipping_cost", "rates": {"WH1": {"BE": 4.5, "*": 9.0}}},
                    {"kind": "min_shipment_value", "amount": "25.00"},
                ],
                "fallback": "exception",
            }
        ]
    }
    assert normalise_rules(stored) == stored
    assert parse_rules(stored) == parse_rules(data)
