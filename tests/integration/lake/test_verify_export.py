"""verify-export proves an export from its files and the public key alone, and names each
tampered row by its position."""

import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fleetledger
from fleetledger.audit import FindingKind
from fleetledger.integrity import leaf_hash
from fleetledger.lake import Exporter, ParquetLake, ParquetSink
from fleetledger.lake.iceberg import IcebergLake, IcebergSink, catalog
from fleetledger.lake.verify import verify_export
from fleetledger.ledger import load_verifier, write_key_pair


@pytest.fixture(scope="module")
def export_of_the_fleet(fleet_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fleet's Parquet export, made once for the module; tests change copies of it."""
    out = tmp_path_factory.mktemp("export") / "out"
    with fleetledger.open(f"sqlite:///{fleet_file}", readonly=True) as ledger:
        Exporter(ledger, ParquetSink(out, ledger.namespace)).run_once()
    return out


@pytest.fixture
def exported(export_of_the_fleet: Path, tmp_path: Path) -> Path:
    """A private copy of the fleet's export."""
    return Path(shutil.copytree(export_of_the_fleet, tmp_path / "out"))


def tamper(directory: Path, change: Any) -> None:
    """Rewrite the first tool file with ``change`` applied to its rows."""
    path = ParquetLake(directory).files()["tool"][0]
    table = pq.read_table(path)
    rows = table.sort_by([("partition", "ascending"), ("leaf_index", "ascending")]).to_pylist()
    change(rows)
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)


def findings(directory: Path, keys: tuple[Path, Path]) -> list[tuple[Any, ...]]:
    result = verify_export(ParquetLake(directory), load_verifier(keys[1]))
    return [(f.kind, f.partition, f.offset) for f in result.findings]


def test_an_untouched_export_verifies_with_the_key(exported: Path, keys: tuple[Path, Path]) -> None:
    """Every row, every tree, every signature holds."""
    result = verify_export(ParquetLake(exported), load_verifier(keys[1]))
    assert result.ok
    assert result.signatures_checked
    assert result.claims > 0


def test_a_changed_body_is_reported_at_its_offset(exported: Path, keys: tuple[Path, Path]) -> None:
    """A body changed with its leaf column left alone: modified at that row."""

    def change(rows: list[dict[str, Any]]) -> None:
        rows[2]["body"] = rows[2]["body"].replace(b'"tool"', b'"tool" ', 1)

    tamper(exported, change)
    assert (FindingKind.MODIFIED, 0, 2) in findings(exported, keys)


def test_a_changed_column_is_reported_though_the_body_holds(
    exported: Path, keys: tuple[Path, Path]
) -> None:
    """A column changed without the body: modified, naming the row."""

    def change(rows: list[dict[str, Any]]) -> None:
        rows[1]["agentid"] = "someone-else"

    tamper(exported, change)
    assert findings(exported, keys) == [(FindingKind.MODIFIED, 0, 1)]


def test_a_body_changed_with_its_leaf_breaks_the_signed_root(
    exported: Path, keys: tuple[Path, Path]
) -> None:
    """Body and leaf-hash column changed together: the partition's root no longer matches."""

    def change(rows: list[dict[str, Any]]) -> None:
        rows[0]["body"] = rows[0]["body"].replace(b'"tool"', b'"tool" ', 1)
        rows[0]["leaf_hash"] = leaf_hash(rows[0]["body"])

    tamper(exported, change)
    kinds = {kind for kind, _, _ in findings(exported, keys)}
    assert FindingKind.ROOT_MISMATCH in kinds


def test_a_dropped_row_is_reported_missing(exported: Path, keys: tuple[Path, Path]) -> None:
    """A row deleted from the file: its leaf is missing."""

    def change(rows: list[dict[str, Any]]) -> None:
        del rows[3]

    tamper(exported, change)
    assert (FindingKind.MISSING, 0, 4) in findings(exported, keys)


def test_an_added_row_is_reported_inserted(exported: Path, keys: tuple[Path, Path]) -> None:
    """A second row for an exported leaf: inserted."""

    def change(rows: list[dict[str, Any]]) -> None:
        rows.insert(5, dict(rows[4]))

    tamper(exported, change)
    assert (FindingKind.INSERTED, 0, 4) in findings(exported, keys)


def test_another_key_fails_every_signature(exported: Path, tmp_path: Path) -> None:
    """With a key that did not sign: bad signatures."""
    other = write_key_pair("other", tmp_path)[1]
    result = verify_export(ParquetLake(exported), load_verifier(other))
    assert not result.ok
    assert {f.kind for f in result.findings} == {FindingKind.BAD_SIGNATURE}


def test_an_iceberg_export_read_with_pyiceberg_verifies(
    url: str, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    """The same proof over an Iceberg export; pyiceberg reads every row back, resumed twice."""
    opened = catalog(f"sqlite:///{tmp_path / 'catalog.db'}", str(tmp_path / "warehouse"))
    with fleetledger.open(url) as ledger:
        total = sum(info.events for info in ledger.topics())
        first = Exporter(ledger, IcebergSink(opened, ledger.namespace), batch=400).run_once()
        again = Exporter(ledger, IcebergSink(opened, ledger.namespace), batch=400).run_once()
    lake = IcebergLake(opened, "fleet")
    assert (first.rows, again.rows) == (total, 0)
    assert sum(t.num_rows for t in lake.families().values()) == total
    assert verify_export(lake, load_verifier(keys[1])).ok
