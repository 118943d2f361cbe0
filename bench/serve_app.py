"""`python -m bench.serve_app [--unchecked]`: dom's server as `dom serve` runs it (one
process), or with the key check overridden by a no-op through FastAPI's
`app.dependency_overrides`, to measure what checking keys costs (bench/auth.py).
The override exists only here: dom itself has no switch that turns keys off."""

from __future__ import annotations

import sys

from adapters.settings import Settings
from api.http.app import create_app
from api.http.auth import authorised
from api.http.protocol import Config
from api.http.server import Server, server_options, start


async def unchecked() -> None:
    """Stands for `authorised` (async, as it is: no thread): no header read, no key looked
    up, no scope compared."""


def main() -> None:
    settings = Settings()
    container = start(settings)
    app = create_app(container)
    if "--unchecked" in sys.argv:
        app.dependency_overrides[authorised] = unchecked
    options = server_options(settings, settings.host, settings.port)
    try:
        Server(Config(app, **options), lambda: None).run()
    finally:
        container.close()


main()
