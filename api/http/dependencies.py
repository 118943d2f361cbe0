"""Typed dependencies: routes say what they need, the app state provides it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from api.bootstrap import Container
from api.http.intake import IntakeBatcher


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def get_intake(request: Request) -> IntakeBatcher:
    intake: IntakeBatcher = request.app.state.intake
    return intake


async def get_now() -> datetime:
    """The one place where a request reads the clock."""
    return datetime.now(UTC)


ContainerDep = Annotated[Container, Depends(get_container)]
IntakeDep = Annotated[IntakeBatcher, Depends(get_intake)]
NowDep = Annotated[datetime, Depends(get_now)]
