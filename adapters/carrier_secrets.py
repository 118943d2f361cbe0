"""Carriers' tracking webhooks: the per-carrier secret and the signature it makes.

A carrier signs each request with HMAC-SHA256 over `<unix seconds>.` and the raw body,
under the secret dom gave it: header `Dom-Signature: t=<unix seconds>,v1=<hex>`. Several
`v1` values may be sent (a carrier moving to a new secret signs with both). A signature
older or newer than TOLERANCE is refused, so a captured request cannot be replayed later;
one replayed within it changes nothing (every update is idempotent).

Secrets live in the read store (table carrier_secrets, migration 0009), not in the event
log: events are immutable and replayed for audits, a secret must be replaceable.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from adapters.readstore import ReadStore

HEADER = "Dom-Signature"
TOLERANCE = timedelta(seconds=300)
MIN_SECRET = 32


def sign(secret: str, body: bytes, at: datetime) -> str:
    """The header value a carrier sends (what tests and the docs' example compute)."""
    t = int(at.timestamp())
    return f"t={t},v1={_digest(secret, t, body)}"


def signature_problem(
    header: str | None, body: bytes, secret: str | None, now: datetime
) -> str | None:
    """Why the request is not the carrier's, or None when it is."""
    if secret is None:
        return "no tracking secret is set for this carrier"
    if not header:
        return f"the {HEADER} header is missing"
    parts = [part.strip().partition("=") for part in header.split(",")]
    if any(not sep for _, sep, _ in parts):
        return f"the {HEADER} header is malformed"
    stamps = [value for key, _, value in parts if key == "t"]
    given = [value for key, _, value in parts if key == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or len(stamps[0]) > 12 or not given:
        return f"the {HEADER} header is malformed: t=<unix seconds>,v1=<hex> expected"
    t = int(stamps[0])
    if abs(now.timestamp() - t) > TOLERANCE.total_seconds():
        return f"the signature's timestamp is more than {TOLERANCE.seconds} s from now"
    expected = _digest(secret, t, body)
    # Every candidate is compared (no early exit), each in constant time.
    matches = [hmac.compare_digest(expected.encode(), candidate.encode("utf-8", "replace"))
               for candidate in given]  # fmt: skip
    return None if any(matches) else "the signature does not match"


def _digest(secret: str, t: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def set_secret(store: ReadStore, carrier: str, secret: str, now: datetime) -> None:
    with store.transaction() as sql:
        sql.execute(
            "INSERT INTO carrier_secrets (carrier, secret, set_at) VALUES ({}, {}, {}) "
            "ON CONFLICT (carrier) DO UPDATE SET secret = excluded.secret, set_at = excluded.set_at",
            (carrier, secret, now.isoformat()),
        )


def secret_of(store: ReadStore, carrier: str) -> str | None:
    rows = store.query("SELECT secret FROM carrier_secrets WHERE carrier = {}", (carrier,))
    return str(rows[0]["secret"]) if rows else None
