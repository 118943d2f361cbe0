"""The keyring: a verified token is taken from the cache until it expires, never past its
secret's own deadline, and not at all with a cache of 0 seconds (an in-memory store)."""

from __future__ import annotations

from datetime import datetime, timedelta

from adapters.settings import Settings
from api.bootstrap import bootstrap
from api.keyring import Keyring
from domain.access.application import Verified
from tests.access_builders import NOW, a_token


def test_a_token_is_read_once_per_cache_period_and_a_zero_cache_reads_every_time():
    dom = bootstrap(Settings(memory=True))
    try:
        token = a_token(dom)
        keyring = dom.keyring
        assert keyring.cached(token, NOW) is None
        assert keyring.verify(token, NOW) is not None
        assert keyring.cached(token, NOW + timedelta(seconds=4.9)) is not None
        assert keyring.cached(token, NOW + timedelta(seconds=5)) is None
        uncached = Keyring(dom.access, 0)
        assert uncached.verify(token, NOW) is not None
        assert uncached.cached(token, NOW) is None
    finally:
        dom.close()


def test_a_rotated_out_secret_is_not_cached_past_its_grace():
    dom = bootstrap(Settings(memory=True, key_cache_seconds=60))
    try:
        token = a_token(dom)
        key_id = dom.access.api_keys()[0].id
        dom.access.rotate_key(key_id, "n" * 43, timedelta(seconds=10), "t", NOW)
        assert dom.keyring.verify(token, NOW) is not None
        assert dom.keyring.cached(token, NOW + timedelta(seconds=9)) is not None
        assert dom.keyring.cached(token, NOW + timedelta(seconds=10)) is None
        assert dom.keyring.verify(token, NOW + timedelta(seconds=10)) is None
    finally:
        dom.close()


def test_a_check_that_read_the_key_while_it_was_revoked_is_not_cached():
    """The read began before the revocation was saved and ended after: what it read is
    stale, and caching it would let the key in for the cache's seconds."""
    dom = bootstrap(Settings(memory=True))
    try:
        token = a_token(dom)
        key_id = dom.access.api_keys()[0].id
        read = dom.access.verify

        def read_then_revoked_meanwhile(token: str, now: datetime) -> Verified | None:
            found = read(token, now)
            dom.access.revoke_key(key_id, "t", "leaked", now)
            return found

        dom.access.verify = read_then_revoked_meanwhile  # type: ignore[method-assign]
        assert dom.keyring.verify(token, NOW) is not None  # answered as read: a race lost
        assert dom.keyring.cached(token, NOW) is None
        dom.access.verify = read  # type: ignore[method-assign]
        assert dom.keyring.verify(token, NOW) is None
    finally:
        dom.close()
