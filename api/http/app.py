"""The FastAPI application: command routes for channels, query routes for dashboards."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from adapters.geocoding import gazetteer
from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from api.clock import tick
from api.http import (
    errors,
    openapi,
    routes_carriers,
    routes_channels,
    routes_health,
    routes_keys,
    routes_operations,
    routes_orders,
    routes_otif,
    routes_routing,
    routes_shipments,
    routes_stock,
    routes_tracking,
)
from api.http.intake import IntakeBatcher
from api.http.middleware import BodyLimit, RequestId, request_id
from api.http.responses import OrjsonResponse

log = logging.getLogger("dom.clock")


def _start_clock(dom: Container) -> asyncio.Task[None] | None:
    """In embedded (inline) mode the API process runs the clock's step every
    DOM_CLOCK_SECONDS; with workers, `dom work clock` does."""
    every = dom.settings.clock_seconds
    if dom.settings.followers != "inline" or not every:
        return None

    async def run() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await asyncio.get_running_loop().run_in_executor(
                    None, lambda: tick(dom, datetime.now(UTC))
                )
            except Exception:  # a store away: the next step tries again
                log.exception("the clock's step failed")

    return asyncio.get_running_loop().create_task(run())


def create_app(container: Container | None = None) -> FastAPI:
    """Build the app around a container; without one, bootstrap from DOM_* settings at start."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = container is None
        app.state.container = container or bootstrap()
        app.state.intake = IntakeBatcher(app.state.container)
        app.state.container.runtime.catch_up_all()
        # Read the gazetteer (a second or two, once per process) before taking requests, so
        # that no request waits for it and the process's memory is settled when it serves.
        await asyncio.get_running_loop().run_in_executor(None, gazetteer().load)
        ticking = _start_clock(app.state.container)
        yield
        if ticking is not None:
            ticking.cancel()
        app.state.intake.close()
        if owned:
            app.state.container.close()

    app = FastAPI(
        title="dom",
        description="Distributed Order Management: command API for channels, query API for dashboards.",
        version="0.1.0",
        default_response_class=OrjsonResponse,
        lifespan=lifespan,
    )
    if container is not None:
        app.state.container = container
    errors.install(app, request_id)
    openapi.install(app)
    settings = container.settings if container is not None else Settings()
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(RequestId)  # added last: outermost, so every answer carries the id
    app.include_router(routes_health.router)
    app.include_router(routes_orders.router)
    app.include_router(routes_stock.router)
    app.include_router(routes_routing.router)
    app.include_router(routes_operations.router)
    app.include_router(routes_shipments.router)
    app.include_router(routes_channels.router)
    app.include_router(routes_otif.router)
    app.include_router(routes_tracking.router)
    app.include_router(routes_tracking.webhook)
    app.include_router(routes_carriers.router)
    app.include_router(routes_keys.router)
    return app
