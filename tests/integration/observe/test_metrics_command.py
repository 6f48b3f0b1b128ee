"""``fleetledger metrics``: the exposition once, the alert rules, and a served /metrics."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

import fleetledger
from fleetledger.cli.app import app
from fleetledger.observe.alerts import alert_rules
from interop.brokers import free_port


def seeded(tmp_path: Path) -> str:
    """A ledger with two task events and a group that read one of them."""
    url = f"sqlite:///{tmp_path}/l.db"
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append_many([{"type": "task.started", "subject": "t-1"} for _ in range(2)])
        with ledger.consumer("audit", ["task"]) as consumer:
            consumer.poll(max=1)
            consumer.commit()
    return url


def invoke(*args: str) -> str:
    result = CliRunner(env={"FLEETLEDGER_URL": None}).invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_metrics_once_prints_the_ledgers_figures_as_prometheus_text(tmp_path: Path) -> None:
    """--once prints the exposition: lag of the group, events per family, with help texts."""
    text = invoke("metrics", "--once", "--ledger", seeded(tmp_path))
    assert "# HELP fleetledger_consumer_lag_events " in text
    assert 'fleetledger_consumer_lag_events{family="task",group="audit",partition="' in text
    assert 'fleetledger_stored_events{family="task"} 2.0' in text


def test_metrics_alerts_prints_the_shipped_rule_file() -> None:
    """--alerts prints alerts.yml as shipped, without opening a ledger."""
    assert invoke("metrics", "--alerts") == alert_rules()


def test_metrics_serves_on_loopback_until_sigterm(tmp_path: Path) -> None:
    """The command serves /metrics on the port given and exits 0 on SIGTERM."""
    port = free_port()
    url = seeded(tmp_path)
    env = {**os.environ, "FLEETLEDGER_URL": url}
    process = subprocess.Popen(
        [sys.executable, "-m", "fleetledger.cli", "metrics", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        text = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not text:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    text = r.read().decode()
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        assert 'fleetledger_stored_events{family="task"} 2.0' in text
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
        assert process.returncode == 0, err
        assert f"http://127.0.0.1:{port}/metrics" in out.decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def test_metrics_count_the_dead_letters_waiting_per_group(tmp_path: Path) -> None:
    """A dead letter a runner recorded is served as waiting (status recorded) for its group."""
    from fleetledger.consumers import Runner  # noqa: PLC0415 -- L4, imported where used

    url = f"sqlite:///{tmp_path}/l.db"
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append("task.started", subject="t-1")
        runner = Runner(ledger, "audit", attempts=1)

        def broken(event: fleetledger.Event) -> None:
            raise ValueError("no archive")

        runner.subscribe(broken, families=["task"])
        runner.run(until_idle=True)
    result = CliRunner().invoke(app, ["metrics", "--once", "--ledger", url])

    assert result.exit_code == 0, result.output
    assert 'fleetledger_dead_letters{group="audit",status="recorded"} 1.0' in result.stdout
    assert 'fleetledger_dead_letters{group="audit",status="resolved"} 0.0' in result.stdout
