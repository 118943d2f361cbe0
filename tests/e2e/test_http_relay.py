"""An operator sees how far the relay got: `/ready` names each context's acknowledged
position beside its latest event, and is degraded while the relay cannot publish."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi.testclient import TestClient

from adapters.relay import Relay
from adapters.relay_positions import RelayPositions
from adapters.settings import Settings
from api.bootstrap import bootstrap
from api.http.app import create_app
from tests.access_builders import admin_headers
from tests.builders import an_order_payload
from tests.relay_streams import NATS_URL, own_stream


async def relay_all(relay: Relay) -> None:
    async with relay.connected() as js:
        while await relay.step(js):
            pass


def test_ready_shows_the_relay_position_and_lag_per_context(tmp_path: Any) -> None:
    with own_stream() as stream:
        dom = bootstrap(Settings(data_dir=tmp_path / "var", nats_url=NATS_URL, **stream))
        with TestClient(create_app(dom), headers=admin_headers(dom)) as client:
            assert client.get("/ready").json()["relay"] == {}  # no relay has run
            client.post("/orders", json=an_order_payload())
            asyncio.run(relay_all(Relay(dom.settings, dom.contexts, dom.store)))
            latest = dom.orders.recorder.max_notification_id()
            client.post("/orders", json=an_order_payload())

            ready = client.get("/ready").json()
            orders = ready["relay"]["orders"]
            now = dom.orders.recorder.max_notification_id()
            assert (orders["position"], orders["latest"], orders["behind"]) == (
                latest, now, now - latest,
            )  # fmt: skip
            assert orders["behind"] > 0
            assert ready["status"] == "ready"

            RelayPositions(dom.store, stream["relay_stream"]).health("failing", "NoServersError")
            ready = client.get("/ready").json()
            assert ready["status"] == "degraded" and "relay failing" in ready["causes"][0]
        dom.close()
