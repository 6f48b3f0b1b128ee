"""An exporter whose principal may not read a family, or a classification, exports those
events as hash-only ``withheld`` rows: nothing of them leaves the ledger but their leaf, and
every tree of the export still closes against the signed heads."""

from collections.abc import Callable
from pathlib import Path

import pytest

import fleetledger
from fleetledger import Policy, Principal
from fleetledger.governance import parse_rules
from fleetledger.lake import Exporter, ParquetLake, ParquetSink
from fleetledger.lake.verify import verify_export
from fleetledger.ledger import load_verifier

LAKE = Principal("lake", kind="service")
POLICY = Policy(
    parse_rules(
        [
            {"effect": "allow", "actions": ["append", "read", "admin"], "principals": ["lake"]},
            {"effect": "deny", "actions": ["read"], "principals": ["lake"], "families": ["tool"]},
            {
                "effect": "deny",
                "actions": ["read"],
                "principals": ["lake"],
                "classifications": ["confidential"],
            },
        ]
    )
)
SECRET = "merger with initech"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, keys: tuple[Path, Path]) -> Path:
    """Tasks and tool calls, one task goal confidential, exported as principal ``lake``."""
    home = tmp_path_factory.mktemp("withheld")
    url = f"sqlite:///{home / 'ledger.db'}?checkpoint_events=4"
    with fleetledger.open(url, signer=keys[0], default_source="tests") as ledger:
        for n in range(3):
            ledger.append("task.requested", subject=f"t-{n}", data={"goal": f"goal {n}"})
            call = {"call_id": f"c-{n}", "tool": "search", "arguments": {"q": SECRET}}
            ledger.append("tool.call.requested", subject=f"t-{n}", data=call)
        ledger.append(
            "task.requested",
            subject="t-9",
            dataclassification="confidential",
            data={"goal": SECRET},
        )
        ledger.append("task.requested", subject="t-10", data={"goal": "after"})
        ledger.sign()
    with fleetledger.open(url, principal=LAKE, access=POLICY) as ledger:
        Exporter(ledger, ParquetSink(home / "out", ledger.namespace)).run_once()
    return home / "out"


def rows(directory: Path, family: str) -> list[dict[str, object]]:
    table = ParquetLake(directory).families()[family]
    return sorted(table.to_pylist(), key=lambda row: (row["partition"], row["leaf_index"]))


def test_every_leaf_of_a_family_the_principal_may_not_read_is_a_withheld_row(
    exported: Path,
) -> None:
    """The tool family: three rows, each withheld, with its leaf and no body or attribute."""
    tool = rows(exported, "tool")
    assert [row["row_kind"] for row in tool] == ["withheld"] * 3
    assert all(row["leaf_hash"] and row["body"] is None for row in tool)
    assert all(row["type"] is None and row["data"] is None for row in tool)


def test_a_classification_the_principal_may_not_read_is_withheld_among_shown_rows(
    exported: Path,
) -> None:
    """The confidential task is withheld; the tasks before and after it are shown."""
    task = rows(exported, "task")
    kinds = {row["subject"]: row["row_kind"] for row in task if row["body"] is not None}
    assert kinds == {"t-0": "event", "t-1": "event", "t-2": "event", "t-10": "event"}
    assert [row["row_kind"] for row in task].count("withheld") == 1


def test_nothing_of_a_withheld_event_is_in_the_exports_files(
    exported: Path, export_bytes: Callable[[Path], bytes]
) -> None:
    """The secret the withheld events hold is in no file (raw or decompressed)."""
    content = export_bytes(exported)
    assert b"goal 1" in content  # what the principal may read is there
    assert SECRET.encode() not in content


def test_an_export_with_withheld_rows_verifies_every_tree(
    exported: Path, keys: tuple[Path, Path]
) -> None:
    """verify-export closes every tree from the withheld rows' leaves and passes."""
    lake = ParquetLake(exported)
    withheld = sum(t["row_kind"].to_pylist().count("withheld") for t in lake.families().values())
    result = verify_export(lake, load_verifier(keys[1]))
    assert result.ok, result.findings
    assert result.hash_only == withheld >= 4
