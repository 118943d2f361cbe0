"""Payments through HTTP, on both stores: the payment reported with an order, the
channel's rule holding what may not ship before its money is in, and bad reports
refused with nothing recorded (docs/payments.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tqdm import tqdm

from api.bootstrap import Container
from api.payment_imports import import_payments
from domain.payments.reference import read_creditor_reference
from tests.builders import NOW, an_order_payload
from tests.e2e.test_http_exception_actions import decisions
from tests.e2e.test_http_shipments import given_two_locations

CARD = {"method": "card", "amount": "24.95", "provider": "builtin", "reference": "auth-1"}
TRANSFER = {"method": "bank_transfer", "amount": "24.95"}


def placed(client: TestClient, payment: dict[str, Any] | None, **order: Any) -> Any:
    payload = an_order_payload(lines=1, **order)
    payload["lines"][0].update(quantity=2, sku="SKU-1")  # 2 x 10.00 + 4.95 = 24.95
    payload["total"] = "24.95"
    if payment is not None:
        payload["payment"] = payment
    return client.post("/orders", json=payload)


def test_a_card_order_ships_and_a_transfer_waits_for_its_money(client: TestClient):
    given_two_locations(client)
    card = placed(client, CARD)
    assert card.status_code == 201, card.text
    assert card.json()["status"] == "released" and card.json()["payment"]["method"] == "card"
    assert decisions(client, card.json()["order_id"])  # sourced
    transfer = placed(client, TRANSFER)
    assert transfer.status_code == 201, transfer.text
    order_id = transfer.json()["order_id"]
    shown = client.get(f"/orders/{order_id}").json()
    assert (shown["status"], shown["holds"]) == ("held", ["payment_pending"])
    assert decisions(client, order_id) == []  # not sourced: nothing reserved for it


def test_an_invoice_ships_unpaid_up_to_the_channels_cap(client: TestClient):
    invoice = {"method": "invoice", "amount": "24.95", "due_on": "2026-12-31"}
    assert placed(client, invoice).json()["status"] == "released"  # default cap 1000
    rules = {"payment_rules": {"invoice": {"ships_unpaid": True, "up_to": "20.00"}}}
    answer = client.put("/channels/webshop", json=a_channel() | rules)
    assert answer.status_code == 201, answer.text
    assert answer.json()["payment_rules"]["bank_transfer"] == {"ships_unpaid": False}
    assert placed(client, invoice).json()["status"] == "held"  # 24.95 > 20.00


def test_a_channel_may_ship_transfers_before_the_money(client: TestClient):
    rules = {"payment_rules": {"bank_transfer": {"ships_unpaid": True}}}
    assert client.put("/channels/webshop", json=a_channel() | rules).status_code == 201
    assert placed(client, TRANSFER).json()["status"] == "released"
    assert placed(client, None).json()["status"] == "released"  # no report: the channel collects


def test_a_bad_payment_report_is_refused_and_nothing_is_recorded(
    client: TestClient, dom: Container
):
    before = dom.orders.recorder.max_notification_id()
    for payment, field in (
        (CARD | {"method": "cheque"}, "payment.method"),
        (CARD | {"amount": "24.96"}, "payment.amount"),  # more than the order's total
        (CARD | {"amount": "1.001"}, "payment.amount"),
        ({"method": "card", "amount": "24.95"}, "payment.reference"),
        (CARD | {"expires_at": "2020-01-01T00:00:00Z"}, "payment.expires_at"),
        (TRANSFER | {"due_on": "2026-02-30"}, "payment.due_on"),
        (CARD | {"status": "paid"}, "payment.status"),  # not the client's to set
    ):
        answer = placed(client, payment)
        assert answer.status_code == 422, (payment, answer.text)
        assert field in {f["field"] for f in answer.json()["fields"]}, answer.json()
    assert dom.orders.recorder.max_notification_id() == before
    refused = {"payment_rules": {"cheque": {"ships_unpaid": True}}}
    assert client.put("/channels/webshop", json=a_channel() | refused).status_code == 422


def a_channel() -> dict[str, Any]:
    return {"name": "Web shop", "service_levels": {"standard": {"handling_days": 1,
            "transit_days": 2}}, "default_service_level": "standard"}  # fmt: skip


def a_camt053(path: Path, *entries: tuple[str, str, str]) -> Path:
    """Booked credits: (bank reference, amount, remittance text)."""
    body = "".join(
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>2026-12-02</Dt></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef><NtryDtls>"
        f"<TxDtls><RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        for ref, amount, text in entries
    )
    path.write_text(
        '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        f"<BkToCstmrStmt><Stmt><Id>S1</Id>{body}</Stmt></BkToCstmrStmt></Document>"
    )
    return path


def test_money_in_on_a_statement_releases_the_order_and_it_is_sourced(
    client: TestClient, dom: Container, tmp_path: Path
):
    given_two_locations(client)
    order_id = placed(client, TRANSFER).json()["order_id"]
    [payment] = client.get(f"/orders/{order_id}").json()["payments"]
    assert (payment["status"], payment["outstanding"]) == ("pending", "24.95")
    reference = payment["reference"]  # dom's creditor reference for the customer
    assert read_creditor_reference(reference) == reference
    spaced = " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))
    statement = a_camt053(tmp_path / "s.xml", ("B1", "20.00", f"order {spaced}"),
                          ("B2", "9.99", "who knows"))  # fmt: skip
    first = import_payments(dom, statement, NOW, tqdm(disable=True))
    assert (first.outcomes, len(first.unmatched)) == ({"underpaid": 1}, 1)
    shown = client.get(f"/orders/{order_id}").json()
    assert shown["status"] == "held" and shown["payments"][0]["outstanding"] == "4.95"
    assert decisions(client, order_id) == []
    rest = a_camt053(tmp_path / "s2.xml", ("B3", "5.00", reference))
    assert import_payments(dom, rest, NOW, tqdm(disable=True)).outcomes == {"overpaid": 1}
    shown = client.get(f"/orders/{order_id}").json()
    assert (shown["status"], shown["holds"]) == ("allocated", [])
    assert shown["payments"][0]["status"] == "paid"
    assert decisions(client, order_id)  # released, on to sourcing
    before = sum(app.recorder.max_notification_id() or 0 for app in dom.contexts.values())
    again = import_payments(dom, statement, NOW, tqdm(disable=True))  # the same file again
    assert (again.recorded, again.duplicates, len(again.unmatched)) == (0, 1, 1)
    assert sum(app.recorder.max_notification_id() or 0 for app in dom.contexts.values()) == before
