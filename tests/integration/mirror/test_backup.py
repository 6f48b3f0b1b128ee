"""Backup and restore of real SQLite ledgers: an online copy taken while a writer appends,
a round trip that keeps sealed fields readable, refusals that keep a ledger safe."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import fleetledger
from fleetledger import ConfigurationError, IntegrityError, Ledger, NotFound
from fleetledger.integrity import NoteSigner
from fleetledger.mirror import backup, restore
from fleetledger.mirror.backup import KEYS_FILE, LEDGER_FILE, MANIFEST

SECRET = "refund to IBAN DE89370400440532013000"
WRITER_SECONDS = 10.0
"""The longest a writer thread appends (it stops as soon as the test is done with it)."""


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner.generate("backup.example.com")


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'live' / 'ledger.db'}?checkpoint_events=50"


@pytest.fixture
def live(url: str, signer: NoteSigner, tmp_path: Path) -> Ledger:
    """A signed ledger holding a restricted event (sealed under a key of its key store)."""
    (tmp_path / "live").mkdir()
    with fleetledger.open(url, signer=signer, default_source="tests") as ledger:
        ledger.append(
            "task.requested",
            id="sealed-1",
            subject="task-1",
            datasubject="cust-7",
            dataclassification="restricted",
            data={"goal": SECRET},
        )
        for n in range(20):
            ledger.append("task.started", subject=f"task-{n}")
    return fleetledger.open(url, signer=signer, default_source="tests")


def _ids(ledger: Ledger) -> set[str]:
    return {
        event.id
        for info in ledger.topics()
        for partition in range(len(info.partitions))
        for event in ledger.read(info.family, partition, limit=100_000)
    }


def test_a_backup_taken_while_a_writer_appends_verifies_and_holds_every_acknowledged_event(
    live: Ledger, url: str, signer: NoteSigner, tmp_path: Path
) -> None:
    """Every event acknowledged before the backup began is in the copy, which verifies; the
    writer was still appending while the backup ran."""
    acknowledged: list[str] = []
    stop = threading.Event()

    def write() -> None:
        deadline = time.monotonic() + WRITER_SECONDS
        n = 0
        while not stop.is_set() and time.monotonic() < deadline:
            position = live.append("task.checkpointed", subject=f"task-w{n % 7}", id=f"w-{n}")
            acknowledged.append(f"w-{n}")
            assert position.offset >= 0
            n += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(acknowledged) < 200 and writer.is_alive():
            time.sleep(0.01)
        before = list(acknowledged)
        copied = backup(url, tmp_path / "backup", signer.verifier)
        during = len(acknowledged)
    finally:
        stop.set()
        writer.join(WRITER_SECONDS + 5)
        live.close()

    assert copied.verification.ok, copied.verification.findings
    assert copied.verification.signatures_checked
    with fleetledger.open(f"sqlite:///{copied.ledger}", readonly=True) as copy:
        held = _ids(copy)
    assert set(before) <= held
    assert during > len(before), "the writer should have appended while the backup ran"


def test_a_restored_ledger_holds_the_same_events_and_opens_its_sealed_fields(
    live: Ledger, url: str, signer: NoteSigner, tmp_path: Path
) -> None:
    """Backup, restore elsewhere: same ids, the restricted event readable through the
    restored key store, and the restore's own verify with the backup's public key."""
    with live:
        expected = _ids(live)
    backup(url, tmp_path / "backup", signer.verifier)
    target = f"sqlite:///{tmp_path / 'restored' / 'ledger.db'}"

    restored = restore(tmp_path / "backup", target)

    assert restored.verification.ok
    assert restored.verification.signatures_checked
    assert restored.keys == tmp_path / "restored" / "ledger.db.keys"
    with fleetledger.open(target, readonly=True) as ledger:
        assert _ids(ledger) == expected
        assert ledger.get("sealed-1").data["goal"] == SECRET


def test_restore_refuses_to_overwrite_an_existing_ledger(
    live: Ledger, url: str, tmp_path: Path
) -> None:
    """The source ledger is still there: restoring over it needs force."""
    live.close()
    backup(url, tmp_path / "backup")
    live_file = tmp_path / "live" / "ledger.db"
    before = live_file.read_bytes()

    with pytest.raises(ConfigurationError, match="--force"):
        restore(tmp_path / "backup", url)
    assert live_file.read_bytes() == before


def test_restore_with_force_replaces_the_ledger_with_the_backup(
    live: Ledger, url: str, signer: NoteSigner, tmp_path: Path
) -> None:
    with live:
        expected = _ids(live)
    backup(url, tmp_path / "backup", signer.verifier)
    with fleetledger.open(url, signer=signer, default_source="tests") as ledger:
        ledger.append("task.started", subject="task-after", id="after-backup")

    restored = restore(tmp_path / "backup", url, force=True)

    assert restored.verification.ok
    with fleetledger.open(url, readonly=True) as ledger:
        assert _ids(ledger) == expected


def test_a_backup_never_writes_into_a_directory_that_holds_files(
    live: Ledger, url: str, tmp_path: Path
) -> None:
    live.close()
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")

    with pytest.raises(ConfigurationError, match="not empty"):
        backup(url, tmp_path / "used")


def test_a_changed_backup_file_is_refused_before_anything_is_restored(
    live: Ledger, url: str, tmp_path: Path
) -> None:
    live.close()
    backup(url, tmp_path / "backup")
    with (tmp_path / "backup" / KEYS_FILE).open("ab") as keys:
        keys.write(b"\0")
    target = tmp_path / "restored.db"

    with pytest.raises(IntegrityError, match="changed since the backup"):
        restore(tmp_path / "backup", f"sqlite:///{target}")
    assert not target.exists()


def test_a_directory_without_a_manifest_is_no_backup(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=MANIFEST):
        restore(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")


@pytest.mark.parametrize("other", ["kafka://127.0.0.1:9092", "memory://"])
def test_a_ledger_that_is_no_sqlite_file_is_told_to_use_mirror(other: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="fleetledger mirror"):
        backup(other, tmp_path / "backup")
    assert not (tmp_path / "backup" / LEDGER_FILE).exists()
