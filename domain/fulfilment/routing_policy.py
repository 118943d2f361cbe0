"""The RoutingPolicy aggregate: versioned rule sets, drafted, activated, retired.

Each version is immutable once drafted; activating one retires the version
that was active, so exactly one (or none) is active. Every sourcing decision
names the version it used.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidTransition, NotFound
from domain.fulfilment.routing_rules import RuleSet, parse_rules

POLICY_NAMESPACE = UUID("5d0e3f7a-2b61-4c9e-8f4a-7e1c2d3b4a59")


class VersionStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


def policy_id_for(name: str) -> UUID:
    return uuid5(POLICY_NAMESPACE, name.lower())


class RoutingPolicy(Aggregate):
    class Created(Aggregate.Created):
        name: str

    @staticmethod
    def create_id(name: str) -> UUID:
        return policy_id_for(name)

    @event(Created)
    def __init__(self, name: str) -> None:
        self.name = name
        self.versions: dict[int, dict[str, Any]] = {}  # version -> {"rules", "status", "note"}
        self.active_version: int | None = None

    def draft(self, rules: dict[str, Any], note: str, now: datetime) -> int:
        """Record a new draft version; an identical draft of the latest version changes nothing."""
        parse_rules(rules)  # refuse what could never be applied
        latest = max(self.versions, default=0)
        if latest and self.versions[latest]["rules"] == rules:
            return latest
        self._drafted(version=latest + 1, rules=rules, note=note, at=now)
        return latest + 1

    def activate(self, version: int, now: datetime) -> bool:
        status = self._status(version)
        if status is VersionStatus.ACTIVE:
            return False
        if status is VersionStatus.RETIRED:
            raise InvalidTransition(f"{self.name} v{version}", status, "activate")
        self._activated(version=version, retired=self.active_version, at=now)
        return True

    def retire(self, version: int, now: datetime) -> bool:
        if self._status(version) is VersionStatus.RETIRED:
            return False
        self._retired(version=version, at=now)
        return True

    def rules(self, version: int | None = None) -> tuple[int, RuleSet]:
        """The rule set of a version (default: the active one)."""
        chosen = self.active_version if version is None else version
        if chosen is None:
            raise NotFound(f"routing policy {self.name} has no active version")
        self._status(chosen)
        return chosen, parse_rules(self.versions[chosen]["rules"])

    def _status(self, version: int) -> VersionStatus:
        if version not in self.versions:
            raise NotFound(f"routing policy {self.name} has no version {version}")
        return VersionStatus(self.versions[version]["status"])

    @event("Drafted")
    def _drafted(self, version: int, rules: dict[str, Any], note: str, at: datetime) -> None:
        self.versions[version] = {"rules": rules, "status": VersionStatus.DRAFT.value, "note": note}

    @event("Activated")
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
