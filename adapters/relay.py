"""`dom relay`: every stored event of every context out on NATS JetStream, exactly once.

Why exactly once, with a crash at any instant (docs/relay.md):

- a batch of a context's events is published asynchronously, in notification
  order, each with `Nats-Msg-Id: <context>:<notification id>`; then the
  relay waits for every acknowledgement (PubAck) of the batch;
- only then is the position moved, first in memory, then in the read store
  (`relay_positions`). The position is never ahead of what JetStream stored,
  so nothing is skipped;
- a crash before the position is stored leaves at most the last batch
  published but not recorded: the restarted relay publishes it again, and the
  stream drops each message whose id it saw within its duplicate window.

NATS or a store that does not answer ends the attempt: the connection is
closed, the failure logged and written to `follower_status` (so `/ready`
says so), and the relay tries again after a backoff that doubles up to
`relay_max_backoff`. Positions already acknowledged stay in memory, so they
are not published again. The relay is its own process; commands and other
followers never wait for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from typing import Any

import nats
from eventsourcing.application import Application
from eventsourcing.persistence import InterfaceError, Notification, OperationalError
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from adapters.readstore import ReadStore
from adapters.relay_messages import Message, message_for
from adapters.relay_positions import RelayPositions
from adapters.settings import Settings

log = logging.getLogger("dom.relay")
FIRST_BACKOFF = 0.2  # seconds before the first retry, doubled up to relay_max_backoff
REPORT_EVERY = 10.0  # seconds between progress lines
DEFAULT_MAX_PAYLOAD = 1024 * 1024  # the server says its own when the relay connects
TRANSIENT = (
    nats.errors.Error, nats.js.errors.Error, TimeoutError, OSError, OperationalError, InterfaceError,
)  # fmt: skip

INTERNAL_TOPICS = ("domain.claims:",)  # never published: see Relay.messages


class Stalled(RuntimeError):
    """An event that cannot be published (too large for NATS, not JSON): its context
    waits before it (tried again at each step, logged once); the others go on."""

    def __init__(self, context: str, notification_id: int, topic: str, reason: str) -> None:
        super().__init__(f"{context} notification {notification_id} ({topic}): {reason}")
        self.notification_id = notification_id
        self.topic = topic


class StreamMisconfigured(RuntimeError):
    """The stream exists with a setting JetStream cannot change (its storage)."""


def stream_config(settings: Settings) -> StreamConfig:
    return StreamConfig(
        name=settings.relay_stream,
        subjects=[f"{settings.relay_subject_prefix}.>"],
        storage=StorageType.FILE,
        duplicate_window=settings.relay_duplicate_window,
        num_replicas=settings.relay_replicas,
    )


async def ensure_stream(js: JetStreamContext, settings: Settings) -> None:
    """Create the stream, or update the settings dom owns on an existing one."""
    wanted = stream_config(settings)
    try:
        found = (await js.stream_info(wanted.name or "")).config
    except NotFoundError:
        await js.add_stream(wanted)
        log.info("created stream %s for %s", wanted.name, wanted.subjects)
        return
    changes = {
        key: getattr(wanted, key)
        for key in ("subjects", "duplicate_window", "num_replicas")
        if getattr(found, key) != getattr(wanted, key)
    }
    if found.storage != wanted.storage:
        raise StreamMisconfigured(
            f"stream {wanted.name} exists with {found.storage} storage; "
            "dom needs file storage: delete it or choose another name"
        )
    if changes:
        await js.update_stream(replace(found, **changes))
        log.info("updated stream %s: %s", wanted.name, changes)


class Relay:
    """Publishes each context's log from its stored position; see the module docstring."""

    def __init__(
        self, settings: Settings, contexts: Mapping[str, Application[Any]], store: ReadStore
    ) -> None:
        self.settings = settings
        self.contexts = dict(contexts)
        self.positions = RelayPositions(store, settings.relay_stream)
        self.published: dict[str, int] | None = None  # acknowledged; read at the first step
        self.unsaved = False
        self.sent = 0  # messages acknowledged to this process (duplicates included)
        self.duplicates = 0  # of which JetStream had already stored (a republished tail)
        self.max_payload = DEFAULT_MAX_PAYLOAD
        self._failure: str | None = "starting"
        self._reported = (time.monotonic(), 0)

    async def run(self, stopping: asyncio.Event, idle: float = 0.1) -> None:
        """Relay until `stopping` is set; never raises for NATS or a store being away."""
        delay = FIRST_BACKOFF
        while not stopping.is_set():
            try:
                async with self.connected() as js:
                    while not stopping.is_set():
                        if await self.step(js) == 0:
                            await _wait(stopping, idle)
                        delay = FIRST_BACKOFF
                        self._report_now_and_then()
            except Exception as error:
                self._failed(error)
                await _wait(stopping, delay)
                delay = min(delay * 2, self.settings.relay_max_backoff)
        with suppress(*TRANSIENT):  # acknowledged, but not stored after a failure
            self._save_if_needed()
        self._report()

    @asynccontextmanager
    async def connected(self) -> AsyncIterator[JetStreamContext]:
        connection = await nats.connect(
            self.settings.nats_url,
            connect_timeout=2,
            allow_reconnect=False,  # a lost connection ends the attempt: see run()
            max_reconnect_attempts=1,  # the client's own default tries for two minutes
            reconnect_time_wait=0,  # the backoff is run()'s
            error_cb=_quiet,
            name="dom-relay",
        )
        try:
            self.max_payload = connection.max_payload or DEFAULT_MAX_PAYLOAD
            js = connection.jetstream(timeout=self.settings.relay_ack_timeout)
            await ensure_stream(js, self.settings)
            yield js
        finally:
            await connection.close()

    async def step(self, js: JetStreamContext) -> int:
        """One batch of each context; returns the events acknowledged."""
        if self.published is None:
            self.published = self.positions.load()
            log.info("relaying to %s from %s", self.settings.relay_stream, self.published)
        self._save_if_needed()
        moved, stalled = 0, False
        for context, app in self.contexts.items():
            try:
                moved += await self.relay_batch(js, context, app)
            except Stalled as error:  # this context waits at that event; the others go on
                self._failed(error)
                stalled = True
        if self._failure is not None and not stalled:
            if self._failure != "starting":
                log.warning("relay running again (was: %s)", self._failure)
            self._failure = None
            self.positions.health("running")
        return moved

    async def relay_batch(self, js: JetStreamContext, context: str, app: Application[Any]) -> int:
        assert self.published is not None
        notifications = app.recorder.select_notifications(
            start=self.published.get(context, 0),
            limit=self.settings.relay_batch,
            inclusive_of_start=False,
        )
        if not notifications:
            return 0
        messages, covered = self.messages(context, app, notifications)
        self.duplicates += await publish(js, messages, self.settings)
        self.sent += len(messages)
        # Every message acknowledged: only now does the position move, in memory at once
        # and in the read store before anything more is published.
        self.published[context] = covered
        self.unsaved = True
        self._save_if_needed()
        return max(len(messages), 1)

    def messages(
        self, context: str, app: Application[Any], notifications: Sequence[Notification]
    ) -> tuple[list[Message], int]:
        """The batch's messages, up to (not including) one that cannot be published, and
        the notification id they cover (dom's own request claims are passed over: they
        are how an Idempotency-Key rides in a command's transaction, not news); Stalled
        when the first one cannot be published."""
        messages: list[Message] = []
        covered = notifications[0].id - 1
        for notification in notifications:
            if notification.topic.startswith(INTERNAL_TOPICS):
                covered = notification.id
                continue
            try:
                event = app.mapper.to_domain_event(notification)
                message = message_for(
                    self.settings.relay_subject_prefix, context, notification, event
                )
                if len(message.body) > self.max_payload:
                    raise ValueError(f"{len(message.body)} bytes, more than NATS takes")
            except Exception as error:  # fmt: skip
                if messages:
                    break  # publish what comes before it first
                raise Stalled(context, notification.id, notification.topic, repr(error)) from error
            messages.append(message)
            covered = notification.id
        return messages, covered

    def _save_if_needed(self) -> None:
        if self.unsaved and self.published is not None:
            self.positions.save(self.published)
            self.unsaved = False

    def _failed(self, error: BaseException) -> None:
        described = f"{type(error).__name__}: {error}"[:1000]
        if described == self._failure:
            return
        stalled = isinstance(error, Stalled) or not isinstance(error, TRANSIENT)
        log.error("relay %s: %s", "stalled" if stalled else "failing", described,
                  exc_info=error if stalled else None)  # fmt: skip
        self._failure = described
        try:
            at = (error.notification_id, error.topic) if isinstance(error, Stalled) else ()
            self.positions.health("stalled" if stalled else "failing", described, *at)
        except Exception as failure:  # the read store is away too; the log has it
            log.warning("relay could not record its health: %s", failure)

    def _report_now_and_then(self) -> None:
        if time.monotonic() - self._reported[0] >= REPORT_EVERY:
            self._report()

    def _report(self) -> None:
        """A progress line: each context's position and lag, and the rate since the last."""
        then, sent_then = self._reported
        now = time.monotonic()
        parts = []
        for context, app in self.contexts.items():
            position = (self.published or {}).get(context, 0)
            try:
                behind = f"{(app.recorder.max_notification_id() or 0) - position} behind"
            except TRANSIENT:
                behind = "store away"
            parts.append(f"{context} {position} ({behind})")
        per_second = (self.sent - sent_then) / max(now - then, 1e-9)
        log.info("relayed %s; %.0f events/s; %s duplicates dropped by the stream so far",
                 ", ".join(parts), per_second, self.duplicates)  # fmt: skip
        self._reported = (now, self.sent)


async def publish(js: JetStreamContext, messages: Sequence[Message], settings: Settings) -> int:
    """Publish in order, then wait for every acknowledgement; returns how many JetStream
    reported as duplicates. Raises when any message was not acknowledged in time."""
    futures = [
        await js.publish_async(
            m.subject, m.body, headers=dict(m.headers), stream=settings.relay_stream
        )
        for m in messages
    ]
    acks = await asyncio.wait_for(asyncio.gather(*futures), settings.relay_ack_timeout)
    return sum(1 for ack in acks if ack.duplicate)


async def _wait(stopping: asyncio.Event, seconds: float) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)


async def _quiet(error: Exception) -> None:
    log.debug("nats: %s", error)
