"""Consumer-group members on Kafka: the broker's own group protocol, and the dead-letter topic.

A :class:`KafkaMember` is a confluent-kafka ``Consumer`` subscribed to the group's topics
with the group's id: Kafka splits the partitions among the members, moves them when one
joins or leaves, and takes a silent member's partitions after ``session.timeout.ms``. Kafka
refuses the "simple" commit of :mod:`~fleetledger.backends.kafka.groups` while a group has
active members, so a member commits through its own consumer, and the broker fences it: a
commit with a stale generation (its partitions were given to another member) is refused,
which is :class:`~fleetledger.errors.Fenced` here.

Why the member consumer reads nothing itself: its partitions are paused as soon as they are
assigned, and the ledger reads them through the backend's fetcher (``bodies``), like every
other read. So events are decoded, verified and screened by access rules on one path only,
whatever the backend, and the member's consumer is only the group's membership: its
``poll`` serves heartbeats' outcomes (assignments and revocations). When partitions are
revoked, the revoke callback commits what was processed and not yet committed, while the
member's generation still owns them.

The dead-letter topic ``{namespace}._deadletter`` has one partition and keeps its records
forever; it is not a family (it is not in the policy registry) and nothing deletes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence

from confluent_kafka import Consumer, KafkaError, KafkaException
from confluent_kafka import TopicPartition as KafkaPartition

from fleetledger.backends.kafka import binding
from fleetledger.backends.kafka.admin import Admin
from fleetledger.backends.kafka.errors import translated
from fleetledger.backends.kafka.reader import Fetcher
from fleetledger.backends.kafka.settings import LOG, KafkaSettings
from fleetledger.backends.kafka.writer import Send, Writer
from fleetledger.errors import BackendError, ConfigurationError, Fenced
from fleetledger.topics import FamilyPolicy
from fleetledger.types import TopicPartition

DEADLETTER_POLICY = FamilyPolicy(family="deadletter", partitions=1)
"""One partition (one order for every record), kept forever, never compacted."""

_FENCED = frozenset(
    {
        KafkaError.ILLEGAL_GENERATION,
        KafkaError.UNKNOWN_MEMBER_ID,
        KafkaError.REBALANCE_IN_PROGRESS,
        KafkaError.FENCED_INSTANCE_ID,
        KafkaError._ASSIGNMENT_LOST,
    }
)


class KafkaMember:
    """One member of a Kafka consumer group (see the module)."""

    def __init__(
        self,
        settings: KafkaSettings,
        group: str,
        topics: Sequence[str],
        member: str,
        session_timeout: float,
    ) -> None:
        session_ms = int(session_timeout * 1000)
        if session_ms < 1000:
            raise ConfigurationError("session_timeout must be 1 second or more on Kafka")
        self.group = group
        self._name = member
        self._held: set[TopicPartition] = set()
        self._processed: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._lock = threading.RLock()
        config = settings.config(
            {
                "group.id": group,
                "client.id": member,
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "session.timeout.ms": session_ms,
                "heartbeat.interval.ms": max(session_ms // 4, 100),
                "isolation.level": "read_committed",
                "enable.partition.eof": False,
            }
        )
        with translated(f"joining consumer group {group!r}"):
            self._consumer = Consumer(config)
            self._consumer.subscribe(
                list(topics),
                on_assign=self._assigned,
                on_revoke=self._revoked,
                on_lost=self._lost,
            )

    @property
    def name(self) -> str:
        """The member's name (its ``client.id``)."""
        return self._name

    def assignment(self) -> list[TopicPartition]:
        """See :meth:`GroupMember.assignment`: serve the group's callbacks, then what is held."""
        with self._lock, translated(f"polling consumer group {self.group!r}"):
            message = self._consumer.poll(0.05)
            if message is not None and message.error() is not None:
                LOG.warning("consumer group %r: %s", self.group, message.error())
            return sorted(self._held)

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """See :meth:`GroupMember.commit`: through the member's consumer, fenced by Kafka."""
        if not offsets:
            return
        with self._lock:
            lost = [tp for tp in offsets if tp not in self._held]
            if lost:
                names = ", ".join(f"{t}/{p}" for t, p in lost)
                raise Fenced(f"member {self._name} of group {self.group!r} does not hold {names}")
            self._processed.update(offsets)
            self._commit(dict(offsets))

    def _commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        partitions = [KafkaPartition(t, p, o) for (t, p), o in offsets.items()]
        try:
            result = self._consumer.commit(offsets=partitions, asynchronous=False)
        except KafkaException as exc:
            error = exc.args[0]
            if isinstance(error, KafkaError) and error.code() in _FENCED:
                raise Fenced(
                    f"Kafka refused the commit of member {self._name} of group {self.group!r}:"
                    f" {error.str()} (its partitions were given to another member)"
                ) from exc
            raise BackendError(f"Kafka: committing group {self.group!r}: {exc}") from exc
        for tp in result or ():
            if tp.error is not None:
                raise BackendError(f"Kafka: committing {tp.topic}/{tp.partition}: {tp.error}")
        self._committed.update(offsets)

    def leave(self) -> None:
        """See :meth:`GroupMember.leave`: closing the consumer revokes (committing) and leaves."""
        with self._lock, translated(f"leaving consumer group {self.group!r}"):
            self._consumer.close()
            self._held.clear()

    def _assigned(self, consumer: Consumer, partitions: list[KafkaPartition]) -> None:
        """Take the partitions, paused: the ledger reads them through its fetcher."""
        consumer.assign(partitions)
        consumer.pause(partitions)
        self._held.update((tp.topic, tp.partition) for tp in partitions)

    def _revoked(self, consumer: Consumer, partitions: list[KafkaPartition]) -> None:
        """Commit what was processed of the revoked partitions, while they are still ours."""
        revoked = {(tp.topic, tp.partition) for tp in partitions}
        pending = {
            tp: o
            for tp, o in self._processed.items()
            if tp in revoked and self._committed.get(tp) != o
        }
        self._held -= revoked
        if pending:
            try:
                self._commit(pending)
            except (Fenced, BackendError) as exc:  # the next holder re-reads from the last commit
                LOG.warning("consumer group %r: commit on revocation failed: %s", self.group, exc)

    def _lost(self, consumer: Consumer, partitions: list[KafkaPartition]) -> None:
        """Partitions lost without a revocation (the session expired): nothing can commit."""
        self._held -= {(tp.topic, tp.partition) for tp in partitions}


class DeadLetterTopics:
    """The ``{namespace}._deadletter`` topics of a backend: created when first written."""

    def __init__(self, admin: Admin, fetcher: Fetcher, exists: Callable[[str], bool]) -> None:
        self._admin = admin
        self._fetcher = fetcher
        self._exists = exists
        self._made: set[str] = set()

    def add(self, writer: Writer, topic: str, records: Sequence[bytes]) -> None:
        """Append ``records`` (several in one transaction)."""
        if not records:
            return
        if topic not in self._made:
            self._admin.ensure({topic: DEADLETTER_POLICY})
            self._made.add(topic)
        sends = [Send(topic, 0, binding.Message(b"", record, []), 0) for record in records]
        writer.send(sends, len(sends))

    def read(self, topic: str) -> list[bytes]:
        """Every record, in order; none while the topic does not exist."""
        if topic not in self._made and not self._exists(topic):
            return []
        batch = self._fetcher.fetch({(topic, 0): 0})[(topic, 0)]
        return [message.value() or b"" for message in batch.messages]
