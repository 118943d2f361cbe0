"""What a key may do: scopes, the kinds of key, and the scopes each kind may hold.

A scope names a family of routes (docs/security.md has the table). A kind says who
holds the key: a sales channel, a stock location's systems, a person of the operations
team, an administrator. A key is issued with its kind's scopes, or fewer; never one its
kind does not have, so a channel's key can never be made to run the warehouse.
"""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    ORDERS_WRITE = "orders:write"
    ORDERS_READ = "orders:read"
    INVENTORY_READ = "inventory:read"
    INVENTORY_WRITE = "inventory:write"
    WAREHOUSE = "warehouse"
    ROUTING_ADMIN = "routing:admin"
    CHANNELS_ADMIN = "channels:admin"
    CARRIERS_ADMIN = "carriers:admin"
    OPERATIONS = "operations"  # exception queue actions, holds, steps by hand
    KEYS_ADMIN = "keys:admin"


class Kind(StrEnum):
    CHANNEL = "channel"  # owner: the channel's code
    LOCATION = "location"  # owner: the location's code
    STAFF = "staff"  # owner: a person's name
    ADMIN = "admin"  # owner: a person's name


SCOPES_OF: dict[Kind, tuple[Scope, ...]] = {
    Kind.CHANNEL: (Scope.ORDERS_WRITE, Scope.ORDERS_READ, Scope.INVENTORY_READ),
    Kind.LOCATION: (Scope.WAREHOUSE, Scope.INVENTORY_READ),
    Kind.STAFF: (Scope.ORDERS_READ, Scope.INVENTORY_READ, Scope.OPERATIONS),
    Kind.ADMIN: tuple(Scope),
}
