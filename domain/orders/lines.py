"""An order's line states and how they roll up into the order's status: pure rules."""

from __future__ import annotations

from enum import StrEnum


class LineState(StrEnum):
    OPEN = "open"
    ALLOCATED = "allocated"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


# Lines only move forward through these ranks; cancelled stands outside them.
LINE_RANK = {
    LineState.OPEN: 0,
    LineState.ALLOCATED: 1,
    LineState.SHIPPED: 2,
    LineState.DELIVERED: 3,
}
DISPATCHED = {LineState.SHIPPED, LineState.DELIVERED}
# What a carrier may end a shipment with besides delivering it: its units are not shipped.
UNDELIVERED = ("returned_to_sender", "lost")


class OrderStatus(StrEnum):
    HELD = "held"
    RELEASED = "released"
    ALLOCATED = "allocated"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"  # delivered, and the channel's return window has passed
    CANCELLED = "cancelled"


def roll_up(
    line_states: dict[str, LineState], holds: list[str], partly_shipped: bool = False
) -> OrderStatus:
    """The order's status as a pure function of its lines and holds (`partly_shipped`:
    some units of a line left, not all of them)."""
    active = [state for state in line_states.values() if state is not LineState.CANCELLED]
    if not active:
        return OrderStatus.CANCELLED
    if all(state is LineState.DELIVERED for state in active):
        return OrderStatus.DELIVERED
    if all(state in DISPATCHED for state in active):
        return OrderStatus.SHIPPED
    if partly_shipped or any(state in DISPATCHED for state in active):
        return OrderStatus.PARTIALLY_SHIPPED
    if holds:
        return OrderStatus.HELD
    if all(state is LineState.ALLOCATED for state in active):
        return OrderStatus.ALLOCATED
    return OrderStatus.RELEASED
