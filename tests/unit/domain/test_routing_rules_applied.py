"""Every rule set the schema accepts can be applied: sourcing never raises on one.

The rule sets are generated from the published JSON schema of a rule set
(the one the API documents), so this also proves that schema and validator
agree: whatever the schema calls valid, the validator accepts, once the two
rules a JSON schema cannot state are met (a minimum not above its maximum,
distance bands in increasing order).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.fulfilment.routing_rules import normalise_rules, parse_rules
from domain.fulfilment.routing_schema import RuleSetSpec
from domain.fulfilment.sourcing import (
    Candidate,
    Decision,
    LineToSource,
    Network,
    OrderToSource,
    source,
)
from tests.builders import NOW
from tests.schema_strategies import from_schema

RULE_SETS = from_schema(RuleSetSpec.model_json_schema())
SKUS = ("A", "B", "C")


def meeting_the_cross_field_rules(data: dict[str, Any]) -> dict[str, Any]:
    for strategy in data["strategies"]:
        when = strategy.get("when") or {}
        low, high = when.get("min_value"), when.get("max_value")
        if low is not None and high is not None and Decimal(low) > Decimal(high):
            when["min_value"], when["max_value"] = high, low
        for criterion in strategy.get("criteria", []):
            if criterion["kind"] == "distance" and criterion.get("bands_km"):
                criterion["bands_km"] = sorted(set(criterion["bands_km"]))
    return data


def mentioned(data: dict[str, Any], key: str, *more: str) -> list[str]:
    """Values the rule set's conditions name, so that generated orders can match them."""
    found = [v for s in data["strategies"] for v in (s.get("when") or {}).get(key) or ()]
    return found + list(more)


@st.composite
def an_order(draw: st.DrawFn, data: dict[str, Any]) -> OrderToSource:
    lines = tuple(
        LineToSource(
            str(n),
            draw(st.sampled_from(SKUS)),
            draw(st.integers(1, 5)),
            Decimal(draw(st.sampled_from(["0", "9.99", "120"]))),
            draw(st.sampled_from([None, "kit"])),
        )
        for n in range(draw(st.integers(1, 3)))
    )
    located = draw(st.booleans())
    return OrderToSource(
        order_id="O-1",
        channel=draw(st.sampled_from(mentioned(data, "channels", "web"))),
        country=draw(st.sampled_from(mentioned(data, "countries", "BE"))),
        lines=lines,
        region=draw(st.sampled_from([None, *mentioned(data, "regions")])),
        latitude=50.85 if located else None,
        longitude=4.35 if located else None,
        service_level=draw(st.sampled_from([None, *mentioned(data, "service_levels")])),
        priority=draw(st.integers(0, 9)),
        tags=frozenset(draw(st.lists(st.sampled_from(mentioned(data, "tags", "vip")), max_size=2))),
        pickup_location=draw(st.sampled_from([None, "ST1", "NOWHERE"])),
    )


@st.composite
def a_network(draw: st.DrawFn) -> Network:
    places = [("WH1", "warehouse", 51.22, 4.40), ("ST1", "store", 51.05, 3.72),
              ("DC1", "distribution_centre", 48.86, 2.35), ("DS1", "drop_ship_supplier", 0.0, 0.0)]  # fmt: skip
    chosen = draw(st.lists(st.sampled_from(places), unique=True, max_size=4))
    return Network([
        Candidate(code, kind, lat, lon,
                  stock=draw(st.dictionaries(st.sampled_from(SKUS), st.integers(0, 6))),
                  channels=frozenset(draw(st.lists(st.sampled_from(["web", "shop"])))),
                  groups=frozenset(draw(st.lists(st.sampled_from(["north", "outlet"])))),
                  priority=draw(st.integers(0, 200)), daily_capacity=draw(st.integers(0, 3)),
                  orders_today=draw(st.integers(0, 3)), pickup=draw(st.booleans()))
        for code, kind, lat, lon in chosen
    ])  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_rule_set_the_schema_accepts_is_applied_without_error(data: st.DataObject) -> None:
    # given: a rule set the schema calls valid, an order and a small network
    document = meeting_the_cross_field_rules(data.draw(RULE_SETS, label="rules"))
    rules = parse_rules(document)  # the validator agrees with the schema
    order = data.draw(an_order(document), label="order")
    network = data.draw(a_network(), label="network")
    # when
    decision = source(order, network, rules, 1, NOW)
    # then: a decision, recordable as the event that carries it
    assert isinstance(decision, Decision)
    orjson.dumps(decision.as_record())
    assert sum(q for lines in decision.plan.values() for q in lines.values()) + sum(
        decision.unfilled.values()
    ) == sum(line.quantity for line in order.lines)
    # and the stored (normalised) form means the same rules
    assert parse_rules(normalise_rules(document)) == rules
