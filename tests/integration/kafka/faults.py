"""What the fault trials run on a real Apache Kafka cluster: a writer that remembers what was
acknowledged, a notary kept running, and waits for the cluster to heal. Every loop is bounded
in count and in time; nothing here starts or stops a broker (the tests do, by pid).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from confluent_kafka.admin import AdminClient  # type: ignore[attr-defined]

from fleetledger import Ledger
from fleetledger.errors import LedgerError
from fleetledger.integrity import NoteSigner
from fleetledger.types import Position

PACE = 0.02
"""Seconds the writer rests between two appends."""
MAX_APPENDS = 3000
"""Appends one writer makes at most."""
SUBJECTS = 8
"""Tasks the writer appends for: their subjects spread over the task topic's partitions."""


def wait_until(what: str, ready: Callable[[], bool], timeout: float, pause: float = 0.1) -> float:
    """Wait (bounded) until ``ready()``; the seconds it took. AssertionError naming ``what``."""
    began = time.monotonic()
    while not ready():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        time.sleep(pause)
    return time.monotonic() - began


@dataclass(frozen=True)
class Append:
    """One append the writer made: its events' ids, one append or one batch."""

    number: int
    ids: tuple[str, ...]

    def events(self) -> list[dict[str, object]]:
        """The events, the same each time they are asked for (a retry appends the same)."""
        subject = f"task-{self.number % SUBJECTS}"
        return [{"type": "task.started", "subject": subject, "id": i} for i in self.ids]

    def to(self, ledger: Ledger) -> list[Position]:
        """Append it: a single event with ``append``, several with ``append_many``."""
        events = self.events()
        if len(events) == 1:
            return [ledger.append(**events[0])]  # type: ignore[arg-type]
        return list(ledger.append_many(events))


@dataclass(frozen=True)
class Failed:
    """An append that raised: what, when it began (monotonic seconds), how long it took."""

    append: Append
    error: Exception
    began: float
    seconds: float


@dataclass
class Writer:
    """Appends from a thread of its own until stopped: single events and batches of 2 and 3,
    each id recorded with its position once acknowledged, each failure with its error."""

    ledger: Ledger
    prefix: str
    acknowledged: dict[str, Position] = field(default_factory=dict)
    failed: list[Failed] = field(default_factory=list)
    slowest: float = 0.0
    """Seconds the slowest append took, acknowledged or failed."""
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"writer-{self.prefix}")
        self._thread.start()

    def acks(self) -> int:
        with self._lock:
            return len(self.acknowledged)

    def stop(self, timeout: float) -> None:
        """Stop after the append under way (which its own timeout bounds)."""
        assert self._thread is not None
        self._stop.set()
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"the writer did not stop within {timeout:g} s"

    def _run(self) -> None:
        for number in range(MAX_APPENDS):
            if self._stop.is_set():
                return
            size = (1, 1, 2, 1, 3)[number % 5]
            append = Append(number, tuple(f"{self.prefix}-{number}-{k}" for k in range(size)))
            began = time.monotonic()
            try:
                positions = append.to(self.ledger)
            except Exception as exc:  # any error: the tests check it is the ledger's
                with self._lock:
                    self.failed.append(Failed(append, exc, began, time.monotonic() - began))
            else:
                with self._lock:
                    self.acknowledged.update(zip(append.ids, positions, strict=True))
            self.slowest = max(self.slowest, time.monotonic() - began)
            self._stop.wait(PACE)


@dataclass
class KeptNotary:
    """A notary kept running in a thread, as a supervisor keeps ``fleetledger notary``: when a
    round fails with a ledger error, a new notary is started, which resumes from the newest
    checkpoint stored."""

    ledger: Ledger
    signer: NoteSigner
    interval: float = 0.3
    errors: list[LedgerError] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="notary")
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Stop; the last round signs what is left."""
        assert self._thread is not None
        self._stop.set()
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"the notary did not stop within {timeout:g} s"

    def _run(self) -> None:
        for _ in range(100):  # restarts, bounded
            try:
                notary = self.ledger.notary(self.signer, every=500, interval=self.interval)
                notary.run(self._stop, poll=self.interval / 2)
            except LedgerError as exc:
                self.errors.append(exc)
                if self._stop.wait(0.2):
                    return
            else:
                return


def leader_of(bootstrap: str, topic: str, partition: int) -> int:
    """The node id of the broker that leads ``topic``'s ``partition`` now."""
    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10)
    return int(metadata.topics[topic].partitions[partition].leader)


def in_sync(bootstrap: str, replicas: int) -> bool:
    """Whether every partition of every topic of the cluster has a leader and ``replicas``
    in-sync replicas (False while the cluster does not answer)."""
    try:
        metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=5)
    except Exception:  # not serving yet
        return False
    return all(
        topic.error is None and partition.leader >= 0 and len(partition.isrs) >= replicas
        for topic in metadata.topics.values()
        for partition in topic.partitions.values()
    )
