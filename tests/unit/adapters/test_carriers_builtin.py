"""The built-in carrier adapter: S10 check digits, numbers fixed by the shipment, ZPL."""

from __future__ import annotations

from datetime import datetime

import pytest

from adapters.carriers_builtin import BuiltinCarrier, s10_check_digit, s10_number, serial_for
from domain.fulfilment.carriage import Asked, Destination, Pickup, choose_service
from domain.fulfilment.carrier_port import Consignment
from domain.fulfilment.carrier_schema import normalise_carrier
from tests.carrier_builders import a_carrier

BPOST = normalise_carrier(a_carrier())


@pytest.mark.parametrize(
    ("number", "digit"),
    [
        ("RR473124829GB", 9),  # the example most S10 references cite
        ("EE123456785US", 5),  # UPU S10's own illustration
    ],
)
def test_the_check_digit_is_s10s(number: str, digit: int):
    assert s10_check_digit(number[2:10]) == digit


def test_eleven_minus_ten_is_written_zero_and_eleven_minus_none_five():
    assert s10_check_digit("00000001") == 4  # weighs 7: 11 - 7
    assert s10_check_digit("00000008") == 0  # weighs 56, 1 mod 11: 11 - 1 = 10, written 0
    assert s10_check_digit("00000000") == 5  # weighs 0: 11 - 0 = 11, written 5
    with pytest.raises(ValueError):
        s10_check_digit("1234567")


def test_a_tracking_number_is_fixed_by_the_shipment_and_the_label_is_zpl():
    pickup = Pickup("WH-BRU", datetime(2026, 5, 4, 9, 0))
    chosen = choose_service([BPOST], Destination("BE", "9000"), [1200, 800], pickup, Asked())
    assert chosen.chosen is not None
    consignment = Consignment(
        "5f0c1c2e-0000-4000-8000-000000000001", "order-1", "WH-BRU", "BE",
        {"name": "Ann ^Peeters~", "line1": "Veldstraat 1", "postal_code": "9000",
         "city": "Gent", "country": "BE"},
        [{"weight_grams": 1200}, {"weight_grams": 800}],
    )  # fmt: skip
    adapter = BuiltinCarrier()
    number, label = adapter.create_label(BPOST, consignment, chosen.chosen)
    assert (number, label) == adapter.create_label(BPOST, consignment, chosen.chosen)
    assert number == s10_number("BP", serial_for(consignment.shipment_id), "BE")
    assert number[:2] == "BP" and number[-2:] == "BE" and number[2:11].isdigit()
    assert int(number[10]) == s10_check_digit(number[2:10])
    other = adapter.create_label(BPOST, consignment.__class__(
        **{**vars(consignment), "shipment_id": "another"}), chosen.chosen)[0]  # fmt: skip
    assert other != number
    assert label.count("^XA") == 2 and label.count("^XZ") == 2  # one format per parcel
    assert f"^BCN,140,Y,N,N^FD{number}^FS" in label
    assert "Parcel 2/2  800 g" in label and "9000 Gent" in label
    assert "Ann _5EPeeters_7E" in label  # ZPL's own characters escaped in the field data
    assert adapter.tracking_link(BPOST, number) == f"https://track.example/{number}"
