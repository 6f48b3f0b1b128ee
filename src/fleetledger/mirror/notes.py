"""Signed checkpoints and ledger heads travel with the events they sign.

A mirror copies every partition's events byte for byte and in order, so the copy's trees are
the source's trees, and the source's signed notes hold for the copy too. Copying them lets
``verify`` and evidence bundles run on the copy against the very heads the source signed, with
the source's public key, without the source. Notes are copied as they are (a copy cannot sign
for the source), each once, in their order, and only the notes that existed before the events
were copied, so the copy never holds a note about events it does not have yet.

Both ledgers must have the same namespace: a note names it (in its origin), and a head of
another namespace proves nothing about the copy.
"""

from __future__ import annotations

from fleetledger.backends.protocols import CheckpointStore, NewCheckpoint, ProvableLog
from fleetledger.ledger import Ledger


def pending_notes(src: Ledger, dst: Ledger) -> list[NewCheckpoint]:
    """The source's notes the destination does not hold yet, oldest first."""
    namespace = src.core.namespace
    source, destination = src.backend, dst.backend
    if namespace != dst.core.namespace or not isinstance(source, ProvableLog):
        return []
    if not isinstance(destination, CheckpointStore) or not isinstance(destination, ProvableLog):
        return []
    held = {row.note for row in destination.checkpoints(namespace)}
    return [
        NewCheckpoint(row.kind, row.topic, row.partition, row.size, row.root, row.note)
        for row in source.checkpoints(namespace)
        if row.note not in held
    ]


def store_notes(dst: Ledger, notes: list[NewCheckpoint]) -> int:
    """Store ``notes`` (from :func:`pending_notes`) on the destination; return how many."""
    destination = dst.backend
    if notes and isinstance(destination, CheckpointStore):
        destination.store_checkpoints(dst.core.namespace, notes)
        return len(notes)
    return 0
