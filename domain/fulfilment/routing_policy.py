"""The RoutingPolicy aggregate: versioned rule sets, drafted, activated, retired.

Each version is immutable once drafted and stores its rules in the checked,
normalised form, so what was drafted is what sourcing applies. Activating a
version (a draft, or a retired one brought back) retires the version that
was active, so exactly one (or none) is active; retiring the active version
leaves none. Every sourcing decision names the version it used.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import FieldProblem, InvalidCommand, NotFound
from domain.fulfilment.routing_rules import RuleSet, normalise_rules, parse_rules
from domain.text import text_problem

POLICY_NAMESPACE = UUID("5d0e3f7a-2b61-4c9e-8f4a-7e1c2d3b4a59")
NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"  # the API's path and the CLI check the same


class VersionStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


def policy_id_for(name: str) -> UUID:
    return uuid5(POLICY_NAMESPACE, name.lower())


def check_policy_name(name: str) -> None:
    if not re.fullmatch(NAME_PATTERN, name):
        message = "1 to 64 lower-case letters, digits, '.', '_' or '-', from a letter or digit"
        raise InvalidCommand([FieldProblem("name", message)])


class UnusableRules(InvalidCommand):
    """A stored version's rules no longer pass the schema (drafted before it was strict)."""

    def __init__(self, policy: str, version: int, error: InvalidCommand) -> None:
        super().__init__(error.problems)
        self.detail = f"routing policy {policy} version {version} cannot be applied: {self.detail}"
        self.args = (self.detail,)


class RoutingPolicy(Aggregate):
    class Created(Aggregate.Created):
        name: str

    class Activated(Aggregate.Event):
        version: int
        retired: int | None
        at: datetime

    @staticmethod
    def create_id(name: str) -> UUID:
        return policy_id_for(name)

    @event(Created)
    def __init__(self, name: str) -> None:
        self.name = name
        self.versions: dict[int, dict[str, Any]] = {}  # version -> {"rules", "status", "note"}
        self.active_version: int | None = None
        # Rule sets parsed from the versions: a version's rules never change once drafted,
        # so the copies the repository's cache hands out share this with the cached one.
        self._parsed: dict[int, RuleSet] = {}

    def __deepcopy__(self, memo: dict[int, object]) -> RoutingPolicy:
        """Copy what events change (each version's status), share what they never do (its
        rules, and the rule sets parsed from them); sourcing reads the policy per batch."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.versions = {number: dict(entry) for number, entry in self.versions.items()}
        return copy

    def draft(self, rules: Any, note: str, now: datetime) -> int:
        """Record a new draft version; an identical draft of the latest version changes nothing.

        Refuses a name the API would refuse, a note with control characters, and rules
        that could never be applied."""
        check_policy_name(self.name)
        if problem := text_problem(note, multiline=True):
            raise InvalidCommand([FieldProblem("note", problem)])
        normalised = normalise_rules(rules)
        latest = max(self.versions, default=0)
        if latest and self.versions[latest]["rules"] == normalised:
            return latest
        self._drafted(version=latest + 1, rules=normalised, note=note, at=now)
        return latest + 1

    def activate(self, version: int, now: datetime) -> bool:
        """Make a draft or a retired version the active one; the active one is retired."""
        if self._status(version) is VersionStatus.ACTIVE:
            return False
        self.rules(version)  # a version stored before the schema was strict may fail it now
        self._activated(version=version, retired=self.active_version, at=now)
        return True

    def retire(self, version: int, now: datetime) -> bool:
        if self._status(version) is VersionStatus.RETIRED:
            return False
        self._retired(version=version, at=now)
        return True

    def rules(self, version: int | None = None) -> tuple[int, RuleSet]:
        """The rule set of a version (default: the active one); UnusableRules when what an
        earlier release stored no longer passes the schema."""
        chosen = self.active_version if version is None else version
        if chosen is None:
            raise NotFound(f"routing policy {self.name} has no active version")
        self._status(chosen)
        if chosen not in self._parsed:
            try:
                self._parsed[chosen] = parse_rules(self.versions[chosen]["rules"])
            except InvalidCommand as error:
                raise UnusableRules(self.name, chosen, error) from None
        return chosen, self._parsed[chosen]

    def _status(self, version: int) -> VersionStatus:
        if version not in self.versions:
            raise NotFound(f"routing policy {self.name} has no version {version}")
        return VersionStatus(self.versions[version]["status"])

    @event("Drafted")
    def _drafted(self, version: int, rules: dict[str, Any], note: str, at: datetime) -> None:
        self.versions[version] = {"rules": rules, "status": VersionStatus.DRAFT.value, "note": note}

    @event(Activated)
    def _activated(self, version: int, retired: int | None, at: datetime) -> None:
        if retired is not None:
            self.versions[retired]["status"] = VersionStatus.RETIRED.value
        self.versions[version]["status"] = VersionStatus.ACTIVE.value
        self.active_version = version

    @event("Retired")
    def _retired(self, version: int, at: datetime) -> None:
        self.versions[version]["status"] = VersionStatus.RETIRED.value
        if self.active_version == version:
            self.active_version = None
