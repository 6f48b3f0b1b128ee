"""When two stored bodies hold the same event: what makes a repeated append idempotent.

An event id is the idempotency key: appending an id the ledger holds stores nothing and returns
the original position, *if* the event is the same; the same id with other content is a
conflict, refused (:class:`~fleetledger.errors.IdConflict`), never silently dropped.

"The same" means what the writer gave: every attribute and the data, except what the ledger
stamps at each append (``recordedtime``, ``authid``, ``authtype``) and a ``time`` the writer
left to default (it defaults to the ``recordedtime``, so it differs between two appends of the
same event). Bodies that are not ledger events (a backend's raw records) are the same only
when their bytes are.
"""

from __future__ import annotations

from typing import Any

import msgspec

from fleetledger.events.envelope import LEDGER_ATTRIBUTES

_decode = msgspec.json.Decoder(dict[str, Any]).decode


def same_event(stored: bytes, new: bytes) -> bool:
    """Whether ``new`` repeats the event ``stored`` holds (see the module docstring)."""
    if stored == new:
        return True
    old_fields, new_fields = _writer_fields(stored), _writer_fields(new)
    return old_fields is not None and old_fields == new_fields


def _writer_fields(body: bytes) -> dict[str, Any] | None:
    """The attributes and data the writer set, or ``None`` if ``body`` is no ledger event."""
    try:
        event = _decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    recorded = event.get("recordedtime")
    if not isinstance(recorded, str):
        return None
    if event.get("time") == recorded:
        del event["time"]
    for name in LEDGER_ATTRIBUTES:
        event.pop(name, None)
    return event
