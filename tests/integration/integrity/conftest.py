"""Fixtures for integrity tests: a key pair on disk and SQLite ledgers that sign with it."""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

import fleetledger
from fleetledger import Ledger
from fleetledger.integrity import NoteSigner, NoteVerifier
from fleetledger.ledger.signing import load_signer, load_verifier, write_key_pair

Open = Callable[..., Ledger]
SUBJECT = "task-1"


@pytest.fixture
def key_files(tmp_path: Path) -> tuple[Path, Path]:
    """A fresh NAME.key / NAME.pub pair."""
    return write_key_pair("test.example/fleet", tmp_path)


@pytest.fixture
def signer(key_files: tuple[Path, Path]) -> NoteSigner:
    """The signer of ``key_files``."""
    return load_signer(key_files[0])


@pytest.fixture
def verifier(key_files: tuple[Path, Path]) -> NoteVerifier:
    """The public key of ``key_files``, read from the .pub file."""
    return load_verifier(key_files[1])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Where the test's ledger file lives."""
    return tmp_path / "ledger.db"


@pytest.fixture
def open_ledger(db: Path, key_files: tuple[Path, Path]) -> Iterator[Open]:
    """Open the test ledger, signing every ``every`` events (never by time), with its key."""
    opened: list[Ledger] = []

    def make(every: int = 5, *, sign: bool = True, **options: object) -> Ledger:
        key = f"&key={key_files[0]}" if sign else ""
        url = f"sqlite:///{db}?checkpoint_events={every}&checkpoint_seconds=3600{key}"
        ledger = fleetledger.open(url, default_source="tests", **options)  # type: ignore[arg-type]
        opened.append(ledger)
        return ledger

    yield make
    for ledger in opened:
        ledger.close()


Append = Callable[[Ledger, int], list[int]]
SQL = Callable[..., list[tuple[Any, ...]]]


@pytest.fixture
def append_tasks() -> Append:
    """Append N task events of one subject (so one partition), one per call; their offsets."""

    def append(ledger: Ledger, count: int) -> list[int]:
        return [
            ledger.append("task.requested", subject=SUBJECT, data={"goal": f"goal {n}"}).offset
            for n in range(count)
        ]

    return append


@pytest.fixture
def sql(db: Path) -> SQL:
    """Run one statement on the ledger file directly, as an attacker would, and commit."""

    def run(query: str, *args: object) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(db)) as conn, conn:
            return conn.execute(query, args).fetchall()

    return run
