"""The Parquet export's manifest: its progress and table of contents, replaced whole by each
commit; files no manifest names are not part of the export."""

import json
from pathlib import Path

import pytest

from fleetledger.errors import ConfigurationError, ContractError, NotFound
from fleetledger.integrity import leaf_hash
from fleetledger.lake import Batch, ParquetLake, ParquetSink, Progress
from fleetledger.lake.columns import EVENT
from fleetledger.lake.parquet import MANIFEST, read_manifest
from fleetledger.lake.rows import Slot, build

BODY = b'{"id":"e0","type":"task.requested","recordedtime":"2026-11-03T10:00:00+00:00","data":{}}'


def batch(leaves: int) -> Batch:
    slot = Slot("fleet.task", 0, 0, 0, leaf_hash(BODY), None, EVENT, BODY)
    table = build("task", [slot], {})
    progress = Progress({"fleet.task/0": leaves}, {"fleet.task/0": leaves})
    return Batch({"task": [table]}, [], [], progress)


def test_a_new_export_has_taken_nothing(tmp_path: Path) -> None:
    """No manifest yet: empty progress."""
    assert ParquetSink(tmp_path, "fleet").progress() == Progress()


def test_a_commit_records_its_progress_in_the_manifest(tmp_path: Path) -> None:
    """A second sink on the directory resumes where the commit ended."""
    ParquetSink(tmp_path, "fleet").commit(batch(1))
    assert ParquetSink(tmp_path, "fleet").progress().leaves == {"fleet.task/0": 1}


def test_the_manifest_names_each_file_the_commit_wrote(tmp_path: Path) -> None:
    """One file under family=task/day=2026-11-03, and it exists."""
    ParquetSink(tmp_path, "fleet").commit(batch(1))
    files = ParquetLake(tmp_path).files()["task"]
    assert [p.relative_to(tmp_path).parts[:3] for p in files] == [
        ("events", "family=task", "day=2026-11-03")
    ]
    assert all(p.is_file() for p in files)


def test_a_file_no_manifest_names_is_deleted_by_the_next_run(tmp_path: Path) -> None:
    """What a killed commit wrote before its manifest is not part of the export."""
    ParquetSink(tmp_path, "fleet").commit(batch(1))
    orphan = tmp_path / "events" / "family=task" / "day=2026-11-03" / "part-000002-0.parquet"
    orphan.write_bytes(b"cut short")
    ParquetSink(tmp_path, "fleet")
    assert not orphan.exists()


def test_an_export_of_another_ledger_is_refused(tmp_path: Path) -> None:
    """The manifest names its namespace: a second ledger exports elsewhere."""
    ParquetSink(tmp_path, "fleet").commit(batch(1))
    with pytest.raises(ConfigurationError, match="another directory"):
        ParquetSink(tmp_path, "other")


def test_a_directory_without_a_manifest_is_not_found(tmp_path: Path) -> None:
    """verify-export and sql say what is missing."""
    with pytest.raises(NotFound, match=MANIFEST):
        read_manifest(tmp_path)


@pytest.mark.parametrize("content", [b"{", b"[]", json.dumps({"format": "other/1"}).encode()])
def test_a_manifest_that_is_not_one_is_a_contract_error(tmp_path: Path, content: bytes) -> None:
    """Not JSON, not an object, another format."""
    (tmp_path / MANIFEST).write_bytes(content)
    with pytest.raises(ContractError):
        read_manifest(tmp_path)


def test_the_manifest_is_replaced_whole_leaving_no_temporary_file(tmp_path: Path) -> None:
    """Written beside, fsynced, renamed over: only the manifest is left."""
    ParquetSink(tmp_path, "fleet").commit(batch(1))
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [MANIFEST]
