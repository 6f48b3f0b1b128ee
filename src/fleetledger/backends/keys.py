"""The local key store: data keys in a SQLite file, wrapped by a key-encryption key in a file.

Both files are created on first use, mode 0600: ``ledger.db.keys`` and ``ledger.db.keys.kek``
beside a SQLite ledger by default (give the KEK another place, or plug in a KMS, by another
:class:`~fleetledger.governance.encryption.KeyStore`). A data key is stored only wrapped;
destroying a subject's keys deletes their rows with ``secure_delete`` on (SQLite overwrites
the deleted content with zeros), checkpoints the write-ahead log into the file and truncates
it, and vacuums, so no byte of the key remains in the store's files. What is kept of a
destroyed key is its random id, so readers can tell an erased field from one sealed under a
key this store never held.
"""

from __future__ import annotations

import base64
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fleetledger.errors import BackendError, ConfigurationError
from fleetledger.governance.encryption import KEY_BYTES, DataKey, new_key_id, unwrap, wrap

_SCHEMA = """
CREATE TABLE IF NOT EXISTS data_keys (
    kid TEXT PRIMARY KEY,
    datasubject TEXT NOT NULL,
    wrapped BLOB NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS data_keys_subject ON data_keys (datasubject, created_ms);
CREATE TABLE IF NOT EXISTS erased_keys (kid TEXT PRIMARY KEY);
"""
_KEK_HEADER = "fleetledger-kek-v1 "


class SQLiteKeyStore:
    """Data keys wrapped by a KEK, in a SQLite file (see the module)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        kek: str | os.PathLike[str] | None = None,
        *,
        readonly: bool = False,
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        """Open the file read-only, never creating it: keys can be read, not made or destroyed."""
        self.kek_path = Path(kek) if kek is not None else Path(f"{self.path}.kek")
        self._conn: sqlite3.Connection | None = None
        self._kek: bytes | None = None
        self._lock = threading.Lock()

    # -- the protocol ------------------------------------------------------------------------

    def keys_for(self, datasubjects: Collection[str]) -> dict[str, DataKey]:
        """Each subject's newest key; those without one get one, all stored (durably) in one
        transaction."""
        with self._lock:
            conn, kek = self._open(create=True), self._key_encryption_key(create=True)
            assert conn is not None
            found = {s: k for s in datasubjects if (k := self._current(conn, s, kek))}
            if len(found) == len(datasubjects):
                return found
            with _transaction(conn):  # checked again under the write lock: one key a subject
                for subject in datasubjects:
                    if subject not in found:
                        found[subject] = self._current(conn, subject, kek) or self._new(
                            conn, subject, kek
                        )
            return found

    @staticmethod
    def _new(conn: sqlite3.Connection, datasubject: str, kek: bytes) -> DataKey:
        key = DataKey(new_key_id(), AESGCM.generate_key(256))
        conn.execute(
            "INSERT INTO data_keys VALUES (?, ?, ?, ?)",
            (key.kid, datasubject, wrap(kek, key), time.time_ns() // 1_000_000),
        )
        return key

    def get(self, kid: str) -> DataKey | None:
        """The key with this id, unwrapped; None when it is not (or no longer) here."""
        with self._lock:
            conn = self._open(create=False)
            row = (
                None
                if conn is None
                else _one(conn, "SELECT wrapped FROM data_keys WHERE kid=?", kid)
            )
            if row is None:
                return None
            return unwrap(self._key_encryption_key(create=False), kid, row[0])

    def erased(self, kid: str) -> bool:
        """Whether the key with this id was destroyed here."""
        with self._lock:
            conn = self._open(create=False)
            return (
                conn is not None
                and _one(conn, "SELECT 1 FROM erased_keys WHERE kid=?", kid) is not None
            )

    def destroy(self, datasubject: str) -> int:
        """Delete the subject's keys and every trace of their bytes in the store's files."""
        with self._lock:
            conn = self._open(create=True)
            assert conn is not None
            with _transaction(conn):
                kids = [
                    row[0]
                    for row in conn.execute(
                        "SELECT kid FROM data_keys WHERE datasubject=?", (datasubject,)
                    )
                ]
                conn.executemany(
                    "INSERT OR IGNORE INTO erased_keys VALUES (?)", [(k,) for k in kids]
                )
                conn.execute("DELETE FROM data_keys WHERE datasubject=?", (datasubject,))
            self._scrub(conn)
            return len(kids)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- files -------------------------------------------------------------------------------

    def _open(self, *, create: bool) -> sqlite3.Connection | None:
        if self.readonly and create:
            raise ConfigurationError(f"the key store {self.path} was opened read-only")
        if self._conn is not None:
            return self._conn
        if not create and not self.path.exists():
            return None
        if self.readonly:
            return self._open_readonly()
        try:
            _touch_private(self.path)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 5000")
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise BackendError(f"cannot open the key store {self.path}: {exc}") from exc
        self._conn = conn
        return conn

    def _open_readonly(self) -> sqlite3.Connection:
        uri = f"file:{quote(str(self.path))}?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only = 1")
        except sqlite3.Error as exc:
            raise BackendError(f"cannot read the key store {self.path}: {exc}") from exc
        self._conn = conn
        return conn

    def _scrub(self, conn: sqlite3.Connection) -> None:
        """Leave no deleted page image in the WAL and no free page holding old content."""
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if busy:
            raise BackendError(
                f"the key store {self.path} is in use by another connection: its WAL could not"
                " be truncated; run forget again when it is not"
            )

    def _current(self, conn: sqlite3.Connection, datasubject: str, kek: bytes) -> DataKey | None:
        row = _one(
            conn,
            "SELECT kid, wrapped FROM data_keys WHERE datasubject=? ORDER BY created_ms DESC, kid",
            datasubject,
        )
        return None if row is None else unwrap(kek, row[0], row[1])

    def _key_encryption_key(self, *, create: bool) -> bytes:
        if self._kek is None:
            try:
                self._kek = (_load_or_make_kek if create else _read_kek)(self.kek_path)
            except FileNotFoundError:
                raise ConfigurationError(
                    f"the key store {self.path} holds keys but its key-encryption key"
                    f" {self.kek_path} is missing"
                ) from None
        return self._kek


def _one(conn: sqlite3.Connection, sql: str, value: str) -> tuple[Any, ...] | None:
    row: tuple[Any, ...] | None = conn.execute(sql, (value,)).fetchone()
    return row


class _transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")


def _touch_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (SQLite then fills it)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _load_or_make_kek(path: Path) -> bytes:
    try:
        return _read_kek(path)
    except FileNotFoundError:
        pass
    kek = AESGCM.generate_key(256)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:  # another process made it first
        return _read_kek(path)
    with os.fdopen(fd, "w") as out:
        out.write(_KEK_HEADER + base64.b64encode(kek).decode() + "\n")
        out.flush()
        os.fsync(out.fileno())
    return kek


def _read_kek(path: Path) -> bytes:
    text = path.read_text().strip()
    if not text.startswith(_KEK_HEADER):
        raise ConfigurationError(f"{path} is not a fleetledger key-encryption key")
    kek = base64.b64decode(text[len(_KEK_HEADER) :])
    if len(kek) != KEY_BYTES:
        raise ConfigurationError(f"{path}: a key-encryption key is {KEY_BYTES} bytes")
    return kek
