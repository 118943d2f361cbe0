"""Order intake with group commit across concurrent HTTP requests.

Requests are validated on the event loop and queued with their own receipt
time. One writer thread takes everything queued, places it in one
transaction (`Orders.place_orders`), brings the read models up to date once
for the whole batch, and answers each request with its own outcome. Under
load a batch holds as many orders as arrived during the previous commit, so
one commit (one fsync, one table lock) serves many requests; with no load a
batch is one order and nothing waits.

Every request of a batch is answered, whatever happens to the others: one
order's fault (anything it raises) is that order's answer alone, a client
that went away (its future cancelled) is skipped, and a fault of the batch
as a whole reaches every request still waiting. Once orders are recorded,
their answer is success, whatever a follower does afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from api.bootstrap import Container
from domain.claims import Ride
from domain.orders.application import Placement
from domain.orders.placement import PlaceOrder
from projections.runtime import Settlement

MAX_BATCH = 256
log = logging.getLogger(__name__)

Settled = tuple[Placement, Settlement]
Request = tuple[PlaceOrder, datetime, Ride | None, asyncio.Future[Settled]]


class IntakeBatcher:
    def __init__(self, dom: Container) -> None:
        self.dom = dom
        self._queue: list[Request] = []
        self._draining = False
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake")
        self._task: asyncio.Task[None] | None = None

    async def place(self, command: PlaceOrder, now: datetime) -> Placement:
        placement, _ = await self.place_settled(command, now)
        return placement

    async def place_settled(
        self, command: PlaceOrder, now: datetime, ride: Ride | None = None
    ) -> Settled:
        """The placement, and how far the read models got for its batch (`Dom-Read-Models`).
        `ride`: the request's claim (`Idempotency-Key`), saved in the batch's transaction."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Settled] = loop.create_future()
        self._queue.append((command, now, ride, future))
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
                    outcomes, settled = await loop.run_in_executor(
                        self._writer, self._commit, batch
                    )
                except Exception as error:  # not one order's fault: every request of it hears it
                    outcomes, settled = [error] * len(batch), Settlement()
                for (*_, future), outcome in zip(batch, outcomes, strict=True):
                    _answer(future, outcome, settled)
        finally:
            self._draining = False

    def _commit(self, batch: list[Request]) -> tuple[list[Placement | Exception], Settlement]:
        requests = [(command, now) for command, now, _, _ in batch]
        outcomes = self.dom.orders.place_orders(requests, [ride for _, _, ride, _ in batch])
        positions = [o.notification_id for o in outcomes if isinstance(o, Placement)]
        position = max((p for p in positions if p), default=None)
        try:
            settled = self.dom.runtime.settle("orders", position)
        except Exception:  # the orders are recorded: their answer is success all the same
            log.exception("bringing the read models up to date after an intake batch failed")
            settled = Settlement({"read_models": (0, position or 0)})
        return outcomes, settled

    def close(self) -> None:
        self._writer.shutdown(wait=True)


def _answer(
    future: asyncio.Future[Settled], outcome: Placement | Exception, settled: Settlement
) -> None:
    if future.done():  # its client went away and cancelled it; the others still get answers
        return
    if isinstance(outcome, Placement):
        future.set_result((outcome, settled))
    else:
        future.set_exception(outcome)
