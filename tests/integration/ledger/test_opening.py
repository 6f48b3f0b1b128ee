"""Opening SQLite ledgers: files that are not ledgers are refused and left untouched."""

import os
import sqlite3
from pathlib import Path

import pytest

import fleetledger
from fleetledger import ConfigurationError, FamilyPolicy


def url_of(path: Path) -> str:
    """The SQLite ledger URL of a path."""
    return f"sqlite:///{path}"


def test_opening_creates_a_ledger_file(tmp_path: Path) -> None:
    """A URL naming a new file in an existing directory creates the ledger."""
    with fleetledger.open(url_of(tmp_path / "new.db")):
        pass
    assert (tmp_path / "new.db").is_file()


def test_a_relative_url_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sqlite:///ledger.db creates ledger.db in the current directory."""
    monkeypatch.chdir(tmp_path)
    with fleetledger.open("sqlite:///ledger.db"):
        pass
    assert (tmp_path / "ledger.db").is_file()


def test_a_missing_directory_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    """A path in a directory that does not exist raises ConfigurationError naming it."""
    with pytest.raises(ConfigurationError, match="does not exist"):
        fleetledger.open(url_of(tmp_path / "nowhere" / "ledger.db"))
    assert not (tmp_path / "nowhere").exists()


def test_a_file_of_garbage_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    """Random bytes are not a ledger: ConfigurationError, and the file keeps its bytes."""
    path = tmp_path / "garbage.db"
    content = os.urandom(8192)
    path.write_bytes(content)
    with pytest.raises(ConfigurationError, match="not a SQLite ledger"):
        fleetledger.open(url_of(path))
    assert path.read_bytes() == content


def test_a_text_file_is_refused(tmp_path: Path) -> None:
    """A text file is not a ledger either."""
    path = tmp_path / "notes.txt"
    path.write_text("remember the milk\n" * 100)
    with pytest.raises(ConfigurationError, match="not a SQLite ledger"):
        fleetledger.open(url_of(path))


def test_another_sqlite_database_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    """A SQLite file with someone else's tables is refused without touching them."""
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
        conn.execute("INSERT INTO users VALUES ('ada')")
    conn.close()
    content = path.read_bytes()
    with pytest.raises(ConfigurationError, match="not a fleetledger ledger"):
        fleetledger.open(url_of(path))
    assert path.read_bytes() == content


def test_a_directory_is_refused(tmp_path: Path) -> None:
    """A URL naming a directory cannot be opened as a ledger."""
    with pytest.raises(ConfigurationError):
        fleetledger.open(url_of(tmp_path))


def test_an_unknown_synchronous_mode_is_refused(tmp_path: Path) -> None:
    """synchronous must be one of SQLite's modes."""
    with pytest.raises(ConfigurationError, match="synchronous"):
        fleetledger.open(url_of(tmp_path / "l.db") + "?synchronous=SOMETIMES")


def test_reopening_with_another_partition_count_is_refused(tmp_path: Path) -> None:
    """A stored topic's partition count cannot change: keys would move partitions."""
    path = tmp_path / "l.db"
    with fleetledger.open(url_of(path), default_source="tests") as ledger:
        ledger.append("task.started", subject="t-1", id="evt-1")
    with pytest.raises(ConfigurationError, match="partitions"):
        fleetledger.open(url_of(path), policies=[FamilyPolicy(family="task", partitions=8)])
    with fleetledger.open(url_of(path)) as ledger:
        assert ledger.get("evt-1").position is not None


def test_reopening_without_policies_keeps_the_stored_ones(tmp_path: Path) -> None:
    """A ledger created with custom policies reopens with them, unchanged, by default."""
    url = f"sqlite:///{tmp_path}/l.db"
    custom = FamilyPolicy(family="task", partitions=8, retention_ms=60_000)
    fleetledger.open(url, policies=[custom]).close()
    with fleetledger.open(url) as ledger:
        task = next(info for info in ledger.topics() if info.family == "task")
        assert task.policy == custom
        assert ledger.families()["task"] == custom


def test_a_family_stored_by_an_earlier_session_is_readable(tmp_path: Path) -> None:
    """Topics of families registered earlier are adopted when the ledger is reopened."""
    url = f"sqlite:///{tmp_path}/l.db"
    fleetledger.open(url, policies=[FamilyPolicy(family="billing", partitions=2)]).close()
    with fleetledger.open(url) as ledger:
        assert ledger.read("billing", 1) == []
