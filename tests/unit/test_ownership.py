"""The object-level rules of api/http/ownership.py, for each kind of key."""

from __future__ import annotations

import pytest

from api.http.ownership import (
    CONTACT_FIELDS,
    placing_channel,
    shown_order,
    visible_location,
    visible_order,
)
from domain.access.api_key import Principal
from domain.access.scopes import SCOPES_OF, Kind
from domain.errors import InvalidCommand


def a_principal(kind: Kind, owner: str) -> Principal:
    return Principal("k" * 32, kind, owner, frozenset(SCOPES_OF[kind]))


WEBSHOP = a_principal(Kind.CHANNEL, "webshop")
WH1 = a_principal(Kind.LOCATION, "WH1")
STAFF = a_principal(Kind.STAFF, "Ann")
ADMIN = a_principal(Kind.ADMIN, "Bob")
ORDER = {"order_id": "o", "channel": "webshop", "customer": {"email": "a@b.c"},
         "shipping_address": {"line1": "Meir 1"}, "customer_email": "a@b.c",
         "customer_name": "Ann", "lines": []}  # fmt: skip


def test_orders_are_visible_to_their_channel_staff_and_admin_only():
    assert [visible_order(p, "webshop") for p in (WEBSHOP, WH1, STAFF, ADMIN)] == [
        True, False, True, True
    ]  # fmt: skip
    assert not visible_order(WEBSHOP, "market")


def test_locations_confine_location_keys_only():
    assert visible_location(WH1, "wh1") and not visible_location(WH1, "WH2")
    assert all(visible_location(p, "WH2") for p in (WEBSHOP, STAFF, ADMIN))


def test_contact_fields_are_left_out_for_a_key_that_may_not_see_them():
    for principal in (WEBSHOP, STAFF, ADMIN):
        assert shown_order(principal, ORDER) == ORDER
    for principal in (WH1, a_principal(Kind.CHANNEL, "market")):
        shown = shown_order(principal, ORDER)
        assert not set(CONTACT_FIELDS) & set(shown)
        assert shown["order_id"] == "o" and "lines" in shown


def test_the_placing_channel_is_the_keys():
    assert placing_channel(WEBSHOP, None) == placing_channel(WEBSHOP, "webshop") == "webshop"
    assert placing_channel(ADMIN, "market") == "market"
    for principal, named in ((WEBSHOP, "market"), (ADMIN, None)):
        with pytest.raises(InvalidCommand):
            placing_channel(principal, named)
