"""Per-family topic policies: partitions, partition key, retention, cleanup, classification.

Audit families (task, tool, governance) are kept forever; diagnostic ones (context,
evaluation) expire; ``state`` is compacted to the latest summary per task. A policy is part of
a ledger's identity: changing the partition count of an existing topic would move keys to other
partitions and break per-task order, so backends refuse it.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from fleetledger.errors import ConfigurationError
from fleetledger.topics.naming import check_family
from fleetledger.types import Classification

FOREVER = -1
"""``retention_ms`` / ``retention_bytes`` value meaning: never delete."""

_DAY_MS = 24 * 60 * 60 * 1000


class PartitionKey(StrEnum):
    """Which attribute orders a family: events with the same value share one partition."""

    TASK = "task"
    TENANT = "tenant"
    CONVERSATION = "conversation"
    AGENT = "agent"

    @property
    def attribute(self) -> str:
        """The CloudEvents attribute that carries the key."""
        return _KEY_ATTRIBUTES[self]


_KEY_ATTRIBUTES = {
    PartitionKey.TASK: "subject",
    PartitionKey.TENANT: "tenant",
    PartitionKey.CONVERSATION: "conversationid",
    PartitionKey.AGENT: "agentid",
}


class Cleanup(StrEnum):
    """What retention does to old records: drop them, or keep only the latest per key."""

    DELETE = "delete"
    COMPACT = "compact"


class FamilyPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How one family's topic is partitioned, kept and classified."""

    family: str
    partitions: int = 4
    key: PartitionKey = PartitionKey.TASK
    retention_ms: int = FOREVER
    retention_bytes: int = FOREVER
    cleanup: Cleanup = Cleanup.DELETE
    classification: Classification = Classification.INTERNAL

    def __post_init__(self) -> None:
        check_family(self.family)
        if not 1 <= self.partitions <= 1024:
            raise ConfigurationError(
                f"family {self.family!r}: partitions must be between 1 and 1024, "
                f"not {self.partitions}",
            )
        for name in ("retention_ms", "retention_bytes"):
            value = getattr(self, name)
            if value != FOREVER and value <= 0:
                raise ConfigurationError(
                    f"family {self.family!r}: {name} must be positive or FOREVER (-1), not {value}",
                )

    @property
    def expires(self) -> bool:
        """Whether retention ever deletes records of this family."""
        return self.retention_ms != FOREVER or self.retention_bytes != FOREVER


BUILTIN_POLICIES: dict[str, FamilyPolicy] = {
    p.family: p
    for p in (
        FamilyPolicy(family="task"),
        FamilyPolicy(family="context", retention_ms=7 * _DAY_MS),
        FamilyPolicy(family="tool"),
        FamilyPolicy(family="governance", classification=Classification.CONFIDENTIAL),
        FamilyPolicy(family="evaluation", retention_ms=30 * _DAY_MS),
        FamilyPolicy(family="state", cleanup=Cleanup.COMPACT),
    )
}
