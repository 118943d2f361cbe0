"""ApiKey: the rules of a credential, without I/O (time and secrets are arguments)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.access.api_key import ApiKey, checked_grant, parse_token, secret_hash, token_for
from domain.access.scopes import SCOPES_OF, Kind, Scope
from domain.errors import InvalidCommand, InvalidTransition

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
KEY_ID = UUID("7a1bc2de-0000-4000-8000-00000000abcd")
SECRET = "s" * 43
NEW_SECRET = "n" * 43


def a_key(kind: str = "channel", owner: str = "webshop") -> ApiKey:
    checked_kind, checked_owner, scopes = checked_grant(kind, owner, None)
    return ApiKey(key_id=KEY_ID, kind=checked_kind.value, owner=checked_owner,
                  scopes=[s.value for s in scopes], secret_hash=secret_hash(SECRET), by="t",
                  at=NOW)  # fmt: skip


def test_a_token_names_its_key_and_parses_back():
    token = token_for(KEY_ID, SECRET)
    assert token == f"dom_{KEY_ID.hex}_{SECRET}"
    assert parse_token(token) == (KEY_ID, SECRET)
    for bad in ("", "dom_", f"dom_{KEY_ID.hex}", f"xyz_{KEY_ID.hex}_{SECRET}", f"dom_{KEY_ID.hex}_short",
                f"dom_{KEY_ID.hex.upper()}_{SECRET}", f"dom_{KEY_ID.hex}_{SECRET}!"):  # fmt: skip
        assert parse_token(bad) is None, bad


def test_the_secret_is_never_recorded_only_its_hash():
    key = a_key()
    recorded = [vars(event) for event in key.collect_events()]
    assert SECRET not in repr(recorded)
    assert recorded[0]["secret_hash"] == secret_hash(SECRET)


def test_each_kind_gets_its_own_scopes_by_default():
    assert checked_grant("channel", "webshop", None)[2] == sorted(
        [Scope.ORDERS_WRITE, Scope.ORDERS_READ, Scope.INVENTORY_READ]
    )
    assert set(checked_grant("location", "wh1", None)[2]) == {Scope.WAREHOUSE, Scope.INVENTORY_READ}
    assert checked_grant("location", "wh1", None)[1] == "WH1"
    assert set(checked_grant("staff", "Ann", None)[2]) == {
        Scope.ORDERS_READ, Scope.INVENTORY_READ, Scope.OPERATIONS
    }  # fmt: skip
    assert set(checked_grant("admin", "Ann", None)[2]) == set(Scope)


def test_a_key_may_be_narrower_than_its_kind_never_wider():
    assert checked_grant("channel", "webshop", ["orders:read"])[2] == [Scope.ORDERS_READ]
    with pytest.raises(InvalidCommand) as refused:
        checked_grant("channel", "webshop", ["orders:read", "warehouse"])
    assert refused.value.problems[0].field == "scopes.1"
    for kind in Kind:
        outside = set(Scope) - set(SCOPES_OF[kind])
        for scope in outside:
            with pytest.raises(InvalidCommand):
                checked_grant(kind.value, "WH1" if kind is Kind.LOCATION else "x", [scope.value])


@pytest.mark.parametrize(
    "kind, owner", [("nobody", "x"), ("channel", "Web Shop"), ("location", "W H"),
                    ("staff", ""), ("staff", "a\x00b"), ("admin", "x" * 101)],
)  # fmt: skip
def test_a_key_needs_a_known_kind_and_an_owner_of_its_form(kind: str, owner: str):
    with pytest.raises(InvalidCommand):
        checked_grant(kind, owner, None)


def test_the_current_secret_opens_the_key_and_no_other():
    key = a_key()
    assert key.takes(SECRET, NOW) is not None
    assert key.takes(NEW_SECRET, NOW) is None


def test_after_a_rotation_the_old_secret_is_taken_until_the_grace_deadline_only():
    key = a_key()
    key.rotate(secret_hash(NEW_SECRET), timedelta(hours=24), "t", NOW)
    assert key.takes(NEW_SECRET, NOW + timedelta(days=300)) is not None
    assert key.takes(SECRET, NOW + timedelta(hours=23)) == NOW + timedelta(hours=24)
    assert key.takes(SECRET, NOW + timedelta(hours=24)) is None


def test_a_second_rotation_ends_the_first_ones_grace_at_once():
    key = a_key()
    key.rotate(secret_hash(NEW_SECRET), timedelta(hours=24), "t", NOW)
    key.rotate(secret_hash("z" * 43), timedelta(hours=24), "t", NOW + timedelta(hours=1))
    assert key.takes(SECRET, NOW + timedelta(hours=2)) is None
    assert key.takes(NEW_SECRET, NOW + timedelta(hours=2)) is not None


def test_a_grace_is_from_zero_to_thirty_days():
    key = a_key()
    with pytest.raises(InvalidCommand):
        key.rotate(secret_hash(NEW_SECRET), timedelta(days=31), "t", NOW)
    key.rotate(secret_hash(NEW_SECRET), timedelta(0), "t", NOW)
    assert key.takes(SECRET, NOW) is None


def test_a_revoked_key_takes_nothing_and_cannot_be_rotated_revoking_again_records_nothing():
    key = a_key()
    assert key.revoke("t", "leaked", NOW) is True
    assert key.takes(SECRET, NOW) is None
    with pytest.raises(InvalidTransition):
        key.rotate(secret_hash(NEW_SECRET), timedelta(hours=1), "t", NOW)
    key.collect_events()
    assert key.revoke("t", "again", NOW) is False
    assert key.collect_events() == []


def test_what_is_shown_of_a_key_holds_no_secret_and_no_hash():
    key = a_key()
    shown = repr(key.as_record())
    assert SECRET not in shown and secret_hash(SECRET) not in shown
