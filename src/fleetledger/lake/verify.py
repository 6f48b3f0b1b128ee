"""``verify-export``: prove an export from the export alone, with the public key, no ledger.

For each row with a body, the leaf is recomputed from the body (the ``leaf_hash`` column is
never trusted: a mismatch is reported as a modified row) and every other column is rebuilt from
the body and compared (a column changed without the body is a modified row too). Hash-only
rows give their leaf hash as is: it can only make the tree close if it is the true leaf. Each
partition's tree is then rebuilt from its leaves in leaf order and its root compared, at every
size a signed head or checkpoint of the export claims, with the claimed root; the claims'
signatures are checked with the key. What is reported, by position:

- *modified*: a row whose body does not hash to its leaf column, or whose columns are not what
  its body says; a *root-mismatch* names the range of leaves between the last size that held
  and the first that did not, where a row was changed along with its leaf column;
- *missing*: leaf indexes absent from the export (a dropped row), up to every claimed size;
- *inserted*: a second row for one leaf index (an added row); an added row that renumbers the
  rows after it makes the roots differ;
- *bad-signature*: a head or checkpoint whose signature does not verify with the key in force
  where it was signed, or a key handover not signed by the key in force: the chain of
  handovers is followed from the given key, as ``fleetledger verify`` follows it.

Rows after the newest claim of their partition are counted as ``unsigned``: nothing signed
vouches for them yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from fleetledger.audit.findings import Finding, FindingKind
from fleetledger.audit.verify import note_keys, open_stored_note
from fleetledger.backends.protocols import HANDOVER, HEAD, StoredCheckpoint
from fleetledger.errors import NoteError, VerificationFailed
from fleetledger.integrity import Checkpoint, Frontier, LedgerHead, NoteVerifier, leaf_hash
from fleetledger.lake.columns import PLACE, REMOVED, TYPED_PREFIX, WITHHELD, Kind, kind_of
from fleetledger.lake.rows import Slot, build, kind_of_body

MAX_FINDINGS_PER_PARTITION = 100
_CHECKED_PLACE = ("family", "day", "row_kind")


class ExportedLake(Protocol):
    """An export read back: its namespace, every family's rows and the signed notes."""

    namespace: str

    def families(self) -> dict[str, Any]:
        """Every family's rows (Arrow tables)."""
        ...

    def heads(self) -> Any:
        """The signed notes, in signing order (an Arrow table)."""
        ...


@dataclass(frozen=True)
class ExportVerification:
    """What ``verify_export`` checked, and every finding."""

    findings: tuple[Finding, ...]
    partitions: int
    rows: int
    hash_only: int
    claims: int
    signatures_checked: bool
    unsigned: int

    @property
    def ok(self) -> bool:
        """Whether everything checked holds."""
        return not self.findings

    def check(self) -> None:
        """Raise :class:`~fleetledger.errors.VerificationFailed` unless everything holds."""
        if self.findings:
            raise VerificationFailed(self.findings)


@dataclass
class _Claim:
    size: int
    root: bytes
    label: str
    head: int | None


@dataclass
class _Tally:
    findings: list[Finding] = field(default_factory=list)
    claims: dict[tuple[str, int], list[_Claim]] = field(default_factory=dict)
    rows: int = 0
    hash_only: int = 0
    unsigned: int = 0
    checked: set[tuple[str, int]] = field(default_factory=set)


def verify_export(lake: ExportedLake, verifier: NoteVerifier | None) -> ExportVerification:
    """Check ``lake`` against its signed notes (see the module); signatures with ``verifier``
    (without one the notes are read unverified and only the trees are checked against them)."""
    tally = _Tally()
    _read_claims(lake, verifier, tally)
    partitions = 0
    for family, table in lake.families().items():
        typed = _typed(table.schema)
        for (topic, partition), rows in _by_partition(table).items():
            partitions += 1
            _check_partition(family, typed, (topic, partition), rows, tally)
    for (topic, partition), claims in tally.claims.items():
        if (topic, partition) not in tally.checked and claims and claims[-1].size:
            _missing_partition(topic, partition, claims, tally)
    return ExportVerification(
        tuple(tally.findings),
        partitions,
        tally.rows,
        tally.hash_only,
        sum(len(c) for c in tally.claims.values()),
        verifier is not None,
        tally.unsigned,
    )


def _read_claims(lake: ExportedLake, verifier: NoteVerifier | None, tally: _Tally) -> None:
    """Every claim of the export's heads and checkpoints whose signature holds, each checked
    with the key in force where it was signed: the chain of key handovers is followed from
    ``verifier`` as ``fleetledger verify`` follows it (a handover not signed by the key in
    force is a bad signature, and so is every head signed only by the key it handed to)."""
    stored = [_stored(row) for row in lake.heads().sort_by("seq").to_pylist()]
    keys, chain = note_keys(stored, lake.namespace, verifier)
    tally.findings.extend(chain)
    number = 0
    for row, key in zip(stored, keys, strict=True):
        number += row.kind == HEAD
        name = f"head {number}" if row.kind == HEAD else f"note {row.seq}"
        if row.kind not in (HEAD, HANDOVER) and row.partition is None:
            opened: Any = NoteError(f"a {row.kind} row names no partition")
        else:
            opened = open_stored_note(row, lake.namespace, key)
        if isinstance(opened, LedgerHead):
            for line in opened.partitions:
                claim = _Claim(line.size, line.root, name, number)
                tally.claims.setdefault((line.topic, line.partition), []).append(claim)
        elif isinstance(opened, Checkpoint) and row.partition is not None:
            claim = _Claim(opened.size, opened.root, f"checkpoint {row.seq}", None)
            tally.claims.setdefault((row.topic, row.partition), []).append(claim)
        elif isinstance(opened, NoteError):
            finding = Finding(
                lake.namespace, None, None, FindingKind.BAD_SIGNATURE, f"{name}: {opened}"
            )
            tally.findings.append(finding)
    for claims in tally.claims.values():
        claims.sort(key=lambda claim: claim.size)


def _stored(row: dict[str, Any]) -> StoredCheckpoint:
    """A row of the heads table as the stored note it copies."""
    return StoredCheckpoint(
        row["seq"],
        row["kind"],
        row["topic"],
        row["partition"],
        row["size"],
        row["root"],
        row["note"],
    )


def _by_partition(table: Any) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """The table's rows per partition, in leaf order."""
    ordered = table.sort_by(
        [("topic", "ascending"), ("partition", "ascending"), ("leaf_index", "ascending")]
    )
    found: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in ordered.to_pylist():
        found.setdefault((row["topic"], row["partition"]), []).append(row)
    return found


def _typed(schema: Any) -> dict[str, Kind]:
    """The typed columns of a family table and their kinds, from its Arrow schema."""
    found: dict[str, Kind] = {}
    for column in schema:
        kind = kind_of(column.type) if column.name.startswith(TYPED_PREFIX) else None
        if kind is not None:
            found[column.name] = kind
    return found


def _check_partition(
    family: str,
    typed: dict[str, Kind],
    place: tuple[str, int],
    rows: list[dict[str, Any]],
    tally: _Tally,
) -> None:
    """Rows against their bodies, leaves against the claims about the partition."""
    topic, partition = place
    findings: list[Finding] = []
    claims = tally.claims.get((topic, partition), [])

    def report(offset: int | None, kind: FindingKind, detail: str) -> None:
        if len(findings) < MAX_FINDINGS_PER_PARTITION:
            findings.append(Finding(topic, partition, offset, kind, detail))

    _check_columns(family, typed, [r for r in rows if r["body"] is not None], report)
    leaves = _leaves(rows, report, tally)
    _check_heads_column(rows, claims, report)
    _check_roots(leaves, claims, report)
    last = claims[-1].size if claims else 0
    tally.unsigned += max(len(leaves) - last, 0)
    tally.checked.add((topic, partition))
    tally.findings.extend(findings)


def _leaves(rows: list[dict[str, Any]], report: Any, tally: _Tally) -> list[bytes]:
    """The partition's leaves in index order, recomputed from bodies; gaps and duplicates
    reported (the leaves stop at the first gap)."""
    leaves: list[bytes] = []
    tally.rows += len(rows)
    for row in rows:
        index, offset, body = row["leaf_index"], row["offset"], row["body"]
        if index < len(leaves):
            report(offset, FindingKind.INSERTED, f"a second row for leaf {index}")
            continue
        if index > len(leaves):
            report(offset, FindingKind.MISSING, f"no rows for leaves {len(leaves)}..{index - 1}")
            return leaves
        if body is None:
            tally.hash_only += 1
            if row["row_kind"] not in (WITHHELD, REMOVED):
                report(offset, FindingKind.MODIFIED, f"leaf {index}: a row with no body")
            leaves.append(row["leaf_hash"] or b"")
            continue
        computed = leaf_hash(body)
        if computed != row["leaf_hash"]:
            report(
                offset, FindingKind.MODIFIED, f"leaf {index}: its body does not hash to its leaf"
            )
        leaves.append(computed)
    return leaves


def _check_columns(
    family: str, typed: dict[str, Kind], rows: list[dict[str, Any]], report: Any
) -> None:
    """Every column of the rows with a body against the columns rebuilt from that body."""
    if not rows:
        return
    names = [n for n in rows[0] if n not in PLACE or n in _CHECKED_PLACE]
    slots = [
        Slot(
            r["topic"],
            r["partition"],
            r["offset"],
            r["leaf_index"],
            b"",
            None,
            kind_of_body(r["body"]),
            r["body"],
        )
        for r in rows
    ]
    rebuilt = build(family, slots, typed).to_pylist()
    for row, expected in zip(rows, rebuilt, strict=False):
        wrong = [n for n in names if n in expected and not _same(row[n], expected[n])]
        if wrong:
            detail = f"leaf {row['leaf_index']}: {', '.join(wrong)} not what its body says"
            report(row["offset"], FindingKind.MODIFIED, detail)


def _same(stored: Any, expected: Any) -> bool:
    return bool(stored == expected)


def _check_heads_column(rows: list[dict[str, Any]], claims: list[_Claim], report: Any) -> None:
    """A row's ``head`` column names a head that covers its leaf."""
    sizes = {claim.head: claim.size for claim in claims if claim.head is not None}
    for row in rows:
        head = row["head"]
        if head in sizes and sizes[head] <= row["leaf_index"]:
            detail = f"leaf {row['leaf_index']}: head {head} does not cover it"
            report(row["offset"], FindingKind.MODIFIED, detail)


def _check_roots(leaves: list[bytes], claims: list[_Claim], report: Any) -> None:
    """The tree of ``leaves`` against every claim, in size order."""
    frontier = Frontier()
    held = 0
    for claim in claims:
        if claim.size > len(leaves):
            report(
                None,
                FindingKind.MISSING,
                f"{claim.label} claims {claim.size} leaves, the export has {len(leaves)}",
            )
            return
        frontier.extend_hashes(leaves[frontier.size : claim.size])
        if frontier.root() != claim.root:
            last = claim.size - 1
            detail = (
                f"{claim.label}: the root of leaves 0..{last} differs"
                f" (a row among leaves {held}..{last} was changed)"
            )
            report(None, FindingKind.ROOT_MISMATCH, detail)
            return
        held = claim.size


def _missing_partition(topic: str, partition: int, claims: list[_Claim], tally: _Tally) -> None:
    """A partition the claims name that has no rows at all in the export."""
    detail = f"{claims[-1].label} claims {claims[-1].size} leaves, the export has none"
    tally.findings.append(Finding(topic, partition, None, FindingKind.MISSING, detail))
