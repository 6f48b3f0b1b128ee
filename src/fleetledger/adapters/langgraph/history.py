"""A thread's checkpoints as the ledger holds them, folded from its ``graph`` events.

The ledger is append-only, so what LangGraph treats as updates are folds over the history:
a checkpoint saved again under the same id replaces the earlier one; a regular write of a task
is kept once (the first), a special write (error, interrupt, ...; a negative index) is
replaced by the latest; and ``graph.thread.deleted`` hides everything recorded before it.
Nothing here imports LangGraph: values stay serialized (``(type, bytes)``) until the
checkpointer loads them with its serializer.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fleetledger.adapters.langgraph.types import CHECKPOINT_SAVED, THREAD_DELETED, WRITES_SAVED
from fleetledger.events import Event

Typed = tuple[str, bytes]
"""A value as LangGraph's serializer writes it: its type tag and its bytes."""

EMPTY: Typed = ("empty", b"")
"""The blob of a channel that has a new version but no value (LangGraph's own marker)."""


def blob(value: Typed) -> dict[str, str]:
    """A typed value as JSON: ``{"type": ..., "base64": ...}``."""
    return {"type": value[0], "base64": base64.b64encode(value[1]).decode("ascii")}


def unblob(value: dict[str, Any]) -> Typed:
    """The typed value a :func:`blob` holds."""
    return str(value["type"]), base64.b64decode(value["base64"])


@dataclass(frozen=True)
class SavedCheckpoint:
    """One checkpoint of a thread and the ledger event that holds it."""

    thread_id: str
    event_id: str
    checkpoint_ns: str
    checkpoint_id: str
    parent_checkpoint_id: str | None
    checkpoint: Typed
    metadata: Typed


@dataclass(frozen=True)
class SavedWrite:
    """One pending write of a task, as ``put_writes`` was given it."""

    task_id: str
    channel: str
    value: Typed
    task_path: str


@dataclass
class ThreadHistory:
    """Everything the ledger holds for one thread since it was last deleted."""

    thread_id: str
    checkpoints: dict[tuple[str, str], SavedCheckpoint] = field(default_factory=dict)
    blobs: dict[tuple[str, str, str | int | float], Typed] = field(default_factory=dict)
    writes: dict[tuple[str, str], dict[tuple[str, int], SavedWrite]] = field(default_factory=dict)

    @classmethod
    def fold(cls, thread_id: str, events: Iterable[Event]) -> ThreadHistory:
        """The history ``events`` (the thread's ``graph`` events, in ledger order) leave."""
        history = cls(thread_id)
        for event in events:
            if event.type == THREAD_DELETED:
                history = cls(thread_id)
            elif event.type == CHECKPOINT_SAVED:
                history._checkpoint(event)
            elif event.type == WRITES_SAVED:
                history._writes(event.data)
        return history

    def _checkpoint(self, event: Event) -> None:
        data = event.data
        ns = data["checkpoint_ns"]
        for channel, saved in data["channels"].items():
            self.blobs[(ns, channel, saved["version"])] = unblob(saved)
        self.checkpoints[(ns, data["checkpoint_id"])] = SavedCheckpoint(
            thread_id=self.thread_id,
            event_id=event.id,
            checkpoint_ns=ns,
            checkpoint_id=data["checkpoint_id"],
            parent_checkpoint_id=data.get("parent_checkpoint_id"),
            checkpoint=unblob(data["checkpoint"]),
            metadata=unblob(data["metadata"]),
        )

    def _writes(self, data: dict[str, Any]) -> None:
        stored = self.writes.setdefault((data["checkpoint_ns"], data["checkpoint_id"]), {})
        for write in data["writes"]:
            key = (data["task_id"], write["index"])
            if key[1] >= 0 and key in stored:
                continue  # a regular write is kept once: the first one saved
            stored[key] = SavedWrite(
                data["task_id"], write["channel"], unblob(write), data.get("task_path") or ""
            )

    def latest(self, checkpoint_ns: str) -> SavedCheckpoint | None:
        """The newest checkpoint of a namespace (checkpoint ids grow monotonically)."""
        ids = [cid for ns, cid in self.checkpoints if ns == checkpoint_ns]
        return self.checkpoints[(checkpoint_ns, max(ids))] if ids else None

    def pending(self, saved: SavedCheckpoint) -> list[SavedWrite]:
        """The writes saved against a checkpoint, in the order LangGraph applies them
        (``writes_sort_key``: task path, task id, index)."""
        stored = self.writes.get((saved.checkpoint_ns, saved.checkpoint_id), {})
        ordered = sorted(stored.items(), key=lambda kv: (kv[1].task_path, kv[0][0], kv[0][1]))
        return [write for _, write in ordered]

    def values(self, checkpoint_ns: str, versions: dict[str, Any]) -> dict[str, Typed]:
        """The serialized channel values at the given channel versions (empty ones left out)."""
        found = {
            channel: self.blobs.get((checkpoint_ns, channel, version))
            for channel, version in versions.items()
        }
        return {ch: value for ch, value in found.items() if value is not None and value != EMPTY}

    def __bool__(self) -> bool:
        return bool(self.checkpoints or self.writes)
