"""The built-in carrier adapter: rate tables from the carrier's definition, UPU S10
tracking numbers and ZPL labels, with no outside system.

A tracking number is the S10 form posts use the world over: the carrier's two-letter
prefix, an eight-digit serial, a check digit (weights 8 6 4 2 3 5 9 7; 11 minus the sum
modulo 11, with 10 written 0 and 11 written 5) and the two-letter country of the
location it leaves from. The serial is derived from the shipment id (SHA-256), so a
retried pack step prints the same number. The label is one ZPL format (^XA ... ^XZ) per
parcel, as warehouse thermal printers take it: carrier and service, ship-to address,
parcel n of m and its weight, the tracking number as a Code 128 barcode (^BC).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from domain.fulfilment.carriage import Destination, Pickup, Quote, quote
from domain.fulfilment.carrier_port import Consignment

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> int:
    """The check digit of an eight-digit S10 serial number."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError(f"an S10 serial is eight digits, not {serial!r}")
    check = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def s10_number(prefix: str, serial: int, country: str) -> str:
    digits = f"{serial:08d}"
    return f"{prefix}{digits}{s10_check_digit(digits)}{country}"


def serial_for(shipment_id: str) -> int:
    return int(hashlib.sha256(shipment_id.encode()).hexdigest(), 16) % 100_000_000


def zpl_text(value: object) -> str:
    """Field data with ZPL's own characters hex-escaped (the field is opened with ^FH_)."""
    text = str(value)
    for char in "_^~":
        text = text.replace(char, f"_{ord(char):02X}")
    return text


def zpl_label(
    carrier: dict[str, Any], consignment: Consignment, chosen: Quote, tracking_number: str
) -> str:
    ship_to = consignment.ship_to
    address = [ship_to.get("name"), ship_to.get("line1"), ship_to.get("line2"),
               " ".join(filter(None, (ship_to.get("postal_code"), ship_to.get("city")))),
               ship_to.get("country")]  # fmt: skip
    formats = []
    count = len(consignment.parcels)
    for n, parcel in enumerate(consignment.parcels, start=1):
        fields = [(50, 40, 50, f"{carrier['name']} - {chosen.service}"),
                  (50, 110, 28, f"From {consignment.location}"), (50, 160, 30, "Ship to:")]  # fmt: skip
        fields += [(50, 200 + 40 * i, 34, line) for i, line in enumerate(filter(None, address))]
        fields += [(50, 430, 30, f"Parcel {n}/{count}  {parcel['weight_grams']} g"),
                   (50, 470, 24, f"Order {consignment.order_id}")]  # fmt: skip
        lines = ["^XA", "^CI28"]
        lines += [f"^FO{x},{y}^A0N,{h},{h}^FH_^FD{zpl_text(text)}^FS" for x, y, h, text in fields]
        lines += [f"^FO50,520^BY3^BCN,140,Y,N,N^FD{tracking_number}^FS", "^XZ"]
        formats.append("\n".join(lines))
    return "\n".join(formats) + "\n"


class BuiltinCarrier:
    """A carrier adapter from data alone (the definition's tables and prefix)."""

    def quote(
        self, carrier: dict[str, Any], service: str, destination: Destination,
        weights: Sequence[int], pickup: Pickup,
    ) -> Quote | str:  # fmt: skip
        return quote(carrier, service, destination, weights, pickup)

    def create_label(
        self, carrier: dict[str, Any], consignment: Consignment, chosen: Quote
    ) -> tuple[str, str]:
        number = s10_number(
            carrier["tracking_prefix"],
            serial_for(consignment.shipment_id),
            consignment.origin_country,
        )
        return number, zpl_label(carrier, consignment, chosen, number)

    def cancel_label(self, carrier: dict[str, Any], tracking_number: str) -> bool:
        return True  # nothing was booked anywhere: the label is simply not used

    def tracking_link(self, carrier: dict[str, Any], tracking_number: str) -> str:
        return str(carrier["tracking_url"]).replace("{tracking_number}", tracking_number)
