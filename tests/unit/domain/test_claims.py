"""Request claims (domain/claims.py): given / when / then, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.claims import ClaimTaken, RequestClaim, Ride, carrying, claim_id_for, riding

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def a_ride(at: datetime = NOW, fingerprint: str = "f1") -> Ride:
    claim_id = claim_id_for("anonymous", "POST /stock/movements", "k")
    return Ride(claim_id, fingerprint, at, at + DAY)


def test_a_key_is_scoped_by_credential_route_and_key():
    ids = {claim_id_for(c, r, k) for c, r, k in [("ann", "POST /a", "k"), ("bob", "POST /a", "k"),
                                                 ("ann", "POST /b", "k"), ("ann", "POST /a", "j")]}  # fmt: skip
    assert len(ids) == 4
    assert claim_id_for("ann", "POST /a", "k") == claim_id_for("ann", "POST /a", "k")


def test_a_new_ride_claims_the_key_with_one_event():
    claim = a_ride().claim_on(None)
    [claimed] = claim.collect_events()
    assert isinstance(claimed, RequestClaim.Claimed)
    assert (claimed.fingerprint, claimed.at, claimed.expires_at) == ("f1", NOW, NOW + DAY)


def test_a_current_claim_cannot_be_claimed_again():
    claim = a_ride().claim_on(None)
    with pytest.raises(ClaimTaken):
        a_ride(NOW + DAY - timedelta(seconds=1), "f2").claim_on(claim)


def test_an_expired_claim_is_claimed_again_on_the_same_aggregate():
    claim = a_ride().claim_on(None)
    claim.collect_events()
    again = a_ride(NOW + DAY, "f2").claim_on(claim)
    [reclaimed] = again.collect_events()
    assert isinstance(reclaimed, RequestClaim.Reclaimed) and again.version == 2
    assert again.fingerprint == "f2" and again.current(NOW + DAY + timedelta(hours=23))


def test_a_ride_is_boarding_until_recorded_closed_or_a_replay():
    ride = a_ride()
    assert ride.boarding
    for change in ({"recorded_in": "orders"}, {"closed": True}, {"replay": True}):
        assert not Ride(**(vars(a_ride()) | change)).boarding


def test_a_ride_is_carried_only_inside_its_block():
    ride = a_ride()
    assert riding() is None
    with carrying(ride):
        assert riding() is ride
    assert riding() is None
