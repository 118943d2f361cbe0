"""The kept answers of requests sent with an `Idempotency-Key` (table idempotency_answers).

A row is written after the command committed (status, headers, body) and read
by the retries; while a request with the key runs, the row holds a lease
(`in_flight_until`) that tells other processes to answer 409 meanwhile. It is
a cache of answers, not the guarantee: the claim saved with the command's
events is (domain/claims.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from adapters.readstore import ReadStore, Row

UPSERT = (
    "INSERT INTO idempotency_answers (claim_id, fingerprint, expires_at, in_flight_until, "
    "status, headers, body, context, position) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}) "
    "ON CONFLICT (claim_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
    "expires_at = excluded.expires_at, in_flight_until = excluded.in_flight_until, "
    "status = excluded.status, headers = excluded.headers, body = excluded.body, "
    "context = excluded.context, position = excluded.position"
)


def iso(moment: datetime) -> str:
    """Fixed-width UTC text, so that text order is time order in every database."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Kept:
    """A request's answer (`status` None while it runs), or its lease."""

    fingerprint: str
    expires_at: str
    in_flight_until: str | None
    status: int | None
    headers: dict[str, str]
    body: bytes
    context: str | None
    position: int | None

    def answered(self, now: datetime) -> bool:
        return self.status is not None and self.expires_at > iso(now)

    def leased(self, now: datetime) -> bool:
        return self.status is None and (self.in_flight_until or "") > iso(now)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    context: str | None = None
    position: int | None = None


class Answers:
    def __init__(self, store: ReadStore) -> None:
        self.store = store

    def find(self, claim_id: str) -> Kept | None:
        rows = self.store.query(
            "SELECT * FROM idempotency_answers WHERE claim_id = {}", (claim_id,)
        )
        return _kept(rows[0]) if rows else None

    def lease(self, claim_id: str, fingerprint: str, expires_at: datetime, until: datetime) -> None:
        """A request with this key runs here until `until` at the latest (a new claim)."""
        row = (claim_id, fingerprint, iso(expires_at), iso(until), None, None, None, None, None)
        self._write(UPSERT, row)

    def release(self, claim_id: str) -> None:
        """The request ended without an answer to keep (refused, or failed after its commit)."""
        statement = "UPDATE idempotency_answers SET in_flight_until = NULL WHERE claim_id = {} AND status IS NULL"
        self._write(statement, (claim_id,))

    def keep(self, claim_id: str, fingerprint: str, expires_at: datetime, answer: Answer) -> None:
        headers = orjson.dumps(answer.headers).decode()
        row = (claim_id, fingerprint, iso(expires_at), None, answer.status, headers,
               answer.body.decode(), answer.context, answer.position)  # fmt: skip
        self._write(UPSERT, row)

    def forget_expired(self, now: datetime) -> None:
        self._write("DELETE FROM idempotency_answers WHERE expires_at < {}", (iso(now),))

    def _write(self, statement: str, params: tuple[Any, ...]) -> None:
        with self.store.transaction() as sql:
            sql.execute(statement, params)


def _kept(row: Row) -> Kept:
    return Kept(
        fingerprint=row["fingerprint"],
        expires_at=row["expires_at"],
        in_flight_until=row["in_flight_until"],
        status=row["status"],
        headers=orjson.loads(row["headers"]) if row["headers"] else {},
        body=(row["body"] or "").encode(),
        context=row["context"],
        position=row["position"],
    )
