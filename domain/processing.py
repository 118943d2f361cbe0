"""What every context's Application shares: a process recorder, so that a policy can
record its new events together with the position it has processed (tracking)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import ApplicationRecorder, Recording, Tracking


class ContextApplication(Application[UUID]):
    def construct_recorder(self) -> ApplicationRecorder:
        return self.factory.process_recorder()

    def record_processed(self, aggregates: list[Any], tracking: Tracking) -> list[Recording[UUID]]:
        """Save what a policy decided and the upstream position it decided on, atomically.

        Raises the library's IntegrityError when the position was recorded
        already (another process handled it) or an aggregate moved on.
        """
        processing: ProcessingEvent[UUID] = ProcessingEvent(tracking=tracking)
        processing.collect_events(*aggregates)
        return self.events.put(processing.events, tracking=tracking)

    def position_of(self, upstream: str) -> int:
        recorder: Any = self.recorder
        return int(recorder.max_tracking_id(upstream) or 0)
