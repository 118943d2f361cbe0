"""The payments context's published language: the events another context may follow
(see domain/orders/published.py for the rules). Every event also carries
`originator_id` (the payment's id) and `originator_version`."""

from __future__ import annotations

PAYMENT_RECEIVED = "domain.payments.payment:Payment.Received"
PAYMENT_FAILED = "domain.payments.payment:Payment.Failed"
PAYMENT_EXPIRED = "domain.payments.payment:Payment.Expired"

FIELDS: dict[str, tuple[str, ...]] = {
    # order_id: the order it pays; entry_id: the bank entry (or the cash receipt);
    # amount: decimal; paid: whether the payment is now covered in full; at: when recorded
    PAYMENT_RECEIVED: ("order_id", "entry_id", "amount", "paid", "at"),
    # reason: free text (the provider's decline)
    PAYMENT_FAILED: ("order_id", "reason", "at"),
    # an authorisation past its expiry with nothing captured
    PAYMENT_EXPIRED: ("order_id", "at"),
}
