"""Which key signs a ledger's checkpoints, which public key checks them, and the writers' key.

A signer comes from ``fleetledger.open(signer=...)`` (a :class:`NoteSigner` or the path of a
``NAME.key`` file), else the URL option ``?key=path/to/NAME.key``, else ``$FLEETLEDGER_KEY``.
``fleetledger keys init`` writes the pair: ``NAME.key`` holds the signer key string (mode
0600), ``NAME.pub`` beside it the verifier key string to hand to anyone who verifies.

The writer key (``fleetledger keys init --writer``: ``NAME.writer``, mode 0600) is a different
kind of secret: 32 random bytes every writer of a Kafka ledger shares, which they attest their
records with (:mod:`fleetledger.backends.kafka.attest`). It comes from ``open(writer_key=...)``,
else the URL option ``?writer_key=``, else ``$FLEETLEDGER_WRITER_KEY``.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path
from typing import Literal

from fleetledger.backends.urls import LedgerURL
from fleetledger.errors import ConfigurationError, InvalidKey
from fleetledger.integrity import NoteSigner, NoteVerifier

KEY_ENV = "FLEETLEDGER_KEY"
WRITER_KEY_ENV = "FLEETLEDGER_WRITER_KEY"
KEY_SUFFIX = ".key"
PUB_SUFFIX = ".pub"
WRITER_SUFFIX = ".writer"
_WRITER_PREFIX = "FLEETLEDGER-WRITER-KEY+"
_WRITER_KEY_BYTES = 32

SignerOption = NoteSigner | str | os.PathLike[str] | Literal[False] | None
"""What ``open(signer=...)`` takes: a signer, a key file, ``None`` (configured) or ``False``."""
WriterKeyOption = bytes | str | os.PathLike[str] | Literal[False] | None
"""What ``open(writer_key=...)`` takes: the key, its file, ``None`` (configured) or ``False``."""


def key_path(parsed: LedgerURL) -> Path | None:
    """The configured key file: the URL's ``key`` option, else ``$FLEETLEDGER_KEY``."""
    configured = parsed.options.get("key") or os.environ.get(KEY_ENV)
    return Path(configured) if configured else None


def public_key_path(key: str | os.PathLike[str]) -> Path:
    """Where the public key of the key file ``key`` lives: ``NAME.pub`` beside ``NAME.key``."""
    return Path(key).with_suffix(PUB_SUFFIX)


def resolve_signer(signer: SignerOption, parsed: LedgerURL) -> NoteSigner | None:
    """The signer to open the ledger with (``False``: none, even if one is configured)."""
    if signer is False:
        return None
    if isinstance(signer, NoteSigner):
        return signer
    path = key_path(parsed) if signer is None else Path(signer)
    return None if path is None else load_signer(path)


def resolve_verifier(signer: SignerOption, parsed: LedgerURL) -> NoteVerifier | None:
    """The public key that checks the configured signer's notes: a given signer's own, else
    ``NAME.pub`` beside the configured key file (what an auditor, who may not read the
    private key, has), else none."""
    if signer is False:
        return None
    if isinstance(signer, NoteSigner):
        return signer.verifier
    path = key_path(parsed) if signer is None else Path(signer)
    if path is None:
        return None
    public = public_key_path(path)
    return load_verifier(public) if public.exists() else load_signer(path).verifier


def load_signer(path: str | os.PathLike[str]) -> NoteSigner:
    """Read a signer key file written by ``fleetledger keys init``."""
    text = _read(path, "signer key")
    if not text.lstrip().startswith("PRIVATE+KEY+"):
        raise InvalidKey(f"{path} {_holds(text)}, where a signer key (NAME.key) belongs")
    try:
        return NoteSigner.from_skey(text)
    except InvalidKey as exc:
        raise InvalidKey(f"{path} is not a signer key: {exc}") from None


def load_verifier(path: str | os.PathLike[str]) -> NoteVerifier:
    """Read a public key file (``NAME.pub``)."""
    text = _read(path, "public key")
    if text.lstrip().startswith(("PRIVATE+KEY+", _WRITER_PREFIX)):
        raise InvalidKey(f"{path} {_holds(text)}, where a public key (NAME.pub) belongs")
    try:
        return NoteVerifier.from_vkey(text)
    except InvalidKey as exc:
        raise InvalidKey(f"{path} is not a public key (NAME.pub): {exc}") from None


def _holds(text: str) -> str:
    """What a key file holds, for an error that names the mix-up."""
    stripped = text.strip()
    if stripped.startswith("PRIVATE+KEY+"):
        return "holds a private signer key (keep it secret)"
    if stripped.startswith(_WRITER_PREFIX):
        return "holds a writer key"
    try:
        NoteVerifier.from_vkey(stripped)
    except InvalidKey:
        return "holds no key fleetledger writes"
    return "holds a public key"


def resolve_writer_key(option: WriterKeyOption, parsed: LedgerURL) -> bytes | None:
    """The writers' attestation key: given, else configured (URL, environment), else none."""
    if option is False:
        return None
    if isinstance(option, bytes):
        if len(option) < 16:
            raise InvalidKey("a writer key is at least 16 bytes of secret")
        return option
    configured = option or parsed.options.get("writer_key") or os.environ.get(WRITER_KEY_ENV)
    return None if not configured else load_writer_key(configured)


def load_writer_key(path: str | os.PathLike[str]) -> bytes:
    """Read a writer key file written by ``fleetledger keys init --writer``."""
    text = _read(path, "writer key").strip()
    if not text.startswith(_WRITER_PREFIX):
        raise InvalidKey(f"{path} {_holds(text)}, where a writer key (NAME.writer) belongs")
    try:
        key = base64.b64decode(text.removeprefix(_WRITER_PREFIX), validate=True)
    except binascii.Error:
        key = b""
    if len(key) != _WRITER_KEY_BYTES:
        raise InvalidKey(f"{path}: a writer key is {_WRITER_KEY_BYTES} bytes in base64")
    return key


def write_writer_key(name: str, directory: str | os.PathLike[str]) -> Path:
    """Generate a writer key and write it to ``NAME.writer`` (0600); never overwrite one."""
    path = Path(directory) / f"{name.replace('/', '_')}{WRITER_SUFFIX}"
    text = _WRITER_PREFIX + base64.b64encode(secrets.token_bytes(_WRITER_KEY_BYTES)).decode()
    _write_secret(path, text)
    return path


def write_key_pair(name: str, directory: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Generate a key named ``name``; write ``NAME.key`` (0600) and ``NAME.pub`` in ``directory``.

    Refuses to overwrite an existing key: losing it would orphan every checkpoint it signed.
    """
    signer = NoteSigner.generate(name)
    stem = name.replace("/", "_")
    key, pub = Path(directory) / f"{stem}{KEY_SUFFIX}", Path(directory) / f"{stem}{PUB_SUFFIX}"
    for path in (key, pub):
        if path.exists():
            raise ConfigurationError(f"{path} exists; keys are never overwritten")
    _write_secret(key, signer.skey)
    try:
        pub.write_text(signer.verifier.vkey + "\n")
    except OSError as exc:
        raise ConfigurationError(f"cannot write {pub}: {exc.strerror}") from exc
    return key, pub


def _write_secret(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only, holding ``text``; never overwrite."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(text + "\n")
    except FileExistsError:
        raise ConfigurationError(f"{path} exists; keys are never overwritten") from None
    except OSError as exc:
        raise ConfigurationError(f"cannot write {path}: {exc.strerror}") from exc


def _read(path: str | os.PathLike[str], what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read the {what} {path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise InvalidKey(f"{path} is not a {what} file: it is not text") from None
