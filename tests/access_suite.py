"""Access enforcement, one test per operation, on a shared ledger: run on SQLite
(tests/integration/ledger) and on Kafka (tests/integration/kafka) by subclassing
:class:`AccessEnforcement` with the URL of a fresh ledger.

The decisions themselves are the pure access matrix's (tests/unit/governance); these tests
show each operation asks for them, for the right principal, and withholds what it may not show
with a count rather than silently.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

import fleetledger
from fleetledger import Ledger, MemoryKeyStore
from fleetledger.errors import AccessDenied
from fleetledger.governance import Policy, Principal, parse_rules
from fleetledger.integrity import NoteSigner
from fleetledger.mirror import mirror

POLICY = """
[[rules]]
name = "agents work on tasks and tools"
effect = "allow"
actions = ["append", "read"]
principals = ["kind:agent"]
families = ["task", "tool"]

[[rules]]
name = "people read everything"
effect = "allow"
actions = ["read"]
principals = ["kind:human"]

[[rules]]
name = "restricted context is for services"
effect = "deny"
actions = ["read"]
principals = ["kind:human"]
families = ["context"]
classifications = ["restricted"]

[[rules]]
name = "operations administer"
effect = "allow"
actions = ["append", "read", "admin"]
principals = ["kind:service"]
"""

PLANNER = Principal("planner", kind="agent")
AUDITOR = Principal("auditor", "user", kind="human")
OPS = Principal("ops", kind="service")


class AccessEnforcement:
    """Every operation on events checks the policy for the principal doing it."""

    def url(self) -> str:
        """A URL of a new, empty ledger (the subclass's backend)."""
        raise NotImplementedError

    @pytest.fixture
    def location(self) -> str:
        return self.url()

    @pytest.fixture
    def signer(self) -> NoteSigner:
        return NoteSigner.generate("access.example.com")

    @pytest.fixture(autouse=True)
    def _keys(self) -> None:
        """One key store for every ledger of the test (restricted context is encrypted)."""
        self.keys = MemoryKeyStore()

    def as_(self, location: str, principal: Principal, signer: NoteSigner) -> Ledger:
        policy = Policy(parse_rules(tomllib.loads(POLICY)["rules"]))
        return fleetledger.open(
            location,
            principal=principal,
            access=policy,
            signer=signer,
            default_source="t",
            keys=self.keys,
        )

    @pytest.fixture
    def ops(self, location: str, signer: NoteSigner) -> Iterator[Ledger]:
        """The administering service, which wrote a task of every kind of event."""
        with self.as_(location, OPS, signer) as ledger:
            ledger.append("task.requested", subject="t-1", data={"goal": "g"})
            ledger.append("context.retrieved", subject="t-1", data={"query": "q"})
            ledger.append(
                "context.retrieved",
                subject="t-1",
                data={"query": "secret"},
                dataclassification="restricted",
            )
            ledger.append("governance.approval.granted", subject="t-1", data=_approval())
            yield ledger

    @pytest.fixture
    def planner(self, ops: Ledger, location: str, signer: NoteSigner) -> Iterator[Ledger]:
        with self.as_(location, PLANNER, signer) as ledger:
            yield ledger

    @pytest.fixture
    def auditor(self, ops: Ledger, location: str, signer: NoteSigner) -> Iterator[Ledger]:
        with self.as_(location, AUDITOR, signer) as ledger:
            yield ledger

    def test_an_append_the_policy_refuses_names_principal_action_family_and_rule(
        self, planner: Ledger
    ) -> None:
        with pytest.raises(AccessDenied) as refused:
            planner.append("governance.approval.granted", subject="t-2", data=_approval())
        message = str(refused.value)
        assert "planner" in message
        assert "append" in message
        assert "governance" in message
        assert "rule" in message

    def test_a_refused_append_is_recorded_without_its_content(
        self, planner: Ledger, ops: Ledger
    ) -> None:
        with pytest.raises(AccessDenied):
            planner.append("governance.approval.granted", subject="t-9", data=_approval())
        (denied,) = [e for e in ops.replay("t-9") if e.type == "governance.policy.denied"]
        assert denied.authid == "planner"
        assert denied.data["event_type"] == "governance.approval.granted"
        assert len(denied.data["digest"]) == 64
        assert "alice" not in str(denied.to_dict())

    def test_a_batch_with_one_refused_event_stores_none_of_it(
        self, planner: Ledger, ops: Ledger
    ) -> None:
        with pytest.raises(AccessDenied, match="event 2 of 2"):
            planner.append_many(
                [
                    {"type": "task.requested", "subject": "t-3", "data": {"goal": "g"}},
                    {"type": "governance.approval.granted", "subject": "t-3", "data": _approval()},
                ]
            )
        assert [e.type for e in ops.replay("t-3")] == ["governance.policy.denied"]

    def test_an_allowed_append_is_stored_with_its_principal(
        self, planner: Ledger, ops: Ledger
    ) -> None:
        planner.append("task.requested", subject="t-4", data={"goal": "g"})
        assert [e.authid for e in ops.replay("t-4")] == ["planner"]

    def test_get_refuses_an_event_the_principal_may_not_read(
        self, planner: Ledger, ops: Ledger
    ) -> None:
        with pytest.raises(AccessDenied, match="read"):
            planner.get(self._ids_of(ops, "governance")[0])

    def test_read_withholds_what_the_principal_may_not_see_and_counts_it(
        self, planner: Ledger, ops: Ledger
    ) -> None:
        page = planner.read("governance", _partition(ops, "governance"))
        assert list(page) == []
        assert page.withheld == 1

    def test_replay_withholds_restricted_context_from_people_and_counts_it(
        self, auditor: Ledger
    ) -> None:
        shown = auditor.replay("t-1")
        types = [e.type for e in shown]
        assert types == ["task.requested", "context.retrieved", "governance.approval.granted"]
        assert shown.withheld == 1

    def test_tail_withholds_and_counts(self, planner: Ledger) -> None:
        shown = planner.tail(last=10)
        assert [e.type for e in shown] == ["task.requested"]
        assert shown.withheld == 4  # with the governance.policy.changed of the first open

    def test_a_consumer_withholds_and_counts(self, auditor: Ledger) -> None:
        with auditor.consumer("auditors") as consumer:
            seen = list(consumer)
            assert len(seen) == 4  # with the governance.policy.changed of the first open
            assert consumer.withheld == 1

    def test_lag_of_a_group_on_a_family_the_principal_may_not_read_is_refused(
        self, planner: Ledger, ops: Ledger
    ) -> None:
        with ops.consumer("governors", ["governance"]) as consumer:
            list(consumer)
            consumer.commit()
        with pytest.raises(AccessDenied):
            planner.lag("governors")

    def test_prove_refuses_an_event_the_principal_may_not_read(
        self, planner: Ledger, ops: Ledger
    ) -> None:
        with pytest.raises(AccessDenied):
            planner.prove(self._ids_of(ops, "governance")[0])

    def test_evidence_of_a_task_with_withheld_events_is_refused(self, auditor: Ledger) -> None:
        with pytest.raises(AccessDenied, match="1 of the events"):
            auditor.evidence("t-1")

    def test_verify_needs_no_read_right(self, planner: Ledger) -> None:
        result = planner.verify()
        assert result.ok, result.findings

    def test_mirror_needs_admin(self, planner: Ledger, tmp_path: Path) -> None:
        with (
            fleetledger.open(f"sqlite:///{tmp_path / 'copy.db'}") as copy,
            pytest.raises(AccessDenied, match="admin"),
        ):
            mirror(planner, copy)

    def test_forgetting_a_data_subject_needs_admin(self, planner: Ledger) -> None:
        with pytest.raises(AccessDenied, match="admin"):
            planner.forget("customer-1")

    def test_retention_and_group_moves_need_admin(self, planner: Ledger) -> None:
        with pytest.raises(AccessDenied, match="admin"):
            planner.maintain()
        with pytest.raises(AccessDenied, match="admin"):
            planner.delete_group("anyone")

    @staticmethod
    def _ids_of(ops: Ledger, family: str) -> list[str]:
        return [e.id for e in ops.replay("t-1") if ops.topic(family) == _topic(e)]


def _topic(event: fleetledger.Event) -> str:
    assert event.position is not None
    return event.position.topic


def _partition(ledger: Ledger, family: str) -> int:
    (event,) = [e for e in ledger.replay("t-1") if _topic(e) == ledger.topic(family)]
    assert event.position is not None
    return event.position.partition


def _approval() -> dict[str, str]:
    return {"approval_id": "a-1", "approver": "alice", "reason": "ok", "call_id": "c-1"}
