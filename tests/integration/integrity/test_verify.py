"""Ledger.verify on a clean ledger and after tampering with the SQLite file directly."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import fleetledger
from fleetledger import IntegrityError, Ledger
from fleetledger.audit.verify import Finding, FindingKind
from fleetledger.errors import VerificationFailed
from fleetledger.integrity import (
    Frontier,
    NoteSigner,
    NoteVerifier,
    leaf_hash,
    parse_note,
    sign_checkpoint,
    sign_note,
)
from tests.integration.integrity.leafstore import drop_leaves, set_leaf

Open = Callable[..., Ledger]
Append = Callable[[Ledger, int], list[int]]
SQL = Callable[..., list[tuple[Any, ...]]]
EVENTS = 12
CHECKPOINT_EVERY = 4


@pytest.fixture
def partition(open_ledger: Open, append_tasks: Append, sql: SQL) -> tuple[str, int]:
    """A closed, signed ledger of twelve task events in one partition; that partition."""
    with open_ledger(every=CHECKPOINT_EVERY) as ledger:
        append_tasks(ledger, EVENTS)
    ((topic, number),) = sql("SELECT DISTINCT topic, partition FROM events")
    return topic, number


def _findings(open_ledger: Open, verifier: NoteVerifier) -> list[Finding]:
    return list(open_ledger(sign=False).verify(verifier).findings)


def _first(open_ledger: Open, verifier: NoteVerifier) -> tuple[int | None, FindingKind]:
    findings = _findings(open_ledger, verifier)
    assert findings, "tampering went unnoticed"
    return findings[0].offset, findings[0].kind


def test_a_clean_ledger_verifies(
    partition: tuple[str, int], open_ledger: Open, verifier: NoteVerifier
) -> None:
    """Every event, tree and signed checkpoint of an untouched ledger holds."""
    result = open_ledger(sign=False).verify(verifier)

    assert result.ok
    assert (result.events, result.leaves, result.signatures_checked) == (EVENTS, EVENTS, True)
    assert result.checkpoints == 2 * (EVENTS // CHECKPOINT_EVERY)
    result.check()


def test_a_ledger_verifies_after_retention_removed_bodies(
    open_ledger: Open, verifier: NoteVerifier
) -> None:
    """Expired context events leave their leaves behind, and every checkpoint still holds."""
    with open_ledger(every=2) as ledger:
        for n in range(5):
            ledger.append("context.retrieved", subject="task-9", data={"query": f"q{n}"})
        assert ledger.maintain(datetime.now(UTC) + timedelta(days=8)) == 5

    result = open_ledger(sign=False).verify(verifier)

    assert result.ok
    # the 5 expired leaves, and the retention run's record of itself (an event)
    assert (result.events, result.expired, result.leaves) == (1, 5, 6)


def test_a_changed_byte_in_a_body_is_a_modified_event(
    partition: tuple[str, int], open_ledger: Open, verifier: NoteVerifier, sql: SQL
) -> None:
    """Editing one stored body is reported at its offset as modified."""
    ((body,),) = sql("SELECT body FROM events WHERE offset = 6")
    sql("UPDATE events SET body = ? WHERE offset = 6", body.replace(b"goal 6", b"goal 7"))

    assert _first(open_ledger, verifier) == (6, FindingKind.MODIFIED)


def test_a_deleted_event_of_a_forever_family_is_missing(
    partition: tuple[str, int], open_ledger: Open, verifier: NoteVerifier, sql: SQL
) -> None:
    """The task family keeps events forever, so a leaf without its event is missing."""
    sql("DELETE FROM events WHERE offset = 3")

    assert _first(open_ledger, verifier) == (3, FindingKind.MISSING)


def test_two_swapped_bodies_are_reordered(
    partition: tuple[str, int], open_ledger: Open, verifier: NoteVerifier, sql: SQL
) -> None:
    """Each body sits where the other's leaf is: both positions are reported as reordered."""
    ((two,),) = sql("SELECT body FROM events WHERE offset = 2")
    ((five,),) = sql("SELECT body FROM events WHERE offset = 5")
    sql("UPDATE events SET body = ? WHERE offset = 2", five)
    sql("UPDATE events SET body = ? WHERE offset = 5", two)

    found = [(f.offset, f.kind) for f in _findings(open_ledger, verifier)]

    assert found == [(2, FindingKind.REORDERED), (5, FindingKind.REORDERED)]


def test_a_forged_event_with_its_own_leaf_is_inserted(
    partition: tuple[str, int], open_ledger: Open, verifier: NoteVerifier, sql: SQL
) -> None:
    """A forged row plus a valid leaf for it is not in the partition's tree: inserted."""
    topic, number = partition
    ((body,),) = sql("SELECT body FROM events WHERE offset = 0")
    forged = body.replace(b"goal 0", b"forged")
    sql(
        "INSERT INTO events (topic, partition, offset, key, id, subject, type, recorded_ms, body)"
        " SELECT topic, partition, ?, key, 'forged-id', subject, type, recorded_ms, ?"
        " FROM events WHERE offset = 0",
        EVENTS,
        forged,
    )
    set_leaf(sql, topic, number, EVENTS, leaf_hash(forged))

    assert _first(open_ledger, verifier) == (EVENTS, FindingKind.INSERTED)


def test_an_event_without_a_leaf_is_inserted(
    partition: tuple[str, int], open_ledger: Open, verifier: NoteVerifier, sql: SQL
) -> None:
    """A row slipped into the events table alone has no leaf: inserted at its offset."""
    sql(
        "INSERT INTO events (topic, partition, offset, key, id, subject, type, recorded_ms, body)"
        " SELECT topic, partition, ?, key, 'forged-id', subject, type, recorded_ms, body"
        " FROM events WHERE offset = 0",
        EVENTS,
    )

    assert _first(open_ledger, verifier) == (EVENTS, FindingKind.INSERTED)


def test_a_tail_truncated_after_a_checkpoint_is_reported(
    partition: tuple[str, int], open_ledger: Open, verifier: NoteVerifier, sql: SQL
) -> None:
    """Cutting events, leaves and the tree back to 6 leaves contradicts the signed 8 and 12."""
    sql("DELETE FROM events WHERE offset >= 6")
    drop_leaves(sql, *partition, 6)
    tree = Frontier()
    tree.extend_hashes([hashed for (hashed,) in sql("SELECT hash FROM leaves ORDER BY idx")])
    sql("UPDATE trees SET size = ?, frontier = ?", tree.size, tree.to_bytes())

    findings = _findings(open_ledger, verifier)

    assert (findings[0].offset, findings[0].kind) == (6, FindingKind.TRUNCATED)
    assert {f.kind for f in findings} == {FindingKind.TRUNCATED}


def test_a_replaced_checkpoint_signature_is_a_bad_signature(
    partition: tuple[str, int], open_ledger: Open, verifier: NoteVerifier, sql: SQL
) -> None:
    """A checkpoint re-signed by another key of the same name does not verify."""
    ((seq, note),) = sql("SELECT seq, note FROM checkpoints WHERE kind = 'partition' LIMIT 1")
    text, _ = parse_note(note)
    sql("UPDATE checkpoints SET note = ? WHERE seq = ?", sign_note(text, _impostor()), seq)

    findings = _findings(open_ledger, verifier)

    assert [(f.topic, f.partition, f.kind) for f in findings] == [
        (*partition, FindingKind.BAD_SIGNATURE)
    ]
    assert f"note #{seq}" in findings[0].detail


def test_a_checkpoint_over_another_root_does_not_match_or_extend(
    partition: tuple[str, int],
    open_ledger: Open,
    verifier: NoteVerifier,
    signer: NoteSigner,
    sql: SQL,
) -> None:
    """A validly signed checkpoint of another tree: root mismatch, and the next does not extend."""
    topic, number = partition
    ((seq, size),) = sql("SELECT seq, size FROM checkpoints WHERE kind = 'partition' LIMIT 1")
    other = sign_checkpoint(f"fleet/{topic}/{number}", size, leaf_hash(b"other"), signer)
    sql("UPDATE checkpoints SET note = ? WHERE seq = ?", other, seq)

    found = [(f.offset, f.kind) for f in _findings(open_ledger, verifier)]

    assert found == [(None, FindingKind.ROOT_MISMATCH), (None, FindingKind.DOES_NOT_EXTEND)]


def _impostor() -> NoteSigner:
    return NoteSigner.generate("test.example/fleet")


def test_check_raises_verification_failed_naming_the_first_finding(
    partition: tuple[str, int], open_ledger: Open, verifier: NoteVerifier, sql: SQL
) -> None:
    """Verification.check() raises an IntegrityError carrying every finding."""
    sql("DELETE FROM events WHERE offset = 3")

    with pytest.raises(VerificationFailed, match=r"missing at .* offset 3") as caught:
        open_ledger(sign=False).verify(verifier).check()

    assert isinstance(caught.value, IntegrityError)
    assert caught.value.findings[0].offset == 3


def test_the_async_twin_verifies_too(
    partition: tuple[str, int], db: Path, verifier: NoteVerifier
) -> None:
    """AsyncLedger.verify awaits the same check."""

    async def main() -> bool:
        async with fleetledger.open_async(f"sqlite:///{db}", signer=False) as ledger:
            return (await ledger.verify(verifier)).ok

    assert asyncio.run(main())


def test_leaves_after_the_newest_checkpoint_are_counted_as_unsigned(tmp_path: Path) -> None:
    """Events appended by a writer without the key are not findings, but they are counted."""
    signer = NoteSigner.generate("ledger.example.com")
    url = f"sqlite:///{tmp_path / 'fleet.db'}"
    with fleetledger.open(url, signer=signer, default_source="tests") as ledger:
        ledger.append("task.requested", subject="t-1", data={"goal": "signed"})
    with fleetledger.open(url, signer=False, default_source="tests") as ledger:
        for n in range(3):
            ledger.append("task.requested", subject=f"t-{n}", data={"goal": "not signed"})
        result = ledger.verify(signer.verifier)
    assert result.ok
    assert result.unsigned == 3


def test_events_removed_by_retention_are_expired_not_missing(
    open_ledger: Open, verifier: NoteVerifier
) -> None:
    """A context event past its 7 days: its leaf stays, verify counts it expired and passes."""
    with open_ledger(every=1) as ledger:
        ledger.append("context.retrieved", subject="t-1", data={"query": "q"})
        removed = ledger.maintain(datetime.now(UTC) + timedelta(days=8))
    result = open_ledger(sign=False).verify(verifier)
    assert removed == 1
    assert result.ok, result.findings
    assert result.expired == 1


def test_a_removed_event_of_a_family_kept_forever_is_missing(
    open_ledger: Open, verifier: NoteVerifier, sql: SQL
) -> None:
    """The same removal in the task family (kept forever) is a finding, never 'expired'."""
    with open_ledger(every=1) as ledger:
        ledger.append("task.started", subject="t-1")
    sql("DELETE FROM events")
    result = open_ledger(sign=False).verify(verifier)
    assert [f.kind for f in result.findings] == [FindingKind.MISSING]
    assert result.expired == 0


def test_a_row_that_is_no_event_is_passed_over_by_readers(open_ledger: Open, sql: SQL) -> None:
    """A row another program inserted with bytes that are no event: replay and consumers skip
    it, tail shows it as foreign, and nothing raises."""
    with open_ledger(sign=False) as ledger:
        position = ledger.append("task.started", subject="t-1")
    sql(
        "INSERT INTO events (topic, partition, offset, key, id, subject, type, recorded_ms, body)"
        " VALUES (?, ?, ?, 't-1', 'junk', 't-1', 'task.started', 0, x'78')",
        position.topic,
        position.partition,
        position.offset + 1,
    )
    ledger = open_ledger(sign=False)
    assert [e.type for e in ledger.replay("t-1")] == ["task.started"]
    shown = list(ledger.tail(["task"], foreign=True))
    assert [type(item).__name__ for item in shown] == ["ForeignRecord", "Event"]
    with ledger.consumer("g", ["task"]) as consumer:
        assert len(consumer.poll(max=10)) == 1
