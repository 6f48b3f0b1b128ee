"""Storage adapters behind small Protocols; the ledger picks one by URL."""

from fleetledger.backends.protocols import (
    AppendableLog,
    Backend,
    MaintainableLog,
    OffsetStore,
    PartitionOffsets,
    ReadableLog,
    Record,
    StoredRecord,
    TopicPartition,
)

__all__ = [
    "AppendableLog",
    "Backend",
    "MaintainableLog",
    "OffsetStore",
    "PartitionOffsets",
    "ReadableLog",
    "Record",
    "StoredRecord",
    "TopicPartition",
]
