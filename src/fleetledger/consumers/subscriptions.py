"""Which handler a runner calls for which event: by family and CloudEvents type glob."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from fleetledger.errors import ConfigurationError
from fleetledger.events.envelope import Event

Handler = Callable[[Event], object]
"""Called with each matching event; a return is success, an exception a failure to retry."""


def handler_name(handler: Handler) -> str:
    """``module:qualname`` of a handler: how dead letters and metrics name it, and how the CLI
    finds it again."""
    module = getattr(handler, "__module__", None) or "?"
    qualname = getattr(handler, "__qualname__", None) or type(handler).__qualname__
    return f"{module}:{qualname}"


@dataclass(frozen=True)
class Subscription:
    """A handler, the families it wants (``None``: all) and its type globs (``task.*``)."""

    handler: Handler
    families: frozenset[str] | None
    types: tuple[str, ...]
    name: str

    @classmethod
    def of(
        cls,
        handler: Handler,
        families: Iterable[str] | None = None,
        types: Iterable[str] = ("*",),
    ) -> Subscription:
        """A subscription, checked: a callable, and at least one type glob."""
        if not callable(handler):
            raise ConfigurationError(f"a handler must be callable, not {handler!r}")
        if isinstance(families, str) or isinstance(types, str):
            raise ConfigurationError("families and types are lists of names, not one string")
        globs = tuple(types)
        if not globs:
            raise ConfigurationError("a subscription needs at least one type pattern ('*': all)")
        wanted = None if families is None else frozenset(families)
        return cls(handler, wanted, globs, handler_name(handler))

    def matches(self, family: str, type: str) -> bool:
        """Whether an event of ``family`` and ``type`` goes to this handler."""
        if self.families is not None and family not in self.families:
            return False
        return any(fnmatchcase(type, glob) for glob in self.types)
