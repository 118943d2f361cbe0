"""Object-level rules: which orders, shipments and stock rows a key may see (OWASP API1),
and which of an order's fields (API3). Every route asks here; none decides for itself.

- A **channel** key is confined to its own channel (its owner): it places orders for it
  only, and reads, lists, searches and cancels only its orders.
- A **location** key is confined to its own location: its pick list, its shipments and its
  own rows of stock.
- **Staff** and **admin** keys see everything.

Something outside a key's confinement is answered as if it did not exist: 404, never 403,
so that a key learns nothing of another channel's order ids or another location's
shipments. Customer contact data (the customer, the shipping address) is shown to the
order's own channel, staff and admin; any other key that reaches an order gets it left out.
"""

from __future__ import annotations

from typing import Any

from domain.access.api_key import Principal
from domain.access.scopes import Kind
from domain.errors import FieldProblem, InvalidCommand, NotFound

# Fields of an order document (detail, list item, command answer) that name or reach the
# customer: left out for a key that may not see them.
CONTACT_FIELDS = ("customer", "shipping_address", "customer_email", "customer_name")


def own_channel(principal: Principal) -> str | None:
    """The channel a key is confined to; None for a key that sees every channel."""
    return principal.owner if principal.kind is Kind.CHANNEL else None


def own_location(principal: Principal) -> str | None:
    """The location a key is confined to; None for a key that sees every location."""
    return principal.owner.upper() if principal.kind is Kind.LOCATION else None


def visible_order(principal: Principal, order_channel: str) -> bool:
    """Staff and admin see every order; a channel key its own channel's; no other key any."""
    if principal.kind in (Kind.STAFF, Kind.ADMIN):
        return True
    return principal.kind is Kind.CHANNEL and principal.owner == order_channel


def visible_location(principal: Principal, location: str) -> bool:
    """A location key sees only its own location's shipments and stock; others see all."""
    confined = own_location(principal)
    return confined is None or confined == location.upper()


def check_order(principal: Principal, order_id: object, order_channel: str | None) -> None:
    """404 for an order that does not exist (None) or that the key may not see."""
    if order_channel is None or not visible_order(principal, order_channel):
        raise NotFound(f"order {order_id} not found")


def shown_detail(
    principal: Principal, order_id: object, detail: dict[str, Any] | None
) -> dict[str, Any]:
    """An order's detail (None: not found) as the key may see it; 404 if it may not."""
    check_order(principal, order_id, detail["channel"] if detail else None)
    assert detail is not None
    return shown_order(principal, detail)


def check_shipment(principal: Principal, shipment_id: object, location: str) -> None:
    if not visible_location(principal, location):
        raise NotFound(f"shipment {shipment_id} not found")


def check_location(principal: Principal, code: str) -> None:
    if not visible_location(principal, code):
        raise NotFound(f"location {code} not found")


def check_channel(principal: Principal, channel: str) -> None:
    """404 for another channel named by a channel key (its configuration, its figures)."""
    confined = own_channel(principal)
    if confined is not None and confined != channel:
        raise NotFound(f"channel {channel} not found")


def finds_nothing(principal: Principal, named: str | None) -> bool:
    """A channel key's list filter naming another channel: the answer is empty."""
    confined = own_channel(principal)
    return confined is not None and named not in (None, confined)


def channel_filter(principal: Principal, named: str | None) -> str | None:
    """The channel a list is filtered by: a channel key's own, else the one named."""
    return own_channel(principal) or named


def placing_channel(principal: Principal, named: str | None) -> str:
    """The channel an order is placed for: a channel key's own (left out, or named the
    same); another one is refused (422), as is none from a key that is not a channel's."""
    confined = own_channel(principal)
    if confined is not None and named not in (None, confined):
        problem = f"a key of channel {confined} places orders for {confined} only"
        raise InvalidCommand([FieldProblem("channel", problem)])
    channel = named or confined
    if channel is None:
        raise InvalidCommand([FieldProblem("channel", "Field required")])
    return channel


def sees_contact(principal: Principal, order_channel: str) -> bool:
    return principal.kind in (Kind.STAFF, Kind.ADMIN) or (
        principal.kind is Kind.CHANNEL and principal.owner == order_channel
    )


def shown_order(principal: Principal, document: dict[str, Any]) -> dict[str, Any]:
    """The order document (detail, list item or command answer) as the key may see it."""
    if sees_contact(principal, document["channel"]):
        return document
    return {key: value for key, value in document.items() if key not in CONTACT_FIELDS}
