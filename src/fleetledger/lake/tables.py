"""The tables beside the families': signed heads and checkpoints, dead letters, and the
``state`` family kept as latest per task (an upsert table).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from fleetledger.backends.protocols import HEAD, StoredCheckpoint
from fleetledger.integrity import LedgerHead, parse_note
from fleetledger.lake._deps import need

STATE_FAMILY = "state"
STATE_KEY = "subject"
"""The ``state`` family's upsert key: the task."""

_encode = msgspec.json.Encoder(order="sorted").encode


def heads_schema() -> Any:
    """Columns of the heads table: one row per stored signed note, in signing order."""
    pa = need("pyarrow")
    return pa.schema(
        [
            pa.field("seq", pa.int64()),
            pa.field("kind", pa.string()),
            pa.field("number", pa.int64()),
            pa.field("topic", pa.string()),
            pa.field("partition", pa.int32()),
            pa.field("size", pa.int64()),
            pa.field("root", pa.binary()),
            pa.field("note", pa.binary()),
        ]
    )


def heads_table(notes: Sequence[StoredCheckpoint], first_seq: int, first_number: int) -> Any:
    """The heads-table rows of ``notes``: ``seq`` counts notes from ``first_seq``, ``number``
    counts ledger heads from ``first_number`` (the numbers ``fleetledger prove --heads`` shows)."""
    pa = need("pyarrow")
    rows, number = [], first_number
    for at, note in enumerate(notes, start=first_seq):
        numbered = number if note.kind == HEAD else None
        number += note.kind == HEAD
        rows.append(
            {
                "seq": at,
                "kind": note.kind,
                "number": numbered,
                "topic": note.topic,
                "partition": note.partition,
                "size": note.size,
                "root": note.root,
                "note": note.note,
            }
        )
    return pa.Table.from_pylist(rows, schema=heads_schema())


def head_sizes(note: StoredCheckpoint) -> dict[tuple[str, int], int]:
    """The partition sizes a head note claims (read, not verified: the exporter's own)."""
    head = LedgerHead.parse(parse_note(note.note)[0])
    return {(line.topic, line.partition): line.size for line in head.partitions}


def dead_letters_schema() -> Any:
    """Columns of the dead-letters table: each record as JSON, with the fields it names."""
    pa = need("pyarrow")
    return pa.schema(
        [
            pa.field("seq", pa.int64()),
            pa.field("id", pa.string()),
            pa.field("kind", pa.string()),
            pa.field("topic", pa.string()),
            pa.field("group", pa.string()),
            pa.field("record", pa.string()),
        ]
    )


def dead_letters_table(records: Sequence[dict[str, Any]], first_seq: int) -> Any:
    """The dead-letters rows of ``records``, numbered from ``first_seq``."""
    pa = need("pyarrow")

    def text(record: dict[str, Any], name: str) -> str | None:
        value = record.get(name)
        return value if isinstance(value, str) else None

    rows = [
        {
            "seq": at,
            "id": text(record, "id"),
            "kind": text(record, "kind"),
            "topic": text(record, "topic"),
            "group": text(record, "group"),
            "record": _encode(record).decode(),
        }
        for at, record in enumerate(records, start=first_seq)
    ]
    return pa.Table.from_pylist(rows, schema=dead_letters_schema())


def latest_per_task(tables: Sequence[Any]) -> Any | None:
    """The last row per task of the ``state`` family's event rows (in export order), or
    ``None`` when there are none; hash-only rows, which name no task, are left out."""
    pa = need("pyarrow")
    pc = need("pyarrow.compute")
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return None
    table = pa.concat_tables(tables, promote_options="permissive")
    table = table.filter(pc.is_valid(table[STATE_KEY]))
    if not table.num_rows:
        return None
    numbered = table.append_column("_at", pa.array(range(table.num_rows), pa.int64()))
    last = numbered.group_by(STATE_KEY).aggregate([("_at", "max")])
    rows = last["_at_max"]
    picked = numbered.take(rows.take(pc.sort_indices(rows)))
    return picked.drop_columns(["_at"])
