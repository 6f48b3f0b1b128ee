"""Where a key of a TOML document is written: from a path such as ``("rules", 2, "effect")`` to
the 1-based line that holds it, so that an error found in the parsed value can point at the file.

:func:`line_of` scans text that :mod:`tomllib` has already accepted, so the scanner is lenient:
it records where every table header, key and array element starts and never judges the syntax.
Paths are those of the parsed value: strings for keys, 0-based integers for the elements of an
array, ``[[array]]`` tables included.
"""

from __future__ import annotations

import bisect
import contextlib
import re
import tomllib

Path = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = frozenset(",]}#\n\r")


def line_of(text: str, path: Path) -> int | None:
    """The line where ``path`` is written in ``text``, else where its nearest written parent is.

    A key a section lacks points at its table's header; ``None`` only when not even the first
    part of ``path`` is in the document (or the text is not TOML).
    """
    positions = key_lines(text)
    for end in range(len(path), 0, -1):
        line = positions.get(path[:end])
        if line is not None:
            return line
    return None


def key_lines(text: str) -> dict[Path, int]:
    """Every path written in ``text`` (tables, keys, array elements) and the line it starts on."""
    scanner = _Scanner(text)
    with contextlib.suppress(IndexError, ValueError):  # not TOML: keep what was found so far
        scanner.document()
    return scanner.lines


class _Scanner:
    """A position in the text, and what has been found so far."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.lines: dict[Path, int] = {}
        self._table: Path = ()
        self._arrays: dict[Path, int] = {}
        self._breaks = [i for i, char in enumerate(text) if char == "\n"]

    def line(self, pos: int | None = None) -> int:
        """The 1-based line of ``pos`` (default: the current position)."""
        return bisect.bisect_left(self._breaks, self.pos if pos is None else pos) + 1

    def record(self, path: Path, pos: int) -> None:
        self.lines.setdefault(path, self.line(pos))

    def record_header(self, path: Path, pos: int) -> None:
        """A header stands for its table and for every table above it not written before."""
        for end in range(1, len(path) + 1):
            self.record(path[:end], pos)

    def peek(self, count: int = 1) -> str:
        return self.text[self.pos : self.pos + count]

    def document(self) -> None:
        while self.skip_blank(newlines=True):
            start = self.pos
            if self.peek(2) == "[[":
                self.pos += 2
                self.array_table(self.key(), start)
            elif self.peek() == "[":
                self.pos += 1
                self._table = self.resolve(self.key())
                self.record_header(self._table, start)
            else:
                self.key_value(self._table)
            self.skip_to_line_end()

    def array_table(self, key: list[str], start: int) -> None:
        table = self.resolve(key)
        index = self._arrays.get(table, 0)
        self._arrays[table] = index + 1
        self._table = (*table, index)
        self.record_header(self._table, start)

    def resolve(self, key: list[str]) -> Path:
        """The parsed path of a header's key: an ``[[array]]`` it passes through stands for its
        newest table."""
        path: Path = ()
        for i, part in enumerate(key):
            path = (*path, part)
            if i < len(key) - 1 and path in self._arrays:
                path = (*path, self._arrays[path] - 1)
        return path

    def key_value(self, table: Path) -> None:
        start = self.pos
        path = table
        for part in self.key():
            path = (*path, part)
            self.record(path, start)
        self.skip_blank()
        self.pos += 1  # '='
        self.skip_blank()
        self.value(path)

    def key(self) -> list[str]:
        """A dotted key (bare or quoted parts), leaving the position after it."""
        parts = []
        while True:
            self.skip_blank()
            if self.peek() in ('"', "'"):
                start = self.pos
                self.skip_string()
                parts.append(tomllib.loads(f"k = {self.text[start : self.pos]}")["k"])
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if match is None:
                    raise ValueError("no key")
                parts.append(match.group())
                self.pos = match.end()
            self.skip_blank()
            if self.peek() != ".":
                break
            self.pos += 1
        while self.peek() == "]":
            self.pos += 1
        return parts

    def value(self, path: Path) -> None:
        char = self.peek()
        if char == "[":
            self.array(path)
        elif char == "{":
            self.inline_table(path)
        elif char in ('"', "'"):
            self.skip_string()
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in _SCALAR_END:
                self.pos += 1

    def array(self, path: Path) -> None:
        self.pos += 1
        index = 0
        while self.skip_blank(newlines=True) and self.peek() != "]":
            if self.peek() == ",":
                self.pos += 1
                continue
            self.record((*path, index), self.pos)
            self.value((*path, index))
            index += 1
        self.pos += 1

    def inline_table(self, path: Path) -> None:
        self.pos += 1
        while self.skip_blank(newlines=True) and self.peek() != "}":
            if self.peek() == ",":
                self.pos += 1
                continue
            self.key_value(path)
        self.pos += 1

    def skip_string(self) -> None:
        quote = self.peek()
        delimiter = quote * 3 if self.peek(3) == quote * 3 else quote
        self.pos += len(delimiter)
        while not self.text.startswith(delimiter, self.pos):
            if self.pos >= len(self.text):
                raise ValueError("unterminated string")
            self.pos += 2 if quote == '"' and self.peek() == "\\" else 1
        self.pos += len(delimiter)
        while delimiter != quote and self.peek() == quote:  # """a"""" ends with a quote inside
            self.pos += 1

    def skip_blank(self, *, newlines: bool = False) -> bool:
        """Skip spaces and tabs (and newlines and comments if ``newlines``); ``False`` at the
        end of the text."""
        blank = " \t\r\n" if newlines else " \t"
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in blank:
                self.pos += 1
            elif char == "#" and newlines:
                self.skip_to_line_end()
            else:
                return True
        return False

    def skip_to_line_end(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end + 1
