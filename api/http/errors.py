"""Every error answer in one place: `{"error": code, "detail": text, "fields": [...]}`.

Refusals (domain errors, invalid requests) are 4xx and change nothing. Faults
of the stores are 5xx: a store that is away, busy or full answers 503 with
Retry-After, since the same request may well succeed a little later; any
other fault is a 500. A 5xx body carries the request's id, which is also in
the log line that tells what happened (`api.http.middleware` sets the id,
and answers the unexpected exceptions that no handler here maps).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import psycopg
import psycopg_pool
from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    PersistenceError,
    RecordConflictError,
)
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.http.responses import OrjsonResponse
from domain.errors import (
    Conflict,
    DomainError,
    InsufficientStock,
    InvalidCommand,
    InvalidTransition,
    NotFound,
)
from projections.order_status_queries import BadCursor

log = logging.getLogger(__name__)
STATUS = {
    NotFound: 404,
    Conflict: 409,
    InvalidTransition: 409,
    InsufficientStock: 409,
    InvalidCommand: 422,
}
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "body_too_large",
    429: "rate_limited",
}
RETRY_AFTER_SECONDS = 5  # a store that is away is usually back (restart, failover) within seconds
STORE_AWAY = (OperationalError, InterfaceError)  # refused, dropped, timed out, locked, full
BUSY = ("store_unavailable", "the store is busy and did not answer in time")
FULL = ("store_full", "the store's disk is full: nothing was recorded")
UNREACHABLE = ("store_unavailable", "the store cannot be reached (refused, lost or timed out)")
SQLITE_AWAY = {  # primary result codes worth a retry (https://sqlite.org/rescode.html)
    sqlite3.SQLITE_BUSY: BUSY,
    sqlite3.SQLITE_LOCKED: BUSY,
    sqlite3.SQLITE_FULL: FULL,
    sqlite3.SQLITE_READONLY: ("store_unavailable", "the store cannot be written (read-only)"),
    sqlite3.SQLITE_IOERR: ("store_unavailable", "the store's disk failed to read or write"),
    sqlite3.SQLITE_CANTOPEN: ("store_unavailable", "the store's files cannot be opened"),
}


def error_body(
    code: str,
    detail: str,
    fields: list[dict[str, str]] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"error": code, "detail": detail, "fields": fields or []}
    if request_id is not None:
        body["request_id"] = request_id
    return body


def unexpected(request_id: str) -> OrjsonResponse:
    """The answer to a fault nobody foresaw; what it was is in the log, under the same id."""
    detail = "an unexpected error; its cause is logged under this request id"
    return OrjsonResponse(error_body("internal_error", detail, request_id=request_id), 500)


def too_large(limit: int) -> OrjsonResponse:
    """Sent before the body is read; the rest of the body will not be, so the connection ends."""
    detail = f"the request body exceeds {limit} bytes"
    return OrjsonResponse(
        error_body("body_too_large", detail), status_code=413, headers={"Connection": "close"}
    )


def store_fault(error: Exception, request_id: str) -> OrjsonResponse:
    """409 for a write that lost a race, 503 with Retry-After when the store is away, busy or
    full, 500 for anything else."""
    if isinstance(error, RecordConflictError):
        # The library's verdict (its IntegrityError is one): the same version or key was
        # written at the same moment, after the command's own retries; nothing recorded.
        detail = "changed by another request at the same moment; nothing recorded, retry"
        return OrjsonResponse(error_body("concurrent_change", detail), status_code=409)
    away = why_away(error)
    if away is None:
        log.error("store error", exc_info=error)
        return unexpected(request_id)
    code, detail = away
    log.warning("%s: %s: %s", code, type(error).__name__, error)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return OrjsonResponse(error_body(code, detail, request_id=request_id), 503, headers=headers)


def why_away(error: Exception) -> tuple[str, str] | None:
    """The code and cause when the store is away, busy or full (worth a retry); else None."""
    cause = error.__cause__
    if isinstance(cause, sqlite3.Error):  # sqlite3 calls a missing table "operational" too
        return SQLITE_AWAY.get(cause.sqlite_errorcode & 0xFF)
    if not isinstance(error, STORE_AWAY):
        return None
    if isinstance(cause, psycopg_pool.PoolTimeout):
        return "store_unavailable", "the store gave no connection in time (down or overloaded)"
    if isinstance(cause, psycopg.errors.DiskFull):
        return FULL
    if isinstance(cause, psycopg.errors.QueryCanceled | psycopg.errors.LockNotAvailable):
        return BUSY
    return UNREACHABLE


def install(app: FastAPI, request_id: Callable[[], str]) -> None:
    """Map every anticipated error to its answer; `request_id()` gives the current request's id."""

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> OrjsonResponse:
        status = next((s for kind, s in STATUS.items() if isinstance(error, kind)), 400)
        fields = None
        if isinstance(error, InvalidCommand):
            fields = [{"field": p.field, "message": p.message} for p in error.problems]
        return OrjsonResponse(error_body(error.code, error.detail, fields), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> OrjsonResponse:
        problems = error.errors()
        if any(problem["type"] == "json_invalid" for problem in problems):
            return OrjsonResponse(error_body("malformed_json", "body is not valid JSON"), 400)
        fields = [_field_problem(problem) for problem in problems]
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        return OrjsonResponse(error_body("validation_error", detail, fields), 422)

    @app.exception_handler(BadCursor)
    async def bad_cursor(_: Request, error: BadCursor) -> OrjsonResponse:
        fields = [{"field": "cursor", "message": str(error)}]
        return OrjsonResponse(error_body("validation_error", str(error), fields), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> OrjsonResponse:
        code = HTTP_CODES.get(error.status_code, "http_error")
        body = error_body(code, str(error.detail))
        headers = error.headers
        if error.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request)}
        return OrjsonResponse(body, error.status_code, headers=headers)

    @app.exception_handler(RecordConflictError)
    @app.exception_handler(PersistenceError)
    async def store_error(_: Request, error: Exception) -> OrjsonResponse:
        return store_fault(error, request_id())


def allowed_methods(request: Request) -> str:
    """Every method the path takes, for a 405's Allow: Starlette names only those of the first
    route whose path matched (POST alone for /orders, which GET takes too)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):  # through the included routers
        if route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


def _field_problem(problem: dict[str, Any]) -> dict[str, str]:
    location = [str(part) for part in problem["loc"] if part not in ("body", "query", "path")]
    message = "unknown field" if problem["type"] == "extra_forbidden" else problem["msg"]
    return {"field": ".".join(location) or "body", "message": message}
