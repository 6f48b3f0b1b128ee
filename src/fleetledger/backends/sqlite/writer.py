"""Group commit: one writer thread folds concurrent appends into shared transactions.

With ``synchronous=FULL`` every commit costs an fsync, so one commit per append caps a ledger at
the disk's fsync rate. Callers instead queue their batch and wait; the writer takes everything
queued, commits it in one transaction, and wakes each caller with its own positions. A batch
that fails is retried alone, so one bad batch never fails its neighbours.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from fleetledger.errors import LedgerClosed

T = TypeVar("T")
R = TypeVar("R")
V = TypeVar("V")


@dataclass
class _Job(Generic[T, R]):
    payload: T | None = None
    call: Callable[[], Any] | None = None
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Serialize all writes through one thread, merging consecutive payload jobs.

    ``apply`` receives a list of payloads and returns one result per payload; it runs in the
    writer thread only, so it may own a connection that no other thread touches.
    """

    def __init__(
        self,
        apply: Callable[[list[T]], list[R]],
        *,
        size: Callable[[T], int],
        max_size: int = 20_000,
        name: str = "fleetledger-writer",
    ) -> None:
        self._apply = apply
        self._size = size
        self._max_size = max_size
        self._jobs: deque[_Job[T, R]] = deque()
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, payload: T) -> R:
        """Queue ``payload`` and return its result once its transaction committed."""
        job: _Job[T, R] = _Job(payload=payload)
        self._enqueue(job)
        return self._wait(job)  # type: ignore[no-any-return]

    def call(self, fn: Callable[[], V]) -> V:
        """Run ``fn`` alone in the writer thread (schema changes, offset commits, retention)."""
        job: _Job[T, R] = _Job(call=fn)
        self._enqueue(job)
        return self._wait(job)  # type: ignore[no-any-return]

    def close(self) -> None:
        """Finish every queued job, then stop the writer thread."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._thread.join()

    def _enqueue(self, job: _Job[T, R]) -> None:
        with self._ready:
            if self._closed:
                raise LedgerClosed("the ledger is closed")
            self._jobs.append(job)
            self._ready.notify()

    @staticmethod
    def _wait(job: _Job[T, R]) -> Any:
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._jobs and not self._closed:
                    self._ready.wait()
                if not self._jobs:
                    return
                jobs = self._take()
            self._execute(jobs)

    def _take(self) -> list[_Job[T, R]]:
        first = self._jobs.popleft()
        if first.call is not None:
            return [first]
        jobs, total = [first], self._size(first.payload)  # type: ignore[arg-type]
        while self._jobs and self._jobs[0].call is None and total < self._max_size:
            job = self._jobs.popleft()
            total += self._size(job.payload)  # type: ignore[arg-type]
            jobs.append(job)
        return jobs

    def _execute(self, jobs: Sequence[_Job[T, R]]) -> None:
        try:
            if jobs[0].call is not None:
                jobs[0].result = jobs[0].call()
            else:
                results = self._apply([job.payload for job in jobs])  # type: ignore[misc]
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
            job.done.set()
