"""A LangGraph checkpointer whose checkpoints and pending writes are ledger events.

::

    from fleetledger.adapters.langgraph import LedgerSaver

    saver = LedgerSaver(ledger)
    graph = builder.compile(checkpointer=saver)
    graph.invoke(inputs, {"configurable": {"thread_id": "task-42"}})
    saver.prove({"configurable": {"thread_id": "task-42"}})  # the latest checkpoint's proof

The thread id is the ledger's subject, so a thread's checkpoints sit in the same task history
as the tool calls and approvals recorded for it (``fleetledger replay task-42``). Every
``put`` appends one ``graph.checkpoint.saved`` and every ``put_writes`` one
``graph.writes.saved`` (see :mod:`~fleetledger.adapters.langgraph.types`); reads fold the
thread's events (:mod:`~fleetledger.adapters.langgraph.history`). A write the ledger refuses
raises, so the graph stops rather than running on with state the ledger does not hold.

Reads replay the thread from the ledger each time (no cache that another process could make
stale): cheap for threads of hundreds of steps, linear in the thread's length.
"""

from __future__ import annotations

import asyncio
import builtins
import random
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_serializable_checkpoint_metadata,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

from fleetledger import Classification, Event, InclusionProof, Ledger, NotFound
from fleetledger.adapters.langgraph.history import (
    EMPTY,
    SavedCheckpoint,
    ThreadHistory,
    blob,
)
from fleetledger.adapters.langgraph.types import (
    CHECKPOINT_SAVED,
    GRAPH_TYPES,
    THREAD_DELETED,
    WRITES_SAVED,
)
from fleetledger.integrity import NoteVerifier

FAMILY = "graph"
_PAGE = 1000


def register_graph_types(ledger: Ledger) -> None:
    """Store the ``graph`` family's types in the ledger unless it already accepts them
    (registering needs ``admin`` on governance under an access policy; accepting does not)."""
    known = ledger.types()
    for spec in GRAPH_TYPES:
        if spec.type not in known or known[spec.type].version < spec.version:
            ledger.register_type(spec)


class LedgerSaver(BaseCheckpointSaver[str]):
    """LangGraph's ``BaseCheckpointSaver`` over a fleetledger :class:`~fleetledger.Ledger`.

    ``source`` and ``agentid`` are stamped on every event the saver appends;
    ``classification`` raises the events' data classification (``confidential`` makes a
    ledger that encrypts encrypt the channel values and writes for the thread's subject).
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        serde: SerializerProtocol | None = None,
        source: str = "langgraph/checkpointer",
        agentid: str | None = None,
        classification: Classification | str | None = None,
    ) -> None:
        super().__init__(serde=serde)
        register_graph_types(ledger)
        self.ledger = ledger
        self._source = source
        self._agentid = agentid
        self._classification = None if classification is None else str(classification)

    # -- writing -----------------------------------------------------------------------------

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Append the checkpoint, its metadata and the channel values of ``new_versions``."""
        thread_id, ns = _thread(config), _namespace(config)
        stored = dict(checkpoint)
        values: dict[str, Any] = checkpoint["channel_values"]
        stored.pop("channel_values", None)
        full = get_serializable_checkpoint_metadata(config, metadata)
        channels = {
            channel: {
                "version": version,
                **blob(self.serde.dumps_typed(values[channel]) if channel in values else EMPTY),
            }
            for channel, version in new_versions.items()
        }
        data = {
            "checkpoint_ns": ns,
            "checkpoint_id": checkpoint["id"],
            "parent_checkpoint_id": get_checkpoint_id(config),
            "step": full.get("step"),
            "source": full.get("source"),
            "checkpoint": blob(self.serde.dumps_typed(stored)),
            "metadata": blob(self.serde.dumps_typed(full)),
            "channels": channels,
        }
        run_id = full.get("run_id")
        self._append(CHECKPOINT_SAVED, thread_id, data, correlationid=run_id and str(run_id))
        return _config(thread_id, ns, checkpoint["id"])

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Append one task's pending writes against the checkpoint ``config`` names."""
        data = {
            "checkpoint_ns": _namespace(config),
            "checkpoint_id": config["configurable"]["checkpoint_id"],
            "task_id": task_id,
            "task_path": task_path or None,
            "writes": [
                {
                    "channel": channel,
                    "index": WRITES_IDX_MAP.get(channel, index),
                    **blob(self.serde.dumps_typed(value)),
                }
                for index, (channel, value) in enumerate(writes)
            ],
        }
        self._append(WRITES_SAVED, _thread(config), data)

    def delete_thread(self, thread_id: str) -> None:
        """Append ``graph.thread.deleted``: the thread's earlier checkpoints are no longer
        shown to LangGraph; the ledger keeps them, and they can still be replayed and proved."""
        thread = str(thread_id)
        if self._history(thread):
            self._append(THREAD_DELETED, thread, {"reason": "delete_thread"})

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Append to the target thread a copy of every event the source thread shows (since
        its last deletion), in one atomic batch; each copy names its original as
        ``causationid``, so the fork's provenance can be followed and proved."""
        events = self._visible(str(source_thread_id))
        self.ledger.append_many(
            {
                "type": event.type,
                "subject": str(target_thread_id),
                "source": self._source,
                "agentid": self._agentid,
                "dataclassification": self._classification,
                "correlationid": event.correlationid,
                "causationid": event.id,
                "data": event.data,
            }
            for event in events
        )

    def _append(self, type_: str, subject: str, data: dict[str, Any], **more: Any) -> None:
        self.ledger.append(
            type_,
            subject=subject,
            source=self._source,
            agentid=self._agentid,
            dataclassification=self._classification,
            data=data,
            **more,
        )

    # -- reading -----------------------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint ``config`` names (its ``checkpoint_id``, else the thread's latest)."""
        history = self._history(_thread(config))
        saved = _find(history, _namespace(config), get_checkpoint_id(config))
        return None if saved is None else self._tuple(history, saved)

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Checkpoints newest first: of one thread (all threads if ``config`` is None), one
        namespace if the config names one, whose metadata has every ``filter`` item, older
        than ``before``'s checkpoint, at most ``limit``."""
        histories = [self._history(_thread(config))] if config else self._every_thread()
        ns = None if config is None else config["configurable"].get("checkpoint_ns")
        only = None if config is None else get_checkpoint_id(config)
        bound = None if before is None else get_checkpoint_id(before)
        found = [
            (history, saved)
            for history in histories
            for saved in history.checkpoints.values()
            if (ns is None or saved.checkpoint_ns == ns)
            and (only is None or saved.checkpoint_id == only)
            and (bound is None or saved.checkpoint_id < bound)
        ]
        found.sort(key=lambda pair: pair[1].checkpoint_id, reverse=True)
        shown = 0
        for history, saved in found:
            if limit is not None and shown >= limit:
                return
            if filter and not _matches(self.serde.loads_typed(saved.metadata), filter):
                continue
            shown += 1
            yield self._tuple(history, saved)

    def checkpoint_event(self, config: RunnableConfig) -> Event:
        """The ledger event holding the checkpoint ``config`` names (default: the latest);
        :class:`~fleetledger.NotFound` if there is none."""
        thread = _thread(config)
        saved = _find(self._history(thread), _namespace(config), get_checkpoint_id(config))
        if saved is None:
            raise NotFound(f"no checkpoint for thread {thread!r} matching {config!r}")
        return self.ledger.get(saved.event_id)

    def prove(self, config: RunnableConfig, verifier: NoteVerifier | None = None) -> InclusionProof:
        """An inclusion proof of the checkpoint ``config`` names against the newest signed
        ledger head (see :meth:`fleetledger.Ledger.prove`)."""
        return self.ledger.prove(self.checkpoint_event(config).id, verifier)

    def get_next_version(self, current: str | None, channel: None) -> str:
        """A version greater than ``current``: a zero-padded counter and a random tail, as
        LangGraph's own savers make them (so versions sort as text)."""
        number = 0 if current is None else int(str(current).split(".")[0])
        return f"{number + 1:032}.{random.random():016}"

    def _history(self, thread_id: str) -> ThreadHistory:
        return ThreadHistory.fold(thread_id, self._visible(thread_id))

    def _visible(self, thread_id: str) -> builtins.list[Event]:
        """The thread's ``graph`` events since it was last deleted, in ledger order."""
        events = list(self.ledger.replay(thread_id, families=[FAMILY]))
        deleted = [i for i, event in enumerate(events) if event.type == THREAD_DELETED]
        return events[deleted[-1] + 1 :] if deleted else events

    def _every_thread(self) -> builtins.list[ThreadHistory]:
        """Every thread's history: the ``graph`` family read partition by partition."""
        by_thread: dict[str, builtins.list[Event]] = {}
        topic = next(t for t in self.ledger.topics() if t.family == FAMILY)
        for partition in range(len(topic.partitions)):
            offset = 0
            while page := self.ledger.read(FAMILY, partition, offset, limit=_PAGE):
                for event in page:
                    by_thread.setdefault(event.subject, []).append(event)
                assert page[-1].position is not None
                offset = page[-1].position.offset + 1
        return [ThreadHistory.fold(thread, events) for thread, events in by_thread.items()]

    def _tuple(self, history: ThreadHistory, saved: SavedCheckpoint) -> CheckpointTuple:
        checkpoint: Checkpoint = self.serde.loads_typed(saved.checkpoint)
        values = history.values(saved.checkpoint_ns, checkpoint["channel_versions"])
        checkpoint["channel_values"] = {k: self.serde.loads_typed(v) for k, v in values.items()}
        parent = saved.parent_checkpoint_id
        return CheckpointTuple(
            config=_config(history.thread_id, saved.checkpoint_ns, saved.checkpoint_id),
            checkpoint=checkpoint,
            metadata=self.serde.loads_typed(saved.metadata),
            parent_config=(
                None if parent is None else _config(history.thread_id, saved.checkpoint_ns, parent)
            ),
            pending_writes=[
                (w.task_id, w.channel, self.serde.loads_typed(w.value))
                for w in history.pending(saved)
            ],
        )

    # -- the async twins: the same calls on a worker thread ----------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """:meth:`get_tuple` off the event loop."""
        return await asyncio.to_thread(self.get_tuple, config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """:meth:`list` off the event loop."""
        found = await asyncio.to_thread(
            lambda: [*self.list(config, filter=filter, before=before, limit=limit)]
        )
        for item in found:
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """:meth:`put` off the event loop."""
        return await asyncio.to_thread(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """:meth:`put_writes` off the event loop."""
        await asyncio.to_thread(self.put_writes, config, writes, task_id, task_path)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """:meth:`copy_thread` off the event loop."""
        await asyncio.to_thread(self.copy_thread, source_thread_id, target_thread_id)

    async def adelete_thread(self, thread_id: str) -> None:
        """:meth:`delete_thread` off the event loop."""
        await asyncio.to_thread(self.delete_thread, thread_id)


def _thread(config: RunnableConfig) -> str:
    return str(config["configurable"]["thread_id"])


def _namespace(config: RunnableConfig) -> str:
    return str(config["configurable"].get("checkpoint_ns") or "")


def _config(thread_id: str, ns: str, checkpoint_id: str) -> RunnableConfig:
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": ns,
            "checkpoint_id": checkpoint_id,
        }
    }


def _find(history: ThreadHistory, ns: str, checkpoint_id: str | None) -> SavedCheckpoint | None:
    if checkpoint_id is None:
        return history.latest(ns)
    return history.checkpoints.get((ns, checkpoint_id))


def _matches(metadata: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return all(metadata.get(key) == value for key, value in wanted.items())
