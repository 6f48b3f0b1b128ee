"""Topics from family policies: create what is missing, refuse what does not match.

A family policy becomes a topic with the policy's partition count, the URL's
``replication_factor``, and three topic configs: ``cleanup.policy`` (``compact`` for the
``state`` family), ``retention.ms`` and ``retention.bytes`` (``-1``: kept forever). The broker
enforces them from then on.

An existing topic is never altered. A different partition count, a different cleanup policy,
or a retention that would let the broker delete records the policy keeps (say an audit topic
left at the broker's default of 7 days) raises :class:`~fleetledger.ConfigurationError` naming
the topic, the setting and the command that fixes it. A retention that keeps *more* than the
policy asks is reported with a :class:`TopicConfigWarning` and left alone: nothing is lost.
A setting the broker does not report is not checked.

Kafka topic configs cannot hold the rest of a policy (partition key, classification), so the
policies themselves are kept in a small compacted topic, ``_fleetledger.topics`` (one record per
topic, keyed by topic name), which is what ``topics()`` reads.
"""

from __future__ import annotations

import contextlib
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

import msgspec
from confluent_kafka import (
    ConsumerGroupTopicPartitions,
    IsolationLevel,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # its documented public names
    AdminClient,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    OffsetSpec,
    ResourceType,
)

from fleetledger.backends.kafka.errors import translate, translated
from fleetledger.backends.kafka.settings import KafkaSettings
from fleetledger.backends.protocols import TopicPartition as Partition
from fleetledger.errors import BackendError, ConfigurationError, LedgerClosed
from fleetledger.topics import FOREVER, Cleanup, FamilyPolicy

REGISTRY_TOPIC = "_fleetledger.topics"
REGISTRY_POLICY = FamilyPolicy(family="topics", partitions=1, cleanup=Cleanup.COMPACT)
"""The registry keeps the latest policy per topic name, so it is compacted, never expired."""

_RETENTION = ("retention.ms", "retention.bytes")
_UNSTABLE_PAUSE = 0.05
"""Seconds between two asks for a group's offsets while a transaction's are not settled."""
_RETRY_PAUSE = 0.05
_LEADERSHIP_MOVING = frozenset(
    {
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.UNKNOWN_TOPIC_OR_PART,
        KafkaError.FENCED_LEADER_EPOCH,
        KafkaError.UNKNOWN_LEADER_EPOCH,
        KafkaError.OFFSET_NOT_AVAILABLE,
        KafkaError.REQUEST_TIMED_OUT,
        KafkaError._TIMED_OUT,
        KafkaError._TRANSPORT,
        KafkaError._NOENT,  # "failed to query partition leaders: no leaders found"
    }
)
"""Errors a partition answers while its leader is being elected or learned (just after the
topic was created, or while a broker fails or restarts): asked again until the timeout."""


_UNANSWERED = frozenset(
    {KafkaError._TIMED_OUT, KafkaError.REQUEST_TIMED_OUT, KafkaError._TRANSPORT}
)
_T = TypeVar("_T")


def _moving(exc: KafkaException) -> bool:
    error = exc.args[0] if exc.args else None
    return isinstance(error, KafkaError) and error.code() in _LEADERSHIP_MOVING


def _unanswered(exc: Exception) -> bool:
    """Whether a request failed for want of an answer in time (not for one that refused)."""
    if isinstance(exc, TimeoutError):
        return True
    error = exc.args[0] if exc.args else None
    return isinstance(error, KafkaError) and error.code() in _UNANSWERED


class TopicConfigWarning(UserWarning):
    """An existing topic keeps more than its policy asks; left as it is."""


def topic_config(policy: FamilyPolicy) -> dict[str, str]:
    """The Kafka topic configs a policy asks for."""
    return {
        "cleanup.policy": policy.cleanup.value,
        "retention.ms": str(policy.retention_ms),
        "retention.bytes": str(policy.retention_bytes),
    }


def encode_policy(policy: FamilyPolicy) -> bytes:
    """A policy as the registry stores it."""
    return msgspec.json.encode(policy)


def decode_policy(value: bytes) -> FamilyPolicy:
    """A policy from the registry."""
    return msgspec.json.decode(value, type=FamilyPolicy)


class Admin:
    """Creates and checks topics; thread-safe (librdkafka's admin client is)."""

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._timeout = settings.timeout
        self._lock = threading.Lock()
        with translated("creating an admin client"):
            self._admin: AdminClient | None = AdminClient(settings.config())

    def partitions(self) -> dict[str, int]:
        """Every topic of the cluster with its partition count."""
        metadata = self._answered(
            f"listing the topics of {self._settings.bootstrap}",
            lambda client, wait: client.list_topics(timeout=wait),
        )
        return {
            name: len(topic.partitions)
            for name, topic in metadata.topics.items()
            if topic.error is None
        }

    def ensure(self, policies: Mapping[str, FamilyPolicy]) -> None:
        """Create the missing topics; check the existing ones against their policies."""
        existing = self.partitions()
        missing = {t: p for t, p in policies.items() if t not in existing}
        self._create(missing)
        if missing:
            existing = self._visible(set(missing))
        for topic, policy in policies.items():
            _check_partitions(topic, policy, existing.get(topic))
        self._check_configs(dict(policies))

    def _visible(self, created: set[str]) -> dict[str, int]:
        """The topics once every one just created shows in the metadata, or at the deadline.

        A broker can acknowledge a creation before its metadata answers list the topic
        (Tansu does, now and then); reading it at once would call the topic missing.
        """
        deadline = time.monotonic() + self._timeout
        while True:
            existing = self.partitions()
            if created <= existing.keys() or time.monotonic() >= deadline:
                return existing
            time.sleep(0.05)

    def _create(self, policies: Mapping[str, FamilyPolicy]) -> None:
        if not policies:
            return
        topics = [
            NewTopic(
                topic,
                num_partitions=policy.partitions,
                replication_factor=self._settings.replication_factor,
                config=topic_config(policy),
            )
            for topic, policy in policies.items()
        ]
        with translated("creating topics"):
            futures = self._client().create_topics(topics, operation_timeout=self._timeout)
            for topic, future in futures.items():
                try:
                    future.result(timeout=self._timeout)
                except KafkaException as exc:
                    error = exc.args[0]
                    if error.code() != KafkaError.TOPIC_ALREADY_EXISTS:  # created meanwhile
                        raise translate(error, f"creating topic {topic!r}") from exc

    def _check_configs(self, policies: Mapping[str, FamilyPolicy]) -> None:
        resources = [ConfigResource(ResourceType.TOPIC, topic) for topic in policies]
        if not resources:
            return
        for topic, configs in self._describe(resources).items():
            actual = {name: entry.value for name, entry in configs.items()}
            _check_config(topic, policies[topic], actual)

    def _describe(self, resources: list[ConfigResource]) -> dict[str, dict[str, ConfigEntry]]:
        """The configs of topics that exist, asked again while a broker does not know one yet.

        The broker that answers need not be the one whose metadata showed a topic just
        created: on a cluster it can call the topic unknown for a moment.
        """
        deadline = time.monotonic() + self._timeout
        with translated("describing topic configs"):
            while True:
                left = max(deadline - time.monotonic(), _RETRY_PAUSE)
                futures = self._client().describe_configs(resources, request_timeout=left)
                try:
                    return {res.name: f.result(timeout=left + 1) for res, f in futures.items()}
                except KafkaException as exc:
                    if not _moving(exc) or time.monotonic() >= deadline:
                        raise
                time.sleep(_RETRY_PAUSE)

    def watermarks(self, partitions: Iterable[Partition]) -> dict[Partition, tuple[int, int]]:
        """Low and high watermark of each partition, all in two requests.

        The high one is the last stable offset: records of open transactions are not counted.
        """
        wanted = [TopicPartition(t, p) for t, p in partitions]
        if not wanted:
            return {}
        low = self._list_offsets(wanted, OffsetSpec.earliest())  # type: ignore[no-untyped-call]
        high = self._list_offsets(wanted, OffsetSpec.latest())  # type: ignore[no-untyped-call]
        return {tp: (low[tp], high[tp]) for tp in low}

    def latest(self, partitions: Iterable[Partition]) -> dict[Partition, int]:
        """The high watermark of each partition, counting uncommitted records, in one request.

        The reader's cheap barrier (see ``ends``): it answers without the wait of an empty
        fetch. Uncommitted, because Tansu's committed answer is 0 while a transaction is open.
        """
        wanted = [TopicPartition(t, p) for t, p in partitions]
        if not wanted:
            return {}
        spec = OffsetSpec.latest()  # type: ignore[no-untyped-call]
        return self._list_offsets(wanted, spec, IsolationLevel.READ_UNCOMMITTED)

    def _list_offsets(
        self,
        wanted: list[TopicPartition],
        spec: OffsetSpec,
        isolation: IsolationLevel = IsolationLevel.READ_COMMITTED,
    ) -> dict[Partition, int]:
        """One offset per partition, asked again (bounded by the timeout) while a partition's
        leadership moves, each time after the metadata is asked for anew, and through a new
        admin client once half the timeout has passed.

        librdkafka's admin client sends ListOffsets to the leader, with the leader epoch, its
        metadata names, and never refreshes that metadata by itself: after a leader changes,
        every answer would be an error (a fenced or unknown epoch, a leader no longer there)
        or, from a dead leader, no offset at all (-1001), until something else asks for it.
        After every broker restarted, a client could also go on finding no leader at all
        while a new one finds them at once (see :meth:`_answered`).
        """
        began = time.monotonic()
        deadline, renewal = began + self._timeout, began + self._timeout / 2
        with translated("listing offsets"):
            while True:
                wait = min(max(deadline - time.monotonic(), _RETRY_PAUSE), self._timeout / 2)
                futures = self._client().list_offsets(
                    dict.fromkeys(wanted, spec), isolation_level=isolation, request_timeout=wait
                )
                try:
                    found = {
                        (tp.topic, tp.partition): int(f.result(timeout=wait + 1).offset)
                        for tp, f in futures.items()
                    }
                except KafkaException as exc:
                    if not _moving(exc) or time.monotonic() >= deadline:
                        raise
                except TimeoutError:
                    if time.monotonic() >= deadline:
                        raise
                else:
                    if all(offset >= 0 for offset in found.values()):
                        return found
                    if time.monotonic() >= deadline:
                        unknown = sorted(f"{t}/{p}" for (t, p), o in found.items() if o < 0)
                        raise BackendError(
                            f"Kafka: no leader answered with the offsets of {', '.join(unknown)}"
                            f" within {self._timeout:g} s"
                        )
                if time.monotonic() >= renewal:
                    self._renew()
                    renewal = deadline
                else:  # a client that waits for metadata forever is renewed all the same
                    self._refresh(renewal)
                time.sleep(_RETRY_PAUSE)

    def _refresh(self, until: float) -> None:
        """Ask for the cluster's metadata now (waiting no later than ``until``), so that the
        next request goes to the current leaders (every topic's: asking for named ones could
        create them on a broker that creates topics on first use). A cluster that does not
        answer is the next request's error."""
        left = until - time.monotonic()
        if left > 0:
            with contextlib.suppress(KafkaException):
                self._client().list_topics(timeout=left)

    def committed(
        self, group: str, partitions: Iterable[Partition] | None = None
    ) -> dict[Partition, int]:
        """The offsets ``group`` committed, by partition (all, or those of ``partitions``),
        stable ones only.

        Offsets committed in a transaction (``send_offsets_to_transaction``) reach the group
        once the coordinator has written the transaction's markers, a moment after the commit
        returned; until then the broker answers ``UNSTABLE_OFFSET_COMMIT`` for the partition
        (KIP-447, asked for with ``require_stable``), and this asks again, up to the timeout,
        so a reader never sees the offsets from before a commit that already succeeded. Asking
        for all partitions names only those already committed once, so the first transactional
        commit of a group is waited for by naming its partitions (see ``KafkaBackend.append``).
        """
        named = None if partitions is None else [TopicPartition(t, p) for t, p in partitions]
        request = [ConsumerGroupTopicPartitions(group, named)]

        def ask(client: AdminClient, wait: float) -> ConsumerGroupTopicPartitions:
            futures = client.list_consumer_group_offsets(
                request, require_stable=True, request_timeout=wait
            )
            found: ConsumerGroupTopicPartitions = futures[group].result(timeout=wait + 1)
            return found

        deadline = time.monotonic() + self._timeout
        while True:
            result = self._answered(f"listing the offsets of group {group!r}", ask)
            unstable = any(
                tp.error is not None and tp.error.code() == KafkaError.UNSTABLE_OFFSET_COMMIT
                for tp in result.topic_partitions or ()
            )
            if not unstable or time.monotonic() >= deadline:
                break
            time.sleep(_UNSTABLE_PAUSE)
        return {
            (tp.topic, tp.partition): int(tp.offset)
            for tp in result.topic_partitions or ()
            if tp.offset >= 0 and tp.error is None
        }

    def delete_group(self, group: str) -> bool:
        """Delete ``group`` (its committed offsets); whether it existed."""

        def ask(client: AdminClient, wait: float) -> bool:
            futures = client.delete_consumer_groups([group], request_timeout=wait)
            try:
                futures[group].result(timeout=wait + 1)
            except KafkaException as exc:
                if exc.args[0].code() == KafkaError.GROUP_ID_NOT_FOUND:
                    return False
                raise
            return True

        return self._answered(f"deleting consumer group {group!r}", ask)

    def _answered(self, doing: str, ask: Callable[[AdminClient, float], _T]) -> _T:
        """``ask`` through this admin client for half the timeout and, when no answer came,
        through a new one for the rest.

        Once every broker went away (a restart of the whole cluster, or of a single node),
        librdkafka's admin client can go on waiting for brokers it has dropped: as a group's
        coordinator (librdkafka issue 5511) or for metadata, for as long as it lives, while a
        new client asks the cluster afresh and is answered at once.
        """
        deadline = time.monotonic() + self._timeout
        with translated(doing):
            try:
                return ask(self._client(), self._timeout / 2)
            except (KafkaException, TimeoutError) as exc:
                if not _unanswered(exc):
                    raise
            self._renew()
            return ask(self._client(), max(deadline - time.monotonic(), _RETRY_PAUSE))

    def _renew(self) -> None:
        """Replace the admin client (calls under way finish on the one they hold)."""
        with self._lock:
            if self._admin is not None:
                self._admin = AdminClient(self._settings.config())

    def groups(self) -> list[str]:
        """Every consumer group the cluster knows, sorted."""
        with translated("listing consumer groups"):
            result = (
                self._client()
                .list_consumer_groups(request_timeout=self._timeout)
                .result(timeout=self._timeout)
            )
        return sorted(group.group_id for group in result.valid)

    def _client(self) -> AdminClient:
        if self._admin is None:
            raise LedgerClosed(f"the Kafka admin client of {self._settings.bootstrap} is closed")
        return self._admin

    def close(self) -> None:
        """Release the admin client now: librdkafka destroys it when the last reference goes.

        Left to the collector, it could be destroyed while the interpreter shuts down, and its
        threads' last log lines (sent to a Python logger) would then crash the process.
        """
        self._admin = None


def _check_partitions(topic: str, policy: FamilyPolicy, actual: int | None) -> None:
    if actual is None:
        raise ConfigurationError(f"topic {topic!r} was not created and does not exist")
    if actual != policy.partitions:
        raise ConfigurationError(
            f"topic {topic!r} has {actual} partitions; the {policy.family} policy asks for "
            f"{policy.partitions}. Changing it would move keys to other partitions: keep the "
            "topic's count in the policy, or mirror the ledger to a new namespace",
        )


def _check_config(topic: str, policy: FamilyPolicy, actual: Mapping[str, str | None]) -> None:
    """Refuse a config that loses what the policy keeps; warn about one that keeps more."""
    wanted = topic_config(policy)
    cleanup = actual.get("cleanup.policy")
    if cleanup is not None and cleanup != wanted["cleanup.policy"]:
        raise _mismatch(topic, "cleanup.policy", cleanup, wanted["cleanup.policy"])
    for name in _RETENTION:
        value = actual.get(name)
        if value is None or value == wanted[name]:
            continue
        keeps, asked = int(value), int(wanted[name])
        if keeps != FOREVER and (asked == FOREVER or keeps < asked):
            raise _mismatch(topic, name, value, wanted[name])
        warnings.warn(
            f"topic {topic!r} has {name}={value}, longer than the {policy.family} policy's "
            f"{wanted[name]}: the broker keeps more than the policy asks (left as it is)",
            TopicConfigWarning,
            stacklevel=4,
        )


def _mismatch(topic: str, name: str, actual: str, wanted: str) -> ConfigurationError:
    return ConfigurationError(
        f"topic {topic!r} has {name}={actual} but its policy needs {name}={wanted}; the broker "
        f"would not keep what the ledger promises. Fix the topic (kafka-configs --alter "
        f"--entity-type topics --entity-name {topic} --add-config {name}={wanted}) or the "
        "policy; fleetledger never alters an existing topic",
    )
