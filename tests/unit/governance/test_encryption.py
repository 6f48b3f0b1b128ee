"""Field sealing, key wrapping and the in-memory key store (pure, no I/O)."""

import pytest

from fleetledger.errors import ConfigurationError
from fleetledger.governance.encryption import (
    DataKey,
    MemoryKeyStore,
    is_sealed,
    open_field,
    seal,
    unwrap,
    wrap,
)

KEY = DataKey("k-1", bytes(range(32)))


def test_a_sealed_field_opens_with_its_key_for_its_event_and_field() -> None:
    """seal then open_field gives back the plaintext."""
    marker = seal(b'"alice@example.com"', KEY, "evt-1", "goal")
    assert open_field(marker, KEY, "evt-1", "goal") == b'"alice@example.com"'


def test_a_marker_names_its_algorithm_and_key_and_hides_the_plaintext() -> None:
    """The marker is the documented object, with no plaintext in it."""
    marker = seal(b'"alice@example.com"', KEY, "evt-1", "goal")
    assert is_sealed(marker)
    assert set(marker) == {"$enc", "kid", "iv", "ct"}
    assert marker["kid"] == "k-1"
    assert "alice" not in str(marker)


def test_a_ciphertext_moved_to_another_event_does_not_open() -> None:
    """The event id is associated data: a marker copied into another event fails."""
    marker = seal(b'"secret"', KEY, "evt-1", "goal")
    assert open_field(marker, KEY, "evt-2", "goal") is None


def test_a_ciphertext_moved_to_another_field_does_not_open() -> None:
    """The field name is associated data: a marker copied into another field fails."""
    marker = seal(b'"secret"', KEY, "evt-1", "goal")
    assert open_field(marker, KEY, "evt-1", "summary") is None


def test_an_altered_ciphertext_does_not_open() -> None:
    """GCM's tag refuses a flipped ciphertext byte."""
    marker = seal(b'"secret"', KEY, "evt-1", "goal")
    marker["ct"] = ("A" if marker["ct"][0] != "A" else "B") + marker["ct"][1:]
    assert open_field(marker, KEY, "evt-1", "goal") is None


def test_a_wrapped_key_unwraps_only_under_its_kek_and_id() -> None:
    """Unwrapping with another KEK, or under another key id, is refused."""
    kek = bytes(32)
    wrapped = wrap(kek, KEY)
    assert unwrap(kek, "k-1", wrapped) == KEY
    with pytest.raises(ConfigurationError):
        unwrap(b"\x01" * 32, "k-1", wrapped)
    with pytest.raises(ConfigurationError):
        unwrap(kek, "k-2", wrapped)


def test_the_memory_store_keeps_one_key_per_subject_until_destroyed() -> None:
    """keys_for is stable; destroy removes it, counts it and marks its id erased."""
    store = MemoryKeyStore()
    first = store.keys_for(["cust-7"])["cust-7"]
    assert store.keys_for(["cust-7"])["cust-7"] == first
    assert store.keys_for(["cust-8"])["cust-8"] != first
    assert store.destroy("cust-7") == 1
    assert store.get(first.kid) is None
    assert store.erased(first.kid)
    assert store.keys_for(["cust-7"])["cust-7"].kid != first.kid


def test_sealing_the_same_field_of_the_same_event_twice_gives_the_same_marker() -> None:
    """The IV is synthetic: a retried event seals to the same bytes (idempotent appends)."""
    assert seal(b'"secret"', KEY, "evt-1", "goal") == seal(b'"secret"', KEY, "evt-1", "goal")


def test_another_value_event_or_field_gets_another_iv() -> None:
    """The IV depends on the plaintext and on the associated data, never repeating across them."""
    ivs = {
        seal(b'"secret"', KEY, "evt-1", "goal")["iv"],
        seal(b'"other"', KEY, "evt-1", "goal")["iv"],
        seal(b'"secret"', KEY, "evt-2", "goal")["iv"],
        seal(b'"secret"', KEY, "evt-1", "query")["iv"],
        seal(b'"secret"', DataKey("k-2", bytes(32)), "evt-1", "goal")["iv"],
    }
    assert len(ivs) == 5
