"""Writer attestation: the seal every record carries, pinned to the bytes it always had."""

import hashlib
import hmac

import pytest

from fleetledger.backends.kafka.attest import _DOMAIN, UNKEYED, Attestor, Covered

RECORD = Covered(
    "ns.task",
    3,
    b"task-1",
    b'{"goal":"g"}',
    [("ce_id", b"evt-1"), ("content-type", b"application/json"), ("fl_appended", b"17")],
)
WITH_NULLS = Covered("t", 0, None, None, [("ce_id", b"x"), ("fl_odd", None)])


def reference_mac(secret: bytes, record: Covered) -> bytes:
    """The MAC as the module describes it, one field at a time."""
    digest = hmac.new(secret, _DOMAIN, hashlib.sha256)
    fields = [record.topic.encode(), str(record.partition).encode(), record.key, record.value]
    for name, item in record.headers:
        fields += (name.encode(), item)
    for part in fields:
        if part is None:
            digest.update((2**64 - 1).to_bytes(8, "big"))
        else:
            digest.update(len(part).to_bytes(8, "big") + part)
    return digest.digest()[:16]


@pytest.mark.parametrize("record", [RECORD, WITH_NULLS], ids=["plain", "nulls"])
def test_an_unkeyed_seal_is_the_documented_mac_under_the_public_key(record: Covered) -> None:
    """Kind 0, then the first 16 bytes of the HMAC of every field, length-prefixed."""
    assert Attestor(None).seal(record) == b"\x00" + reference_mac(UNKEYED, record)


@pytest.mark.parametrize("record", [RECORD, WITH_NULLS], ids=["plain", "nulls"])
def test_a_keyed_seal_is_the_documented_mac_under_the_writer_key(record: Covered) -> None:
    """Kind 1, the key's id (4 bytes of its SHA-256), then the MAC under the key."""
    key = b"k" * 32
    expected = b"\x01" + hashlib.sha256(key).digest()[:4] + reference_mac(key, record)
    assert Attestor(key).seal(record) == expected


def test_seals_are_the_bytes_earlier_writers_stored() -> None:
    """Known answers, computed before the seal was made faster: stored records stay genuine."""
    assert Attestor(None).seal(RECORD).hex() == "004ce6fca8cbd6806f8785f1fdf71af7ae"
    assert Attestor(b"k" * 32).seal(RECORD).hex() == "015e318f8cfb537bd7014060e617206c41b09c29f0"
    assert Attestor(None).seal(WITH_NULLS).hex() == "0028ed4e50b40a46a9dd83eb07823a4eb9"


def test_a_seal_read_back_is_genuine_and_one_changed_byte_is_not() -> None:
    """A reader accepts the seal it computes, and no seal once a header's value changed."""
    attestor = Attestor(b"k" * 32)
    sealed = [*RECORD.headers, ("fl_mac", attestor.seal(RECORD))]
    assert attestor.genuine(RECORD._replace(headers=sealed))
    changed = [("ce_id", b"evt-2"), *sealed[1:]]
    assert not attestor.genuine(RECORD._replace(headers=changed))
