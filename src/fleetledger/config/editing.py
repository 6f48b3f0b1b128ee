"""Changing ``fleetledger.toml`` from the command line without rewriting it: a new
``[[principals]]`` table is appended, and every byte already in the file stays as it was
(comments, order, spacing), so no TOML writer is needed.
"""

from __future__ import annotations

import os
from pathlib import Path

from fleetledger.config.file import parse_config
from fleetledger.errors import ConfigurationError
from fleetledger.governance import Principal


def add_principal(
    path: str | os.PathLike[str], principal_id: str, kind: str, tenant: str | None = None
) -> Principal:
    """Append the principal ``principal_id`` to the configuration file ``path`` (created if it
    does not exist); refuse one the file names already, and leave the file as it was if the
    result would not load."""
    file = Path(path)
    try:
        before = file.read_bytes() if file.exists() else b""
    except OSError as exc:
        raise ConfigurationError(f"cannot read {file}: {exc.strerror}") from exc
    try:
        text = before.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigurationError(f"{file}: not a TOML file (it is not UTF-8 text)") from None
    if any(p.id == principal_id for p in parse_config(text, file).principals):
        raise ConfigurationError(f"principal {principal_id!r} is in {file} already")
    added = principal_table(principal_id, kind, tenant, newline="\r\n" if "\r\n" in text else "\n")
    separator = "" if not text or text.endswith("\n") else "\n"
    config = parse_config(text + separator + added, file)
    try:
        with file.open("ab") as out:
            out.write((separator + added).encode())
    except OSError as exc:
        raise ConfigurationError(f"cannot write {file}: {exc.strerror}") from exc
    return config.principals[-1]


def principal_table(
    principal_id: str, kind: str, tenant: str | None = None, *, newline: str = "\n"
) -> str:
    """The ``[[principals]]`` table naming one principal, after a blank line."""
    lines = [
        "",
        "[[principals]]",
        f"id = {toml_string(principal_id)}",
        f"kind = {toml_string(kind)}",
    ]
    if tenant is not None:
        lines.append(f"tenant = {toml_string(tenant)}")
    return newline.join(lines) + newline


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string: quotes, backslashes and control characters escaped."""
    return '"' + "".join(map(_escaped, value)) + '"'


def _escaped(char: str) -> str:
    if ord(char) < 0x20 or ord(char) == 0x7F:
        return f"\\u{ord(char):04x}"
    return "\\" + char if char in '"\\' else char
