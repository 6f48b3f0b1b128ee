"""Administration recorded in the ledger: API tokens (shown once, only a hash stored, refused
once revoked or expired), the policies ledgers are opened with, and acts on consumer groups
and retention, each a governance event."""

from collections.abc import Iterator
from datetime import timedelta

import pytest

from fleetledger import AccessDenied, Ledger, NotFound, Policy, Principal
from fleetledger.governance import parse_rules
from fleetledger.testing import FakeClock, memory_ledger

PLANNER = Principal("planner", kind="agent", tenant="acme")
OPS = Principal("ops", kind="service")
RULES = [
    {"effect": "allow", "actions": ["append", "read", "admin"], "principals": ["ops"]},
    {"effect": "allow", "actions": ["append", "read"], "principals": ["kind:agent"]},
]
POLICY = Policy(parse_rules(RULES))


@pytest.fixture
def ledger(clock: FakeClock) -> Iterator[Ledger]:
    """A memory ledger opened by ops, who may administer it."""
    with memory_ledger(clock=clock, principal=OPS, access=POLICY) as opened:
        yield opened


def governance(ledger: Ledger, subject: str) -> list[str]:
    """The types of the governance events of ``subject``."""
    return [event.type for event in ledger.replay(subject, families=["governance"])]


def test_a_new_token_authenticates_its_principal(ledger: Ledger) -> None:
    """The principal comes back with its kind and tenant, authenticated by an API key."""
    made = ledger.create_token(PLANNER)
    who = ledger.principal_for_token(made.secret)
    assert (who.id, who.kind, who.tenant, who.type) == ("planner", "agent", "acme", "api_key")


def test_a_token_is_flt_its_id_and_a_secret(ledger: Ledger) -> None:
    """flt_<id>_<secret>: the id names it in lists, the secret authenticates."""
    made = ledger.create_token(PLANNER)
    assert made.secret.startswith(f"flt_{made.token_id}_")
    assert len(made.secret) > 60


def test_the_ledger_records_a_hash_of_the_secret_never_the_secret(ledger: Ledger) -> None:
    """governance.token.created holds sha256:<hex>, and no byte of the secret."""
    made = ledger.create_token(PLANNER)
    [created] = ledger.replay("fleetledger:tokens")
    assert created.data["hash"].startswith("sha256:")
    assert made.secret.rsplit("_", 1)[-1][:20] not in str(created.to_dict())


def test_tokens_lists_each_token_with_whom_it_authenticates(ledger: Ledger) -> None:
    """Ids, principals and the creator, oldest first."""
    first, second = ledger.create_token(PLANNER), ledger.create_token(OPS)
    listed = ledger.tokens()
    assert [(t.token_id, t.principal.id) for t in listed] == [
        (first.token_id, "planner"),
        (second.token_id, "ops"),
    ]
    assert listed[0].created_by == "ops"
    assert listed[0].revoked is None


def test_a_revoked_token_is_refused(ledger: Ledger) -> None:
    """After revoke_token, the token authenticates nobody."""
    made = ledger.create_token(PLANNER)
    assert ledger.revoke_token(made.token_id, reason="laptop lost")
    with pytest.raises(AccessDenied, match="revoked"):
        ledger.principal_for_token(made.secret)
    assert ledger.tokens()[0].revoked is not None


def test_revoking_twice_records_one_revocation(ledger: Ledger) -> None:
    """The second revoke says False and appends nothing."""
    made = ledger.create_token(PLANNER)
    ledger.revoke_token(made.token_id)
    assert ledger.revoke_token(made.token_id) is False
    assert governance(ledger, "fleetledger:tokens") == [
        "governance.token.created",
        "governance.token.revoked",
    ]


def test_revoking_an_unknown_token_is_not_found(ledger: Ledger) -> None:
    """A typo in the id is said, not ignored."""
    with pytest.raises(NotFound):
        ledger.revoke_token("0123456789abcdef")


def test_an_expired_token_is_refused(ledger: Ledger, clock: FakeClock) -> None:
    """A token works until its expiry, and not after."""
    made = ledger.create_token(PLANNER, expires=clock.now() + timedelta(hours=1))
    assert ledger.principal_for_token(made.secret).id == "planner"
    clock.advance(3601)
    with pytest.raises(AccessDenied, match="expired"):
        ledger.principal_for_token(made.secret)


def test_a_wrong_secret_for_a_known_id_is_refused(ledger: Ledger) -> None:
    """The id alone authenticates nothing."""
    made = ledger.create_token(PLANNER)
    forged = f"flt_{made.token_id}_{'A' * 43}"
    with pytest.raises(AccessDenied, match="not known"):
        ledger.principal_for_token(forged)


def test_text_that_is_no_token_is_refused(ledger: Ledger) -> None:
    """A bearer value of another shape is refused before any lookup."""
    with pytest.raises(AccessDenied, match="not a fleetledger API token"):
        ledger.principal_for_token("Bearer hunter2")


def test_only_an_administrator_of_governance_creates_tokens(ledger: Ledger) -> None:
    """An agent allowed to append and read may not issue itself a token."""
    with memory_ledger(principal=PLANNER, access=POLICY) as agent, pytest.raises(AccessDenied):
        agent.create_token(PLANNER)


def test_the_policy_a_ledger_is_opened_with_is_recorded(ledger: Ledger) -> None:
    """Its canonical text, with who opened the ledger with it."""
    [record] = ledger.policy_history()
    assert '"principals":["ops"]' in record.access
    assert record.ordering == ""
    assert record.by == "ops"


def test_a_ledger_opened_without_a_policy_records_none() -> None:
    """No policy, nothing to record: an open ledger's governance family stays empty."""
    with memory_ledger() as ledger:
        assert ledger.policy_history() == []


def test_moving_a_group_is_recorded_with_its_parameters(ledger: Ledger) -> None:
    """governance.admin.performed says which group, where to, and what moved."""
    ledger.append("task.started", subject="t-1", source="tests")
    ledger.move_group("audit", "latest", families=["task"])
    [act] = ledger.replay("fleetledger:admin")
    assert act.data["operation"] == "group.moved"
    assert act.data["target"] == "audit"
    assert act.data["parameters"]["to"] == "latest"
    assert sum(move["to"] for move in act.data["outcome"]["moves"]) == 1  # past the one event
    assert act.authid == "ops"


def test_deleting_a_group_is_recorded(ledger: Ledger) -> None:
    """Only a group that had offsets: deleting nothing is no act."""
    ledger.append("task.started", subject="t-1", source="tests")
    ledger.move_group("audit", "latest", families=["task"])
    ledger.delete_group("audit")
    ledger.delete_group("never-committed")
    acts = [event.data["operation"] for event in ledger.replay("fleetledger:admin")]
    assert acts == ["group.moved", "group.deleted"]


def test_a_retention_run_that_removed_records_is_recorded(ledger: Ledger, clock: FakeClock) -> None:
    """maintain says how many records it removed, in the ledger."""
    ledger.append("context.retrieved", subject="t-1", source="tests", data={"query": "q"})
    clock.advance(timedelta(days=8).total_seconds())
    removed = ledger.maintain()
    [act] = ledger.replay("fleetledger:admin")
    assert act.data["operation"] == "retention.enforced"
    assert act.data["outcome"] == {"removed": removed}
