"""The asyncio twin of :class:`Ledger`: same method names, awaitable.

Storage calls block (an fsync, a broker round trip), so each runs in a worker thread while the
event loop keeps serving agents; concurrent awaits still share commits through group commit.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

from fleetledger.audit import ConsistencyProof, HeadRef, InclusionProof, StoredHead, Verification
from fleetledger.events.envelope import Event
from fleetledger.events.lifecycle import TaskState
from fleetledger.events.new import NewEvent
from fleetledger.events.registry import EventData, EventType
from fleetledger.integrity import EvidenceBundle, NoteVerifier
from fleetledger.ledger.consumer import Consumer, Lag, Start
from fleetledger.ledger.filters import EventFilter
from fleetledger.ledger.groups import GroupMove, Target
from fleetledger.ledger.ledger import Appended, Erasure, Ledger, TopicInfo
from fleetledger.types import Position


class AsyncConsumer:
    """Awaitable :class:`Consumer`."""

    def __init__(self, consumer: Consumer) -> None:
        self.sync = consumer
        self.group = consumer.group

    async def poll(self, max: int = 500, timeout: float = 0.0) -> list[Event]:
        """See :meth:`Consumer.poll`."""
        return await asyncio.to_thread(self.sync.poll, max, timeout)

    async def commit(self) -> None:
        """See :meth:`Consumer.commit`."""
        await asyncio.to_thread(self.sync.commit)

    def seek(self, topic: str, partition: int, offset: int) -> None:
        """See :meth:`Consumer.seek` (no I/O)."""
        self.sync.seek(topic, partition, offset)

    async def seek_to_time(self, moment: datetime) -> None:
        """See :meth:`Consumer.seek_to_time`."""
        await asyncio.to_thread(self.sync.seek_to_time, moment)

    async def lag(self) -> list[Lag]:
        """See :meth:`Consumer.lag`."""
        return await asyncio.to_thread(self.sync.lag)

    async def aclose(self) -> None:
        """See :meth:`Consumer.close`."""
        self.sync.close()

    async def __aenter__(self) -> AsyncConsumer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncLedger:
    """Awaitable :class:`Ledger`; open one with :func:`fleetledger.open_async`."""

    def __init__(self, ledger: Ledger) -> None:
        self.sync = ledger

    async def append(self, type: str | NewEvent, **attributes: Any) -> Position:
        """See :meth:`Ledger.append`."""
        return await asyncio.to_thread(lambda: self.sync.append(type, **attributes))

    async def append_many(self, events: Iterable[NewEvent | Mapping[str, Any]]) -> Appended:
        """See :meth:`Ledger.append_many`."""
        return await asyncio.to_thread(self.sync.append_many, list(events))

    async def get(self, event_id: str) -> Event:
        """See :meth:`Ledger.get`."""
        return await asyncio.to_thread(self.sync.get, event_id)

    async def read(
        self,
        family: str,
        partition: int = 0,
        offset: int = 0,
        *,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[Event]:
        """See :meth:`Ledger.read`."""
        return await asyncio.to_thread(
            lambda: self.sync.read(family, partition, offset, since=since, limit=limit)
        )

    async def replay(self, task: str, **options: Any) -> list[Event]:
        """See :meth:`Ledger.replay` (same options; returns the whole list)."""
        return await asyncio.to_thread(lambda: list(self.sync.replay(task, **options)))

    async def state_at(
        self, task: str, *, as_of: datetime | None = None, corrected: bool = False
    ) -> TaskState:
        """See :meth:`Ledger.state_at`."""
        return await asyncio.to_thread(
            lambda: self.sync.state_at(task, as_of=as_of, corrected=corrected)
        )

    def consumer(
        self,
        group: str,
        families: Iterable[str] | None = None,
        *,
        start: Start = "earliest",
        member: int = 0,
        members: int = 1,
    ) -> AsyncConsumer:
        """See :meth:`Ledger.consumer`."""
        return AsyncConsumer(
            self.sync.consumer(group, families, start=start, member=member, members=members)
        )

    async def lag(self, group: str | None = None) -> list[Lag]:
        """See :meth:`Ledger.lag`."""
        return await asyncio.to_thread(self.sync.lag, group)

    async def topics(self) -> list[TopicInfo]:
        """See :meth:`Ledger.topics`."""
        return await asyncio.to_thread(self.sync.topics)

    async def groups(self) -> list[str]:
        """See :meth:`Ledger.groups`."""
        return await asyncio.to_thread(self.sync.groups)

    async def move_group(
        self,
        group: str,
        to: Target,
        *,
        families: Iterable[str] | None = None,
        partition: int | None = None,
    ) -> list[GroupMove]:
        """See :meth:`Ledger.move_group`."""
        return await asyncio.to_thread(
            lambda: self.sync.move_group(group, to, families=families, partition=partition)
        )

    async def delete_group(self, group: str) -> bool:
        """See :meth:`Ledger.delete_group`."""
        return await asyncio.to_thread(self.sync.delete_group, group)

    async def heads(self) -> list[StoredHead]:
        """See :meth:`Ledger.heads`."""
        return await asyncio.to_thread(self.sync.heads)

    async def sign(self) -> int:
        """See :meth:`Ledger.sign`."""
        return await asyncio.to_thread(self.sync.sign)

    async def maintain(self, now: datetime | None = None) -> int:
        """See :meth:`Ledger.maintain`."""
        return await asyncio.to_thread(self.sync.maintain, now)

    async def verify(
        self, verifier: NoteVerifier | None = None, *, deep: bool = False
    ) -> Verification:
        """See :meth:`Ledger.verify` (without progress: await it, or watch the partitions)."""
        return await asyncio.to_thread(lambda: self.sync.verify(verifier, deep=deep))

    async def prove(self, event_id: str, verifier: NoteVerifier | None = None) -> InclusionProof:
        """See :meth:`Ledger.prove`."""
        return await asyncio.to_thread(self.sync.prove, event_id, verifier)

    async def prove_consistency(
        self, old: HeadRef, new: HeadRef = "latest", verifier: NoteVerifier | None = None
    ) -> ConsistencyProof:
        """:meth:`Ledger.prove_consistency`, in a worker thread."""
        return await asyncio.to_thread(self.sync.prove_consistency, old, new, verifier)

    async def evidence(self, task: str, verifier: NoteVerifier | None = None) -> EvidenceBundle:
        """:meth:`Ledger.evidence`, in a worker thread."""
        return await asyncio.to_thread(self.sync.evidence, task, verifier)

    async def forget(self, datasubject: str, **options: Any) -> Erasure:
        """:meth:`Ledger.forget`, in a worker thread."""
        return await asyncio.to_thread(lambda: self.sync.forget(datasubject, **options))

    def register(self, type: str, model: builtins.type[EventData], **options: Any) -> EventType:
        """See :meth:`Ledger.register` (in memory plus one topic creation; not awaited)."""
        return self.sync.register(type, model, **options)

    async def tail(
        self,
        families: Iterable[str] | None = None,
        *,
        last: int = 10,
        where: EventFilter | None = None,
    ) -> list[Event]:
        """See :meth:`Ledger.tail` without ``follow``: use a consumer to follow in asyncio."""
        return await asyncio.to_thread(
            lambda: list(self.sync.tail(families, last=last, where=where))
        )

    async def aclose(self) -> None:
        """See :meth:`Ledger.close`."""
        await asyncio.to_thread(self.sync.close)

    async def __aenter__(self) -> AsyncLedger:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
