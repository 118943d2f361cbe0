"""A TCP proxy in front of the real PostgreSQL server, to make it go away for real.

`cut()` drops every open connection and stops listening, so new connections
are refused, as when the database server is stopped; `restore()` listens on
the same port again, as when it comes back.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlparse, urlunparse


class TcpProxy:
    def __init__(self, upstream_url: str) -> None:
        url = urlparse(upstream_url)
        self.url = url
        self.upstream = (url.hostname or "127.0.0.1", url.port or 5432)
        self.port = 0
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.restore()

    @property
    def proxied_url(self) -> str:
        netloc = f"{self.url.username or 'postgres'}@127.0.0.1:{self.port}"
        return urlunparse(self.url._replace(netloc=netloc))

    def restore(self) -> None:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def cut(self) -> None:
        # shutdown first: close alone leaves a listener that another thread is blocked in
        # accept() on still accepting, on Linux
        _shut(self._listener)
        self._listener.close()
        with self._lock:
            for each in self._sockets:
                _shut(each)
                each.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, target), daemon=True).start()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass  # one side went away: end both
    finally:
        for each in (source, target):
            _shut(each)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already shut or closed
        sock.shutdown(socket.SHUT_RDWR)
