"""Ledger URLs: the one string that says which backend holds a ledger and how.

``sqlite:///relative.db`` and ``sqlite:////absolute/path.db`` (the SQLAlchemy convention),
``memory://``, and (with the ``kafka`` extra) ``kafka://host:9092,host2:9092``. Query parameters
set options: ``namespace``, ``synchronous`` (SQLite), ``max_event_bytes``, and for signed
checkpoints (SQLite) ``key`` (a ``NAME.key`` file), ``checkpoint_events``, ``checkpoint_seconds``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from fleetledger.errors import ConfigurationError

DEFAULT_URL = "sqlite:///./fleetledger.db"
URL_ENV = "FLEETLEDGER_URL"
SCHEMES = ("sqlite", "memory", "kafka")


@dataclass(frozen=True)
class LedgerURL:
    """A parsed ledger URL."""

    scheme: str
    location: str
    options: dict[str, str] = field(default_factory=dict)

    def option(self, name: str, default: str) -> str:
        """A query option, or ``default``."""
        return self.options.get(name, default)


def default_url() -> str:
    """``$FLEETLEDGER_URL``, else the embedded ``./fleetledger.db``."""
    return os.environ.get(URL_ENV) or DEFAULT_URL


def parse_url(url: str) -> LedgerURL:
    """Split a ledger URL; raise :class:`ConfigurationError` saying what a valid one looks like."""
    if not isinstance(url, str) or "://" not in url:
        raise ConfigurationError(
            f"not a ledger URL: {url!r}; use sqlite:///path/to/ledger.db, memory:// "
            "or kafka://host:9092",
        )
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ConfigurationError(
            f"unsupported ledger URL scheme {parts.scheme!r} in {url!r}; "
            f"use one of: {', '.join(s + '://' for s in SCHEMES)}",
        )
    try:
        options = dict(
            parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        )
    except ValueError:
        raise ConfigurationError(f"malformed options {parts.query!r} in {url!r}") from None
    if scheme == "sqlite":
        if parts.netloc:
            raise ConfigurationError(
                f"{url!r}: a SQLite URL has three slashes then the path: sqlite:///ledger.db "
                "(relative) or sqlite:////var/lib/ledger.db (absolute)",
            )
        location = parts.path[1:] if parts.path.startswith("/") else parts.path
        if not location:
            raise ConfigurationError(f"{url!r} names no file: sqlite:///path/to/ledger.db")
    else:
        location = parts.netloc + parts.path
    return LedgerURL(scheme, location, options)


_SECRET_OPTIONS = re.compile(r"((?:password|secret|token|key)[^=&]*=)[^&]*", re.IGNORECASE)


def redact(url: str) -> str:
    """The URL with passwords, secrets, tokens and keys in its options or userinfo masked."""
    masked = _SECRET_OPTIONS.sub(r"\1***", url)
    return re.sub(r"://([^:/@]+):[^@/]*@", r"://\1:***@", masked)
