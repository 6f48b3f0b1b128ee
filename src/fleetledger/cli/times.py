"""Times on the command line: RFC 3339 with a zone, or a duration ago (``30m``, ``2d``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from fleetledger.cli.exits import InputError

_AGO = re.compile(r"([0-9]{1,9})(ms|s|m|h|d|w)")
_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
FORMS = "an RFC 3339 time with a zone (2025-01-31T12:00:00Z) or a duration ago (30m, 1h, 2d)"

Since = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Only events recorded at or after TIME: RFC 3339 with a zone, or ago: 30m, 1h, 2d.",
        metavar="TIME",
        show_default=False,
    ),
]
Until = Annotated[
    str | None,
    typer.Option(
        "--until",
        help="Only events recorded before TIME: RFC 3339 with a zone, or ago: 30m, 1h, 2d.",
        metavar="TIME",
        show_default=False,
    ),
]


def moment(text: str, option: str, *, now: datetime | None = None) -> datetime:
    """The aware datetime ``text`` names: RFC 3339 with a zone, or that long before ``now``.

    A time without a zone is refused (:class:`InputError`): the ledger cannot guess it.
    """
    ago = _AGO.fullmatch(text.strip())
    if ago is not None:
        return (now or datetime.now(UTC)) - int(ago[1]) * _UNITS[ago[2]]
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{option} {text!r} is not {FORMS}") from None
    if parsed.tzinfo is None:
        raise InputError(
            f"{option} {text!r} has no timezone: add Z (UTC) or an offset such as +02:00"
        )
    return parsed


def optional_moment(text: str | None, option: str) -> datetime | None:
    """:func:`moment`, or ``None`` when the option was not given."""
    return None if text is None else moment(text, option)


AHEAD = "an RFC 3339 time with a zone (2026-01-31T12:00:00Z) or a duration from now (30d, 12h)"


def ahead(text: str, option: str, *, now: datetime | None = None) -> datetime:
    """The aware datetime ``text`` names: RFC 3339 with a zone, or that long after ``now``."""
    later = _AGO.fullmatch(text.strip())
    if later is not None:
        return (now or datetime.now(UTC)) + int(later[1]) * _UNITS[later[2]]
    try:
        return moment(text, option)
    except InputError:
        raise InputError(f"{option} {text!r} is not {AHEAD}") from None
