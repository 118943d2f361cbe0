"""The clock's step, driven from outside the domain: find the orders whose warning time
or ship-by has come (OTIF read model) and let fulfilment decide each (`check_promise`),
and the delivered orders whose return window has passed (order status read model), which
the orders context completes. One order that cannot be decided is logged and skipped;
the others go on."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from api.bootstrap import Container
from projections.order_status_queries import due_for_completion
from projections.otif_queries import due_for_warning

log = logging.getLogger("dom.clock")


@dataclass
class Ticked:
    looked_at: int = 0
    recorded: int = 0
    failed: list[str] = field(default_factory=list)


def tick(dom: Container, now: datetime) -> Ticked:
    ticked = Ticked()
    steps = [("fulfilment", order_id, dom.fulfilment.check_promise)
             for order_id in due_for_warning(dom.store, now)]  # fmt: skip
    steps += [("orders", order_id, dom.orders.complete_order)
              for order_id in due_for_completion(dom.store, now)]  # fmt: skip
    for context, order_id, step in steps:
        ticked.looked_at += 1
        try:
            outcome = step(UUID(order_id), now)
        except Exception:  # this order's fault alone: the next tick tries it again
            log.exception("the clock could not step order %s", order_id)
            ticked.failed.append(order_id)
            continue
        if outcome.changed:
            ticked.recorded += 1
            dom.runtime.settle(context, outcome.notification_id)
    return ticked
