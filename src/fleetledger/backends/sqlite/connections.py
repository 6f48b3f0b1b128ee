"""Opening SQLite connections, and the one place sqlite3 errors join the ledger's error tree.

Writers open the file read-write. Readers that must not write (``fleetledger.open(url,
readonly=True)``: every read command) open it with ``mode=ro``, which never changes the
database or its write-ahead log and still sees every committed event, the WAL's included.
SQLite can only read a WAL database read-only if it can use the shared-memory file beside it
(``-shm``): when the directory is read-only too and no ``-shm`` exists, a read-only open
fails, and then, but only when the WAL holds nothing, the file is opened ``immutable``
(SQLite reads the database file alone, which is then all there is). A WAL that holds
committed events is never ignored: that case is refused, saying how to read the file.

Errors are told apart by SQLite's result codes, never by message text.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from fleetledger.errors import (
    BackendError,
    Backpressure,
    ConfigurationError,
    LedgerError,
    ReadOnlyLedger,
)

# Primary result codes (https://sqlite.org/rescode.html).
_BUSY, _LOCKED, _READONLY, _CANTOPEN, _NOTADB = 5, 6, 8, 14, 26
_CORRUPT = 11


def connect(
    path: str, *, busy_ms: int, synchronous: str | None = None, readonly: bool = False
) -> sqlite3.Connection:
    """A connection to ``path``; read-only ones are checked to read now (see the module)."""
    conn = _open(path, busy_ms, "ro" if readonly else None)
    if readonly:
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:
            conn.close()
            if _code(exc) not in (_READONLY, _CANTOPEN) or _wal_holds_data(path):
                raise _unreadable(path, exc) from exc
            conn = _open(path, busy_ms, "ro&immutable=1")
        conn.execute("PRAGMA query_only = 1")
    elif synchronous is not None:
        conn.execute(f"PRAGMA synchronous = {synchronous}")
    return conn


def _open(path: str, busy_ms: int, mode: str | None) -> sqlite3.Connection:
    target, uri = (path, False) if mode is None else (f"file:{quote(path)}?mode={mode}", True)
    conn = sqlite3.connect(
        target, uri=uri, isolation_level=None, check_same_thread=False, timeout=busy_ms / 1000
    )
    conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
    return conn


def _wal_holds_data(path: str) -> bool:
    try:
        return os.path.getsize(path + "-wal") > 0
    except OSError:
        return False


def _unreadable(path: str, exc: sqlite3.Error) -> LedgerError:
    if _wal_holds_data(path):
        return ReadOnlyLedger(
            f"cannot read {path} read-only: its write-ahead log ({path}-wal) holds committed"
            " events, and SQLite cannot create the shared-memory file it needs to read them"
            " because the directory is read-only; copy the file with its -wal to a writable"
            " directory, or open it once by a writer of that directory"
        )
    return translate(path, exc)


class translated:
    """Turn sqlite3 errors raised in the block into the ledger's error tree.

    A class rather than a generator-based context manager: every read enters one, and this
    costs a fraction of a microsecond instead of a few.
    """

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if isinstance(exc, sqlite3.Error):
            raise translate(self.path, exc) from exc


def translate(path: str, exc: sqlite3.Error) -> LedgerError:
    """The ledger error a sqlite3 error means, by its SQLite result code."""
    code = _code(exc)
    text = str(exc)
    if code in (_BUSY, _LOCKED):
        return Backpressure(f"{path} is busy: {text}", retry_after=1.0)
    if code == _READONLY:
        return ReadOnlyLedger(
            f"cannot write {path}: {text} (the file, its directory or its filesystem refuses"
            " this user; read commands still work)"
        )
    if code == _NOTADB:
        return ConfigurationError(f"{path} is not a SQLite ledger file")
    if code == _CANTOPEN:
        what = "a directory" if Path(path).is_dir() else "not a file this user can open"
        return ConfigurationError(f"cannot open SQLite ledger {path}: {what} ({text})")
    if code == _CORRUPT:
        return BackendError(f"SQLite ledger {path} is corrupt: {text}; run fleetledger verify")
    return BackendError(f"SQLite ledger {path}: {text}")


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused because another connection holds a lock (worth a retry)."""
    return _code(exc) in (_BUSY, _LOCKED)


def _code(exc: sqlite3.Error) -> int:
    """The primary result code of a sqlite3 error (the low byte of the extended code)."""
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
