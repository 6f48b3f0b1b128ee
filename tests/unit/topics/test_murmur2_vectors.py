"""Kafka's murmur2 partitioner against Apache Kafka's and librdkafka's published vectors."""

import json
from pathlib import Path
from typing import Any

import pytest

from fleetledger.topics import murmur2, partition_for

VECTORS = json.loads((Path(__file__).parent / "vectors" / "murmur2.json").read_text())
HASHES = VECTORS["hashes"]
FULL = [v for v in HASHES if not v["masked"]]
MASKED = [v for v in HASHES if v["masked"]]
PARTITIONED = VECTORS["partitions"]
PARTITIONS = [
    pytest.param(v, count, id=f"{v['source']}:{v['key']!r}/{count}")
    for v in PARTITIONED
    for count in v["partition_counts"]
]


def uint32(literal: str) -> int:
    """An upstream literal (a signed Java int in decimal, or C hex) as an unsigned 32-bit value."""
    return int(literal, 0) & 0xFFFFFFFF


def vector_id(vector: dict[str, Any]) -> str:
    """A test id naming a hash vector's source and key."""
    return f"{vector['source']}:{vector['key']!r}"


@pytest.mark.parametrize("vector", FULL, ids=vector_id)
def test_murmur2_of_a_published_key_is_the_published_hash(vector: dict[str, Any]) -> None:
    """murmur2 gives the 32 bits Kafka's Utils.murmur2 and librdkafka's rd_murmur2 give."""
    assert murmur2(vector["key"].encode()) == uint32(vector["expected"])


@pytest.mark.parametrize("vector", MASKED, ids=vector_id)
def test_murmur2_matches_a_hash_published_with_its_sign_bit_cleared(
    vector: dict[str, Any],
) -> None:
    """With the sign bit cleared, as toPositive does, murmur2 gives the published value."""
    assert murmur2(vector["key"].encode()) & 0x7FFFFFFF == uint32(vector["expected"])


@pytest.mark.parametrize("vector", PARTITIONED, ids=vector_id)
def test_murmur2_of_a_partitioned_key_is_the_published_positive_hash(
    vector: dict[str, Any],
) -> None:
    """The positive hash librdkafka's partitioner test got from the Java client is ours too."""
    assert murmur2(vector["key"].encode()) & 0x7FFFFFFF == uint32(vector["positive_hash"])


@pytest.mark.parametrize(("vector", "count"), PARTITIONS)
def test_partition_for_a_published_key_is_the_published_partition(
    vector: dict[str, Any], count: int
) -> None:
    """partition_for puts the key where librdkafka's murmur2 partitioner test expects it."""
    assert partition_for(vector["key"], count) == uint32(vector["positive_hash"]) % count
