"""Administration on Kafka, on each broker: tokens, policy records and group acts are events
of the governance topic, so they work across processes exactly as on SQLite."""

import uuid

import pytest

import fleetledger
from fleetledger import AccessDenied, Policy, Principal
from fleetledger.governance import parse_rules

from .conftest import Broker

OPS = Principal("ops", kind="service")
ADMIN = {"effect": "allow", "actions": ["append", "read", "admin"], "principals": ["ops"]}
READ = {"effect": "allow", "actions": ["read"], "principals": ["kind:agent"]}


def url(broker: Broker) -> str:
    return f"{broker.url}?namespace=g{uuid.uuid4().hex[:10]}&timeout=10"


def test_a_token_created_and_revoked_on_kafka_is_refused_in_the_next_process(
    broker: Broker,
) -> None:
    """Created by one ledger, accepted by the next, refused by a third once revoked."""
    where, policy = url(broker), Policy(parse_rules([ADMIN]))
    with fleetledger.open(where, principal=OPS, access=policy) as ledger:
        made = ledger.create_token(Principal("planner", kind="agent"))
    with fleetledger.open(where, principal=OPS, access=policy) as ledger:
        assert ledger.principal_for_token(made.secret).id == "planner"
        assert ledger.revoke_token(made.token_id)
    with fleetledger.open(where, readonly=True) as reader:
        with pytest.raises(AccessDenied, match="revoked"):
            reader.principal_for_token(made.secret)
        assert [t.token_id for t in reader.tokens()] == [made.token_id]


def test_a_policy_is_recorded_once_per_change_on_kafka(broker: Broker) -> None:
    """Two opens with one policy and one with another: two records, in order."""
    where = url(broker)
    old, new = Policy(parse_rules([ADMIN])), Policy(parse_rules([ADMIN, READ]))
    for policy in (old, old, new):
        with fleetledger.open(where, principal=OPS, access=policy):
            pass
    with fleetledger.open(where, readonly=True) as reader:
        history = reader.policy_history()
    assert [record.access.count('"effect"') for record in history] == [1, 2]


def test_deleting_a_group_on_kafka_is_recorded(broker: Broker) -> None:
    """The move and the delete are governance.admin.performed, by the principal who did them."""
    group = f"audit-{uuid.uuid4().hex[:8]}"
    with fleetledger.open(url(broker), principal=OPS, default_source="tests") as ledger:
        ledger.append("task.started", subject="t-1")
        ledger.move_group(group, "latest", families=["task"])
        assert ledger.delete_group(group)
        acts = list(ledger.replay("fleetledger:admin"))
    assert [act.data["operation"] for act in acts] == ["group.moved", "group.deleted"]
    assert {act.authid for act in acts} == {"ops"}
