"""Topic families, their policies, and Kafka-compatible key partitioning (pure, no I/O)."""

from fleetledger.topics.partitioner import murmur2, partition_for
from fleetledger.topics.policy import (
    BUILTIN_POLICIES,
    FOREVER,
    Cleanup,
    FamilyPolicy,
    PartitionKey,
    topic_name,
)

__all__ = [
    "BUILTIN_POLICIES",
    "FOREVER",
    "Cleanup",
    "FamilyPolicy",
    "PartitionKey",
    "murmur2",
    "partition_for",
    "topic_name",
]
