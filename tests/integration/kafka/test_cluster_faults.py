"""A real cluster, real faults: three Apache Kafka brokers (replication factor 3,
``min.insync.replicas=2``, ``acks=all``) while a writer appends and a notary signs.

Each trial runs one fault while the writer and the notary work: the broker leading a ledger
partition killed with SIGKILL and restarted, one broker stalled with SIGSTOP for longer than
the ledger's timeout, or the whole cluster stopped and started again from its log dirs; and,
on a single node of its own (replication factor 1), that node restarted. The tests then check
what the trial left: every acknowledged event stored exactly once (read raw with
``read_committed`` and through the ledger), offsets strictly increasing, ``verify`` clean with
the notary's key, the notary's heads after the fault provably extending those before it, a
consumer group resuming right after what it committed, every failed append a ledger error
within its bound, stored once when retried with its ids, and the ledger reading and appending
again soon after the cluster healed.

One trial of each fault by default; ``FLEETLEDGER_FAULT_TRIALS=N`` runs N of each.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType  # type: ignore[attr-defined]

import fleetledger
from fleetledger import Ledger
from fleetledger.errors import LedgerError
from fleetledger.integrity import NoteSigner
from fleetledger.types import Position
from interop.brokers import KafkaCluster

from .conftest import read_raw, start_apache
from .faults import Append, KeptNotary, Writer, in_sync, leader_of, wait_until

TIMEOUT = 5.0
"""The ledger's ``timeout``: seconds any one broker operation may take."""
BOUND = 4 * TIMEOUT + 2
"""Seconds an append may take at most: it is up to four broker operations, each bounded by the
timeout (the id barrier's ListOffsets and fetch, the produce or the commit, and an abort)."""
STALL = TIMEOUT + 1
"""Seconds a broker is stalled: longer than an append waits, shorter than the cluster takes to
fence it, so appends to the partitions it leads time out while the records may still land."""
HEAL = 60.0
"""Seconds the cluster may take to serve again with every replica in sync."""
TASK_PARTITIONS = 4
TRIALS = int(os.environ.get("FLEETLEDGER_FAULT_TRIALS", "1"))
GROUP = "audit"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """Three Apache Kafka nodes, each broker and controller (RF 3, min.insync.replicas 2)."""
    started = start_apache(tmp_path_factory.mktemp("cluster"), size=3)
    try:
        yield started
    finally:
        started.stop()


def ledger_url(cluster: KafkaCluster, namespace: str) -> str:
    """A ledger URL whose topics have one replica per node."""
    replicas = len(cluster.nodes)
    return f"{cluster.url}?namespace={namespace}&timeout={TIMEOUT:g}&replication_factor={replicas}"


# -- the faults ---------------------------------------------------------------------------------


def kill_leader(cluster: KafkaCluster, ledger: Ledger) -> None:
    """kill -9 the leader of task partition 0; once another broker leads it, start it again."""
    topic = ledger.topic("task")
    node = cluster.node(leader_of(cluster.address, topic, 0))
    node.kill()
    wait_until(
        "a new leader for the killed broker's partition",
        lambda: leader_of(cluster.address, topic, 0) not in (node.node_id, -1),
        HEAL,
    )
    time.sleep(1)  # the writer goes on with two brokers
    node.start()
    cluster.wait_ready(HEAL, nodes=[node.node_id])


def stall_broker(cluster: KafkaCluster, ledger: Ledger) -> None:
    """SIGSTOP the leader of task partition 0 for :data:`STALL` seconds, then SIGCONT."""
    node = cluster.node(leader_of(cluster.address, ledger.topic("task"), 0))
    node.pause()
    try:
        time.sleep(STALL)
    finally:
        node.resume()


def restart_cluster(cluster: KafkaCluster, ledger: Ledger) -> None:
    """Stop every broker (controlled shutdown), then start them all from their log dirs."""
    cluster.restart(HEAL)


FAULTS: dict[str, Callable[[KafkaCluster, Ledger], None]] = {
    "restart-node": restart_cluster,  # on a single node of its own
    "kill-leader": kill_leader,
    "stall-broker": stall_broker,
    "restart-cluster": restart_cluster,
}


# -- one trial ----------------------------------------------------------------------------------


@dataclass
class Trial:
    """What a trial left behind, for the tests to check."""

    cluster: KafkaCluster
    ledger: Ledger
    signer: NoteSigner
    writer: Writer
    committed: dict[tuple[str, int], int] = field(default_factory=dict)
    """The consumer group's positions, committed before the fault."""
    head_before: int = 0
    """The number of the newest ledger head signed before the fault."""
    acked_before: int = 0
    acked_after: int = 0
    healed: float = 0.0
    """When every replica was in sync again (monotonic seconds)."""
    retried: dict[str, Position] = field(default_factory=dict)
    raw: list[tuple[str, int, int]] = field(default_factory=list)
    """``(event id, partition, offset)`` of every committed record of the task topic."""
    notary_errors: list[LedgerError] = field(default_factory=list)
    """What made the notary stop and start again (a new one, resuming)."""
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return ledger_url(self.cluster, self.ledger.namespace)


def run_trial(cluster: KafkaCluster, fault: str, number: int) -> Iterator[Trial]:
    """Open a ledger, start the writer and the notary, commit a group, run the fault, let the
    cluster heal and the notary sign again, retry what failed, and read the topic raw."""
    signer = NoteSigner.generate("notary.example.com")
    namespace = f"{fault.split('-', maxsplit=1)[0]}{number}x{uuid.uuid4().hex[:6]}"
    url = ledger_url(cluster, namespace)
    with fleetledger.open(url, signer=signer, default_source="faults") as ledger:
        trial = Trial(cluster, ledger, signer, Writer(ledger, f"{fault}-{number}"))
        notary = KeptNotary(ledger, signer)
        trial.writer.start()
        notary.start()
        try:
            _fault(trial, fault, notary)
        finally:
            trial.writer.stop(BOUND + 5)
            notary.stop(BOUND + 30)
        trial.notary_errors = notary.errors
        trial.retried = _retry(ledger, trial.writer)
        trial.raw = [
            (dict(m.headers() or [])["ce_id"].decode(), m.partition() or 0, m.offset() or 0)
            for m in read_raw(cluster.address, ledger.topic("task"), TASK_PARTITIONS)
        ]
        yield trial


def _fault(trial: Trial, fault: str, notary: KeptNotary) -> None:
    """Commit the group and note the newest head, run the fault while the writer appends,
    wait until the cluster healed, the writer is acknowledged again and the notary signed."""
    cluster, ledger, writer = trial.cluster, trial.ledger, trial.writer
    wait_until("20 acknowledged appends", lambda: writer.acks() >= 20, 30)
    wait_until("a signed ledger head", lambda: bool(ledger.heads()), 30)
    with ledger.consumer(GROUP, ["task"]) as consumer:
        consumer.poll(max=100_000, timeout=1)
        consumer.commit()
        trial.committed = consumer.positions
    trial.head_before = ledger.heads()[-1].number
    trial.acked_before = writer.acks()
    began = time.monotonic()
    FAULTS[fault](cluster, ledger)
    trial.seconds["fault"] = time.monotonic() - began
    replicas = len(cluster.nodes)
    trial.seconds["heal"] = wait_until(
        "every replica in sync", lambda: in_sync(cluster.address, replicas), HEAL
    )
    trial.healed = time.monotonic()
    trial.seconds["reads"] = wait_until("the ledger reading again", lambda: reads(ledger), 60)
    healed, head = writer.acks(), ledger.heads()[-1].number
    wait_until("20 appends acknowledged after the fault", lambda: writer.acks() >= healed + 20, 60)
    try:
        wait_until("a new ledger head", lambda: ledger.heads()[-1].number > head, 60)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the notary's last errors: {notary.errors[-3:]}") from None
    trial.acked_after = writer.acks() - healed


def reads(ledger: Ledger) -> bool:
    """Whether the ledger reads its task topic and its notary's heads now."""
    try:
        ledger.heads()
        ledger.read("task", 0, limit=1)
    except LedgerError:
        return False
    return True


def _retry(ledger: Ledger, writer: Writer) -> dict[str, Position]:
    """Append each failed append again, with the same ids (a few tries each, bounded)."""
    stored: dict[str, Position] = {}
    for failed in writer.failed:
        stored.update(_again(ledger, failed.append))
    return stored


def _again(ledger: Ledger, append: Append) -> dict[str, Position]:
    for attempt in range(3):
        try:
            return dict(zip(append.ids, append.to(ledger), strict=True))
        except LedgerError:
            if attempt == 2:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


PARAMS = [pytest.param((f, n), id=f"{f}-{n + 1}") for f in FAULTS for n in range(TRIALS)]


@pytest.fixture(scope="module", params=PARAMS)
def trial(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Trial]:
    """One trial of one fault (its tests check what it left): on the module's cluster, or for
    ``restart-node`` on a single node of its own (restarting a shared one would disturb the
    tests that use it)."""
    fault, number = request.param
    if fault != "restart-node":
        yield from run_trial(request.getfixturevalue("cluster"), fault, number)
        return
    node = start_apache(tmp_path_factory.mktemp("node"))
    try:
        yield from run_trial(node, fault, number)
    finally:
        node.stop()


# -- what every trial must leave ----------------------------------------------------------------


def test_the_writer_was_acknowledged_before_and_after_the_fault(trial: Trial) -> None:
    """The trial tested something: appends succeeded on both sides of the fault."""
    assert trial.acked_before >= 20
    assert trial.acked_after >= 20


def test_every_acknowledged_event_is_read_raw_exactly_once_where_it_was_acknowledged(
    trial: Trial,
) -> None:
    """A plain read_committed consumer finds each acknowledged id once, at its position."""
    count = Counter(event_id for event_id, _, _ in trial.raw)
    where = {event_id: (partition, offset) for event_id, partition, offset in trial.raw}
    for event_id, position in trial.writer.acknowledged.items():
        assert count[event_id] == 1, f"{event_id} is stored {count[event_id]} times"
        assert where[event_id] == (position.partition, position.offset)


def test_no_event_id_is_stored_twice(trial: Trial) -> None:
    """Nothing the writer appended, acknowledged, failed or retried, is in the topic twice."""
    count = Counter(event_id for event_id, _, _ in trial.raw)
    assert [event_id for event_id, n in count.items() if n > 1] == []


def test_every_acknowledged_event_reads_back_through_a_new_ledger_connection(
    trial: Trial,
) -> None:
    """A reader opened after the fault reads each acknowledged event once, at its position."""
    with fleetledger.open(trial.url, readonly=True) as reader:
        read = [
            event
            for partition in range(TASK_PARTITIONS)
            for event in reader.read("task", partition, limit=1_000_000)
        ]
    positions = {event.id: event.position for event in read}
    assert len(positions) == len(read)
    for event_id, position in trial.writer.acknowledged.items():
        assert positions.get(event_id) == position


def test_offsets_increase_strictly_in_every_partition(trial: Trial) -> None:
    """Read in order, each partition's offsets only grow (a commit marker may skip one)."""
    offsets: dict[int, list[int]] = {}
    for _, partition, offset in trial.raw:
        offsets.setdefault(partition, []).append(offset)
    assert offsets
    for found in offsets.values():
        assert all(a < b for a, b in itertools.pairwise(found))


def test_appends_that_failed_raised_ledger_errors_within_their_bound(trial: Trial) -> None:
    """A failed append is one of the ledger's typed errors and never outlasts :data:`BOUND`."""
    for failed in trial.writer.failed:
        assert isinstance(failed.error, LedgerError), repr(failed.error)
        assert failed.seconds <= BOUND, f"{failed.append} failed after {failed.seconds:.1f} s"
    assert trial.writer.slowest <= BOUND


def test_appends_succeed_again_once_the_cluster_healed(trial: Trial) -> None:
    """No append that began :data:`BOUND` seconds after every replica was back in sync failed:
    nothing the fault left behind (an open transaction, stale metadata) outlives it."""
    late = [f for f in trial.writer.failed if f.began > trial.healed + BOUND]
    assert late == []


def test_reads_succeed_again_once_the_cluster_healed(trial: Trial) -> None:
    """Within :data:`BOUND` seconds of every replica being in sync, the ledger reads again."""
    assert trial.seconds["reads"] <= BOUND


def test_failed_appends_retried_with_their_ids_are_stored_once(trial: Trial) -> None:
    """Each id of a failed append, appended again, is in the topic once, where the retry says."""
    count = Counter(event_id for event_id, _, _ in trial.raw)
    where = {event_id: (partition, offset) for event_id, partition, offset in trial.raw}
    for event_id, position in trial.retried.items():
        read = max((o for _, p, o in trial.raw if p == position.partition), default=None)
        assert count[event_id] == 1, (
            f"{event_id}, retried at {position}, is stored {count[event_id]} times (the raw "
            f"read_committed read of partition {position.partition} ended after offset {read})"
        )
        assert where[event_id] == (position.partition, position.offset)


def test_the_ledger_verifies_clean_with_the_notary_key(trial: Trial) -> None:
    """Every tree recomputed from the records matches what the notary signed."""
    result = trial.ledger.verify(trial.signer.verifier)
    assert result.ok, result.findings
    assert result.signatures_checked


def test_the_notary_signed_heads_after_the_fault_that_extend_those_before(trial: Trial) -> None:
    """The notary went on after the fault, and its newest head provably extends the old one."""
    proof = trial.ledger.prove_consistency(trial.head_before, "latest", trial.signer.verifier)
    assert proof.new_number is not None
    assert proof.new_number > trial.head_before
    newest = trial.ledger.heads()[-1]
    assert newest.size >= len(trial.writer.acknowledged)


def test_a_consumer_group_resumes_right_after_what_it_committed(trial: Trial) -> None:
    """A consumer of the group opened after the fault starts at its committed offsets, and
    the first event it reads of each partition is the first record at or after them."""
    with trial.ledger.consumer(GROUP, ["task"]) as consumer:
        assert consumer.positions == trial.committed
        events = consumer.poll(max=100_000, timeout=5)
    firsts: dict[int, int] = {}
    for event in events:
        assert event.position is not None
        firsts.setdefault(event.position.partition, event.position.offset)
    topic = trial.ledger.topic("task")
    for partition in range(TASK_PARTITIONS):
        after = [o for _, p, o in trial.raw if p == partition and o >= trial.committed[(topic, p)]]
        assert firsts.get(partition) == (after[0] if after else None)


# -- the cluster itself -------------------------------------------------------------------------


def test_every_topic_a_ledger_creates_on_the_cluster_has_three_in_sync_replicas(
    cluster: KafkaCluster,
) -> None:
    """Family topics, the notary's checkpoints and leaves, and the policy registry: RF 3 and
    min.insync.replicas 2, so acks=all needs two brokers to hold every record."""
    signer = NoteSigner.generate("notary.example.com")
    namespace = f"rf{uuid.uuid4().hex[:8]}"
    with fleetledger.open(ledger_url(cluster, namespace), signer=signer) as ledger:
        ledger.append("task.started", subject="task-1", source="faults")
        ledger.notary(signer).run_once()
    admin = AdminClient({"bootstrap.servers": cluster.address})
    topics = {
        name: meta
        for name, meta in admin.list_topics(timeout=10).topics.items()
        if name.startswith(f"{namespace}.") or name == "_fleetledger.topics"
    }
    assert {f"{namespace}._checkpoints", f"{namespace}._leaves.task"} <= set(topics)
    for meta in topics.values():
        assert {len(p.replicas) for p in meta.partitions.values()} == {3}, meta.topic
    resources = [ConfigResource(ResourceType.TOPIC, name) for name in topics]
    for resource, future in admin.describe_configs(resources).items():
        assert future.result(timeout=10)["min.insync.replicas"].value == "2", resource.name
