import pytest

from domain.errors import DomainError, InvalidCommand, NotFound
from domain.fulfilment.routing_policy import RoutingPolicy, UnusableRules, VersionStatus
from domain.fulfilment.routing_rules import normalise_rules
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


def test_activating_twice_changes_nothing_and_retiring_the_active_version_leaves_none():
    policy = RoutingPolicy(name="default")
    policy.draft(NEAREST, "", NOW)
    assert policy.activate(1, NOW)
    assert not policy.activate(1, NOW)
    assert policy.retire(1, NOW)
    assert policy.active_version is None
    assert statuses(policy) == {1: VersionStatus.RETIRED}
    with pytest.raises(NotFound):
        policy.rules()


def test_a_retired_version_can_be_activated_again():
    # given: version 1 was active, then version 2 replaced it (so 1 is retired)
    policy = RoutingPolicy(name="default")
    policy.draft(NEAREST, "", NOW)
    policy.draft(CHEAPEST, "", NOW)
    policy.activate(1, NOW)
    policy.activate(2, NOW)
    policy.collect_events()
    # when: version 1 is brought back
    assert policy.activate(1, NOW)
    # then: an Activated event that retires version 2, and sourcing uses version 1 again
    [activated] = policy.collect_events()
    assert type(activated).__name__ == "Activated"
    assert (activated.version, activated.retired) == (1, 2)  # type: ignore[attr-defined]
    assert statuses(policy) == {1: VersionStatus.ACTIVE, 2: VersionStatus.RETIRED}
    version, rules = policy.rules()
    assert version == 1 and rules.strategies[0].name == "nearest"


def test_a_version_retired_while_active_can_be_activated_again():
    # given: the only version was retired, so none is active
    policy = RoutingPolicy(name="default")
    policy.draft(NEAREST, "", NOW)
    policy.activate(1, NOW)
    policy.retire(1, NOW)
    # when
    policy.activate(1, NOW)
    # then
    assert policy.active_version == 1
    assert statuses(policy) == {1: VersionStatus.ACTIVE}


def test_a_rule_set_that_cannot_be_applied_is_refused_at_draft():
    policy = RoutingPolicy(name="default")
    with pytest.raises(InvalidCommand):
        policy.draft({"strategies": [{"criteria": [{"kind": "teleport"}]}]}, "", NOW)
    assert policy.versions == {}


def test_a_version_stores_the_checked_normalised_rules():
    policy = RoutingPolicy(name="default")
    policy.draft({"strategies": [{"criteria": [{"kind": "max_distance", "km": 250}]}]}, "", NOW)
    stored = policy.versions[1]["rules"]
    assert stored == {
        "strategies": [
            {
                "name": "strategies.0",
                "when": {},
                "criteria": [{"kind": "max_distance", "km": 250.0}],
                "fallback": "exception",
            }
        ]
    }
    assert normalise_rules(stored) == stored


def test_the_same_rules_spelt_differently_record_nothing_new():
    policy = RoutingPolicy(name="default")
    policy.draft({"strategies": [{"when": {"min_value": 10}, "fallback": "exception"}]}, "", NOW)
    policy.collect_events()
    assert policy.draft({"strategies": [{"when": {"min_value": "10"}}]}, "again", NOW) == 1
    assert policy.collect_events() == []


@pytest.mark.parametrize("name", ["Bad Name", "UPPER", "", "-leading", "a" * 65, "nul\x00"])
def test_a_name_the_api_would_refuse_is_refused_at_draft(name):
    policy = RoutingPolicy(name=name)
    policy.collect_events()
    with pytest.raises(InvalidCommand) as refused:
        policy.draft(NEAREST, "", NOW)
    assert [p.field for p in refused.value.problems] == ["name"]
    assert policy.versions == {} and policy.collect_events() == []


# Rules an earlier release stored without the strict schema: `"km": 1e400` became null.
STORED_BEFORE = {"strategies": [{"criteria": [{"kind": "max_distance", "km": None}]}]}


def a_policy_with_stored(rules: dict[str, object], active: bool) -> RoutingPolicy:
    """A policy as an earlier release left it: its event methods record what it stored."""
    policy = RoutingPolicy(name="default")
    policy._drafted(version=1, rules=rules, note="", at=NOW)
    if active:
        policy._activated(version=1, retired=None, at=NOW)
    policy.collect_events()
    return policy


def test_a_stored_version_that_no_longer_passes_the_schema_raises_a_domain_error():
    policy = a_policy_with_stored(STORED_BEFORE, active=True)
    with pytest.raises(UnusableRules) as caught:
        policy.rules()
    assert isinstance(caught.value, DomainError)
    assert "default version 1" in caught.value.detail
    assert [p.field for p in caught.value.problems] == ["rules.strategies.0.criteria.0.km"]


def test_a_stored_version_that_no_longer_passes_the_schema_cannot_be_activated():
    policy = a_policy_with_stored(STORED_BEFORE, active=False)
    with pytest.raises(InvalidCommand):
        policy.activate(1, NOW)
    assert policy.active_version is None and policy.collect_events() == []


def test_rules_stored_before_the_schema_was_strict_still_apply_when_they_pass_it():
    stored = {"strategies": [{"when": {"max_value": 500}, "criteria": [{"kind": "stock"}]}]}
    policy = a_policy_with_stored(stored, active=True)
    version, rules = policy.rules()
    assert version == 1 and rules.strategies[0].criteria[0].param("mode") == "line"


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


def test_copies_share_the_parsed_rules_but_not_the_statuses():
    """The repository's cache hands out a copy per read: sourcing parses a version's rules
    once, not once per batch, and a copy that activates another version changes no other."""
    import copy

    policy = RoutingPolicy(name="default")
    policy.draft(NEAREST, "", NOW)
    policy.draft(CHEAPEST, "", NOW)
    policy.activate(1, NOW)
    _, parsed = policy.rules()
    first, second = copy.deepcopy(policy), copy.deepcopy(policy)
    assert first.rules()[1] is parsed and second.rules(2)[1] is policy.rules(2)[1]
    first.activate(2, NOW)
    assert statuses(first) == {1: VersionStatus.RETIRED, 2: VersionStatus.ACTIVE}
    assert statuses(policy) == statuses(second) == {1: VersionStatus.ACTIVE, 2: VersionStatus.DRAFT}
