"""Typed dependencies: routes say what they need, the app state provides it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from api.bootstrap import Container


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_now() -> datetime:
    """The one place where a request reads the clock."""
    return datetime.now(UTC)


ContainerDep = Annotated[Container, Depends(get_container)]
NowDep = Annotated[datetime, Depends(get_now)]
