"""Which key signs a ledger's checkpoints, and which public key checks them.

A signer comes from ``fleetledger.open(signer=...)`` (a :class:`NoteSigner` or the path of a
``NAME.key`` file), else the URL option ``?key=path/to/NAME.key``, else ``$FLEETLEDGER_KEY``.
``fleetledger keys init`` writes the pair: ``NAME.key`` holds the signer key string (mode
0600), ``NAME.pub`` beside it the verifier key string to hand to anyone who verifies.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from fleetledger.errors import ConfigurationError
from fleetledger.integrity import NoteSigner, NoteVerifier
from fleetledger.ledger.urls import LedgerURL

KEY_ENV = "FLEETLEDGER_KEY"
KEY_SUFFIX = ".key"
PUB_SUFFIX = ".pub"

SignerOption = NoteSigner | str | os.PathLike[str] | Literal[False] | None
"""What ``open(signer=...)`` takes: a signer, a key file, ``None`` (configured) or ``False``."""


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


def load_signer(path: str | os.PathLike[str]) -> NoteSigner:
    """Read a signer key file written by ``fleetledger keys init``."""
    return NoteSigner.from_skey(_read(path, "signer key"))


def load_verifier(path: str | os.PathLike[str]) -> NoteVerifier:
    """Read a public key file (``NAME.pub``)."""
    return NoteVerifier.from_vkey(_read(path, "public key"))


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
    try:
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(signer.skey + "\n")
        pub.write_text(signer.verifier.vkey + "\n")
    except OSError as exc:
        raise ConfigurationError(f"cannot write keys in {directory}: {exc}") from exc
    return key, pub


def _read(path: str | os.PathLike[str], what: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise ConfigurationError(f"cannot read the {what} {path}: {exc.strerror}") from exc
