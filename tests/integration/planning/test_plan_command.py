"""``fleetledger plan`` on a real SQLite ledger: measured inputs, overrides, every format,
the charts as PNG files, and bad input answered with one line and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner, Result

import fleetledger
from fleetledger.cli.app import app


def run(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "200", "FLEETLEDGER_URL": None}).invoke(app, ["plan", *args])


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A ledger with task and tool events and two consumer groups that committed."""
    url = f"sqlite:///{tmp_path}/fleet.db"
    with fleetledger.open(url, default_source="tests") as ledger:
        for n in range(40):
            ledger.append("task.requested", subject=f"t-{n}", data={"goal": "refund " * 8})
            ledger.append("task.started", subject=f"t-{n}", agentid="executor")
        for group in ("audit", "lake"):
            with ledger.consumer(group, ["task"]) as consumer:
                consumer.poll(max=5)
                consumer.commit()
    return url


def test_a_measured_ledger_gives_both_architectures_and_says_where_inputs_came_from(
    url: str,
) -> None:
    """Rates and sizes from the ledger, fan-out from its two groups, the rest defaults."""
    result = run("--ledger", url, "--scale", "1000", "--json")
    data = json.loads(result.stdout)
    origins = data["inputs"]["origins"]

    assert result.exit_code == 0, result.output
    assert origins["events/s"] == "ledger x 1000 (--scale)"
    assert origins["fan-out"] == "ledger (consumer groups)"
    assert data["inputs"]["fan_out"] == 2
    assert [f["name"] for f in data["inputs"]["families"]] == ["task"]
    assert set(data["architectures"]) == {"shared nothing", "shared storage"}
    assert data["architectures"]["shared nothing"][0]["cross_zone_bytes"]["replication"] > 0
    assert data["architectures"]["shared storage"][0]["cross_zone_bytes"]["replication"] == 0


def test_flags_override_the_measured_figures(url: str) -> None:
    """--events-per-second, --event-size and --fan-out win over the ledger's figures."""
    args = ("--ledger", url, "--events-per-second", "500", "--event-size", "2000")
    data = json.loads(run(*args, "--fan-out", "4", "--json").stdout)
    family = data["inputs"]["families"][0]

    assert (family["events_per_second"], family["mean_size"]) == (500, 2000)
    assert data["inputs"]["fan_out"] == 4
    assert data["inputs"]["origins"]["events/s"] == "flag"


def test_flags_alone_plan_without_a_ledger(tmp_path: Path) -> None:
    """No ledger: one family "all" from the flags, retention forever by default."""
    result = run(
        "--events-per-second",
        "2000",
        "--event-size",
        "800",
        "--months",
        "3",
        "--format",
        "markdown",
    )

    assert result.exit_code == 0, result.output
    assert "| all | 2,000.00 |" in result.stdout
    assert "## What doubles the bill" in result.stdout


def test_an_inputs_file_describes_families_and_deployment(tmp_path: Path) -> None:
    """The TOML file's families, fan-out and deployment reach the model."""
    inputs = tmp_path / "inputs.toml"
    inputs.write_text(
        "fan_out = 3\ncompression = 4\n[deployment]\nzones = 2\nrack_aware_fetch = true\n"
        '[[family]]\nname = "tool"\nevents_per_second = 100\nmean_size = 900\n'
        "retention_days = 7\n"
    )
    data = json.loads(run("--inputs", str(inputs), "--json").stdout)

    assert data["inputs"]["deployment"]["zones"] == 2
    assert data["inputs"]["compression"] == 4
    assert data["inputs"]["origins"]["zones"] == "file"
    assert data["inputs"]["families"][0]["retention_days"] == 7


def test_charts_are_written_as_three_png_images(url: str, tmp_path: Path) -> None:
    """Storage growth, monthly cost and cross-zone bytes, each a valid PNG."""
    result = run(
        "--ledger", url, "--scale", "1000", "--charts", str(tmp_path / "c"), "--format", "markdown"
    )
    pngs = sorted((tmp_path / "c").glob("*.png"))

    assert result.exit_code == 0, result.output
    assert [p.stem for p in pngs] == ["cross-zone", "monthly-cost", "storage-growth"]
    for png in pngs:
        with Image.open(png) as image:
            image.verify()
            assert image.format == "PNG"
            assert image.size[0] > 600


def test_the_html_report_embeds_the_charts_and_the_tables(url: str, tmp_path: Path) -> None:
    """One self-contained page: three embedded PNGs, the sensitivity table, the sources."""
    page = tmp_path / "plan.html"
    result = run("--ledger", url, "--scale", "1000", "--format", "html", "--output", str(page))
    text = page.read_text()

    assert result.exit_code == 0, result.output
    assert text.count("data:image/png;base64,") == 3
    assert "What doubles the bill" in text
    assert "https://www.redpanda.com/blog/calculate-cloud-data-transfer-costs" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--events-per-second", "10", "--zones", "0"), "zones must be at least 1"),
        (("--events-per-second", "10", "--retention-days", "never"), "forever"),
        (("--events-per-second", "10", "--consumer-zones", "4"), "consumer_zones must be"),
        (("--events-per-second", "10", "--compression", "0.5"), "compression"),
        (("--events-per-second", "10", "--prices", "/nonexistent.toml"), "price sheet"),
        (("--ledger", "sqlite:///nonexistent/fleet.db"), "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args: tuple[str, ...], message: str) -> None:
    """No traceback: the line names what to change."""
    result = run(*args)

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
