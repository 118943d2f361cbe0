"""The one composition root: the API, the CLI, workers and tests all build dom here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.carriers_builtin import BuiltinCarrier
from adapters.keyed_locks import KeyedLocks
from adapters.persistence import event_store_env, schema_lock
from adapters.readstore import ReadStore
from adapters.settings import Settings
from api.keyring import Keyring
from domain.access.application import Access
from domain.fulfilment.application import Fulfilment
from domain.fulfilment.oversold import WhenStockFallsUnderReservationsSourceAgain
from domain.fulfilment.policies import WhenOrdersChangeFulfilThem, WhenStockOrRulesChangeSourceAgain
from domain.orders.application import Orders
from domain.orders.policies import WhenFulfilmentDecidesRollUp, WhenPaymentsSettleReleaseOrders
from domain.payments.application import Payments
from domain.payments.policies import WhenOrdersArePlacedOpenPayments
from domain.processing import ContextApplication
from projections.availability import AvailabilityProjection
from projections.follower import Follower
from projections.health import Watch
from projections.order_status import OrderStatusProjection
from projections.otif import OtifProjection
from projections.parked import ParkedProjection
from projections.payments import PaymentsProjection
from projections.policy_follower import Policy, PolicyFollower
from projections.routing import RoutingProjection
from projections.runtime import Runtime
from projections.shipments import ShipmentsProjection


@dataclass
class Container:
    settings: Settings
    orders: Orders
    fulfilment: Fulfilment
    store: ReadStore
    runtime: Runtime
    access: Access
    keyring: Keyring
    payments: Payments

    @property
    def contexts(self) -> dict[str, ContextApplication]:
        """Every bounded context by name: what `dom relay` publishes, among others."""
        return {app.name: app for app in (self.orders, self.fulfilment, self.payments, self.access)}

    def close(self) -> None:
        self.orders.close()
        self.fulfilment.close()
        self.access.close()
        self.payments.close()
        self.store.close()


def bootstrap(settings: Settings | None = None, **overrides: Any) -> Container:
    """Build the applications, read store and followers for the configured mode."""
    settings = (settings or Settings()).model_copy(update=overrides)
    with schema_lock(settings):
        orders = Orders(env=event_store_env(settings, Orders.name))
        fulfilment = Fulfilment(env=event_store_env(settings, Fulfilment.name))
        fulfilment.serialiser = KeyedLocks()
        fulfilment.carrier_adapters = {"builtin": BuiltinCarrier()}
        # Keys are read on a cache miss and written rarely: a small pool is plenty.
        small = settings.model_copy(update={"pool_size": min(settings.pool_size, 2)})
        access = Access(env=event_store_env(small, Access.name))
        payments = Payments(env=event_store_env(small, Payments.name))
        store = ReadStore(settings)
    policies: list[tuple[Policy, Any, Any]] = [
        (WhenOrdersChangeFulfilThem(), orders, fulfilment),
        (WhenStockOrRulesChangeSourceAgain(), fulfilment, fulfilment),
        (WhenStockFallsUnderReservationsSourceAgain(), fulfilment, fulfilment),
        (WhenFulfilmentDecidesRollUp(), fulfilment, orders),
        (WhenOrdersArePlacedOpenPayments(), orders, payments),
        (WhenPaymentsSettleReleaseOrders(), payments, orders),
    ]
    followers: list[Follower | PolicyFollower] = [
        *(PolicyFollower(policy, source, target, Watch(policy.name, store))
          for policy, source, target in policies),
        Follower(OrderStatusProjection(), orders, store),
        Follower(AvailabilityProjection(), fulfilment, store),
        Follower(RoutingProjection(), fulfilment, store),
        Follower(ShipmentsProjection(), fulfilment, store),
        Follower(OtifProjection(), fulfilment, store),
        Follower(ParkedProjection("orders"), orders, store),
        Follower(ParkedProjection("fulfilment"), fulfilment, store),
        Follower(ParkedProjection("payments"), payments, store),
        Follower(PaymentsProjection(), payments, store),
    ]  # fmt: skip
    runtime = Runtime(
        followers,
        inline=settings.followers == "inline",
        timeout=settings.read_your_writes_timeout,
        budget=settings.store_timeout,
    )
    keyring = Keyring(access, settings.key_cache_seconds)
    return Container(settings, orders, fulfilment, store, runtime, access, keyring, payments)
