"""The shipped alerting rules: a well-formed Prometheus rule file over metrics we really serve."""

from __future__ import annotations

import re
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

import fleetledger
from fleetledger.consumers.figures import dead_letter_figure
from fleetledger.integrity import NoteSigner
from fleetledger.observe.alerts import alert_rules
from fleetledger.observe.exposition import serve
from tests.toolchains import prepared

DURATION = re.compile(r"\A\d+[smhdwy]\Z")
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
}


def served_names(tmp_path: Path) -> set[str]:
    """Every series name a real ledger's /metrics serves (those with no sample yet too), as
    ``fleetledger metrics`` serves them: with the dead-letter figure."""
    signer = NoteSigner.generate("ledger.example.com")
    with fleetledger.open(f"sqlite:///{tmp_path}/l.db", signer=signer) as ledger:
        ledger.append("task.started", subject="t-1", source="tests")
        ledger.sign()
        server, thread = serve(ledger, port=0, figures=[dead_letter_figure(ledger)])
        try:
            url = f"http://127.0.0.1:{server.server_port}/metrics"
            with urllib.request.urlopen(url, timeout=10) as response:
                text = response.read().decode()
        finally:
            server.shutdown()
            server.server_close()
            thread.join(10)
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def rules() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(alert_rules())["groups"] for rule in group["rules"]]


def test_the_alert_rules_are_a_prometheus_rule_file_over_served_metrics(tmp_path: Path) -> None:
    """Groups of named rules, each alert with an expr, a duration, a severity and a summary;
    every metric an expr names is served."""
    document = yaml.safe_load(alert_rules())
    assert set(document) == {"groups"}
    for group in document["groups"]:
        assert set(group) == {"name", "rules"}
        assert group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
            assert re.fullmatch(r"Fleetledger[A-Za-z]+", rule["alert"])
            assert isinstance(rule["expr"], str)
            assert rule["expr"].strip()
            assert DURATION.match(rule.get("for", "0m"))
            assert rule["labels"]["severity"] in {"critical", "warning", "info"}
            assert rule["annotations"]["summary"]
            assert rule["annotations"]["description"]
    used = {n for rule in rules() for n in re.findall(r"\bfleetledger_[a-z0-9_]+", rule["expr"])}
    served = served_names(tmp_path)
    assert used
    assert used <= served, used - served


def test_the_rules_alert_on_lag_signing_dead_letters_denials_and_failed_appends() -> None:
    """The alerts the issue asks for are there, each on the metric that shows the trouble."""
    exprs = {rule["alert"]: rule["expr"] for rule in rules()}
    assert "fleetledger_consumer_lag_events" in exprs["FleetledgerConsumerLagGrowing"]
    assert "fleetledger_signed_head_age_seconds" in exprs["FleetledgerNotaryStalled"]
    assert "fleetledger_unsigned_leaves" in exprs["FleetledgerUnsignedLeavesGrowing"]
    assert "fleetledger_dead_lettered_events_total" in exprs["FleetledgerDeadLettersRising"]
    assert "policy_denials_total" in exprs["FleetledgerPolicyDenialsSpike"]
    assert "fleetledger_append_failures_total" in exprs["FleetledgerAppendsFailing"]


def test_promtool_accepts_the_alert_rules(tmp_path: Path) -> None:
    """Prometheus's own parser (promtool from Debian's package, interop/promtool) checks every
    rule: its PromQL, durations and templates."""
    promtool = prepared("promtool") / "promtool"
    path = tmp_path / "alerts.yml"
    path.write_text(alert_rules())
    checked = subprocess.run(
        [str(promtool), "check", "rules", str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules())} rules found" in checked.stdout
