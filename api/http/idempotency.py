"""`Idempotency-Key` on every route that changes something (draft-ietf-httpapi-idempotency-key-header).

A key is scoped by credential, route (method and template) and the key itself:
that gives the claim's id (domain/claims.py). The first request with it runs,
and its claim is recorded in the command's own transaction; its answer is kept
(adapters/answers.py) for `DOM_IDEMPOTENCY_HOURS`. Then, for a request with a
known key:

- same request (method, path, body bytes): the kept answer, with
  `Idempotent-Replayed: true`; nothing runs;
- another request: 422 `idempotency_key_reused`; nothing runs;
- the first still running (here, or in another process's lease): 409 with
  `Retry-After`;
- recorded, but its answer lost (the process died between the commit and the
  answer): it runs again with its claim marked as recorded, so that its saves
  record nothing, and its answer is the current state (then kept).

Every route gets this from its route class (`StrictRoute`), so a new route
cannot forget it; tests/e2e/test_idempotency.py walks every changing route.
Without the header a request is served as before.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID

from fastapi import Request, Response

from adapters.answers import Answers, Kept
from api.bootstrap import Container
from api.http.errors import error_body
from api.http.responses import OrjsonResponse
from domain.claims import RequestClaim
from domain.errors import DomainError

KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY = 255
LEASE = timedelta(seconds=60)  # longer than any command may take (store and settle timeouts)
UNKEPT = frozenset({"content-length", "x-request-id", REPLAYED.lower()})


def credential(request: Request) -> str:
    """Whose key it is: the API key's id (verified first, api/http/keyed_requests.py);
    `anonymous` only on a route that needs no key."""
    key_id = getattr(getattr(request.state, "principal", None), "key_id", None)
    return key_id if isinstance(key_id, str) else "anonymous"


def key_problem(values: list[str]) -> str | None:
    if len(values) > 1:
        return f"send one {KEY} header, not {len(values)}"
    key = values[0]
    if not key:
        return f"{KEY} is empty"
    if len(key) > MAX_KEY:
        return f"{KEY} is longer than {MAX_KEY} characters"
    if any(not " " <= c <= "~" for c in key):
        return f"{KEY} may hold printable ASCII characters only (no control characters)"
    return None


def fingerprint(request: Request, body: bytes) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return hashlib.sha256(f"{request.method} {target}\n".encode() + body).hexdigest()


class InFlight:
    """The claims this process is serving a request for, each at most once at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[UUID] = set()

    def enter(self, claim_id: UUID) -> bool:
        with self._lock:
            if claim_id in self._held:
                return False
            self._held.add(claim_id)
            return True

    def leave(self, claim_id: UUID) -> None:
        with self._lock:
            self._held.discard(claim_id)


class Verdict(Enum):
    FRESH = "fresh"
    REPLAY = "replay"
    REUSED = "reused"
    IN_FLIGHT = "in_flight"
    LOST = "lost"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    kept: Kept | None = None
    claim: RequestClaim | None = None


def decide(dom: Container, claim_id: UUID, fingerprinted: str, now: datetime) -> Decision:
    """What a request with a key gets: the kept answer first, then the claim itself."""
    kept = Answers(dom.store).find(str(claim_id))
    if kept is not None and kept.answered(now):
        same = kept.fingerprint == fingerprinted
        return Decision(Verdict.REPLAY if same else Verdict.REUSED, kept)
    claim = current_claim(dom, claim_id, now)
    if claim is not None:
        if claim.fingerprint != fingerprinted:
            return Decision(Verdict.REUSED)
        leased = kept is not None and kept.leased(now)
        return Decision(Verdict.IN_FLIGHT if leased else Verdict.LOST, kept, claim)
    if kept is not None and kept.leased(now):  # running elsewhere, not committed yet
        same = kept.fingerprint == fingerprinted
        return Decision(Verdict.IN_FLIGHT if same else Verdict.REUSED)
    return Decision(Verdict.FRESH)


def current_claim(dom: Container, claim_id: UUID, now: datetime) -> RequestClaim | None:
    """The key's claim while it holds, in whichever context recorded it."""
    for context in (dom.orders, dom.fulfilment):
        found = context.find(RequestClaim, claim_id)
        if found is not None and found.current(now):
            return found
    return None


def in_flight(app: Any) -> InFlight:
    """The app's registry of keys in flight (made at first use)."""
    state = app.state
    if not hasattr(state, "keys_in_flight"):
        state.keys_in_flight = InFlight()
    flights: InFlight = state.keys_in_flight
    return flights


def refused(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    return OrjsonResponse(error_body(code, detail), status_code=status, headers=headers)


def busy() -> Response:
    detail = f"a request with this {KEY} is still being served; retry shortly for its answer"
    return refused(409, "request_in_flight", detail, {"Retry-After": "1"})


def reused() -> Response:
    detail = f"this {KEY} was used for another request (method, path or body); nothing recorded"
    return refused(422, "idempotency_key_reused", detail)


def lost(error: DomainError) -> Response:
    detail = (
        f"a request with this {KEY} was recorded but its answer was lost; run again only to "
        f"render it, it was refused ({error.detail}); nothing was recorded again"
    )
    return refused(409, "idempotent_answer_lost", detail, {REPLAYED: "true"})
