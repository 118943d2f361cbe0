"""ApiKey: one credential, from issue to revocation, as events.

A key is `dom_<key id hex>_<secret>`. The id says which aggregate to read (no scan of
every key); the secret is never recorded: `Issued` and `Rotated` carry its SHA-256
only, compared in constant time (`hmac.compare_digest`). Secrets are long random
strings (32 random bytes, drawn at the edge), so one round of SHA-256 is enough: there
is nothing to guess that a slow hash would protect.

Rotating gives the key a new secret; the old one is still taken until the grace
deadline the rotation names (so that the integration can be redeployed with the new
one), then never again. A second rotation ends the first one's grace at once. A
revoked key is refused from the moment of its revocation, for good.

Nothing here reads a clock or draws randomness: the secret, its id and `now` are
arguments.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.access.scopes import SCOPES_OF, Kind, Scope
from domain.errors import InvalidTransition, Problems
from domain.text import text_problem

PREFIX = "dom"
MAX_GRACE = timedelta(days=30)
MIN_SECRET = 32  # characters: `secrets.token_urlsafe(32)` gives 43
_TOKEN = re.compile(r"dom_([0-9a-f]{32})_([A-Za-z0-9_-]{32,128})")
_CHANNEL = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # as orders name their channels
_LOCATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")  # as fulfilment names locations
KEY_DIRECTORY_ID = uuid5(NAMESPACE_URL, "dom:access:keys")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_for(key_id: UUID, secret: str) -> str:
    return f"{PREFIX}_{key_id.hex}_{secret}"


def parse_token(token: str) -> tuple[UUID, str] | None:
    """(key id, secret) of a well-formed token, else None."""
    found = _TOKEN.fullmatch(token)
    return (UUID(hex=found.group(1)), found.group(2)) if found else None


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: the key, its kind, its owner, what it may do."""

    key_id: str
    kind: Kind
    owner: str
    scopes: frozenset[Scope]

    def may(self, *any_of: Scope) -> bool:
        return any(scope in self.scopes for scope in any_of)


def checked_grant(kind: str, owner: str, scopes: list[str] | None) -> tuple[Kind, str, list[Scope]]:
    """The kind, normalised owner and scopes of a key to issue; InvalidCommand naming each
    field at fault. No scopes given: the kind's own."""
    problems = Problems()
    if kind not in tuple(Kind):
        problems.add("kind", f"one of {', '.join(Kind)}")
        problems.raise_if_any()
    known = Kind(kind)
    owner = owner.strip()
    if problem := _owner_problem(known, owner):
        problems.add("owner", problem)
    granted = list(SCOPES_OF[known]) if scopes is None else []
    for n, scope in enumerate(scopes or []):
        if scope not in SCOPES_OF[known]:
            allowed = " ".join(SCOPES_OF[known])
            problems.add(f"scopes.{n}", f"a {known} key may hold only: {allowed}")
        elif Scope(scope) not in granted:
            granted.append(Scope(scope))
    if scopes is not None and not scopes:
        problems.add("scopes", "at least one (leave it out for the kind's own)")
    problems.raise_if_any()
    return known, owner.upper() if known is Kind.LOCATION else owner, sorted(granted)


def _owner_problem(kind: Kind, owner: str) -> str | None:
    if kind is Kind.CHANNEL and not _CHANNEL.fullmatch(owner):
        return "a channel's code: a-z, 0-9, '.', '_' or '-', up to 64"
    if kind is Kind.LOCATION and not _LOCATION.fullmatch(owner):
        return "a location's code: letters, digits, '.', '_' or '-', up to 32"
    if not 1 <= len(owner) <= 100:
        return "a person's name, 1 to 100 characters"
    return text_problem(owner)


class ApiKey(Aggregate):
    class Issued(Aggregate.Created):
        key_id: UUID  # the id, drawn at the edge (also the originator id)
        kind: str
        owner: str
        scopes: list[str]
        secret_hash: str
        by: str
        at: datetime

    class Rotated(Aggregate.Event):
        secret_hash: str
        previous_valid_until: datetime
        by: str
        at: datetime

    class Revoked(Aggregate.Event):
        by: str
        reason: str
        at: datetime

    @staticmethod
    def create_id(
        key_id: UUID, kind: str, owner: str, scopes: list[str], secret_hash: str, by: str,
        at: datetime,
    ) -> UUID:  # fmt: skip
        return key_id

    @event(Issued)
    def __init__(
        self, key_id: UUID, kind: str, owner: str, scopes: list[str], secret_hash: str, by: str,
        at: datetime,
    ) -> None:  # fmt: skip
        self.kind, self.owner, self.scopes = Kind(kind), owner, [Scope(s) for s in scopes]
        self.secret_hash = secret_hash
        self.issued_by, self.issued_at = by, at
        self.previous_hash: str | None = None
        self.previous_valid_until: datetime | None = None
        self.rotated_at: datetime | None = None
        self.revoked: dict[str, Any] | None = None

    def rotate(self, new_hash: str, grace: timedelta, by: str, now: datetime) -> None:
        if self.revoked is not None:
            raise InvalidTransition(f"key {self.id.hex}", "revoked", "rotate")
        problems = Problems()
        if not timedelta(0) <= grace <= MAX_GRACE:
            problems.add("grace_hours", f"from 0 to {MAX_GRACE.days * 24} hours")
        problems.raise_if_any()
        self._rotated(secret_hash=new_hash, previous_valid_until=now + grace, by=by, at=now)

    @event(Rotated)
    def _rotated(
        self, secret_hash: str, previous_valid_until: datetime, by: str, at: datetime
    ) -> None:
        self.previous_hash, self.secret_hash = self.secret_hash, secret_hash
        self.previous_valid_until, self.rotated_at = previous_valid_until, at

    def revoke(self, by: str, reason: str, now: datetime) -> bool:
        """Refuse the key from now on; False (nothing recorded) when it is revoked already."""
        if self.revoked is not None:
            return False
        self._revoked(by=by, reason=reason, at=now)
        return True

    @event(Revoked)
    def _revoked(self, by: str, reason: str, at: datetime) -> None:
        self.revoked = {"by": by, "reason": reason, "at": at}

    def takes(self, secret: str, now: datetime) -> datetime | None:
        """Until when `secret` opens this key, as seen at `now` (None: it does not).
        The current secret: until revoked (datetime.max); the one before a rotation: until
        its grace deadline."""
        if self.revoked is not None:
            return None
        offered = secret_hash(secret)
        if hmac.compare_digest(offered, self.secret_hash):
            return datetime.max.replace(tzinfo=now.tzinfo)
        until = self.previous_valid_until
        if self.previous_hash is None or until is None or now >= until:
            return None
        return until if hmac.compare_digest(offered, self.previous_hash) else None

    @property
    def principal(self) -> Principal:
        return Principal(self.id.hex, self.kind, self.owner, frozenset(self.scopes))

    def as_record(self) -> dict[str, Any]:
        """What may be shown of the key: never a secret or a hash."""
        return {
            "key_id": self.id.hex, "kind": self.kind.value, "owner": self.owner,
            "scopes": [s.value for s in self.scopes], "status": "revoked" if self.revoked else "active",
            "issued_by": self.issued_by, "issued_at": self.issued_at,
            "rotated_at": self.rotated_at, "previous_secret_valid_until": self.previous_valid_until,
            "revoked": self.revoked, "version": self.version,
        }  # fmt: skip


class KeyDirectory(Aggregate):
    """Every key's id, in the order issued, so that `GET /keys` can list them."""

    class Created(Aggregate.Created):
        pass

    @staticmethod
    def create_id() -> UUID:
        return KEY_DIRECTORY_ID

    @event(Created)
    def __init__(self) -> None:
        self.key_ids: list[UUID] = []

    def add(self, key_id: UUID) -> None:
        if key_id not in self.key_ids:
            self._added(key_id=key_id.hex)

    @event("Added")
    def _added(self, key_id: str) -> None:
        self.key_ids.append(UUID(hex=key_id))
