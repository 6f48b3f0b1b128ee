"""Group commit: concurrent appends share transactions, led by one of their own threads.

With ``synchronous=FULL`` every commit costs an fsync, so one commit per append caps a ledger at
the disk's fsync rate. Callers instead queue their batch; the first caller to find nobody
writing becomes the *leader*: it takes everything queued (its own batch first), commits it in
one transaction, wakes each caller with its own positions, and hands the lead to the oldest
batch still waiting, whose thread does the same. While a leader waits for its fsync (which
releases the GIL), the other callers prepare their next batches, so the next group is larger.

A caller alone never waits for another thread: its own thread writes, which is what keeps a
single writer's latency close to plain SQLite's. A batch that fails is retried alone, so one
bad batch never fails its neighbours.

An append is not interrupted halfway: on the main thread Ctrl-C (with Python's default handler)
is held while the caller writes or waits for its group, and raised once its append is done.
"""

from __future__ import annotations

import importlib
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any, Generic, TypeVar

from fleetledger.errors import LedgerClosed

_MAX_PATIENCE = 0.002
"""The longest a new leader waits for the callers of the last group (seconds)."""

T = TypeVar("T")
R = TypeVar("R")
V = TypeVar("V")


class _Job:
    """One caller's batch (``payload``) or exclusive call (``call``), and what became of it."""

    __slots__ = ("call", "done", "error", "lead", "payload", "result", "wake")

    def __init__(self, payload: Any = None, call: Callable[[], Any] | None = None) -> None:
        self.payload = payload
        self.call = call
        self.wake = threading.Event()
        """Set when the job is done, or when its thread is handed the lead."""
        self.done = False
        self.lead = False
        self.result: Any = None
        self.error: BaseException | None = None

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class GroupCommit(Generic[T, R]):
    """Serialize all writes, merging the payload jobs queued at the same time.

    ``apply`` receives a list of payloads and returns one result per payload; it runs on one
    thread at a time (a leader), so it may use a connection no one else uses meanwhile.
    """

    def __init__(
        self,
        apply: Callable[[list[T]], list[R]],
        *,
        size: Callable[[T], int],
        max_size: int = 20_000,
    ) -> None:
        self._apply = apply
        self._size = size
        self._max_size = max_size
        self._jobs: deque[_Job] = deque()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._arrived = threading.Condition(self._lock)
        self._leading = False
        self._closed = False
        self._expected = 1
        """How many batches the last group held: as many callers are likely writing now."""
        self._patience = 0.0
        """How long the last group took to write: the longest a new leader waits for others."""

    def submit(self, payload: T) -> R:
        """Write ``payload`` in a group and return its result once its transaction committed."""
        return self._run(_Job(payload=payload))  # type: ignore[no-any-return]

    def call(self, fn: Callable[[], V]) -> V:
        """Run ``fn`` alone between groups (schema changes, offset commits, retention)."""
        return self._run(_Job(call=fn))  # type: ignore[no-any-return]

    def close(self) -> None:
        """Refuse new jobs, and return once every queued job is done."""
        with self._idle:
            self._closed = True
            while self._leading or self._jobs:
                self._idle.wait()

    def _run(self, job: _Job) -> Any:
        with _held_interrupts():
            with self._lock:
                if self._closed:
                    raise LedgerClosed("the ledger is closed")
                self._jobs.append(job)
                job.lead = not self._leading
                self._leading = True
                if job.lead:
                    self._gather()
                elif len(self._jobs) >= self._expected:
                    self._arrived.notify()  # only then: a leader woken per arrival slows all
            if not job.lead:
                job.wake.wait()
            if not job.done:  # handed the lead: its batch heads the queue
                self._lead(job)
        return job.outcome()

    def _gather(self) -> None:
        """As a new leader, wait (at most as long as the last group took to write) for the
        callers of the last group to queue their next batches, so they share a transaction.

        Without it, callers woken together come back one after the other: the first leads a
        group of one while the rest queue behind it, and groups alternate between one batch
        and all the others. A caller writing alone never waits: its last group held one.
        """
        if self._expected <= 1 or not self._patience:
            return
        deadline = time.monotonic() + self._patience
        while len(self._jobs) < self._expected and not self._closed:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._arrived.wait(left)

    def _lead(self, job: _Job) -> None:
        """Write the group that starts with ``job``, then hand the lead on."""
        try:
            with self._lock:
                group = self._take()
            started = time.monotonic()
            self._execute(group)
            if group[0].call is None:
                self._expected = len(group)
                self._patience = min(time.monotonic() - started, _MAX_PATIENCE)
        finally:
            with self._lock:
                if self._jobs:
                    successor = self._jobs[0]
                    successor.lead = True
                    successor.wake.set()
                else:
                    self._leading = False
                    self._idle.notify_all()

    def _take(self) -> list[_Job]:
        first = self._jobs.popleft()
        if first.call is not None:
            return [first]
        jobs, total = [first], self._size(first.payload)
        while self._jobs and self._jobs[0].call is None and total < self._max_size:
            job = self._jobs.popleft()
            total += self._size(job.payload)
            jobs.append(job)
        return jobs

    def _execute(self, jobs: Sequence[_Job]) -> None:
        try:
            if jobs[0].call is not None:
                jobs[0].result = jobs[0].call()
            else:
                results = self._apply([job.payload for job in jobs])
                for job, result in zip(jobs, results, strict=True):
                    job.result = result
        except BaseException as exc:
            if len(jobs) == 1:
                jobs[0].error = exc
            else:
                for job in jobs:  # isolate the failing batch; the others still commit
                    self._execute([job])
                return
        for job in jobs:
            job.done = True
            job.wake.set()


@contextmanager
def _held_interrupts() -> Iterator[None]:
    """Hold SIGINT on the main thread while the block runs, if Python's default handler is in
    place (a handler someone installed is left to do as it does); raise it afterwards."""
    if (
        threading.current_thread() is not _MAIN
        or _signals.getsignal(_SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    pressed: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        pressed.append(signum)

    _signals.signal(_SIGINT, hold)
    try:
        yield
    finally:
        _signals.signal(_SIGINT, signal.default_int_handler)
    if pressed:
        raise KeyboardInterrupt


_MAIN = threading.main_thread()
_SIGINT = int(signal.SIGINT)


def _c_signals() -> Any:
    """The C functions under ``signal``'s wrappers (which spend microseconds on enum lookups
    at each call), or ``signal`` itself on a Python without them."""
    try:
        return importlib.import_module("_signal")
    except ImportError:  # pragma: no cover - another Python implementation
        return signal


_signals = _c_signals()
