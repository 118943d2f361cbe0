"""The clock's step, driven from outside the domain: find the orders whose warning time
or ship-by has come (OTIF read model) and let fulfilment decide each (`check_promise`).
One order that cannot be decided is logged and skipped; the others go on."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from api.bootstrap import Container
from projections.otif_queries import due_for_warning

log = logging.getLogger("dom.clock")


@dataclass
class Ticked:
    looked_at: int = 0
    recorded: int = 0
    failed: list[str] = field(default_factory=list)


def tick(dom: Container, now: datetime) -> Ticked:
    ticked = Ticked()
    for order_id in due_for_warning(dom.store, now):
        ticked.looked_at += 1
        try:
            outcome = dom.fulfilment.check_promise(UUID(order_id), now)
        except Exception:  # this order's fault alone: the next tick tries it again
            log.exception("the clock could not check order %s", order_id)
            ticked.failed.append(order_id)
            continue
        if outcome.changed:
            ticked.recorded += 1
            dom.runtime.settle("fulfilment", outcome.notification_id)
    return ticked
