"""The encrypt stage: confidential fields sealed in the stored bytes, opened for key holders."""

from collections.abc import Iterator

import pytest

import fleetledger
from fleetledger import Ledger, MemoryKeyStore
from fleetledger.errors import ConfigurationError
from fleetledger.testing import FakeClock, memory_ledger

SECRET = "refund alice@example.com"


@pytest.fixture
def keys() -> MemoryKeyStore:
    """A key store the test can look into."""
    return MemoryKeyStore()


@pytest.fixture
def sealed(clock: FakeClock, keys: MemoryKeyStore) -> Iterator[Ledger]:
    """A memory ledger with a key store."""
    with memory_ledger(clock=clock, default_source="tests", keys=keys) as ledger:
        yield ledger


def restricted(ledger: Ledger, id: str = "e1", **attributes: object) -> None:
    """Append a restricted tool call whose arguments hold SECRET."""
    ledger.append(
        "tool.call.requested",
        subject="task-1",
        id=id,
        dataclassification="restricted",
        data={"call_id": "c-1", "tool": "payments.refund", "arguments": {"note": SECRET}},
        **attributes,
    )


def stored(ledger: Ledger, id: str) -> bytes:
    """The stored bytes of an event."""
    record = ledger.log.find(id)
    assert record is not None
    return record.body


def test_a_restricted_events_confidential_field_is_stored_as_ciphertext(sealed: Ledger) -> None:
    """The stored bytes (what leaves hash) hold a marker, not the plaintext."""
    restricted(sealed)
    body = stored(sealed, "e1")
    assert SECRET.encode() not in body
    assert b'"$enc":"aes256gcm"' in body


def test_fields_rules_join_on_are_stored_in_the_clear(sealed: Ledger) -> None:
    """call_id and tool stay readable, so ordering rules and routing still see them."""
    restricted(sealed)
    body = stored(sealed, "e1")
    assert b'"call_id":"c-1"' in body
    assert b'"tool":"payments.refund"' in body


def test_an_event_below_the_threshold_is_stored_in_the_clear(sealed: Ledger) -> None:
    """An internal tool call keeps its arguments readable in its bytes."""
    sealed.append(
        "tool.call.requested",
        subject="task-1",
        id="e2",
        data={"call_id": "c-2", "tool": "search", "arguments": {"note": SECRET}},
    )
    assert SECRET.encode() in stored(sealed, "e2")


def test_the_threshold_can_be_lowered(clock: FakeClock) -> None:
    """encrypt_from=confidential seals a confidential event's declared fields."""
    with memory_ledger(clock=clock, default_source="t", encrypt_from="confidential") as ledger:
        ledger.append("context.retrieved", subject="task-1", id="e3", data={"query": SECRET})
        assert SECRET.encode() not in stored(ledger, "e3")
        assert ledger.get("e3").data["query"] == SECRET


def test_a_reader_with_the_key_store_sees_plaintext(sealed: Ledger) -> None:
    """get, read and replay open the sealed field."""
    restricted(sealed)
    assert sealed.get("e1").data["arguments"] == {"note": SECRET}
    assert next(iter(sealed.replay("task-1"))).data["arguments"] == {"note": SECRET}
    partition = sealed.get("e1").position.partition  # type: ignore[union-attr]
    assert sealed.read("tool", partition)[0].data["arguments"] == {"note": SECRET}


def test_a_reader_without_the_key_store_sees_the_sealed_marker(clock: FakeClock) -> None:
    """Opened with keys=False, the field stays the $enc object."""
    keys = MemoryKeyStore()
    with memory_ledger(clock=clock, default_source="t", keys=keys) as ledger:
        restricted(ledger)
        ledger._core.fields.keys = None  # the same bytes, read by a process without keys
        assert ledger.get("e1").data["arguments"]["$enc"] == "aes256gcm"


def test_the_key_is_the_data_subjects_and_defaults_to_the_subject(
    sealed: Ledger, keys: MemoryKeyStore
) -> None:
    """datasubject picks the key; without it the event's subject does."""
    restricted(sealed, "e1")
    restricted(sealed, "e2", datasubject="cust-7")
    sealed._core.fields.keys = None
    kid_of = {id: sealed.get(id).data["arguments"]["kid"] for id in ("e1", "e2")}
    assert kid_of["e1"] == keys.keys_for(["task-1"])["task-1"].kid
    assert kid_of["e2"] == keys.keys_for(["cust-7"])["cust-7"].kid


def test_forget_shows_the_subjects_fields_as_erased(sealed: Ledger) -> None:
    """After forget, the field reads {"$erased": true}; other subjects are untouched."""
    restricted(sealed, "e1", datasubject="cust-7")
    restricted(sealed, "e2", datasubject="cust-8")
    done = sealed.forget("cust-7")
    assert done.keys_destroyed == 1
    assert sealed.get("e1").data["arguments"] == {"$erased": True}
    assert sealed.get("e2").data["arguments"] == {"note": SECRET}


def test_forget_records_the_erasure_without_the_subjects_data(sealed: Ledger) -> None:
    """governance.erasure.performed names the pseudonym and the count, nothing else."""
    restricted(sealed, "e1", datasubject="cust-7")
    before = stored(sealed, "e1")
    done = sealed.forget("cust-7", reason="request 118")
    erasure = next(iter(sealed.replay("cust-7")))
    assert erasure.type == "governance.erasure.performed"
    assert erasure.data["erased_subject"] == "cust-7"
    assert erasure.data["keys_destroyed"] == 1
    assert erasure.position == done.position
    assert stored(sealed, "e1") == before


def test_a_subject_written_after_forget_gets_a_new_key(sealed: Ledger) -> None:
    """Erasure is of the past: later events are sealed under a new key and readable."""
    restricted(sealed, "e1", datasubject="cust-7")
    sealed.forget("cust-7")
    restricted(sealed, "e2", datasubject="cust-7")
    assert sealed.get("e2").data["arguments"] == {"note": SECRET}
    assert sealed.get("e1").data["arguments"] == {"$erased": True}


def test_a_ledger_without_a_key_store_refuses_what_it_would_have_to_encrypt(
    clock: FakeClock,
) -> None:
    """No key store (Kafka's default): a restricted event with confidential data is refused."""
    with memory_ledger(clock=clock, default_source="t", keys=False) as ledger:
        with pytest.raises(ConfigurationError, match="key store"):
            restricted(ledger)
        ledger.append("task.started", subject="task-1", dataclassification="restricted")


def test_an_unknown_threshold_is_refused() -> None:
    """encrypt_from must name a classification."""
    with pytest.raises(ConfigurationError, match="encrypt_from"):
        fleetledger.open("memory://", encrypt_from="secret")


def test_a_retried_restricted_event_is_recognised_as_already_stored(sealed: Ledger) -> None:
    """A producer that lost the acknowledgement sends the event again: same position, one copy,
    though its confidential field is sealed again (the synthetic IV makes the same bytes)."""
    restricted(sealed)
    first = stored(sealed, "e1")
    restricted(sealed)
    assert stored(sealed, "e1") == first
    assert sum(info.events for info in sealed.topics() if info.family == "tool") == 1


def test_a_restricted_event_retried_with_another_value_is_a_conflict(sealed: Ledger) -> None:
    """Same id, other plaintext: refused, the stored event unchanged."""
    restricted(sealed)
    with pytest.raises(fleetledger.IdConflict):
        sealed.append(
            "tool.call.requested",
            subject="task-1",
            id="e1",
            dataclassification="restricted",
            data={"call_id": "c-1", "tool": "payments.refund", "arguments": {"note": "other"}},
        )
