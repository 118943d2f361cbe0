import pytest

from domain.errors import InvalidCommand, InvalidTransition, NotFound
from domain.fulfilment.routing_policy import RoutingPolicy, VersionStatus
from tests.builders import NOW

NEAREST = {
    "strategies": [{"name": "nearest", "criteria": [{"kind": "distance"}], "fallback": "backorder"}]
}
CHEAPEST = {"strategies": [{"name": "cheapest", "criteria": [{"kind": "priority"}]}]}


def statuses(policy: RoutingPolicy) -> dict[int, str]:
    return {version: details["status"] for version, details in policy.versions.items()}


def test_versions_are_drafted_then_one_is_active_at_a_time():
    policy = RoutingPolicy(name="default")
    assert policy.draft(NEAREST, "first", NOW) == 1
    assert policy.draft(CHEAPEST, "second", NOW) == 2
    policy.activate(1, NOW)
    policy.activate(2, NOW)
    assert statuses(policy) == {1: VersionStatus.RETIRED, 2: VersionStatus.ACTIVE}
    version, rules = policy.rules()
    assert version == 2 and rules.strategies[0].name == "cheapest"


def test_drafting_the_same_rules_again_records_nothing():
    policy = RoutingPolicy(name="default")
    policy.draft(NEAREST, "", NOW)
    policy.collect_events()
    assert policy.draft(NEAREST, "again", NOW) == 1
    assert policy.collect_events() == []


def test_activating_twice_changes_nothing_and_retired_versions_stay_retired():
    policy = RoutingPolicy(name="default")
    policy.draft(NEAREST, "", NOW)
    assert policy.activate(1, NOW)
    assert not policy.activate(1, NOW)
    policy.retire(1, NOW)
    assert policy.active_version is None
    with pytest.raises(InvalidTransition):
        policy.activate(1, NOW)


def test_a_rule_set_that_cannot_be_applied_is_refused_at_draft():
    policy = RoutingPolicy(name="default")
    with pytest.raises(InvalidCommand):
        policy.draft({"strategies": [{"criteria": [{"kind": "teleport"}]}]}, "", NOW)
    assert policy.versions == {}


def test_no_active_version_and_unknown_versions_are_not_found():
    policy = RoutingPolicy(name="default")
    with pytest.raises(NotFound):
        policy.rules()
    with pytest.raises(NotFound):
        policy.activate(7, NOW)


def test_the_policy_rebuilt_from_its_events_equals_the_live_one():
    policy = RoutingPolicy(name="default")
    policy.draft(NEAREST, "", NOW)
    policy.draft(CHEAPEST, "", NOW)
    policy.activate(2, NOW)
    copy = None
    for event in policy.collect_events():
        copy = event.mutate(copy)
    assert copy is not None and copy.versions == policy.versions
    assert copy.active_version == 2
