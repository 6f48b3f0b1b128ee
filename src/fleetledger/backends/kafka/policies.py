"""The policy registry: which topics are ledger topics, and the policy each was created with.

Kafka topic configs cannot hold a whole family policy (partition key, classification), so the
policies are kept in a small compacted topic, ``_fleetledger.topics`` (one record per topic,
keyed by topic name; a null value forgets the topic). It is read once, then only what was added
since the last look.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

import msgspec
from confluent_kafka import Message

from fleetledger.backends.kafka import binding
from fleetledger.backends.kafka.admin import REGISTRY_TOPIC, decode_policy, encode_policy
from fleetledger.backends.kafka.reader import Fetcher
from fleetledger.backends.kafka.settings import LOG
from fleetledger.backends.kafka.writer import Send
from fleetledger.errors import LedgerError, NotFound
from fleetledger.topics import FamilyPolicy

Produce = Callable[[list[Send]], object]
"""Appends one registry record (and waits for its acknowledgement)."""


class PolicyRegistry:
    """The registry's policies, read incrementally; thread-safe."""

    def __init__(self, fetcher: Fetcher, bootstrap: str) -> None:
        self._fetcher = fetcher
        self._bootstrap = bootstrap
        self._lock = threading.RLock()
        self._policies: dict[str, FamilyPolicy] = {}
        self._next = 0

    def load(self) -> dict[str, FamilyPolicy]:
        """Every registered policy, reading only what was added since the last call."""
        with self._lock:
            tp = (REGISTRY_TOPIC, 0)
            batch = self._fetcher.fetch({tp: self._next})[tp]
            for message in batch.messages:
                self._register(message)
                self._next = (message.offset() or 0) + 1
            self._next = max(self._next, batch.end or 0)
            return dict(self._policies)

    def policy(self, topic: str) -> FamilyPolicy:
        """The policy of a registered topic; :class:`NotFound` for any other."""
        policy = self._policies.get(topic)
        if policy is None:
            policy = self.load().get(topic)
            if policy is None:
                raise NotFound(f"no topic {topic!r} in the Kafka ledger {self._bootstrap}")
        return policy

    def save(self, policies: Mapping[str, FamilyPolicy], produce: Produce) -> None:
        """Register the policies that differ from the stored ones."""
        with self._lock:
            stored = self.load()
            for topic, policy in policies.items():
                if stored.get(topic) != policy:
                    message = binding.Message(topic.encode(), encode_policy(policy), [])
                    produce([Send(REGISTRY_TOPIC, 0, message, 0)])
                    self._policies[topic] = policy

    def _register(self, message: Message) -> None:
        """Apply one registry record: a policy, or a tombstone that forgets the topic."""
        name, value = (message.key() or b"").decode("utf-8", "replace"), message.value()
        if value is None:
            self._policies.pop(name, None)
            return
        try:
            self._policies[name] = decode_policy(value)
        except (msgspec.DecodeError, msgspec.ValidationError, LedgerError) as exc:
            LOG.warning("ignoring an unreadable policy for %r in %s: %s", name, REGISTRY_TOPIC, exc)
