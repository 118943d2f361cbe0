"""The network the intake figures run against: the path users run, with sourcing in it.

Three locations that serve the bench channel, stock of the bench SKUs far beyond
what a run orders, and an active routing policy (api/demo.py's), so every order
placed is really sourced and its stock reserved, never backordered or stopped
early for want of a policy. `reserved_units` tells afterwards that it was.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from adapters.settings import Settings
from api.bootstrap import Container, bootstrap
from api.demo import DEMO_POLICY
from bench.payloads import CHANNEL, SKUS
from domain.errors import NotFound
from domain.fulfilment.application import StockCount
from domain.fulfilment.location import LocationProfile, LocationType
from domain.fulfilment.routing import DEFAULT_POLICY

UNITS = 10_000_000  # of each SKU at each location: no run comes near it
LOCATIONS = [
    LocationProfile("BENCH-ANR", "Antwerp DC", LocationType.DISTRIBUTION_CENTRE, "BE", 51.26,
                    4.40, "Europe/Brussels", channels=(CHANNEL,), priority=10),
    LocationProfile("BENCH-LIL", "Lille warehouse", LocationType.WAREHOUSE, "FR", 50.63, 3.06,
                    "Europe/Paris", channels=(CHANNEL,), priority=20),
    LocationProfile("BENCH-AMS", "Amsterdam store", LocationType.STORE, "NL", 52.37, 4.89,
                    "Europe/Amsterdam", channels=(CHANNEL,), priority=50),
]  # fmt: skip


def load_network(dom: Container, now: datetime) -> None:
    """Locations, stock and the active policy; once per store (the policy marks it done)."""
    try:
        if dom.fulfilment.get_policy(DEFAULT_POLICY).active_version is not None:
            return
    except NotFound:
        pass
    for profile in LOCATIONS:
        dom.fulfilment.define_location(profile, now)
    counted_at = now - timedelta(minutes=1)
    dom.fulfilment.count_stock(
        [StockCount(p.code, sku, UNITS, counted_at) for p in LOCATIONS for sku in SKUS], now
    )
    version = dom.fulfilment.draft_policy(DEFAULT_POLICY, DEMO_POLICY, "bench", now)
    dom.fulfilment.activate_policy(DEFAULT_POLICY, version, now)
    dom.runtime.catch_up_all()


def prepare(settings: Settings, now: datetime) -> None:
    """Load the network into a store that another process (the API server) will use."""
    dom = bootstrap(settings)
    load_network(dom, now)
    dom.close()


def reserved(dom: Container) -> int:
    """Units of the bench SKUs reserved across the network so far."""
    dom.runtime.catch_up_all()
    return sum(dom.fulfilment.stock_item(p.code, sku).reserved for p in LOCATIONS for sku in SKUS)


def reserved_units(settings: Settings) -> int:
    """The same, read from a store another process wrote to."""
    dom = bootstrap(settings)
    units = reserved(dom)
    dom.close()
    return units


def on_hand(settings: Settings) -> int:
    """Units of the bench SKUs on hand across the network, read from the aggregates."""
    dom = bootstrap(settings)
    units = sum(dom.fulfilment.stock_item(p.code, sku).on_hand for p in LOCATIONS for sku in SKUS)
    dom.close()
    return units
