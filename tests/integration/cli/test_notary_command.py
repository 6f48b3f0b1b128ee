"""``fleetledger notary`` on a ledger that needs none."""

from pathlib import Path

from typer.testing import CliRunner

import fleetledger
from fleetledger.cli.app import app
from fleetledger.integrity import NoteSigner


def test_the_notary_refuses_a_sqlite_ledger_which_signs_as_it_appends(tmp_path: Path) -> None:
    """On SQLite the notary exits 2 saying the ledger signs as it appends."""
    key = tmp_path / "ledger.key"
    key.write_text(NoteSigner.generate("ledger.example.com").skey + "\n")
    url = f"sqlite:///{tmp_path / 'fleet.db'}"
    fleetledger.open(url).close()
    result = CliRunner().invoke(app, ["notary", "--once", "--key", str(key), "--ledger", url])
    assert result.exit_code == 2
    assert "signs its checkpoints as it appends" in result.output
    assert "Traceback" not in result.output
