"""verify_export on an export held in memory: leaves recomputed from bodies, each partition's
tree rebuilt and compared with the signed claims, findings by position."""

from typing import Any

import pyarrow as pa
import pytest

from fleetledger.audit import FindingKind
from fleetledger.backends.protocols import HEAD, StoredCheckpoint
from fleetledger.integrity import Frontier, NoteSigner, PartitionHead, leaf_hash, sign_ledger_head
from fleetledger.lake.columns import EVENT, WITHHELD
from fleetledger.lake.rows import Slot, build
from fleetledger.lake.tables import heads_table
from fleetledger.lake.verify import ExportVerification, verify_export

TOPIC = "fleet.task"
SIGNER = NoteSigner.generate("lake.example/fleet")


def body(n: int) -> bytes:
    return (
        f'{{"id":"e{n}","type":"task.requested","subject":"t-{n}",'
        f'"recordedtime":"2026-11-03T10:00:0{n % 10}+00:00","data":{{}}}}'
    ).encode()


def root(leaves: list[bytes]) -> bytes:
    frontier = Frontier()
    frontier.extend_hashes(leaves)
    return frontier.root()


class Lake:
    """An export in memory: one family's rows, and heads signed over the first sizes."""

    namespace = "fleet"

    def __init__(self, rows: list[dict[str, Any]], notes: list[StoredCheckpoint]) -> None:
        self._rows = rows
        self._notes = notes

    def families(self) -> dict[str, Any]:
        schema = build("task", [], {}).schema
        return {"task": pa.Table.from_pylist(self._rows, schema=schema)}

    def heads(self) -> Any:
        return heads_table(self._notes, 0, 1)


def head(seq: int, size: int, leaves: list[bytes], signer: NoteSigner = SIGNER) -> StoredCheckpoint:
    note = sign_ledger_head("fleet", [PartitionHead(TOPIC, 0, size, root(leaves[:size]))], signer)
    return StoredCheckpoint(seq, HEAD, "fleet", None, size, None, note)


def rows_of(n: int) -> list[dict[str, Any]]:
    """Rows of leaves 0..n-1, each naming the head that covers it (1 up to 3, then 2)."""
    slots = [
        Slot(TOPIC, 0, i, i, leaf_hash(body(i)), 1 if i < 3 else 2, EVENT, body(i))
        for i in range(n)
    ]
    return list(build("task", slots, {}).to_pylist())


def check(rows: list[dict[str, Any]], sizes: tuple[int, ...] = (3, 6)) -> ExportVerification:
    """rows against heads over the first ``sizes`` of the untouched leaves."""
    leaves = [leaf_hash(body(i)) for i in range(6)]
    notes = [head(at, size, leaves) for at, size in enumerate(sizes)]
    return verify_export(Lake(rows, notes), SIGNER.verifier)


def found(result: ExportVerification) -> list[tuple[FindingKind, int | None]]:
    return [(f.kind, f.offset) for f in result.findings]


def test_rows_whose_tree_has_the_signed_roots_verify() -> None:
    """Six rows, heads at 3 and 6: ok, two claims checked with the key."""
    result = check(rows_of(6))
    assert result.ok, result.findings
    assert (result.rows, result.claims, result.signatures_checked) == (6, 2, True)


def test_rows_after_the_newest_claim_are_counted_unsigned() -> None:
    """Heads at 3 only: the last three rows are unsigned."""
    assert check(rows_of(6), sizes=(3,)).unsigned == 3


def test_a_leaf_column_that_is_not_its_bodys_hash_is_a_modified_row() -> None:
    """The leaf column is never trusted: the body's hash is."""
    rows = rows_of(6)
    rows[2]["leaf_hash"] = leaf_hash(b"other")
    assert found(check(rows)) == [(FindingKind.MODIFIED, 2)]


def test_a_body_changed_with_its_leaf_breaks_the_first_root_that_covers_it() -> None:
    """Leaf 4 forged consistently: the head at 6 fails, naming leaves 3..5."""
    rows = rows_of(6)
    rows[4]["body"] = rows[4]["body"].replace(b"t-4", b"t-x")
    rows[4]["leaf_hash"] = leaf_hash(rows[4]["body"])
    rows[4]["subject"] = "t-x"
    result = check(rows)
    assert found(result) == [(FindingKind.ROOT_MISMATCH, None)]
    assert "leaves 3..5" in result.findings[0].detail


def test_a_column_changed_without_its_body_is_a_modified_row() -> None:
    """The subject column no longer says what the body says."""
    rows = rows_of(6)
    rows[1]["subject"] = "someone else"
    assert found(check(rows)) == [(FindingKind.MODIFIED, 1)]


def test_a_dropped_row_is_missing_from_its_leaf_on() -> None:
    """Leaf 2 gone: missing at the next row, and the heads claim more than the export has."""
    rows = rows_of(6)
    del rows[2]
    kinds = found(check(rows))
    assert kinds[0] == (FindingKind.MISSING, 3)
    assert (FindingKind.MISSING, None) in kinds


def test_a_second_row_for_a_leaf_is_inserted() -> None:
    """A copy of row 4 added: inserted at its offset."""
    rows = rows_of(6)
    rows.insert(5, dict(rows[4]))
    assert found(check(rows)) == [(FindingKind.INSERTED, 4)]


def test_a_hash_only_row_with_the_true_leaf_closes_the_tree() -> None:
    """A withheld row: no body, its leaf, and the roots still hold."""
    rows = rows_of(6)
    hidden = build("task", [Slot(TOPIC, 0, 3, 3, leaf_hash(body(3)), 2, WITHHELD, None)], {})
    rows[3] = hidden.to_pylist()[0]
    result = check(rows)
    assert result.ok, result.findings
    assert result.hash_only == 1


def test_a_hash_only_row_with_a_false_leaf_breaks_the_root() -> None:
    """A withheld row cannot lie about its leaf: the head at 6 fails."""
    rows = rows_of(6)
    hidden = build("task", [Slot(TOPIC, 0, 3, 3, leaf_hash(b"lie"), 2, WITHHELD, None)], {})
    rows[3] = hidden.to_pylist()[0]
    assert found(check(rows)) == [(FindingKind.ROOT_MISMATCH, None)]


def test_a_row_without_a_body_that_is_not_hash_only_is_modified() -> None:
    """An event row whose body was blanked."""
    rows = rows_of(6)
    rows[0]["body"] = None
    assert (FindingKind.MODIFIED, 0) in found(check(rows))


def test_a_head_column_naming_a_head_that_does_not_cover_the_leaf_is_modified() -> None:
    """Leaf 4 says head 1 (size 3) covers it."""
    rows = rows_of(6)
    rows[4]["head"] = 1
    assert found(check(rows)) == [(FindingKind.MODIFIED, 4)]


def test_a_partition_a_head_names_with_no_rows_is_missing() -> None:
    """An export with no rows at all against heads that claim six leaves."""
    result = check([])
    assert found(result) == [(FindingKind.MISSING, None)]


def test_heads_signed_by_another_key_are_bad_signatures_and_claim_nothing() -> None:
    """With a key that did not sign: every head is refused, so every row is unsigned."""
    leaves = [leaf_hash(body(i)) for i in range(6)]
    forger = NoteSigner.generate("lake.example/fleet")
    result = verify_export(Lake(rows_of(6), [head(0, 6, leaves, forger)]), SIGNER.verifier)
    assert found(result) == [(FindingKind.BAD_SIGNATURE, None)]
    assert result.unsigned == 6


@pytest.mark.parametrize("offset", [0, 5])
def test_without_a_key_the_trees_are_still_checked(offset: int) -> None:
    """No verifier: signatures not checked, a forged leaf still found."""
    rows = rows_of(6)
    rows[offset]["leaf_hash"] = b"\x00" * 32
    leaves = [leaf_hash(body(i)) for i in range(6)]
    result = verify_export(Lake(rows, [head(0, 6, leaves)]), None)
    assert not result.signatures_checked
    assert found(result) == [(FindingKind.MODIFIED, offset)]
