"""The access context: issue, rotate, revoke and check API keys.

Its own Application, so its own event table: credentials are read on every request that
misses the key cache, and written rarely; they do not share a write lane or a log with
orders or stock, and nothing follows them but this process's key cache. The secrets and
ids are drawn at the edge and come in as arguments, like `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.access.api_key import (
    KEY_DIRECTORY_ID,
    MIN_SECRET,
    ApiKey,
    KeyDirectory,
    Principal,
    checked_grant,
    parse_token,
    secret_hash,
    token_for,
)
from domain.errors import NotFound
from domain.processing import ContextApplication, retrying


@dataclass(frozen=True)
class Granted:
    """A key just issued or rotated: the token is shown this once and never again."""

    key: ApiKey
    token: str


@dataclass(frozen=True)
class Verified:
    principal: Principal
    until: datetime  # the secret it was opened with is taken until then (barring revocation)


class Access(ContextApplication):
    name = "access"

    def issue_key(
        self, key_id: UUID, secret: str, grant: tuple[str, str, list[str] | None], by: str,
        now: datetime,
    ) -> Granted:  # fmt: skip
        """A new key: `grant` is (kind, owner, scopes or None for the kind's own)."""
        assert len(secret) >= MIN_SECRET, "secrets are drawn at the edge, long and random"
        kind, owner, scopes = checked_grant(*grant)
        key = ApiKey(key_id=key_id, kind=kind.value, owner=owner,
                     scopes=[s.value for s in scopes], secret_hash=secret_hash(secret),
                     by=by, at=now)  # fmt: skip

        def attempt() -> None:
            directory = self.find(KeyDirectory, KEY_DIRECTORY_ID) or KeyDirectory()
            directory.add(key_id)
            self.save(key, directory)

        retrying(attempt)
        return Granted(key, token_for(key_id, secret))

    def rotate_key(
        self, key_id: UUID, secret: str, grace: timedelta, by: str, now: datetime
    ) -> Granted:
        assert len(secret) >= MIN_SECRET, "secrets are drawn at the edge, long and random"
        key = self.get_key(key_id)
        key.rotate(secret_hash(secret), grace, by, now)
        self.save(key)
        return Granted(key, token_for(key_id, secret))

    def revoke_key(self, key_id: UUID, by: str, reason: str, now: datetime) -> ApiKey:
        key = self.get_key(key_id)
        if key.revoke(by, reason, now):
            self.save(key)
        return key

    def get_key(self, key_id: UUID) -> ApiKey:
        key = self.find(ApiKey, key_id)
        if not isinstance(key, ApiKey):  # unknown, or the id of another aggregate
            raise NotFound(f"key {key_id.hex} not found")
        return key

    def api_keys(self) -> list[ApiKey]:
        directory = self.find(KeyDirectory, KEY_DIRECTORY_ID)
        found = [self.find(ApiKey, key_id) for key_id in (directory.key_ids if directory else [])]
        return [key for key in found if key is not None]

    def verify(self, token: str, now: datetime) -> Verified | None:
        """Who the token stands for, read from its key (by id), or None when it stands for
        nobody: malformed, unknown key, wrong secret, revoked, or rotated out."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        key = self.find(ApiKey, parsed[0])
        if not isinstance(key, ApiKey):  # unknown, or the id of another aggregate
            return None
        until = key.takes(parsed[1], now)
        return Verified(key.principal, until) if until is not None else None
