"""The dead-letter topic as the facade shows it: JSON records, screened by the access policy.

The topic ``{namespace}._deadletter`` holds entries (a record with the ``topic`` of the event a
group gave up on) and changes of their state (records naming an entry's ``id``); what they mean
is :mod:`fleetledger.consumers.deadletter`'s business. The facade only stores them and decides
who sees and writes which: an entry is seen by those who may read its event's family, a state
change with the entry it changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import msgspec

from fleetledger.errors import ContractError

_encode = msgspec.json.Encoder(order="sorted").encode
_decode = msgspec.json.decode


def encode(record: Mapping[str, Any]) -> bytes:
    """A record's stored bytes; it must name its entry (``id``)."""
    if not isinstance(record.get("id"), str) or not record["id"]:
        raise ContractError("a dead-letter record names its entry (id)", field="id")
    return _encode(record)


def visible(raw: Iterable[bytes], may_read: Callable[[str], bool]) -> list[dict[str, Any]]:
    """The records of entries whose topic passes ``may_read``, with their state changes, in
    order; records that are not JSON objects are passed over."""
    shown: list[dict[str, Any]] = []
    allowed: dict[str, bool] = {}
    for body in raw:
        try:
            record = _decode(body)
        except msgspec.DecodeError:
            continue
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            continue
        topic = record.get("topic")
        if isinstance(topic, str):
            allowed.setdefault(record["id"], may_read(topic))
        if allowed.get(record["id"], False):
            shown.append(record)
    return shown
