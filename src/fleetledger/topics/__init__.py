"""Topic families, their policies, naming rules, and Kafka-compatible key partitioning (pure)."""

from fleetledger.topics.naming import checkpoint_origin, family_of, in_namespace, topic_name
from fleetledger.topics.partitioner import murmur2, partition_for
from fleetledger.topics.policy import (
    BUILTIN_POLICIES,
    FOREVER,
    Cleanup,
    FamilyPolicy,
    PartitionKey,
)

__all__ = [
    "BUILTIN_POLICIES",
    "FOREVER",
    "Cleanup",
    "FamilyPolicy",
    "PartitionKey",
    "checkpoint_origin",
    "family_of",
    "in_namespace",
    "murmur2",
    "partition_for",
    "topic_name",
]
