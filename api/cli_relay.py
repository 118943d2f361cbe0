"""`dom relay`: every stored event out on NATS JetStream, exactly once (docs/relay.md)."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer

from adapters.relay import Relay
from api.bootstrap import bootstrap


def relay(
    idle: Annotated[float, typer.Option(min=0.001, help="seconds between polls when idle")] = 0.1,
) -> None:
    """Publish every stored event of every context to NATS JetStream until stopped (SIGTERM
    or Ctrl-C); resumes from the acknowledged position after a crash or a restart."""
    dom = bootstrap(pool_size=1)
    logging.basicConfig(
        level=dom.settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    typer.echo(
        f"relaying {', '.join(dom.contexts)} to {dom.settings.nats_url} "
        f"stream {dom.settings.relay_stream} ({dom.settings.relay_subject_prefix}.>)"
    )
    try:
        asyncio.run(_until_stopped(Relay(dom.settings, dom.contexts, dom.store), idle))
    finally:
        dom.close()


async def _until_stopped(relay: Relay, idle: float) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop, stopping.set)
    await relay.run(stopping, idle)
