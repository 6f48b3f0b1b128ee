"""The lake's commands: export, verify-export (exit 1 on a tampered row), and the README's
SQL queries run by ``fleetledger sql`` over the ledger and over its export."""

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import fleetledger
from fleetledger.cli.app import app
from fleetledger.demo import simulate
from fleetledger.lake import ParquetLake
from fleetledger.ledger import write_key_pair

README = (Path(__file__).parents[3] / "README.md").read_text()
LAKE = README.split("## The lake", 1)[1].split("\n## ", 1)[0]
QUERIES = re.findall(r"```sql\n(.*?)```", LAKE, re.DOTALL)


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    """A signed simulated fleet, its Parquet export, and the public key."""
    home = tmp_path_factory.mktemp("lake")
    key, pub = write_key_pair("lake", home)
    url = f"sqlite:///{home / 'fleet.db'}?checkpoint_events=100"
    with fleetledger.open(url, signer=key) as ledger:
        simulate(ledger, tasks=8, seed=2)
    result = CliRunner().invoke(
        app, ["export", "parquet", str(home / "out"), "--ledger", url, "--json"]
    )
    assert result.exit_code == 0, result.output
    return url, home / "out", pub


def test_the_readme_has_three_queries() -> None:
    """Failure rate, approval latency, final states."""
    assert len(QUERIES) == 3


@pytest.mark.parametrize("query", QUERIES, ids=["failures", "approvals", "final-states"])
def test_each_readme_query_gives_the_same_rows_over_the_ledger_and_its_export(
    signed: tuple[str, Path, Path], query: str
) -> None:
    """Each README query runs, returns rows, and the ledger and the export agree."""
    url, out, _ = signed
    live = CliRunner().invoke(app, ["sql", query, "--ledger", url, "--json"])
    lake = CliRunner().invoke(app, ["sql", query, "--export", str(out), "--json"])
    assert live.exit_code == 0, live.output
    assert json.loads(live.output)["rows"]
    assert json.loads(live.output) == json.loads(lake.output)


def test_a_second_export_of_an_unchanged_ledger_exports_nothing(
    signed: tuple[str, Path, Path],
) -> None:
    """Resumed from the manifest: zero rows."""
    url, out, _ = signed
    again = CliRunner().invoke(app, ["export", "parquet", str(out), "--ledger", url, "--json"])
    assert json.loads(again.output)["rows"] == 0


def test_verify_export_exits_0_then_1_after_a_row_is_changed(
    signed: tuple[str, Path, Path], tmp_path: Path
) -> None:
    """ok on the export; exit 1 and the changed row's position once a column is rewritten."""
    _, out, pub = signed
    ok = CliRunner().invoke(app, ["verify-export", str(out), "--key", str(pub), "--json"])
    assert ok.exit_code == 0, ok.output
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in out.rglob("*"):
        if path.is_file():
            target = copy / path.relative_to(out)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    victim = ParquetLake(copy).files()["task"][0]
    rows = pq.read_table(victim).to_pylist()
    rows[0]["subject"] = "forged"
    pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(victim)), victim)
    bad = CliRunner().invoke(app, ["verify-export", str(copy), "--key", str(pub), "--json"])
    assert bad.exit_code == 1
    finding = json.loads(bad.output.splitlines()[0])["findings"][0]
    assert (finding["kind"], finding["offset"]) == ("modified", rows[0]["offset"])
