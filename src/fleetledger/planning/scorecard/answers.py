"""Answers to the scorecard: from flags, from a TOML or JSON file, checked before use.

An answer is an integer from 1 to 5 for one of the six dimensions. Anything else (0, 6, "x",
a key that names no dimension) is refused with :class:`BadAnswer`, whose message says what
would have been accepted, so the command line can turn it into one actionable line.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path

from fleetledger.planning.scorecard.dimensions import BY_KEY, HIGHEST, LOWEST


class BadAnswer(ValueError):
    """An answer the scorecard cannot use; the message names it and what is accepted."""


KNOWN = ", ".join(BY_KEY)


def check(key: str, value: object, where: str = "") -> int:
    """``value`` as a score of dimension ``key`` (1..5), or :class:`BadAnswer`."""
    at = f"{where}: " if where else ""
    name = key.replace("-", "_")
    if name not in BY_KEY:
        raise BadAnswer(f"{at}unknown dimension {key!r} (known: {KNOWN})")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not LOWEST <= value <= HIGHEST:
        raise BadAnswer(
            f"{at}{name} must be a whole number from {LOWEST} to {HIGHEST}, not {value!r}"
            f" ({LOWEST}: {BY_KEY[name].one}; {HIGHEST}: {BY_KEY[name].five})"
        )
    return value


def checked(answers: Mapping[str, object], where: str = "") -> dict[str, int]:
    """Every answer of ``answers`` checked, keyed by dimension (dashes read as underscores)."""
    return {key.replace("-", "_"): check(key, value, where) for key, value in answers.items()}


def read_answers(path: Path) -> dict[str, int]:
    """The answers in a TOML file (``replay_depth = 4``) or, for a ``.json`` name, a JSON
    object; a ``[scores]`` table (``"scores"`` object) may hold them instead."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadAnswer(f"cannot read answers file {path}: {exc.strerror or exc}") from exc
    parsed = _parse(text, path)
    scores = parsed.get("scores", parsed)
    if not isinstance(scores, dict):
        raise BadAnswer(f"{path}: 'scores' must be a table of dimension = score")
    return checked(scores, str(path))


def _parse(text: str, path: Path) -> dict[str, object]:
    """The file's top-level table; :class:`BadAnswer` naming the syntax error."""
    try:
        parsed = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
        raise BadAnswer(f"{path} is not valid {kind}: {exc}") from exc
    if not isinstance(parsed, dict):
        raise BadAnswer(f"{path}: expected an object of dimension: score")
    return parsed
