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

from fleetledger.backends.protocols import CheckpointStore, NewCheckpoint, ProvableLog, supports
from fleetledger.ledger import Ledger


def pending_notes(src: Ledger, dst: Ledger) -> list[NewCheckpoint]:
    """The source's notes the destination does not hold yet, oldest first."""
    namespace = src.namespace
    source, destination = src.log, dst.log
    if namespace != dst.namespace or not supports(source, ProvableLog):
        return []
    if not supports(destination, CheckpointStore) or not supports(destination, ProvableLog):
        return []
    held = {row.note for row in destination.checkpoints(namespace)}
    return [
        NewCheckpoint(row.kind, row.topic, row.partition, row.size, row.root, row.note)
        for row in source.checkpoints(namespace)
        if row.note not in held
    ]


def store_notes(dst: Ledger, notes: list[NewCheckpoint]) -> int:
    """Store ``notes`` (from :func:`pending_notes`) on the destination; return how many."""
    if notes and supports(dst.log, CheckpointStore):
        dst.log.store_checkpoints(dst.namespace, notes)
        return len(notes)
    return 0
