"""Randomized trials: tamper with the SQLite file under a signed ledger; verify names the place.

Each test runs ``TRIALS`` seeded trials of one kind of tampering. A trial writes a fresh ledger
of random events across families, subjects and partitions, signing a checkpoint every few
events and on close; edits the file with plain ``sqlite3`` as an attacker would; then reopens it
and checks that ``verify`` fails with the finding at the tampered position. A failing trial
names its seed (``kind/n``), so ``random.Random(seed)`` replays it.
"""

import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleetledger import Ledger, Position
from fleetledger.audit.verify import Finding, FindingKind
from fleetledger.cli.app import app
from fleetledger.integrity import (
    Frontier,
    LedgerHead,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    leaf_hash,
    parse_note,
    sign_note,
)
from tests.integration.integrity.leafstore import drop_leaves, leaf, leaf_hashes, set_leaf

Open = Callable[..., Ledger]
SQL = Callable[..., list[tuple[Any, ...]]]
Where = tuple[str, int | None, int | None, FindingKind]

TRIALS = 25
EVENT_COLUMNS = "topic, partition, offset, key, id, subject, type, recorded_ms, body"
EVENTS: dict[str, Callable[[int], dict[str, Any]]] = {
    "task.requested": lambda n: {"goal": f"goal {n}"},
    "tool.call.requested": lambda n: {"call_id": f"call-{n}", "tool": "payments.refund"},
    "governance.escalated": lambda n: {"escalated_to": "ops", "reason": f"reason {n}"},
    "context.retrieved": lambda n: {"query": f"query {n}"},
}
KEPT_FOREVER = ("fleet.task", "fleet.tool", "fleet.governance")


@dataclass
class Trial:
    """One freshly written ledger, the generator that shapes it, and where its events are."""

    seed: str
    rng: random.Random
    positions: list[Position]
    verify: Callable[[], list[Finding]]

    def event(self, topics: tuple[str, ...] | None = None) -> Position:
        """A random stored event (of ``topics`` only, if given)."""
        return self.rng.choice([p for p in self.positions if topics is None or p.topic in topics])

    def partition(self, at_least: int = 1, topics: tuple[str, ...] | None = None) -> list[Position]:
        """The events of a random partition holding ``at_least`` of them (of ``topics``)."""
        partitions: dict[tuple[str, int], list[Position]] = {}
        for position in self.positions:
            if topics is None or position.topic in topics:
                partitions.setdefault((position.topic, position.partition), []).append(position)
        return self.rng.choice([p for p in partitions.values() if len(p) >= at_least])


Trials = Callable[..., Iterator[Trial]]


@pytest.fixture
def trials(db: Path, open_ledger: Open, verifier: NoteVerifier) -> Trials:
    """``count`` fresh signed ledgers in ``db``, one after the other, each with its own seed."""

    def verify() -> list[Finding]:
        with open_ledger(sign=False) as ledger:
            return list(ledger.verify(verifier).findings)

    def run(kind: str, count: int = TRIALS) -> Iterator[Trial]:
        for n in range(count):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            rng = random.Random(f"{kind}/{n}")
            yield Trial(f"{kind}/{n}", rng, _write(open_ledger, rng), verify)

    return run


def _write(open_ledger: Open, rng: random.Random) -> list[Position]:
    """Append 12 to 48 events of 1 to 4 tasks, some in batches, signing every 2 to 6; close."""
    positions: list[Position] = []
    count, subjects = rng.randint(12, 48), rng.randint(1, 4)
    with open_ledger(every=rng.randint(2, 6)) as ledger:
        while len(positions) < count:
            size = rng.choice((1, 1, 1, 3))
            batch = [_event(rng, len(positions) + i, subjects) for i in range(size)]
            positions += ledger.append_many(batch)
    return positions


def _event(rng: random.Random, n: int, subjects: int) -> dict[str, Any]:
    kind = rng.choice(list(EVENTS))
    return {"type": kind, "subject": f"task-{rng.randrange(subjects)}", "data": EVENTS[kind](n)}


def _where(findings: list[Finding]) -> list[Where]:
    return [(f.topic, f.partition, f.offset, f.kind) for f in findings]


# -- one stored event changed ------------------------------------------------------------------


def test_a_changed_byte_of_any_stored_event_is_reported_as_modified_at_its_offset(
    trials: Trials, sql: SQL
) -> None:
    """Flipping bits of one byte anywhere in one body is that event, modified, and nothing else."""
    for trial in trials("modified"):
        position = trial.event()
        _change_a_byte(sql, position, trial.rng)

        assert _where(trial.verify()) == [(*position, FindingKind.MODIFIED)], trial.seed


def test_a_deleted_event_of_a_family_kept_forever_is_reported_as_missing_at_its_offset(
    trials: Trials, sql: SQL
) -> None:
    """The leaf stays behind, so the one finding is the event missing at its offset."""
    for trial in trials("deleted"):
        position = trial.event(KEPT_FOREVER)
        _delete(sql, position, leaf=False)

        assert _where(trial.verify()) == [(*position, FindingKind.MISSING)], trial.seed


def test_a_deleted_event_and_its_leaf_are_reported_at_its_offset_and_nowhere_else(
    trials: Trials, sql: SQL
) -> None:
    """The hole is missing (the tree truncated, if it was the last); the events after it hold."""
    for trial in trials("deleted-with-leaf"):
        events = trial.partition(topics=KEPT_FOREVER)
        position = trial.rng.choice(events)
        _delete(sql, position, leaf=True)

        found = _where(trial.verify())

        kind = FindingKind.TRUNCATED if position == events[-1] else FindingKind.MISSING
        assert (*position, kind) in found, trial.seed
        assert {f[:3] for f in found} == {tuple(position)}, trial.seed


def test_an_event_changed_after_a_hole_in_the_leaves_is_still_reported_as_modified(
    trials: Trials, sql: SQL
) -> None:
    """Past a deleted event and leaf, each event is still checked against its own leaf."""
    for trial in trials("modified-past-a-hole"):
        hole, changed = sorted(trial.rng.sample(trial.partition(2, KEPT_FOREVER), 2))
        _delete(sql, hole, leaf=True)
        _change_a_byte(sql, changed, trial.rng)

        found = _where(trial.verify())

        assert (*changed, FindingKind.MODIFIED) in found, trial.seed
        assert {f[:3] for f in found} == {tuple(hole), tuple(changed)}, trial.seed


def test_two_swapped_events_of_a_partition_are_both_reported_as_reordered(
    trials: Trials, sql: SQL
) -> None:
    """Swapping two bodies, or two offsets, puts each at the other's leaf: both are reordered."""
    for trial in trials("swapped"):
        first, second = sorted(trial.rng.sample(trial.partition(at_least=2), 2))
        if trial.rng.random() < 0.5:
            _swap_bodies(sql, first, second)
        else:
            _swap_offsets(sql, first, second)

        assert _where(trial.verify()) == [
            (*first, FindingKind.REORDERED),
            (*second, FindingKind.REORDERED),
        ], trial.seed


# -- forged events -----------------------------------------------------------------------------


def test_a_forged_event_appended_with_its_own_leaf_is_reported_as_inserted_at_its_offset(
    trials: Trials, sql: SQL
) -> None:
    """A forged row and the right leaf hash for it, past the tree: inserted, and only that."""
    for trial in trials("forged-appended"):
        events = trial.partition()
        topic, partition, end = events[-1]
        forged = Position(topic, partition, end + 1)
        body = _forge(sql, trial.rng.choice(events), forged)
        set_leaf(sql, *forged, leaf_hash(body))

        assert _where(trial.verify()) == [(*forged, FindingKind.INSERTED)], trial.seed


def test_a_forged_event_in_place_of_a_removed_one_contradicts_every_claim_that_covers_it(
    trials: Trials, sql: SQL
) -> None:
    """Leaves and tree made to agree with the forgery: the checkpoints past it catch it.

    A Merkle root does not say which leaf differs, so the finding names no offset; the
    position is the set of signed claims that disagree: exactly those covering the forgery.
    """
    for trial in trials("forged-in-place"):
        events = trial.partition()
        position = trial.rng.choice(events)
        body = _forge(sql, trial.rng.choice(events), position)
        set_leaf(sql, *position, leaf_hash(body))
        _roll_tree(sql, position.topic, position.partition)

        found = trial.verify()

        assert {(f.topic, f.partition, f.offset) for f in found} == {
            (position.topic, position.partition, None)
        }, trial.seed
        assert {f.kind for f in found} <= {
            FindingKind.ROOT_MISMATCH,
            FindingKind.DOES_NOT_EXTEND,
        }, trial.seed
        mismatched = {_seq(f) for f in found if f.kind is FindingKind.ROOT_MISMATCH}
        assert mismatched == _claims_covering(sql, position), trial.seed


def test_a_tail_truncated_after_a_checkpoint_is_reported_at_the_first_missing_offset(
    trials: Trials, sql: SQL
) -> None:
    """Events, leaves and tree cut back consistently: every signed claim past the cut says so."""
    for trial in trials("truncated"):
        events = trial.partition()
        topic, partition, cut = trial.rng.choice(events)
        where = "topic = ? AND partition = ? AND"
        sql(f"DELETE FROM events WHERE {where} offset >= ?", topic, partition, cut)
        drop_leaves(sql, topic, partition, cut)
        _roll_tree(sql, topic, partition)

        found = _where(trial.verify())

        assert found, trial.seed
        assert set(found) == {(topic, partition, cut, FindingKind.TRUNCATED)}, trial.seed


# -- signed notes ------------------------------------------------------------------------------


def test_a_replaced_signature_on_any_checkpoint_or_head_is_a_bad_signature_of_that_note(
    trials: Trials, sql: SQL, signer: NoteSigner
) -> None:
    """Another key of the same name, or random bytes under the right key id: that note fails."""
    for trial in trials("signature"):
        rows = sql("SELECT seq, topic, partition, note FROM checkpoints ORDER BY seq")
        seq, topic, partition, note = trial.rng.choice(rows)
        sql("UPDATE checkpoints SET note = ? WHERE seq = ?", _resign(note, trial, signer), seq)

        found = trial.verify()

        assert _where(found) == [(topic, partition, None, FindingKind.BAD_SIGNATURE)], trial.seed
        assert _seq(found[0]) == seq, trial.seed


# -- the command line --------------------------------------------------------------------------


def test_the_verify_command_exits_1_naming_the_tampered_position(
    trials: Trials,
    sql: SQL,
    db: Path,
    key_files: tuple[Path, Path],
) -> None:
    """``fleetledger verify --json`` on a file with one changed byte: exit 1, the offset named."""
    for trial in trials("cli", count=5):
        position = trial.event()
        _change_a_byte(sql, position, trial.rng)

        result = CliRunner(env={"FLEETLEDGER_URL": None, "FLEETLEDGER_KEY": None}).invoke(
            app, ["verify", "--json", "--key", str(key_files[1]), "--ledger", f"sqlite:///{db}"]
        )

        assert result.exit_code == 1, (trial.seed, result.output)
        findings = json.loads(result.stdout)["findings"]
        assert [(f["topic"], f["partition"], f["offset"], f["kind"]) for f in findings] == [
            (*position, "modified")
        ], trial.seed


# -- tampering ---------------------------------------------------------------------------------


def _change_a_byte(sql: SQL, position: Position, rng: random.Random) -> None:
    """Flip some bits of one random byte of the event's body."""
    where = "topic = ? AND partition = ? AND offset = ?"
    ((body,),) = sql(f"SELECT body FROM events WHERE {where}", *position)
    at = rng.randrange(len(body))
    changed = body[:at] + bytes([body[at] ^ rng.randrange(1, 256)]) + body[at + 1 :]
    sql(f"UPDATE events SET body = ? WHERE {where}", changed, *position)


def _delete(sql: SQL, position: Position, *, leaf: bool) -> None:
    """Delete the event at ``position`` (and its leaf, if ``leaf``)."""
    sql("DELETE FROM events WHERE topic = ? AND partition = ? AND offset = ?", *position)
    if leaf:
        drop_leaves(sql, *position, position.offset)


def _swap_bodies(sql: SQL, first: Position, second: Position) -> None:
    select = "SELECT body FROM events WHERE topic = ? AND partition = ? AND offset = ?"
    ((one,),), ((two,),) = sql(select, *first), sql(select, *second)
    update = "UPDATE events SET body = ? WHERE topic = ? AND partition = ? AND offset = ?"
    sql(update, two, *first)
    sql(update, one, *second)


def _swap_offsets(sql: SQL, first: Position, second: Position) -> None:
    """Move each row to the other's offset (through -1: offsets are unique per partition),
    each offset keeping its leaf."""
    update = "UPDATE events SET offset = ? WHERE topic = ? AND partition = ? AND offset = ?"
    topic, partition = first.topic, first.partition
    leaves = [leaf(sql, *first), leaf(sql, *second)]
    sql(update, -1, topic, partition, first.offset)
    sql(update, first.offset, topic, partition, second.offset)
    sql(update, second.offset, topic, partition, -1)
    for position, hashed in zip((first, second), leaves, strict=True):
        assert hashed is not None
        set_leaf(sql, *position, hashed)


def _forge(sql: SQL, model: Position, at: Position) -> bytes:
    """Put a copy of the event at ``model``, with a new id, at ``at`` (removing any event there).

    Returns the forged body.
    """
    where = "topic = ? AND partition = ? AND offset = ?"
    ((key, event_id, subject, type_, recorded_ms, body),) = sql(
        f"SELECT key, id, subject, type, recorded_ms, body FROM events WHERE {where}", *model
    )
    forged_id = event_id[::-1]
    forged: bytes = body.replace(event_id.encode(), forged_id.encode())
    sql(f"DELETE FROM events WHERE {where}", *at)
    sql(
        f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        *at,
        key,
        forged_id,
        subject,
        type_,
        recorded_ms,
        forged,
    )
    return forged


def _roll_tree(sql: SQL, topic: str, partition: int) -> None:
    """Make the partition's stored tree the tree of its stored leaves, as an attacker can."""
    tree = Frontier()
    tree.extend_hashes(leaf_hashes(sql, topic, partition))
    sql(
        "UPDATE trees SET size = ?, frontier = ? WHERE topic = ? AND partition = ?",
        tree.size,
        tree.to_bytes(),
        topic,
        partition,
    )


def _resign(note: bytes, trial: Trial, signer: NoteSigner) -> bytes:
    """The note's text under another signature that looks as valid as the first."""
    text, (signature,) = parse_note(note)
    how = trial.rng.choice(("impostor", "random-signature", "random-bytes"))
    if how == "impostor":
        return sign_note(text, NoteSigner.generate(signer.name))
    key_id = signature.key_id if how == "random-signature" else trial.rng.getrandbits(32)
    forged = NoteSignature(signature.name, key_id, trial.rng.randbytes(64))
    assert forged != signature
    return f"{text}\n{forged.line()}".encode()


# -- what the signed claims say ----------------------------------------------------------------


def _seq(finding: Finding) -> int:
    """The number of the note a finding's detail names (``(note #7)``): on a file of one
    namespace, its seq in the checkpoints table."""
    match = re.search(r"note #(\d+)", finding.detail)
    assert match, finding
    return int(match[1])


def _claims_covering(sql: SQL, position: Position) -> set[int]:
    """The seq of every checkpoint and head that signed a tree including ``position``."""
    key = (position.topic, position.partition)
    rows = sql("SELECT seq, kind, topic, partition, size, note FROM checkpoints")
    return {
        seq
        for seq, kind, topic, partition, size, note in rows
        if _signed_size(kind, (topic, partition), size, note, key) > position.offset
    }


def _signed_size(
    kind: str, signed: tuple[str, int | None], size: int, note: bytes, key: tuple[str, int]
) -> int:
    """The size a checkpoint or head signed for the partition ``key`` (0 if it signed none)."""
    if kind == "head":
        lines = LedgerHead.parse(parse_note(note)[0]).partitions
        return next((line.size for line in lines if line.key == key), 0)
    return size if signed == key else 0
