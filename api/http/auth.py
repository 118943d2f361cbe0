"""Who may call what: every route names the scope it needs, in one way, here.

A route declares `dependencies=[Scope("orders:write")]` (or several scopes, any of which
will do). `Scope` is a FastAPI `Security` dependency on `authorised`, so the OpenAPI
document shows the bearer scheme and each operation's scopes (api/http/openapi.py
turns several into alternatives and writes them in the operation's description).

`authorised` reads `Authorization: Bearer dom_<key id>_<secret>`:

- missing, not Bearer, or not shaped like a key: 401 with `WWW-Authenticate: Bearer`;
- an unknown key, a wrong secret, a revoked key or a secret rotated out of its grace:
  401 (`Bearer error="invalid_token"`), the same answer for each, so a caller learns
  nothing about which keys exist;
- a key without any of the route's scopes: 403 `forbidden`;
- a key over its rate: 429 `rate_limited` (api/http/rate_limit.py), counted once a key is
  known to be good, whatever the route.

A warm key is checked from the keyring's cache on the event loop (api/keyring.py); a
cold one is read from the access store in the thread pool. The principal is set on
`request.state.principal` (with its `key_id`) and given to routes that ask (`PrincipalDep`).
The only routes without a scope are PUBLIC (tests/e2e/test_http_auth.py calls every
route of the app without credentials and fails on any other that answers).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.exceptions import HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from starlette.concurrency import run_in_threadpool

from api.http.dependencies import NowDep
from api.http.rate_limit import limited
from domain.access.api_key import Principal, parse_token
from domain.access.scopes import Scope as Named

SCHEME = "ApiKey"
# (method, path) of the routes anyone may call: probes, the API's own description, and the
# carriers' webhook, which is signed by the carrier instead (api/http/routes_tracking.py).
PUBLIC = {
    ("GET", "/health"), ("GET", "/ready"), ("GET", "/openapi.json"), ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc"), ("POST", "/carriers/{code}/tracking"),
}  # fmt: skip
bearer = HTTPBearer(
    auto_error=False,
    scheme_name=SCHEME,
    bearerFormat="dom_<key id>_<secret>",
    description="An API key (POST /keys, `dom keys create`), sent as "
    "`Authorization: Bearer dom_<key id>_<secret>`; see docs/security.md.",
)


def unauthorised(detail: str, invalid: bool = False) -> HTTPException:
    challenge = 'Bearer error="invalid_token"' if invalid else "Bearer"
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})


async def authorised(
    security_scopes: SecurityScopes,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    now: NowDep,
) -> Principal:
    """The request's principal, holding one of the scopes asked for; else 401 or 403."""
    if credentials is None:
        raise unauthorised("an API key is needed: Authorization: Bearer <key>")
    token = credentials.credentials
    if parse_token(token) is None:
        raise unauthorised("not an API key (dom_<key id>_<secret>)", invalid=True)
    principal = await verified(request, token, now)
    if principal is None:
        raise unauthorised("unknown, revoked or expired API key", invalid=True)
    request.state.principal = principal
    limited(request, principal.key_id, now.timestamp())
    needed = [Named(scope) for scope in security_scopes.scopes]
    if needed and not principal.may(*needed):
        wanted = " or ".join(needed)
        raise HTTPException(403, f"this key does not hold the scope {wanted}")
    return principal


async def verified(request: Request, token: str, now: datetime) -> Principal | None:
    """The principal of a well-formed token, from the cache or the access store."""
    keyring = request.app.state.container.keyring
    return keyring.cached(token, now) or await run_in_threadpool(keyring.verify, token, now)


async def caller(request: Request) -> Principal | None:
    """Who sent the request, for what runs before a route's own dependencies (the
    Idempotency-Key's scope, api/http/keyed_requests.py); None when the credentials are
    missing or do not hold, which the route's Scope then answers."""
    credentials = await bearer(request)
    if credentials is None or parse_token(credentials.credentials) is None:
        return None
    principal = await verified(request, credentials.credentials, datetime.now(UTC))
    if principal is not None:
        request.state.principal = principal
    return principal


def Scope(*any_of: str) -> Any:  # noqa: N802 (reads as a declaration: Scope("orders:read"))
    """The route needs a key holding one of these scopes."""
    return Security(authorised, scopes=[Named(scope).value for scope in any_of])


async def current_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # a route that forgot its Scope
        raise unauthorised("an API key is needed: Authorization: Bearer <key>")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
