"""Dead letters under an access policy: seen with read on the event's family, retried and
dropped with admin on it (and recorded as an administrative act)."""

from __future__ import annotations

from pathlib import Path

import pytest

import fleetledger
from fleetledger import AccessDenied, Ledger, Policy, Principal
from fleetledger.consumers import DeadLetters, Runner
from fleetledger.governance import parse_rules

OPS = Principal("ops", kind="service")
AGENT = Principal("worker", kind="agent")
OUTSIDER = Principal("auditor", kind="human")
POLICY = Policy(
    parse_rules(
        [
            {"effect": "allow", "actions": ["append", "read", "admin"], "principals": ["ops"]},
            {"effect": "allow", "actions": ["append", "read"], "principals": ["kind:agent"]},
            {
                "effect": "allow",
                "actions": ["read"],
                "principals": ["auditor"],
                "families": ["tool"],
            },
        ]
    )
)


def no_wait(seconds: float) -> None:
    """Retries without sleeping."""


def opened(url: str, who: Principal) -> Ledger:
    return fleetledger.open(url, principal=who, access=POLICY, default_source="tests")


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A ledger whose agent's runner dead-lettered one task event."""
    where = f"sqlite:///{tmp_path}/ledger.db"
    with opened(where, OPS) as ledger:
        ledger.append("task.requested", subject="t0", data={"goal": "g"})
    with opened(where, AGENT) as ledger:
        runner = Runner(ledger, "worker-group", attempts=1, sleep=no_wait)
        runner.subscribe(lambda e: 1 / 0, families=["task"])
        runner.run(until_idle=True)
    return where


def test_a_runner_with_read_rights_records_its_dead_letters(url: str) -> None:
    """The agent may read task and commit its group, so its dead letter is recorded."""
    with opened(url, AGENT) as ledger:
        (letter,) = DeadLetters(ledger).list()
    assert letter.group == "worker-group"


def test_a_principal_who_may_not_read_the_family_does_not_see_the_entry(url: str) -> None:
    """The auditor reads only tool: the task event's dead letter is not shown to it."""
    with opened(url, OUTSIDER) as ledger:
        assert DeadLetters(ledger).list() == []


def test_retrying_needs_admin_on_the_family(url: str) -> None:
    """The agent sees the entry but may not retry or drop it."""
    with opened(url, AGENT) as ledger:
        letters = DeadLetters(ledger)
        (letter,) = letters.list()
        with pytest.raises(AccessDenied):
            letters.retry(letter.id)
        with pytest.raises(AccessDenied):
            letters.drop(letter.id)


def test_an_admins_retry_is_recorded_as_an_administrative_act(url: str) -> None:
    """ops retries: governance.admin.performed names the dead letter, by ops."""
    with opened(url, OPS) as ledger:
        letters = DeadLetters(ledger)
        (letter,) = letters.list()
        letters.retry(letter.id)
        acts = [e for e in ledger.replay("fleetledger:admin") if e.data["target"] == letter.id]
    assert [(a.data["operation"], a.authid) for a in acts] == [
        ("deadletter.retry-requested", "ops")
    ]
