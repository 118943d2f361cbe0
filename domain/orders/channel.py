"""Channel: one sales channel's configuration, versioned by its events.

A channel says what its service levels promise (handling days at the location, transit
days with the carrier), which one an order gets when it names none, how many hours
before its ship-by an order counts as at risk, and the On Time In Full targets its
figures are shown against. Later issues add payment and return rules here.

An order from a channel nobody configured still works: it gets `DEFAULTS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import Problems
from domain.orders.payment_report import DEFAULT_RULES, rule_problems
from domain.promise import Terms
from domain.text import text_problems

KINDS = ("webshop", "marketplace", "social", "store", "other")
# Percentages. The first three are a marketplace's (Amazon's seller performance
# thresholds); the OTIF goal is a common retail buyer's.
TARGETS = {
    "late_shipment_rate_max": 4.0,
    "valid_tracking_rate_min": 95.0,
    "cancellation_rate_max": 2.5,
    "otif_min": 95.0,
}
LEVEL_NAME = r"[a-z0-9][a-z0-9_-]{0,31}"


@dataclass(frozen=True)
class ChannelDefinition:
    code: str
    name: str
    kind: str = "webshop"
    time_zone: str = "UTC"  # where an order no location has taken yet is promised from
    service_levels: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            "standard": {"handling_days": 1, "transit_days": 3},
            "express": {"handling_days": 0, "transit_days": 1},
        }
    )
    default_service_level: str = "standard"
    at_risk_hours: int = 4
    return_days: int = 30  # the return window: a delivered order is completed after it
    targets: dict[str, float] = field(default_factory=lambda: dict(TARGETS))
    # Per payment method: whether its orders ship before the money is in (payment_report.py).
    payment_rules: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_RULES.items()}
    )

    def problems(self, time_zones: frozenset[str] | None = None) -> Problems:
        """What is wrong with it, every field named (empty: nothing)."""
        problems = Problems()
        for path, problem in text_problems(self):
            problems.add(".".join(map(str, path)), problem)
        if self.kind not in KINDS:
            problems.add("kind", f"one of {', '.join(KINDS)}")
        if time_zones is not None and self.time_zone not in time_zones:
            problems.add("time_zone", "not an IANA time zone")
        if not self.service_levels:
            problems.add("service_levels", "at least one")
        if self.default_service_level not in self.service_levels:
            problems.add("default_service_level", "must name one of service_levels")
        for name, level in self.service_levels.items():
            for key in ("handling_days", "transit_days"):
                if not 0 <= level.get(key, -1) <= 60:
                    problems.add(f"service_levels.{name}.{key}", "from 0 to 60 days")
        if not 0 <= self.at_risk_hours <= 168:
            problems.add("at_risk_hours", "from 0 to 168")
        if not 0 <= self.return_days <= 365:
            problems.add("return_days", "from 0 to 365")
        for key, value in self.targets.items():
            if key not in TARGETS:
                problems.add(f"targets.{key}", f"unknown target; known: {', '.join(TARGETS)}")
            elif not 0 <= value <= 100:
                problems.add(f"targets.{key}", "a percentage from 0 to 100")
        rule_problems(self.payment_rules, problems)
        return problems

    def terms(self, service_level: str | None) -> Terms:
        """What an order asking for `service_level` is given: that level, or the default
        one when it names none (or, on an unconfigured channel, one it does not know)."""
        name = service_level if service_level in self.service_levels else None
        name = name or self.default_service_level
        level = self.service_levels[name]
        return Terms(name, level["handling_days"], level["transit_days"], self.time_zone,
                     self.at_risk_hours, self.return_days)  # fmt: skip

    def as_record(self) -> dict[str, Any]:
        return {
            "code": self.code, "name": self.name, "kind": self.kind, "time_zone": self.time_zone,
            "service_levels": {k: dict(v) for k, v in sorted(self.service_levels.items())},
            "default_service_level": self.default_service_level,
            "at_risk_hours": self.at_risk_hours, "return_days": self.return_days,
            "targets": TARGETS | dict(self.targets),
            "payment_rules": DEFAULT_RULES | {k: dict(v) for k, v in self.payment_rules.items()},
        }  # fmt: skip


def defaults(code: str) -> ChannelDefinition:
    """What an unconfigured channel gets."""
    return ChannelDefinition(code=code, name=code)


def channel_id_for(code: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"dom:orders:channel:{code}")


CHANNEL_LIST_ID = uuid5(NAMESPACE_URL, "dom:orders:channels")


class Channel(Aggregate):
    class Defined(Aggregate.Created):
        definition: dict[str, Any]
        at: datetime

    class Redefined(Aggregate.Event):
        definition: dict[str, Any]
        at: datetime

    @staticmethod
    def create_id(definition: dict[str, Any], at: datetime) -> UUID:
        return channel_id_for(definition["code"])

    @event(Defined)
    def __init__(self, definition: dict[str, Any], at: datetime) -> None:
        self.definition = definition
        self.defined_at = at

    def redefine(self, definition: dict[str, Any], at: datetime) -> bool:
        if definition == self.definition:
            return False
        self._redefined(definition=definition, at=at)
        return True

    @event(Redefined)
    def _redefined(self, definition: dict[str, Any], at: datetime) -> None:
        self.definition = definition
        self.defined_at = at

    @property
    def settings(self) -> ChannelDefinition:
        return ChannelDefinition(**self.definition)


class ChannelList(Aggregate):
    """Every configured channel's code, so `GET /channels` can list them in order."""

    class Created(Aggregate.Created):
        pass

    @staticmethod
    def create_id() -> UUID:
        return CHANNEL_LIST_ID

    @event(Created)
    def __init__(self) -> None:
        self.codes: list[str] = []

    def add(self, code: str) -> None:
        if code not in self.codes:
            self._added(code=code)

    @event("Added")
    def _added(self, code: str) -> None:
        self.codes.append(code)
