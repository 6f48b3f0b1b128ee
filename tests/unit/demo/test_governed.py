"""The demo's governed payment on a SQLite ledger: what each principal may do, and that the
erasure leaves a ledger that verifies."""

from pathlib import Path

import pytest

import fleetledger
from fleetledger.demo import GovernanceReport, governed_payment


@pytest.fixture
def scene(tmp_path: Path) -> tuple[str, GovernanceReport]:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    return url, governed_payment(url, "task-pay", "customer-7")


def test_an_unapproved_payment_is_refused_by_the_ordering_rule_and_recorded(
    scene: tuple[str, GovernanceReport],
) -> None:
    url, report = scene
    assert "payments need an approval" in report.refused
    with fleetledger.open(url) as ledger:
        denied = [e for e in ledger.tail(last=20) if e.type == "governance.policy.denied"]
    assert [e.authid for e in denied] == ["payments-agent"]
    assert report.denials_recorded == 1


def test_the_approved_payment_goes_through(scene: tuple[str, GovernanceReport]) -> None:
    url, _ = scene
    with fleetledger.open(url) as ledger:
        started = [e for e in ledger.replay("task-pay") if e.type == "tool.call.started"]
    assert len(started) == 1


def test_the_auditor_sees_governance_but_not_restricted_context(
    scene: tuple[str, GovernanceReport],
) -> None:
    _, report = scene
    assert report.auditor_withheld == 1
    assert report.auditor_shown == 6


def test_the_forgotten_customer_reads_as_erased_and_the_ledger_verifies(
    scene: tuple[str, GovernanceReport],
) -> None:
    url, report = scene
    assert report.keys_destroyed == 1
    with fleetledger.open(url) as ledger:
        goal = next(e for e in ledger.replay("task-pay") if e.type == "task.requested").data
        assert goal["goal"] == {"$erased": True}
        assert ledger.verify().ok
