"""``fleetledger.toml``: the ledger a fleet uses, who its principals are, and its policies.

Found at ``--config FILE`` (the command line), else ``$FLEETLEDGER_CONFIG``, else
``./fleetledger.toml`` if there is one; a file named explicitly must exist. Relative paths in the
file (a SQLite URL, key files, the key store) are relative to the file's directory. The file is
the last resort: an explicit option, a URL option or an environment variable wins over it, one
setting at a time (:meth:`Config.ledger_url`).

Every key the file may hold is known: an unknown section or key is refused with its line, as is
anything malformed. ``[[principals]]`` and ``[[rules]]`` are parsed by their owners in
:mod:`fleetledger.governance` (the access policy), ``[[ordering]]`` is kept as parsed here
for its owner to parse through :meth:`Config.section`; either way a
:class:`~fleetledger.errors.PolicyError` points at the file's line.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from fleetledger.config.lines import line_of
from fleetledger.errors import ConfigurationError, PolicyError
from fleetledger.governance import Policy, Principal, parse_principals, parse_rules
from fleetledger.ledger import DEFAULT_URL, Ledger, parse_url
from fleetledger.ledger import open as open_ledger
from fleetledger.ledger.signing import KEY_ENV

CONFIG_ENV = "FLEETLEDGER_CONFIG"
CONFIG_NAME = "fleetledger.toml"
URL_ENV = "FLEETLEDGER_URL"
SECTIONS = ("ledger", "principals", "rules", "ordering", "keys")
LEDGER_KEYS = ("url", "namespace", "signing_key", "verifier_key")
KEYS_KEYS = ("store",)

T = TypeVar("T")


@dataclass(frozen=True)
class Config:
    """What a ``fleetledger.toml`` says; empty (``file`` is ``None``) when there is none.

    ``access`` is the access policy of the ``[[rules]]`` (None: no rules, no policy: the
    ledger stays open); ``ordering`` the raw ``[[ordering]]`` tables, to be parsed with
    :meth:`section`.
    """

    file: Path | None = None
    text: str = ""
    url: str | None = None
    namespace: str | None = None
    signing_key: Path | None = None
    verifier_key: Path | None = None
    principals: tuple[Principal, ...] = ()
    access: Policy | None = None
    ordering: list[dict[str, Any]] = field(default_factory=list)
    key_store: Path | None = None

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Config:
        """The configuration at ``path``, else ``$FLEETLEDGER_CONFIG``, else
        ``./fleetledger.toml``, else an empty one."""
        found = find_config(path)
        return cls() if found is None else read_config(found)

    def ledger_url(self, url: str | None = None) -> str:
        """The URL to open: ``url``, else ``$FLEETLEDGER_URL``, else the file's, else the default;
        the file's namespace and signing key are added as URL options (``namespace``, ``key``)
        unless the URL has them or ``$FLEETLEDGER_KEY`` names a key."""
        chosen = url or os.environ.get(URL_ENV) or self.url or DEFAULT_URL
        options = parse_url(chosen).options
        added: dict[str, str] = {}
        if self.namespace is not None and "namespace" not in options:
            added["namespace"] = self.namespace
        if self.signing_key is not None and "key" not in options and not os.environ.get(KEY_ENV):
            added["key"] = str(self.signing_key)
        if not added:
            return chosen
        query = urlencode(added, quote_via=quote, safe="/")
        return f"{chosen}{'&' if '?' in chosen else '?'}{query}"

    def principal(self, principal_id: str) -> Principal:
        """The configured principal ``principal_id``, as the identity a ledger stamps."""
        for configured in self.principals:
            if configured.id == principal_id:
                return configured
        raise ConfigurationError(f"no principal {principal_id!r} in {self.file or 'the config'}")

    def open(self, *, principal: str | Principal | None = None, **options: Any) -> Ledger:
        """Open the ledger the file describes (see :meth:`ledger_url`), as ``principal`` (a
        configured principal's id, or a :class:`~fleetledger.Principal`).

        ``options`` are those of :func:`fleetledger.open` and win over the file; ``url``
        replaces the file's URL. The file's access policy applies unless ``access`` is given.
        """
        if isinstance(principal, str):
            principal = self.principal(principal)
        url = self.ledger_url(options.pop("url", None))
        options.setdefault("access", self.access)
        return open_ledger(url, principal=principal, **options)

    def section(self, name: str, parse: Callable[[Any], T]) -> T:
        """``parse`` the raw section ``name`` (``rules``, ``ordering``); a
        :class:`PolicyError` it raises is raised again naming the file and line."""
        try:
            return parse(getattr(self, name))
        except PolicyError as exc:
            raise self.locate(exc) from None

    def locate(self, error: PolicyError) -> PolicyError:
        """``error`` with its message prefixed by ``FILE:LINE:`` (from its ``path``)."""
        line = line_of(self.text, error.path) if error.path else None
        where = f"{self.file or CONFIG_NAME}" + ("" if line is None else f":{line}")
        return PolicyError(f"{where}: {error}", path=error.path)


def find_config(path: str | os.PathLike[str] | None = None) -> Path | None:
    """Which file to read: ``path``, else ``$FLEETLEDGER_CONFIG``, else ``./fleetledger.toml``
    when it exists (else ``None``). A file named explicitly must exist."""
    for named, how in ((path, "--config"), (os.environ.get(CONFIG_ENV), f"${CONFIG_ENV}")):
        if named:
            if not Path(named).is_file():
                raise ConfigurationError(f"no configuration file {named} (named by {how})")
            return Path(named)
    implicit = Path(CONFIG_NAME)
    return implicit if implicit.is_file() else None


def read_config(path: str | os.PathLike[str]) -> Config:
    """Read and check the configuration file at ``path``."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise ConfigurationError(f"{path}: not a TOML file (it is not UTF-8 text)") from None
    return parse_config(text, Path(path))


_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)$")


def parse_config(text: str, file: Path) -> Config:
    """Check ``text``, the configuration file ``file`` holds, and return what it says."""
    shell = Config(file=file, text=text)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _AT_LINE.search(str(exc))
        where = f"{file}:{match.group(1)}" if match else str(file)
        message = _AT_LINE.sub("", str(exc))
        raise PolicyError(f"{where}: not valid TOML: {message}") from None
    try:
        return _parse(document, shell, file.absolute().parent)
    except PolicyError as exc:
        raise shell.locate(exc) from None


def _parse(document: dict[str, Any], shell: Config, base: Path) -> Config:
    _known(document, SECTIONS, ())
    ledger = _table(document, "ledger", LEDGER_KEYS)
    keys = _table(document, "keys", KEYS_KEYS)
    return Config(
        file=shell.file,
        text=shell.text,
        url=_url(ledger, base),
        namespace=_string(ledger, ("ledger", "namespace")),
        signing_key=_file(ledger, ("ledger", "signing_key"), base),
        verifier_key=_file(ledger, ("ledger", "verifier_key"), base),
        principals=parse_principals(document.get("principals", [])),
        access=_access(document),
        ordering=_tables(document.get("ordering", []), ("ordering",)),
        key_store=_file(keys, ("keys", "store"), base),
    )


def _known(table: Mapping[str, Any], known: tuple[str, ...], path: tuple[str | int, ...]) -> None:
    """Refuse a key of ``table`` (at ``path``) that is not ``known``."""
    for key in table:
        if key not in known:
            what = f"key {key!r} in {_label(path)}" if path else f"section {key!r}"
            raise PolicyError(f"unknown {what} (known: {', '.join(known)})", path=(*path, key))


def _label(path: tuple[str | int, ...]) -> str:
    """How the file spells the table at ``path``: ``[ledger]``, ``[[principals]] #2``."""
    if len(path) == 2 and isinstance(path[1], int):
        return f"[[{path[0]}]] #{path[1] + 1}"
    return f"[{path[0]}]"


def _table(document: dict[str, Any], name: str, known: tuple[str, ...]) -> dict[str, Any]:
    table = document.get(name, {})
    if not isinstance(table, dict):
        raise PolicyError(f"[{name}] must be a table", path=(name,))
    _known(table, known, (name,))
    return table


def _string(table: Mapping[str, Any], path: tuple[str, str]) -> str | None:
    value = table.get(path[-1])
    if value is not None and (not isinstance(value, str) or not value):
        raise PolicyError(f"{'.'.join(path)} must be a non-empty string", path=path)
    return value


def _file(table: Mapping[str, Any], path: tuple[str, str], base: Path) -> Path | None:
    value = _string(table, path)
    return None if value is None else base / Path(value).expanduser()


def _url(ledger: Mapping[str, Any], base: Path) -> str | None:
    url = _string(ledger, ("ledger", "url"))
    if url is None:
        return None
    try:
        parsed = parse_url(url)
    except ConfigurationError as exc:
        raise PolicyError(str(exc), path=("ledger", "url")) from None
    if parsed.scheme != "sqlite" or parsed.location == ":memory:":
        return url
    location = base / parsed.location
    return url.replace(f"sqlite:///{parsed.location}", f"sqlite:///{location}", 1)


def _tables(value: object, path: tuple[str | int, ...]) -> list[dict[str, Any]]:
    """``value`` as a list of tables (``[[section]]``)."""
    if not isinstance(value, list):
        raise PolicyError(f"{path[0]} must be a list of tables ([[{path[0]}]])", path=path)
    for i, table in enumerate(value):
        if not isinstance(table, dict):
            raise PolicyError(f"{path[0]} #{i + 1} must be a table", path=(*path, i))
    return value


def _access(document: Mapping[str, Any]) -> Policy | None:
    """The access policy of the ``[[rules]]``; None when the file has none."""
    if "rules" not in document:
        return None
    return Policy(parse_rules(document["rules"]))
