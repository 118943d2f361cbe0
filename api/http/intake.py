"""Order intake with group commit across concurrent HTTP requests.

Requests are validated on the event loop and queued. One writer thread takes
everything queued, places it in one transaction (`Orders.place_orders`),
brings the read models up to date once for the whole batch, and answers each
request with its own outcome. Under load a batch holds as many orders as
arrived during the previous commit, so one commit (one fsync, one table
lock) serves many requests; with no load a batch is one order and nothing
waits.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from api.bootstrap import Container
from domain.errors import DomainError
from domain.orders.application import Placement
from domain.orders.placement import PlaceOrder

MAX_BATCH = 256


class IntakeBatcher:
    def __init__(self, dom: Container) -> None:
        self.dom = dom
        self._queue: list[tuple[PlaceOrder, datetime, asyncio.Future[Placement]]] = []
        self._draining = False
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake")
        self._task: asyncio.Task[None] | None = None

    async def place(self, command: PlaceOrder, now: datetime) -> Placement:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Placement] = loop.create_future()
        self._queue.append((command, now, future))
        if not self._draining:
            self._draining = True
            self._task = loop.create_task(self._drain())  # kept: the loop holds tasks weakly
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                try:
                    outcomes = await loop.run_in_executor(self._writer, self._commit, batch)
                except Exception as error:  # the store failed: every waiting request hears it
                    for *_, future in batch:
                        future.set_exception(error)
                    continue
                for (*_, future), outcome in zip(batch, outcomes, strict=True):
                    if isinstance(outcome, DomainError):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self._draining = False

    def _commit(
        self, batch: list[tuple[PlaceOrder, datetime, asyncio.Future[Placement]]]
    ) -> list[Placement | DomainError]:
        now = batch[-1][1]
        outcomes = self.dom.orders.place_orders([command for command, *_ in batch], now)
        positions = [o.notification_id for o in outcomes if isinstance(o, Placement)]
        self.dom.runtime.settle("orders", max((p for p in positions if p), default=None))
        return outcomes

    def close(self) -> None:
        self._writer.shutdown(wait=True)
