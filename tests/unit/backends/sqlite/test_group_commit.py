"""Group commit: concurrent batches share a transaction, led by one of the callers' threads."""

import os
import signal
import threading
import time

import pytest

from fleetledger.backends.sqlite import writer
from fleetledger.backends.sqlite.writer import GroupCommit
from fleetledger.errors import LedgerClosed


class Recorder:
    """An ``apply`` that records each group and the thread that wrote it; can be held."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []
        self.threads: list[threading.Thread] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.fail: set[str] = set()
        self.delay = 0.0

    def __call__(self, payloads: list[str]) -> list[str]:
        self.entered.set()
        assert self.release.wait(10)
        time.sleep(self.delay)
        if self.fail & set(payloads):
            raise ValueError(f"refused {sorted(self.fail & set(payloads))}")
        self.groups.append(list(payloads))
        self.threads.append(threading.current_thread())
        return [f"stored {p}" for p in payloads]


def _in_thread(
    commit: GroupCommit[str, str], payload: str, out: dict[str, object]
) -> threading.Thread:
    def run() -> None:
        try:
            out[payload] = commit.submit(payload)
        except Exception as exc:
            out[payload] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _queued(commit: GroupCommit[str, str], count: int) -> None:
    deadline = time.monotonic() + 10
    while len(commit._jobs) < count:
        assert time.monotonic() < deadline, "the batches were never queued"
        time.sleep(0.001)


def test_a_caller_alone_writes_its_batch_on_its_own_thread() -> None:
    """No hand-off to another thread: the caller's thread runs the transaction."""
    apply = Recorder()
    commit: GroupCommit[str, str] = GroupCommit(apply, size=len)

    assert commit.submit("a") == "stored a"
    assert apply.threads == [threading.current_thread()]


def test_batches_queued_while_a_group_is_written_share_the_next_transaction() -> None:
    """Three callers waiting on a leader are written together, each getting its own result."""
    apply = Recorder()
    commit: GroupCommit[str, str] = GroupCommit(apply, size=len)
    out: dict[str, object] = {}
    apply.release.clear()
    first = _in_thread(commit, "first", out)
    assert apply.entered.wait(10)
    waiting = [_in_thread(commit, name, out) for name in ("x", "y", "z")]
    _queued(commit, 3)
    apply.release.set()
    for thread in [first, *waiting]:
        thread.join(10)

    assert apply.groups == [["first"], ["x", "y", "z"]]
    assert out == {name: f"stored {name}" for name in ("first", "x", "y", "z")}


def test_a_failing_batch_is_retried_alone_and_its_group_still_commits() -> None:
    """One bad batch gets its error; the batches written with it are stored."""
    apply = Recorder()
    commit: GroupCommit[str, str] = GroupCommit(apply, size=len)
    out: dict[str, object] = {}
    apply.fail = {"bad"}
    apply.release.clear()
    first = _in_thread(commit, "first", out)
    assert apply.entered.wait(10)
    waiting = [_in_thread(commit, name, out) for name in ("good", "bad", "fine")]
    _queued(commit, 3)
    apply.release.set()
    for thread in [first, *waiting]:
        thread.join(10)

    assert isinstance(out.pop("bad"), ValueError)
    assert out == {name: f"stored {name}" for name in ("first", "good", "fine")}
    assert ["good"] in apply.groups
    assert ["fine"] in apply.groups


def test_a_call_runs_alone_between_groups() -> None:
    """An exclusive call never shares a transaction with batches."""
    apply = Recorder()
    commit: GroupCommit[str, str] = GroupCommit(apply, size=len)

    assert commit.call(lambda: 42) == 42
    assert commit.submit("a") == "stored a"
    assert apply.groups == [["a"]]


def test_ctrl_c_during_an_append_is_raised_once_it_is_committed() -> None:
    """A SIGINT arriving mid-transaction on the main thread does not cut the write short."""
    stored: list[list[str]] = []

    def interrupted(payloads: list[str]) -> list[str]:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the signal is handled by now, were it not held
        stored.append(payloads)
        return ["ok"]

    commit: GroupCommit[str, str] = GroupCommit(interrupted, size=len)

    with pytest.raises(KeyboardInterrupt):
        commit.submit("a")
    assert stored == [["a"]]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_close_waits_for_queued_batches_then_refuses_new_ones() -> None:
    """Batches queued before close are written; a batch submitted after it is refused."""
    apply = Recorder()
    commit: GroupCommit[str, str] = GroupCommit(apply, size=len)
    out: dict[str, object] = {}
    apply.release.clear()
    first = _in_thread(commit, "first", out)
    assert apply.entered.wait(10)
    second = _in_thread(commit, "second", out)
    _queued(commit, 1)
    closing = threading.Thread(target=commit.close)
    closing.start()
    apply.release.set()
    closing.join(10)
    for thread in (first, second):
        thread.join(10)

    assert out == {"first": "stored first", "second": "stored second"}
    with pytest.raises(LedgerClosed):
        commit.submit("late")


def test_a_new_leader_waits_for_the_callers_of_the_last_group_to_write_with_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a group of three, the next caller waits (at most as long as that group took) for
    two more batches, so the three share a transaction instead of alternating alone."""
    monkeypatch.setattr(writer, "_MAX_PATIENCE", 1.0)  # the group below takes 0.2 s
    apply = Recorder()
    commit: GroupCommit[str, str] = GroupCommit(apply, size=len)
    out: dict[str, object] = {}
    apply.release.clear()
    first = _in_thread(commit, "first", out)
    assert apply.entered.wait(10)
    trio = [_in_thread(commit, name, out) for name in ("a", "b", "c")]
    _queued(commit, 3)
    apply.delay = 0.2  # the trio's group takes this long: the patience the next leader learns
    apply.release.set()
    for thread in [first, *trio]:
        thread.join(10)
    apply.delay = 0.0
    leader = _in_thread(commit, "x", out)
    time.sleep(0.05)
    late = [_in_thread(commit, name, out) for name in ("y", "z")]
    for thread in [leader, *late]:
        thread.join(10)

    assert apply.groups[-1] == ["x", "y", "z"]


def test_a_caller_writing_alone_never_waits_for_others() -> None:
    """A group of one teaches the next leader to expect no one: it writes at once."""
    apply = Recorder()
    commit: GroupCommit[str, str] = GroupCommit(apply, size=len)
    commit.submit("a")
    started = time.monotonic()

    commit.submit("b")

    assert time.monotonic() - started < 0.05
    assert apply.groups == [["a"], ["b"]]
