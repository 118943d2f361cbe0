"""The port to a carrier's systems: what dom asks of every carrier adapter.

Implementations live in `adapters/` (the built-in one, `adapters.carriers_builtin`, needs
no outside system); the composition root hands them to the fulfilment application by
the name a carrier's definition gives in `adapter`.

`create_label` runs inside the pack step, which is retried from a fresh read on a
concurrent change: an adapter must answer the same consignment with the same tracking
number (the built-in one derives it from the shipment id; one that calls a carrier's API
passes the shipment id as its idempotency key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from domain.fulfilment.carriage import Destination, Pickup, Quote


@dataclass(frozen=True)
class Consignment:
    """What a label is printed for: the shipment, where it goes and its parcels."""

    shipment_id: str
    order_id: str
    location: str
    origin_country: str  # the location's: the S10 suffix of the built-in adapter
    ship_to: dict[str, Any]  # name, line1, line2, postal_code, city, country (as known)
    parcels: Sequence[dict[str, int]]


class CarrierAdapter(Protocol):
    def quote(
        self, carrier: dict[str, Any], service: str, destination: Destination,
        weights: Sequence[int], pickup: Pickup,
    ) -> Quote | str:  # fmt: skip
        """The price and dates of a service, or why it cannot take the parcels."""

    def create_label(
        self, carrier: dict[str, Any], consignment: Consignment, chosen: Quote
    ) -> tuple[str, str]:
        """The tracking number and the label document (ZPL) for a consignment."""

    def cancel_label(self, carrier: dict[str, Any], tracking_number: str) -> bool:
        """Void a label not handed over; whether the carrier took it back."""

    def tracking_link(self, carrier: dict[str, Any], tracking_number: str) -> str:
        """Where a customer follows the parcel."""
