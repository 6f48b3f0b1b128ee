"""Backup and restore of a SQLite ledger: a consistent online copy of its file and its keys.

A SQLite ledger is a file, plus the key store its confidential fields are sealed with
(``PATH.keys`` and its key-encryption key ``PATH.keys.kek`` by default; the URL options
``keys`` and ``kek`` move them), plus the signing key its writers sign heads with (the URL's
``key``, ``$FLEETLEDGER_KEY`` or the configuration's). A backup is a directory holding:

- ``ledger.db``: the ledger, copied with SQLite's online backup API in one step, so the copy
  is the database as of one read transaction: every event acknowledged before the backup began
  is in it, and no append is half in it. Writers keep appending meanwhile (WAL mode: readers
  never block writers).
- ``ledger.db.keys`` and ``ledger.db.keys.kek``: the key store, copied the same way after the
  ledger, so every data key an event of the copy was sealed under is in the copy (keys are
  stored before the events that use them; a key destroyed meanwhile stays destroyed, as an
  erasure must).
- ``ledger.pub``: the public key the copy was verified with (when one is known); the private
  signing key is never copied: it stays where the configuration keeps it.
- ``fleetledger-backup.json``: what was copied from where, with each file's SHA-256.

The directory holds secrets (the data keys and the key that unwraps them), so it is created
readable by its owner only. Both backup and restore end by verifying the copy
(:meth:`Ledger.verify`). Other backends are copied with ``fleetledger mirror``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import msgspec

from fleetledger.audit import Verification
from fleetledger.errors import BackendError, ConfigurationError, IntegrityError, NotFound
from fleetledger.integrity import NoteVerifier
from fleetledger.ledger import DEFAULT_NAMESPACE, load_verifier, parse_url, redact
from fleetledger.ledger import open as open_ledger

MANIFEST = "fleetledger-backup.json"
FORMAT = "fleetledger-backup"
LEDGER_FILE = "ledger.db"
KEYS_FILE = "ledger.db.keys"
KEK_FILE = "ledger.db.keys.kek"
PUBLIC_KEY_FILE = "ledger.pub"
_KEYS_SUFFIX = ".keys"
_KEK_SUFFIX = ".kek"
_BUSY_MS = 30_000


@dataclass(frozen=True)
class Copied:
    """What a backup or a restore wrote, and the verification of the copy."""

    ledger: Path
    """The ledger file written (in the backup directory, or the restored ledger)."""
    keys: Path | None
    """The key store written, if the source had one."""
    namespace: str
    verification: Verification
    manifest: dict[str, Any]


@dataclass(frozen=True)
class _Places:
    """Where a SQLite ledger's files are: the ledger, its key store, and the store's KEK."""

    ledger: Path
    keys: Path
    kek: Path
    namespace: str

    @classmethod
    def of(cls, url: str, doing: str) -> _Places:
        parsed = parse_url(url)
        if parsed.scheme != "sqlite" or parsed.location == ":memory:":
            raise ConfigurationError(
                f"{doing} works on a SQLite ledger file, not {redact(url)}: copy a"
                f" {parsed.scheme}:// ledger with 'fleetledger mirror' (to another cluster, or"
                " to a SQLite file you can then back up)"
            )
        ledger = Path(parsed.location)
        keys = Path(parsed.options.get("keys") or f"{ledger}{_KEYS_SUFFIX}")
        kek = Path(parsed.options.get("kek") or f"{keys}{_KEK_SUFFIX}")
        namespace = parsed.options.get("namespace", DEFAULT_NAMESPACE)
        return cls(ledger, keys, kek, namespace)


def backup(url: str, directory: Path, verifier: NoteVerifier | None = None) -> Copied:
    """Copy the SQLite ledger at ``url`` and its key store into the new ``directory``, then
    verify the copy (signatures with ``verifier``, if given). See the module docstring."""
    source = _Places.of(url, "backup")
    if not source.ledger.is_file():
        raise NotFound(f"no ledger at {source.ledger}: the file does not exist")
    if directory.exists() and any(directory.iterdir()):
        raise ConfigurationError(f"{directory} is not empty: back up into a new directory")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    ledger = directory / LEDGER_FILE
    _copy_database(source.ledger, ledger)
    keys = None
    if source.keys.is_file():
        keys = directory / KEYS_FILE
        _copy_database(source.keys, keys)
        if source.kek.is_file():
            _copy_secret(source.kek, directory / KEK_FILE)
    if verifier is not None:
        (directory / PUBLIC_KEY_FILE).write_text(verifier.vkey + "\n")
    copy = _Places(ledger, directory / KEYS_FILE, directory / KEK_FILE, source.namespace)
    verification = _verify(copy, verifier)
    manifest = _manifest(directory, redact(url), source.namespace, verification)
    (directory / MANIFEST).write_bytes(msgspec.json.format(msgspec.json.encode(manifest)))
    return Copied(ledger, keys, source.namespace, verification, manifest)


def restore(
    directory: Path,
    url: str,
    *,
    force: bool = False,
    verifier: NoteVerifier | None = None,
) -> Copied:
    """Bring the backup in ``directory`` back as the SQLite ledger at ``url`` (its key store
    where that URL keeps it), then verify it with ``verifier`` (default: the backup's public
    key). An existing ledger or key store there is overwritten only with ``force``."""
    manifest = read_manifest(directory)
    target = _Places.of(url, "restore")
    namespace = str(manifest.get("namespace", DEFAULT_NAMESPACE))
    if "namespace" not in parse_url(url).options:
        target = _Places(target.ledger, target.keys, target.kek, namespace)
    keys = directory / KEYS_FILE
    for path in (target.ledger, *((target.keys, target.kek) if keys.is_file() else ())):
        if path.exists() and not force:
            raise ConfigurationError(
                f"{path} exists: restore refuses to overwrite it (give --force to replace it)"
            )
    target.ledger.parent.mkdir(parents=True, exist_ok=True)
    _copy_database(directory / LEDGER_FILE, target.ledger)
    if keys.is_file():
        _copy_database(keys, target.keys)
        if (directory / KEK_FILE).is_file():
            _copy_secret(directory / KEK_FILE, target.kek)
    public = directory / PUBLIC_KEY_FILE
    if verifier is None and public.is_file():
        verifier = load_verifier(public)
    verification = _verify(target, verifier)
    restored = target.keys if keys.is_file() else None
    return Copied(target.ledger, restored, target.namespace, verification, manifest)


def read_manifest(directory: Path) -> dict[str, Any]:
    """The backup's manifest, once every file it lists has the SHA-256 it lists."""
    path = directory / MANIFEST
    if not path.is_file():
        raise NotFound(f"{directory} holds no fleetledger backup (no {MANIFEST})")
    try:
        manifest = msgspec.json.decode(path.read_bytes())
    except msgspec.DecodeError as exc:
        raise IntegrityError(f"{path} is not a backup manifest: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IntegrityError(f"{path} is not a {FORMAT} manifest")
    for name, digest in dict(manifest.get("files", {})).items():
        copied = directory / Path(name).name
        if not copied.is_file() or _sha256(copied) != digest:
            raise IntegrityError(f"{copied} is missing or changed since the backup was taken")
    return manifest


def _copy_database(source: Path, destination: Path) -> None:
    """Copy a SQLite database with the online backup API, in one step: one read transaction
    on ``source`` (its writers carry on), pages written under ``destination``'s own locks."""
    try:
        with (
            closing(sqlite3.connect(source, timeout=_BUSY_MS / 1000)) as src,
            closing(sqlite3.connect(destination, timeout=_BUSY_MS / 1000)) as dst,
        ):
            src.backup(dst)
    except sqlite3.Error as exc:
        raise BackendError(f"could not copy {source} to {destination}: {exc}") from exc
    destination.chmod(0o600)


def _copy_secret(source: Path, destination: Path) -> None:
    """Copy a key file, readable by its owner only."""
    try:
        fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, source.open("rb") as given:
            shutil.copyfileobj(given, out)
    except OSError as exc:
        raise BackendError(f"could not copy {source} to {destination}: {exc.strerror}") from exc


def _verify(places: _Places, verifier: NoteVerifier | None) -> Verification:
    """Open the copy read-only, with its key store, and verify it."""
    options = {"namespace": places.namespace}
    if places.keys.is_file():
        options |= {"keys": str(places.keys), "kek": str(places.kek)}
    query = "&".join(f"{k}={quote(v, safe='/')}" for k, v in options.items())
    with open_ledger(f"sqlite:///{places.ledger}?{query}", readonly=True) as ledger:
        return ledger.verify(verifier)


def _manifest(
    directory: Path, source: str, namespace: str, verification: Verification
) -> dict[str, Any]:
    names = [LEDGER_FILE, KEYS_FILE, KEK_FILE, PUBLIC_KEY_FILE]
    files = {name: _sha256(directory / name) for name in names if (directory / name).is_file()}
    return {
        "format": FORMAT,
        "version": 1,
        "source": source,
        "namespace": namespace,
        "taken": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "events": verification.events,
        "leaves": verification.leaves,
        "files": {
            name: _sha256(directory / name) for name in files if (directory / name).is_file()
        },
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as given:
        for block in iter(lambda: given.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
