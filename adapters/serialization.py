"""How events become bytes: orjson, with tagged datetimes and decimals, and a schema version.

Configured through the library's TRANSCODER_TOPIC and MAPPER_TOPIC settings, so
the domain never imports this module.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

_TYPE, _DATA = "_type_", "_data_"


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return {_TYPE: "datetime_iso", _DATA: value.isoformat()}
    if isinstance(value, Decimal):
        return {_TYPE: "decimal_str", _DATA: str(value)}
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not serialisable in an event")


def _revive(value: Any) -> Any:
    """The tagged values back as objects; scalars are passed over without a call (every
    event read goes through here, projections and policies alike)."""
    if isinstance(value, dict):
        if len(value) == 2 and _TYPE in value and _DATA in value:
            kind, data = value[_TYPE], value[_DATA]
            if kind == "datetime_iso":
                return datetime.fromisoformat(data)
            if kind == "decimal_str":
                return Decimal(data)
            if kind == "uuid_hex":  # written by the library's own JSONTranscoder
                return UUID(data)
        return {k: _revive(v) if type(v) in _CONTAINERS else v for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(item) if type(item) in _CONTAINERS else item for item in value]
    return value


_CONTAINERS = frozenset({dict, list})


class OrjsonTranscoder(Transcoder):
    """orjson with the same tagged form as the library's JSONTranscoder for datetimes."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)

    def decode(self, data: bytes) -> Any:
        return _revive(orjson.loads(data))


class VersionedMapper(Mapper[Any]):
    """Writes the schema version into every stored event, version 1 included.

    The library only writes `class_version` above 1; an explicit version on
    every event lets consumers outside Python read the schema without guessing.
    """

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        state["class_version"] = getattr(type(domain_event), "class_version", 1)
        data = self.transcoder.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(domain_event)),
            state=data,
        )
