"""Serving one request that carries an `Idempotency-Key` (the rules: api/http/idempotency.py).

`honouring_keys` wraps a route's handler (every `StrictRoute` that changes
something): a request without the header goes straight through; one with it
is decided (`decide`), then replayed, refused or run with its claim riding
along (`carrying`), and a successful answer is kept for the retries.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute

from adapters.answers import Answer, Answers, Kept
from api.bootstrap import Container
from api.http.auth import caller
from api.http.commands import ANSWERED
from api.http.commands import HEADER as READ_MODELS
from api.http.idempotency import (
    CHANGING,
    KEY,
    LEASE,
    REPLAYED,
    UNKEPT,
    Decision,
    Verdict,
    busy,
    credential,
    decide,
    fingerprint,
    in_flight,
    key_problem,
    lost,
    refused,
    reused,
)
from domain.claims import ClaimTaken, Ride, carrying, claim_id_for
from domain.errors import DomainError

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def honouring_keys(route: APIRoute, handler: Handler) -> Handler:
    """The route's handler, honouring `Idempotency-Key` when the route changes something."""
    methods = sorted((route.methods or set()) & CHANGING)
    if not methods:
        return handler
    scope = f"{methods[0]} {route.path}"

    async def keyed(request: Request) -> Response:
        values = request.headers.getlist(KEY)
        if not values:
            return await handler(request)
        if problem := key_problem(values):
            return refused(400, "invalid_idempotency_key", problem)
        if await caller(request) is None:
            return await handler(request)  # its Scope answers 401; nothing is replayed
        return await Keyed(request, handler, scope, values[0]).serve()

    return keyed


class Keyed:
    def __init__(self, request: Request, handler: Handler, scope: str, key: str) -> None:
        self.request, self.handler = request, handler
        self.dom: Container = request.app.state.container
        self.answers = Answers(self.dom.store)
        self.claim_id = claim_id_for(credential(request), scope, key)
        self.now = datetime.now(UTC)
        self.fingerprint = ""

    async def serve(self) -> Response:
        flights = in_flight(self.request.app)
        if not flights.enter(self.claim_id):
            return busy()
        try:
            self.fingerprint = fingerprint(self.request, await self.request.body())
            return await self.follow(await self.decide())
        finally:
            flights.leave(self.claim_id)

    async def decide(self) -> Decision:
        return await run_in_threadpool(decide, self.dom, self.claim_id, self.fingerprint, self.now)

    async def follow(self, decision: Decision) -> Response:
        if decision.verdict is Verdict.REPLAY:
            assert decision.kept is not None
            return await run_in_threadpool(self.replayed, decision.kept)
        if decision.verdict is Verdict.REUSED:
            return reused()
        if decision.verdict is Verdict.IN_FLIGHT:
            return busy()
        if decision.verdict is Verdict.LOST:
            assert decision.claim is not None
            expires_at = decision.claim.expires_at
            return await self.run(self.ride(expires_at, replay=True))
        ride = self.ride(self.now + timedelta(hours=self.dom.settings.idempotency_hours))
        await run_in_threadpool(
            self.answers.lease,
            str(self.claim_id),
            self.fingerprint,
            ride.expires_at,
            self.now + LEASE,
        )
        return await self.run(ride)

    def ride(self, expires_at: datetime, replay: bool = False) -> Ride:
        return Ride(self.claim_id, self.fingerprint, self.now, expires_at, replay=replay)

    async def run(self, ride: Ride) -> Response:
        try:
            with carrying(ride):
                response = await self.handler(self.request)
        except ClaimTaken:  # another process committed the key first: answer as its retry
            decision = await self.decide()
            if decision.verdict in (Verdict.REPLAY, Verdict.REUSED):
                return await self.follow(decision)
            return busy()
        except DomainError as error:
            await run_in_threadpool(self.answers.release, str(self.claim_id))
            if ride.replay:
                return lost(error)
            raise
        except BaseException:
            await run_in_threadpool(self.answers.release, str(self.claim_id))
            raise
        return await run_in_threadpool(self.finish, ride, response)

    def finish(self, ride: Ride, response: Response) -> Response:
        """Keep a success's answer (recording the claim alone if the command saved nothing)."""
        body = getattr(response, "body", None)
        if not 200 <= response.status_code < 300 or not isinstance(body, bytes):
            self.answers.release(str(self.claim_id))
            return response
        context, position = getattr(self.request.state, ANSWERED, (None, None))
        if ride.recorded_in is None and not ride.replay:
            try:  # nothing to commit with it: the command changed nothing
                self._context(context or "orders").save_claimed(ride)
            except ClaimTaken:
                return response  # another request recorded the key meanwhile; it keeps its own
        headers = {k: v for k, v in response.headers.items() if k not in UNKEPT}
        answer = Answer(response.status_code, headers, body, context, position)
        self.answers.keep(str(self.claim_id), self.fingerprint, ride.expires_at, answer)
        self.answers.forget_expired(self.now)
        if ride.replay:
            response.headers[REPLAYED] = "true"
        return response

    def replayed(self, kept: Kept) -> Response:
        headers = dict(kept.headers, **{REPLAYED: "true"})
        if kept.context is not None:
            headers[READ_MODELS] = self.dom.runtime.settle(kept.context, kept.position).header()
        return Response(kept.body, status_code=kept.status or 200, headers=headers)

    def _context(self, name: str) -> Any:
        return self.dom.fulfilment if name == "fulfilment" else self.dom.orders
