"""The ACLs ``fleetledger policy kafka-acls`` derives, enforced by a real Apache Kafka.

A principal holding Kafka credentials talks to the broker directly: the access rules bind it
only as broker ACLs. One Apache Kafka node with a SASL/SCRAM listener and the standard
authorizer (``interop/brokers.py``, :func:`start_secure_kafka`); the admin creates the ledger's
topics and applies the derived bindings; each agent then opens the ledger with its own
credentials and **no access policy at all**, so every refusal here is the broker's.
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

import fleetledger
from fleetledger import Ledger
from fleetledger.errors import AccessDenied
from fleetledger.governance import Policy, parse_principals, parse_rules
from fleetledger.governance.kafka_acls import Binding, kafka_acls
from interop.brokers import KafkaCluster, kafka_missing, sasl_client, start_secure_kafka
from tests.toolchains import missing

pytestmark = pytest.mark.slow

POLICY = """
[[principals]]
id = "planner"
kind = "agent"

[[principals]]
id = "auditor"
kind = "human"

[[rules]]
name = "agents work on tasks"
effect = "allow"
actions = ["append", "read"]
principals = ["kind:agent"]
families = ["task"]

[[rules]]
name = "people read everything"
effect = "allow"
actions = ["read"]
principals = ["kind:human"]
"""

PASSWORDS = {"planner": "planner-secret", "auditor": "auditor-secret"}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """An Apache Kafka node that authenticates with SCRAM and authorizes with ACLs."""
    reason = kafka_missing()
    if reason is not None:
        missing(reason)
    started = start_secure_kafka(tmp_path_factory.mktemp("secure-kafka"), PASSWORDS)
    yield started
    started.stop()


def acl(binding: Binding) -> AclBinding:
    """The confluent-kafka object of a derived binding (plain data in governance); librdkafka
    calls the cluster resource BROKER (the same code, 4)."""
    resource = "BROKER" if binding.resource_type == "CLUSTER" else binding.resource_type
    return AclBinding(
        ResourceType[resource],
        binding.name,
        ResourcePatternType[binding.pattern],
        binding.principal,
        binding.host,
        AclOperation[binding.operation],
        AclPermissionType[binding.permission],
    )


@pytest.fixture(scope="module")
def namespace(secured: KafkaCluster) -> str:
    """A ledger whose topics the admin created, with the derived ACLs applied."""
    name = f"acl{uuid.uuid4().hex[:8]}"
    document = tomllib.loads(POLICY)
    derived = kafka_acls(
        Policy(parse_rules(document["rules"])), parse_principals(document["principals"]), name
    )
    with open_as(secured, name, None) as ledger:
        ledger.append("task.requested", subject="t-1", data={"goal": "g"})
        ledger.append("governance.approval.granted", subject="t-1", data=APPROVAL)
    admin = AdminClient({"bootstrap.servers": secured.address, **secured.client})
    for future in admin.create_acls([acl(b) for b in derived.bindings]).values():
        future.result(timeout=30)
    return name


def open_as(cluster: KafkaCluster, namespace: str, user: str | None) -> Ledger:
    """The ledger opened with ``user``'s credentials (None: the admin's) and no policy."""
    client = dict(cluster.client) if user is None else sasl_client(user, PASSWORDS[user])
    return fleetledger.open(
        f"{cluster.url}?namespace={namespace}&timeout=10",
        kafka_config=client,
        default_source="acl-test",
    )


APPROVAL = {"approval_id": "a-1", "approver": "alice", "reason": "ok", "call_id": "c-1"}


def partition_of(ledger: Ledger, family: str, subject: str) -> int:
    """The partition of ``family`` that holds ``subject``'s events (read as the admin)."""
    (event,) = [e for e in ledger.replay(subject) if e.type.split(".")[0] == family]
    assert event.position is not None
    return event.position.partition


@pytest.fixture(scope="module")
def places(secured: KafkaCluster, namespace: str) -> dict[str, int]:
    """Where the admin's events of task t-1 are: family -> partition."""
    with open_as(secured, namespace, None) as admin:
        return {f: partition_of(admin, f, "t-1") for f in ("task", "governance")}


def test_an_agent_appends_to_and_reads_the_family_its_rules_allow(
    secured: KafkaCluster, namespace: str, places: dict[str, int]
) -> None:
    with open_as(secured, namespace, "planner") as planner:
        planner.append("task.requested", subject="t-1", data={"goal": "again"})
        page = planner.read("task", places["task"])
    assert "again" in [e.data["goal"] for e in page]
    assert page.withheld == 0


def test_an_agents_batch_commits_in_one_transaction_under_its_acls(
    secured: KafkaCluster, namespace: str
) -> None:
    """A batch needs the transactional-id and idempotent-write grants the derivation adds."""
    goals = ["first", "second"]
    batch = [{"type": "task.requested", "subject": "t-4", "data": {"goal": g}} for g in goals]
    with open_as(secured, namespace, "planner") as planner:
        planner.append_many(batch)
    with open_as(secured, namespace, None) as admin:
        shown = admin.replay("t-4")
    assert [e.data["goal"] for e in shown] == goals


def test_the_broker_refuses_an_agent_appending_to_governance_though_no_policy_is_loaded(
    secured: KafkaCluster, namespace: str
) -> None:
    """The process holds no policy: the refusal is the broker's, typed and saying so."""
    with (
        open_as(secured, namespace, "planner") as planner,
        pytest.raises(AccessDenied, match="ACLs"),
    ):
        planner.append("governance.approval.granted", subject="t-2", data=APPROVAL)


def test_the_broker_refuses_an_agent_reading_governance(
    secured: KafkaCluster, namespace: str, places: dict[str, int]
) -> None:
    with (
        open_as(secured, namespace, "planner") as planner,
        pytest.raises(AccessDenied, match="ACLs"),
    ):
        planner.read("governance", places["governance"])


def test_an_auditor_reads_governance(
    secured: KafkaCluster, namespace: str, places: dict[str, int]
) -> None:
    with open_as(secured, namespace, "auditor") as auditor:
        page = auditor.read("governance", places["governance"])
    assert [e.type for e in page] == ["governance.approval.granted"]


def test_the_broker_refuses_an_auditor_appending(secured: KafkaCluster, namespace: str) -> None:
    with (
        open_as(secured, namespace, "auditor") as auditor,
        pytest.raises(AccessDenied, match="ACLs"),
    ):
        auditor.append("task.requested", subject="t-3", data={"goal": "g"})
