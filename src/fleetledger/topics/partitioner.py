"""Kafka's default partitioner, so a key lands on the same partition number on every backend.

The Java client (and librdkafka's ``murmur2_random``) map a key to
``(murmur2(utf8(key)) & 0x7fffffff) % partitions``. Computing it here, rather than letting each
backend choose, is what lets ``mirror`` move a ledger between SQLite and Kafka without
reshuffling a single task.
"""

from __future__ import annotations

from functools import lru_cache

_M = 0x5BD1E995
_SEED = 0x9747B28C
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Return the 32-bit MurmurHash2 of ``data`` exactly as Kafka's ``Utils.murmur2`` does."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    full = length - length % 4
    for i in range(0, full, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = length % 4
    if tail == 3:
        h ^= data[full + 2] << 16
    if tail >= 2:
        h ^= data[full + 1] << 8
    if tail >= 1:
        h ^= data[full]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


@lru_cache(maxsize=65536)
def partition_for(key: str, partitions: int) -> int:
    """Return the partition a key maps to; cached because a task's events share one key."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions
