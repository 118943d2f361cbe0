"""Helpers of the relay tests: a stream of their own on the real NATS server, read back
whole, and what the event store says it must hold."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import nats
from nats.js.errors import NotFoundError

from adapters.relay_messages import public_name
from api.bootstrap import Container

NATS_URL = os.environ.get("DOM_TEST_NATS_URL", "nats://127.0.0.1:4222")


@dataclass(frozen=True)
class Received:
    seq: int
    subject: str
    headers: dict[str, str]
    data: bytes


def unique_stream() -> dict[str, str]:
    """Settings of a stream no other test (or a running dom) uses."""
    tag = uuid.uuid4().hex[:12]
    return {"relay_stream": f"DOMTEST_{tag}", "relay_subject_prefix": f"domtest-{tag}"}


@contextmanager
def own_stream(url: str = NATS_URL) -> Iterator[dict[str, str]]:
    names = unique_stream()
    yield names
    asyncio.run(delete_stream(names["relay_stream"], url))


async def delete_stream(name: str, url: str = NATS_URL) -> None:
    connection = await nats.connect(url, connect_timeout=5)
    try:
        await connection.jetstream().delete_stream(name)
    except NotFoundError:
        pass
    finally:
        await connection.close()


def read_stream(name: str, url: str = NATS_URL) -> list[Received]:
    """Every message of the stream, by sequence (fails loudly without NATS)."""

    async def read() -> list[Received]:
        connection = await nats.connect(url, connect_timeout=5)
        try:
            js = connection.jetstream()
            info = await js.stream_info(name)
            found = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                msg = await js.get_msg(name, seq=seq)
                found.append(
                    Received(seq, msg.subject or "", dict(msg.headers or {}), msg.data or b"")
                )
            return found
        finally:
            await connection.close()

    return asyncio.run(read())


def expected(dom: Container, prefix: str) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    """Per context, in notification order: (Nats-Msg-Id, subject, headers) of each event."""
    wanted: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for context, app in dom.contexts.items():
        wanted[context] = []
        for n in app.recorder.select_notifications(start=None, limit=1_000_000):
            version = int(getattr(type(app.mapper.to_domain_event(n)), "class_version", 1))
            name = public_name(n.topic)
            headers = {
                "Nats-Msg-Id": f"{context}:{n.id}", "Dom-Context": context,
                "Dom-Event": f"{name}.v{version}", "Dom-Aggregate-Id": str(n.originator_id),
                "Dom-Aggregate-Version": str(n.originator_version), "Dom-Notification-Id": str(n.id),
            }  # fmt: skip
            wanted[context].append(
                (f"{context}:{n.id}", f"{prefix}.{context}.{name}.v{version}", headers)
            )
    return wanted


def received_by_context(
    messages: list[Received],
) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    found: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for m in messages:
        headers = {k: v for k, v in m.headers.items() if k != "Nats-Expected-Stream"}
        found.setdefault(m.headers["Dom-Context"], []).append(
            (m.headers["Nats-Msg-Id"], m.subject, headers)
        )
    return found


def assert_exactly_once(dom: Container, stream: dict[str, str], url: str = NATS_URL) -> int:
    """The stream holds each stored event once, in notification order per context."""
    messages = read_stream(stream["relay_stream"], url)
    ids = [m.headers["Nats-Msg-Id"] for m in messages]
    assert len(ids) == len(set(ids)), "a message is in the stream twice"
    wanted = {
        c: events for c, events in expected(dom, stream["relay_subject_prefix"]).items() if events
    }
    assert received_by_context(messages) == wanted
    return len(messages)
