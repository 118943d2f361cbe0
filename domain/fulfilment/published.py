"""The fulfilment context's published language: the events another context may follow.

Contexts talk only through events (docs/architecture.md). A policy of another
context follows these by topic and reads only the fields listed here, never
fulfilment's aggregates: this module imports nothing of the fulfilment
context, and the import contracts in pyproject.toml let a policy import this
module and nothing else of fulfilment. The event classes stay nested on their
aggregates (the library stores their topics and rebuilds the aggregates from
them); a test checks that every topic below still names its class and that the
class carries the listed fields. A field removed or changed in meaning is a
new class version with an upcaster, never a silent edit.

Every event also carries `originator_id` (the id of the aggregate it is about)
and `originator_version`.
"""

from __future__ import annotations

SHIPMENT_REQUESTED = "domain.fulfilment.shipment:Shipment.Requested"
SHIPMENT_REJECTED = "domain.fulfilment.shipment:Shipment.Rejected"
ORDER_SOURCED = "domain.fulfilment.fulfilment_order:FulfilmentOrder.Sourced"
SHIPMENT_PICKED = "domain.fulfilment.shipment:Shipment.Picked"
SHIPMENT_DISPATCHED = "domain.fulfilment.shipment:Shipment.Dispatched"
SHIPMENT_TRACKED = "domain.fulfilment.shipment:Shipment.Tracked"

FIELDS: dict[str, tuple[str, ...]] = {
    # order_id: the order's id (text); location: the location code asked to ship;
    # lines: line id -> quantity; at: when it was requested
    SHIPMENT_REQUESTED: ("order_id", "location", "lines", "at"),
    # the same for a location that cannot ship; reason: free text
    SHIPMENT_REJECTED: ("order_id", "location", "lines", "reason", "at"),
    # originator_id is the order's id. decision: the sourcing decision, of which
    # followers read `plan` (location -> line id -> quantity), `unfilled`
    # (line id -> quantity nobody could fill) and `fallback` ("backorder",
    # "cancel_unfillable", "exception" or None); at: when it was decided
    ORDER_SOURCED: ("decision", "at"),
    # originator_id is the shipment's id. picked: line id -> units picked (0: none
    # found); short: line id -> units missing (re-sourced by fulfilment); at: when
    SHIPMENT_PICKED: ("order_id", "location", "picked", "short", "at"),
    # lines: line id -> units handed to the carrier; carrier, service,
    # tracking_number: text; at: when it was handed over; tracking_link: the carrier's
    # page for the parcel or None (also None in events recorded before it was kept)
    SHIPMENT_DISPATCHED: (
        "order_id",
        "location",
        "lines",
        "carrier",
        "service",
        "tracking_number",
        "at",
        "tracking_link",
    ),
    # A carrier's news of a dispatched shipment. status: in_transit, out_for_delivery,
    # delivery_failed, delivered, returned_to_sender or lost; at: the carrier's time;
    # became: the shipment's status after it (None: kept in its history, the status did not
    # change, e.g. late news); lines: line id -> units it carries
    SHIPMENT_TRACKED: ("order_id", "location", "lines", "status", "became", "at"),
}
