"""What every request goes through before the routes: its id, and the body size limit.

Both are plain ASGI middleware (no per-request task or body buffering, unlike
Starlette's BaseHTTPMiddleware), so a refused body is never read into memory.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http import errors

log = logging.getLogger("api.http")
HEADER = "X-Request-Id"
# An incoming id is kept when it is short and plain (a UUID, a trace id); anything
# else (too long, spaces, control characters) is replaced, so logs stay parseable.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}")
_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id() -> str:
    """The id of the request being served ("-" outside any request)."""
    return _current.get() or "-"


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Stamp every log record with the id of the request it was logged for ("-" if none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


class RequestId:
    """Give each request an id (its own X-Request-Id if well formed), answer with it, log with
    it, and answer any exception no handler mapped with a JSON 500 that names it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(HEADER.lower(), "")
        rid = given if WELL_FORMED.fullmatch(given) else new_request_id()
        token = _current.set(rid)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)[HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            log.info("client disconnected before its request was read")
        except Exception:
            log.exception("unexpected error in %s %s", scope["method"], scope["path"])
            if started:
                raise  # part of the answer is out: the server can only end the connection
            await errors.unexpected(rid)(scope, receive, send_with_id)
        finally:
            _current.reset(token)


class BodyTooLarge(HTTPException):
    """Raised while a body is being received, once it has grown past the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds {limit} bytes", {"Connection": "close"})


class BodyLimit:
    """Refuse bodies over `limit` bytes with 413 before reading them.

    A Content-Length over the limit is answered at once, without calling the
    app: nothing of the body is read, however long it is or whether it ever
    comes. A body without Content-Length (chunked) is counted as it arrives and
    refused as soon as it passes the limit, so at most `limit` bytes are held.
    The answer closes the connection, since the rest of the body is not read.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await errors.too_large(self.limit)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # An HTTPException: FastAPI passes it on from its body parsing, and the
                    # error handlers answer it (413, body_too_large, Connection: close).
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)
