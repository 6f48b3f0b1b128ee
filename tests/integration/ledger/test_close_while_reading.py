"""Closing a SQLite ledger while other threads read from it: the reads in flight finish, later
ones raise LedgerClosed, and the process never crashes (closing a sqlite3 connection while
another thread's statement runs on it is a segmentation fault)."""

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys, threading, time
    import fleetledger
    from fleetledger import LedgerClosed

    ledger = fleetledger.open(sys.argv[1], default_source="tests")
    ledger.append_many(
        [{"type": "task.requested", "subject": f"t-{n % 7}", "data": {"goal": "g" * 200}}
         for n in range(3000)]
    )
    outcomes = []

    def read() -> None:
        deadline = time.monotonic() + 10
        try:
            while time.monotonic() < deadline:
                list(ledger.replay(f"t-{threading.get_ident() % 7}"))
        except LedgerClosed:
            outcomes.append("closed")

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    ledger.close()
    for thread in threads:
        thread.join(timeout=40)
    print(sorted(outcomes))
    """
)


def test_closing_while_four_threads_read_ends_every_read_cleanly(tmp_path: Path) -> None:
    for attempt in range(3):
        url = f"sqlite:///{tmp_path}/l{attempt}.db"
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.strip() == "['closed', 'closed', 'closed', 'closed']"
