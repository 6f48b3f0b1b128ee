"""Following: keep copying new events until the timeout, ``stop``, or Ctrl-C."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from fleetledger import EventData, Ledger
from fleetledger.mirror import mirror

Fill = Callable[..., list[str]]
Contents = Callable[[Ledger], dict[tuple[str, int], list[tuple[object, ...]]]]


class Noted(EventData, kw_only=True):
    """A user type in a family of its own."""

    note: str


@contextmanager
def writing(action: Callable[[], object], delay: float = 0.2) -> Iterator[threading.Thread]:
    """Run ``action`` in a thread after ``delay`` seconds; join it on exit."""

    def later() -> None:
        time.sleep(delay)
        action()

    thread = threading.Thread(target=later)
    thread.start()
    try:
        yield thread
    finally:
        thread.join()


def test_follow_copies_events_appended_while_it_runs(
    src: Ledger, dst: Ledger, fill: Fill, contents: Contents
) -> None:
    """Events appended to the source during a follow run are on the destination at the end."""
    fill(src, tasks=2)

    with writing(lambda: fill(src, tasks=3, prefix="live")):
        report = mirror(src, dst, follow=True, timeout=1.0, poll_interval=0.05)

    assert report.copied == 4 * 5
    assert report.ok
    assert contents(dst) == contents(src)


def test_follow_ends_at_its_timeout(src: Ledger, dst: Ledger) -> None:
    """With nothing to copy, a follow run returns once its timeout has passed."""
    started = time.monotonic()

    report = mirror(src, dst, follow=True, timeout=0.3, poll_interval=0.05)

    assert 0.3 <= time.monotonic() - started < 2
    assert not report.interrupted


def test_follow_ends_when_stop_is_set(src: Ledger, dst: Ledger) -> None:
    """Setting the ``stop`` event ends a follow run without a timeout."""
    stop = threading.Event()

    with writing(stop.set, delay=0.1):
        report = mirror(src, dst, follow=True, stop=stop, poll_interval=5)

    assert report.ok


def test_follow_creates_a_family_registered_on_the_source_meanwhile(
    src: Ledger, dst: Ledger
) -> None:
    """A topic that appears on the source during a follow run is created and copied."""

    def register_and_append() -> None:
        src.register("audit.noted", Noted)
        src.append("audit.noted", subject="t-1", data={"note": "hello"})

    with writing(register_and_append):
        report = mirror(src, dst, follow=True, timeout=1.0, poll_interval=0.05)

    assert report.created == ["fleet.audit"]
    assert report.copied == 1


def test_ctrl_c_while_following_ends_the_run_cleanly(
    src: Ledger, dst: Ledger, fill: Fill, contents: Contents
) -> None:
    """KeyboardInterrupt in a follow run still translates groups and checks what was copied."""
    fill(src, tasks=10)

    def interrupt(stage: str, done: int, total: int) -> None:
        if stage == "copying" and done >= 12:
            raise KeyboardInterrupt

    report = mirror(src, dst, follow=True, batch_size=4, progress=interrupt)

    assert report.interrupted
    assert report.ok
    assert 0 < sum(len(rows) for rows in contents(dst).values()) < 40


def test_ctrl_c_without_follow_is_not_swallowed(src: Ledger, dst: Ledger, fill: Fill) -> None:
    """A one-shot mirror lets KeyboardInterrupt through: the caller decides."""
    fill(src, tasks=2)

    def interrupt(stage: str, done: int, total: int) -> None:
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mirror(src, dst, progress=interrupt)
