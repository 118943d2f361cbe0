"""Checking keys cheaply: a small cache from token to principal, in front of the store.

Every request but a few carries a key. Reading its aggregate costs a query (the library's
aggregate cache still reads the events newer than its copy), so a verified token is kept
here for `DOM_KEY_CACHE_SECONDS` (default 5): a request on a warm key costs a dict look-up.

- A rotation or revocation recorded by this process drops the key's entries at once:
  the keyring listens to every save of the access application (`heard`), whatever did it
  (an HTTP route, a test, a command of the same process).
- One recorded by another process (another API replica, `dom keys revoke`) is seen when
  the entry expires: within the cache's seconds.
- An entry never outlives the secret's own validity (a rotated-out secret's grace).

Secrets and key ids are drawn here, at the edge (`new_secret`, `new_key_id`).
"""

from __future__ import annotations

import secrets
import threading
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from eventsourcing.persistence import Recording

from domain.access.api_key import Principal
from domain.access.application import Access, Verified

MAX_ENTRIES = 10_000  # tokens kept; the cache is emptied when full (keys are few)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_key_id() -> UUID:
    return uuid4()


class Keyring:
    def __init__(self, access: Access, ttl: float) -> None:
        self.access = access
        self.ttl = timedelta(seconds=ttl)
        self.entries: dict[str, tuple[Principal, datetime]] = {}  # token -> (who, until)
        self.lock = threading.Lock()
        self.lookups = 0  # reads of the store, for tests and the bench
        self.generation = 0  # moved by every forget: a read that began before is not cached
        access.listeners.append(self.heard)

    def cached(self, token: str, now: datetime) -> Principal | None:
        """The principal of a token verified less than the cache's seconds ago (cheap: no
        I/O, so it runs on the event loop)."""
        entry = self.entries.get(token)
        if entry is None or now >= entry[1]:
            return None
        return entry[0]

    def verify(self, token: str, now: datetime) -> Principal | None:
        """The token's principal, read from its key in the store (blocking), then cached."""
        self.lookups += 1
        began = self.generation
        verified: Verified | None = self.access.verify(token, now)
        if verified is None:
            return None
        with self.lock:
            if self.ttl and began == self.generation:  # no change was heard during the read
                if len(self.entries) >= MAX_ENTRIES:
                    self.entries.clear()
                self.entries[token] = (verified.principal, min(now + self.ttl, verified.until))
        return verified.principal

    def forget(self, key_id: str) -> None:
        with self.lock:
            self.generation += 1
            for token in [t for t, (who, _) in self.entries.items() if who.key_id == key_id]:
                del self.entries[token]

    def heard(self, recordings: list[Recording[UUID]]) -> None:
        """Called after every save of the access application in this process."""
        for recording in recordings:
            self.forget(recording.domain_event.originator_id.hex)
