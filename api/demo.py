"""A little demo data: a dozen orders from three channels, placed once however often it runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from api.bootstrap import Container
from api.demo_history import load_history, week_of_orders
from api.locating import locate_order
from domain.errors import Conflict
from domain.fulfilment.application import StockCount
from domain.fulfilment.location import Capability, LocationProfile, LocationType
from domain.orders.payment_report import PaymentReport
from domain.orders.placement import Address, Customer, Line, PlaceOrder

CUSTOMERS = [
    (Customer("Ada Peeters", "ada@example.com", "+32 470 12 34 56"),
     Address("Ada Peeters", "Meir 12", "2000", "Antwerpen", "BE", latitude=51.2188, longitude=4.4085)),
    (Customer("Jan de Vries", "jan@example.nl"),
     Address("Jan de Vries", "Damrak 1", "1012 LG", "Amsterdam", "NL", latitude=52.3765, longitude=4.8977)),
    (Customer("Chloé Martin", "chloe@example.fr"),
     Address("Chloé Martin", "5 Rue de Rivoli", "75001", "Paris", "FR", latitude=48.8556, longitude=2.3522)),
]  # fmt: skip
CATALOGUE = [
    ("TEE-BLK-M", "19.90"),
    ("HOODIE-GRY-L", "59.00"),
    ("CAP-RED", "14.50"),
    ("SOCK-3PK", "9.99"),
]
CHANNELS = ["webshop", "marketplace", "instagram"]


def demo_orders(now: datetime, count: int = 12, paid: bool = False) -> list[PlaceOrder]:
    """`paid`: the webshop's orders report their payment, a card authorised or, for two of
    them, a bank transfer still to come (held until a statement brings the money)."""
    orders = []
    for n in range(count):
        customer, address = CUSTOMERS[n % len(CUSTOMERS)]
        picks = [CATALOGUE[(n + k) % len(CATALOGUE)] for k in range(1 + n % 3)]
        lines = tuple(
            Line(str(i + 1), sku, 1 + (n + i) % 2, price) for i, (sku, price) in enumerate(picks)
        )
        subtotal = sum(Decimal(line.unit_price) * line.quantity for line in lines)
        shipping = Decimal("4.95") if subtotal < 50 else Decimal("0.00")
        orders.append(
            PlaceOrder(
                channel=CHANNELS[n % len(CHANNELS)],
                channel_order_id=f"DEMO-{1000 + n}",
                placed_at=now - timedelta(hours=count - n),
                currency="EUR",
                customer=customer,
                shipping_address=address,
                lines=lines,
                shipping_price=str(shipping),
                discount_total="0",
                total=str(subtotal + shipping),
                tags=("demo",),
                payment=_payment(n, subtotal + shipping) if paid and n % 3 == 0 else None,
            )
        )
    return orders


def _payment(n: int, total: Decimal) -> PaymentReport:
    if n % 2:
        return PaymentReport(method="bank_transfer", amount=str(total))
    return PaymentReport(method="card", amount=str(total), provider="builtin",
                         reference=f"DEMO-AUTH-{1000 + n}")  # fmt: skip


LOCATIONS = [
    LocationProfile("ANR-DC", "Antwerp DC", LocationType.DISTRIBUTION_CENTRE, "BE", 51.26, 4.40,
                    "Europe/Brussels", channels=("webshop", "marketplace", "instagram"),
                    daily_capacity=500, priority=10),
    LocationProfile("AMS-01", "Amsterdam store", LocationType.STORE, "NL", 52.37, 4.89,
                    "Europe/Amsterdam", channels=("webshop", "instagram"), daily_capacity=20,
                    priority=50, capabilities=(Capability.SHIPS, Capability.PICKUP)),
    LocationProfile("PAR-WH", "Paris warehouse", LocationType.WAREHOUSE, "FR", 48.86, 2.35,
                    "Europe/Paris", channels=("webshop", "marketplace"), daily_capacity=300,
                    priority=20),
]  # fmt: skip
DEMO_POLICY = {
    "strategies": [
        {
            "name": "nearest location that can ship the line",
            "criteria": [
                {"kind": "channel"},
                {"kind": "capacity"},
                {"kind": "stock", "mode": "line"},
                {"kind": "stock_coverage"},
                {"kind": "distance", "bands_km": [100, 400]},
                {"kind": "priority"},
                {"kind": "max_splits", "max": 1},
            ],
            "fallback": "backorder",
        }
    ]
}


def load_network(dom: Container, now: datetime) -> None:
    """Three locations with stock of the demo catalogue and an active routing policy."""
    for profile in LOCATIONS:
        dom.fulfilment.define_location(profile, now)
    counted_at = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=50)
    counts = [StockCount(p.code, sku, 3 + (n * 7 + len(p.code)) % 11, counted_at)
              for n, (sku, _) in enumerate(CATALOGUE) for p in LOCATIONS]  # fmt: skip
    dom.fulfilment.count_stock(counts, now)
    version = dom.fulfilment.draft_policy("default", DEMO_POLICY, "demo", now)
    dom.fulfilment.activate_policy("default", version, now)


def load_demo(dom: Container, now: datetime) -> tuple[int, int]:
    """Set up the network, then place the demo orders; returns (placed now, already there)."""
    load_network(dom, now)
    created = existing = 0
    for command in demo_orders(now.replace(minute=0, second=0, microsecond=0), paid=True):
        try:
            placement = dom.orders.place_order(locate_order(command), now)
        except Conflict:  # placed by an earlier run, at another hour
            existing += 1
            continue
        created, existing = created + placement.created, existing + (not placement.created)
    dom.runtime.catch_up_all()
    hour = now.replace(minute=0, second=0, microsecond=0)
    placed, there = load_history(dom, week_of_orders(demo_orders(hour), now), now)
    return created + placed, existing + there
