"""The orders context's published language: the events another context may follow.

Contexts talk only through events (docs/architecture.md). A policy of another
context follows these by topic and reads only the fields listed here, never
the Order aggregate: this module imports nothing of the orders context, and
the import contracts in pyproject.toml let a policy import this module and
nothing else of orders. The event classes stay nested on Order (the library
stores their topics and rebuilds the aggregate from them); a test checks that
every topic below still names its class and that the class carries the listed
fields. A field removed or changed in meaning is a new class version with an
upcaster, never a silent edit.

Every event also carries `originator_id` (the order's id) and
`originator_version`.
"""

from __future__ import annotations

ORDER_PLACED = "domain.orders.order:Order.Placed"
ORDER_RELEASED = "domain.orders.order:Order.Released"
ORDER_CANCELLED = "domain.orders.order:Order.Cancelled"

FIELDS: dict[str, tuple[str, ...]] = {
    # placed: the normalised placement: channel, channel_order_id, placed_at,
    #   currency, shipping_address {country, region?, latitude?, longitude?, ...},
    #   lines [{line_id, sku, quantity, unit_price (decimal text), group?}],
    #   service_level, tags, pickup_location?, priority?,
    #   destination? {latitude?, longitude?, located_by {method: given|city|unknown, ...}}
    #   (absent from orders placed before it was recorded: the address's coordinates hold)
    # at: when the order was received (the command's time)
    ORDER_PLACED: ("placed", "at"),
    # at: when the order was released for fulfilment (placed without a hold, or released)
    ORDER_RELEASED: ("at",),
    # line_ids: the lines cancelled by this event; reason: free text; at: when
    ORDER_CANCELLED: ("line_ids", "reason", "at"),
}
