"""Shipment: what one location is asked to ship for one order. Only its first steps
live here (requested, rejected); picking, packing and carriers are another issue."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidTransition


def shipment_id_for(order_id: str, location: str, attempt: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"dom:shipment:{order_id}:{location.upper()}:{attempt}")


class Shipment(Aggregate):
    class Requested(Aggregate.Created):
        order_id: str
        location: str
        lines: dict[str, int]
        skus: dict[str, str]
        attempt: int
        at: datetime

    @staticmethod
    def create_id(order_id: str, location: str, attempt: int) -> UUID:
        return shipment_id_for(order_id, location, attempt)

    @event(Requested)
    def __init__(self, order_id: str, location: str, lines: dict[str, int], skus: dict[str, str],
                 attempt: int, at: datetime) -> None:  # fmt: skip
        self.order_id = order_id
        self.location = location
        self.lines = lines
        self.skus = skus  # line id -> sku, for releasing reservations
        self.attempt = attempt  # the sourcing decision that requested it
        self.requested_at = at
        self.status = "requested"
        self.history: list[dict[str, str]] = [{"status": "requested", "at": at.isoformat()}]

    def reject(self, reason: str, now: datetime) -> bool:
        if self.status == "rejected":
            return False
        if self.status != "requested":
            raise InvalidTransition(self.id, self.status, "reject")
        self._rejected(reason=reason, order_id=self.order_id, location=self.location,
                       lines=self.lines, at=now)  # fmt: skip
        return True

    def cancel_lines(self, line_ids: list[str], reason: str, now: datetime) -> bool:
        """The order's lines were cancelled: they leave the shipment; with none left, it is cancelled."""
        gone = [line_id for line_id in line_ids if line_id in self.lines]
        if self.status != "requested" or not gone:
            return False
        self._lines_cancelled(line_ids=gone, reason=reason, at=now)
        return True

    @event("LinesCancelled")
    def _lines_cancelled(self, line_ids: list[str], reason: str, at: datetime) -> None:
        for line_id in line_ids:
            self.lines.pop(line_id, None)
        if not self.lines:
            self.status = "cancelled"
        self.history.append({"status": "lines_cancelled", "at": at.isoformat(), "reason": reason,
                             "lines": ",".join(line_ids)})  # fmt: skip

    class Rejected(Aggregate.Event):
        reason: str
        order_id: str
        location: str
        lines: dict[str, int]
        at: datetime

    @event(Rejected)
    def _rejected(
        self, reason: str, order_id: str, location: str, lines: dict[str, int], at: datetime
    ) -> None:
        self.status = "rejected"
        self.history.append({"status": "rejected", "at": at.isoformat(), "reason": reason})
