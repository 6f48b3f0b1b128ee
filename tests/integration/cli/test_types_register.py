"""`fleetledger types register FILE` stores a user type in the ledger: another command (another
process) can then append events of that type."""

from pathlib import Path

from typer.testing import CliRunner

from fleetledger.cli.app import app

SPEC = """
type = "billing.invoice.issued"
[fields]
invoice_id = { type = "string" }
"""


def test_a_registered_type_can_be_emitted_by_the_next_command(tmp_path: Path) -> None:
    """register, then emit in a separate invocation that knows the type only from the ledger."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    spec = tmp_path / "invoice.toml"
    spec.write_text(SPEC)
    runner = CliRunner(env={"FLEETLEDGER_CONFIG": None, "FLEETLEDGER_URL": None})

    registered = runner.invoke(app, ["types", "register", str(spec), "--ledger", url])
    emitted = runner.invoke(
        app,
        [
            "emit",
            "billing.invoice.issued",
            "--subject",
            "i-1",
            "--data",
            '{"invoice_id": "i-1"}',
            "--ledger",
            url,
        ],
    )

    assert registered.exit_code == 0, registered.output
    assert "registered billing.invoice.issued v1" in registered.stdout
    assert emitted.exit_code == 0, emitted.output


def test_a_malformed_spec_file_exits_2_with_one_line(tmp_path: Path) -> None:
    """A spec that is no type is the user's mistake: exit 2, no traceback."""
    spec = tmp_path / "bad.toml"
    spec.write_text('type = "Billing"\n[fields]\n')
    url = f"sqlite:///{tmp_path / 'ledger.db'}"

    done = CliRunner().invoke(app, ["types", "register", str(spec), "--ledger", url])

    assert done.exit_code == 2
    assert "Traceback" not in done.output
