"""HTTP connections that cannot be held open by slow or silent clients.

uvicorn (httptools) arms its keep-alive timer only after a response, so a
connection that sends nothing after connecting, or sends its request a byte a
second, holds a socket and a parser forever; a few thousand of them exhaust
the server. Here every request must arrive whole (headers and body) within
`DOM_REQUEST_READ_TIMEOUT` seconds of its first byte, or of the connection
opening for the first request; otherwise the connection is closed, after a
408 answer when part of a request came. Idle keep-alive connections between
requests are closed by uvicorn after `DOM_IDLE_TIMEOUT` (its
`timeout_keep_alive`). The time an application takes to answer is not
counted: the stores bound that themselves.

uvicorn's own error answers (a malformed request) are given dom's JSON shape.
"""

from __future__ import annotations

import asyncio
from asyncio import TimerHandle
from typing import Any

import orjson
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.http.errors import error_body
from api.http.middleware import HEADER, new_request_id

DEFAULT_READ_TIMEOUT = 10.0


class Config(uvicorn.Config):
    """uvicorn's configuration, with the time a request may take to arrive."""

    def __init__(
        self, app: Any, *, request_read_timeout: float = DEFAULT_READ_TIMEOUT, **kwargs: Any
    ) -> None:
        super().__init__(app, **kwargs)
        self.request_read_timeout = request_read_timeout


class TimedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline for each request to arrive."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.read_timeout = getattr(config, "request_read_timeout", DEFAULT_READ_TIMEOUT)
        self._deadline: TimerHandle | None = None
        self._receiving = False  # part of a request has come, not all of it

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        self._receiving = self._receiving or bool(data)
        self._arm()  # the first byte of a request starts its clock; later bytes do not
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # a pipelined request behind one that just completed

    def on_message_complete(self) -> None:
        self._disarm()
        self._receiving = False
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None and not self.transport.is_closing():
            self._deadline = self.loop.call_later(self.read_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        answering = self.cycle is not None and self.cycle.response_started
        if self._receiving and not answering:
            if self.cycle is not None and not self.cycle.response_complete:
                # The app may be waiting for the rest of the body: it hears a disconnect,
                # and nothing it sends afterwards reaches the socket.
                self.cycle.disconnected = True
                self.cycle.message_event.set()
            detail = f"the request did not arrive within {self.read_timeout:g} s"
            self._answer(408, "request_timeout", detail)
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self._answer(400, "bad_request", msg)
        self.transport.close()

    def _answer(self, status: int, code: str, detail: str) -> None:
        """An error answer written straight to the socket (no app is in charge of it)."""
        body = orjson.dumps(error_body(code, detail))
        head = [
            *self.server_state.default_headers,
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (HEADER.lower().encode(), new_request_id().encode()),
        ]
        lines = b"".join(name + b": " + value + b"\r\n" for name, value in head)
        self.transport.write(STATUS_LINE[status] + lines + b"\r\n" + body)
