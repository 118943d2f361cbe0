"""A TCP proxy in front of the real PostgreSQL server, to cut, refuse or swallow its
connections without touching the server the other tests use."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import Literal

Mode = Literal["forward", "refuse", "swallow"]


class FaultyProxy:
    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.upstream = upstream
        self.mode: Mode = "forward"
        self._pairs: list[tuple[socket.socket, socket.socket | None]] = []
        self._lock = threading.Lock()
        self._listener = self._listen(0)
        self.port = self._listener.getsockname()[1]
        self._stopped = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def cut(self) -> None:
        """Close every connection now, as a restart or a network fault would."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for side in pair:
                if side is not None:
                    with contextlib.suppress(OSError):
                        side.shutdown(socket.SHUT_RDWR)
                        side.close()

    def refuse(self) -> None:
        """Connections refused (the server is down); open ones are cut."""
        self.mode = "refuse"
        self._stop_listening()
        self.cut()

    def swallow(self) -> None:
        """Connections accepted and never answered (a hung server, a black hole)."""
        self.mode = "swallow"
        self.cut()

    def forward(self) -> None:
        if self.mode == "refuse":
            self._listener = self._listen(self.port)
            threading.Thread(target=self._accept_loop, daemon=True).start()
        self.mode = "forward"

    def close(self) -> None:
        self._stopped = True
        self._stop_listening()
        self.cut()

    def _stop_listening(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        with contextlib.suppress(OSError):
            self._listener.close()

    @staticmethod
    def _listen(port: int) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(128)
        return listener

    def _accept_loop(self) -> None:
        listener = self._listener
        while not self._stopped:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: refusing, or stopped
            if self.mode == "swallow":
                with self._lock:
                    self._pairs.append((client, None))
                continue
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    @staticmethod
    def _pump(client: socket.socket, server: socket.socket) -> None:
        sockets = [client, server]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], 1.0)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    (server if source is client else client).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for side in sockets:
                with contextlib.suppress(OSError):
                    side.close()
