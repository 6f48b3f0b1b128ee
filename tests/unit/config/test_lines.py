"""line_of: a path in a parsed TOML document leads to the line it is written on, whatever the
TOML spelling (array tables, inline tables, dotted and quoted keys, multi-line values)."""

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetledger.config import key_lines, line_of

POLICY = """\
# fleetledger.toml
[ledger]
url = "sqlite:///fleet.db"   # a comment with a = sign
namespace = 'prod'

[[rules]]
effect = "allow"
actions = ["append", "read"]

[[rules]]
effct = "deny"
families = [
  "task",   # the tasks
  "tool*",
]

[[ordering]]
name = "payments need an approval"
when = { type = "tool.call.started", "data.tool" = "payments.*" }
join = ["subject", "data.call_id"]
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("ledger",), 2),
        (("ledger", "url"), 3),
        (("ledger", "namespace"), 4),
        (("rules", 0), 6),
        (("rules", 0, "effect"), 7),
        (("rules", 1), 10),
        (("rules", 1, "effct"), 11),
        (("rules", 1, "families"), 12),
        (("rules", 1, "families", 0), 13),
        (("rules", 1, "families", 1), 14),
        (("ordering", 0, "when", "data.tool"), 19),
        (("ordering", 0, "join", 1), 20),
    ],
)
def test_a_written_path_leads_to_its_line(path: tuple[str | int, ...], line: int) -> None:
    """Tables, keys and array elements each point at the line they start on."""
    assert line_of(POLICY, path) == line


def test_a_missing_key_points_at_its_table() -> None:
    """A key a rule lacks (an error about something absent) points at the rule's header."""
    assert line_of(POLICY, ("rules", 1, "actions")) == 10


def test_an_element_past_the_end_points_at_its_array() -> None:
    """An index the array does not have falls back to the array's key."""
    assert line_of(POLICY, ("rules", 0, "actions", 7)) == 8


def test_a_path_the_document_does_not_start_with_has_no_line() -> None:
    """Nothing to point at: None, not a made-up line."""
    assert line_of(POLICY, ("tokens", 0)) is None
    assert line_of(POLICY, ()) is None


def test_the_third_array_table_is_index_2() -> None:
    """[[rules]] tables are counted from 0, as in the parsed list."""
    text = "[[rules]]\na = 1\n[[rules]]\na = 2\n[[rules]]\neffct = 3\n"

    assert line_of(text, ("rules", 2, "effct")) == 6


def test_nested_array_tables_count_within_their_parent() -> None:
    """[[a.b]] under the second [[a]] is ("a", 1, "b", 0), as tomllib parses it."""
    text = "[[a]]\n[[a.b]]\nx = 1\n[[a]]\n[[a.b]]\nx = 2\n[a.c]\ny = 3\n"
    assert tomllib.loads(text)["a"][1]["b"][0]["x"] == 2

    assert line_of(text, ("a", 1, "b", 0, "x")) == 6
    assert line_of(text, ("a", 1, "c", "y")) == 8


def test_dotted_and_quoted_keys_are_split_as_tomllib_splits_them() -> None:
    """site."google.com".port is three keys; the quoted middle one keeps its dot."""
    text = "[server]\nsite . \"google.com\".port = 1\n'lit.eral' = 2\n"

    assert line_of(text, ("server", "site", "google.com", "port")) == 2
    assert line_of(text, ("server", "site")) == 2
    assert line_of(text, ("server", "lit.eral")) == 3


def test_a_header_stands_for_the_tables_above_it() -> None:
    """[a.b.c] defines a and a.b implicitly: they point at that header."""
    text = "\n\n[a.b.c]\nx = 1\n"

    assert line_of(text, ("a",)) == 3
    assert line_of(text, ("a", "b", "x")) == 3


def test_nested_inline_tables_and_arrays_of_tables_are_followed() -> None:
    """Keys inside inline tables inside arrays (spanning lines) each find their line."""
    text = (
        "rules = [\n"
        "  { effect = 'allow' },\n"
        "  { effct = 'deny', x = { y = [\n"
        "    1, {z = 2}] } },\n"
        "]\n"
    )
    assert tomllib.loads(text)["rules"][1]["x"]["y"][1]["z"] == 2

    assert line_of(text, ("rules", 1, "effct")) == 3
    assert line_of(text, ("rules", 1, "x", "y", 1, "z")) == 4


def test_strings_that_look_like_syntax_do_not_mislead_the_scanner() -> None:
    """Brackets, quotes, # and = inside strings (multi-line ones too) are only text."""
    text = (
        'a = "[[rules]] # x = \\" ]"\n'
        "b = '''\n[[rules]]\nid = 1'''\n"
        'c = """ ""\\"""" \n'
        "d = 'it''s'\n".replace("it''s", "its")
        + "e = 1\n"
    )
    assert tomllib.loads(text)["e"] == 1

    assert line_of(text, ("e",)) == 7
    assert line_of(text, ("rules",)) is None


def test_crlf_line_endings_count_lines_the_same() -> None:
    """A file written on Windows has the same line numbers."""
    text = POLICY.replace("\n", "\r\n")

    assert line_of(text, ("rules", 1, "effct")) == 11


def test_text_that_is_not_toml_gives_what_was_found_before_the_fault() -> None:
    """The scanner never raises on text tomllib refuses: what came before still has lines."""
    assert key_lines('a = 1\nb = "unterminated\nc = 2\n') == {("a",): 1, ("b",): 2}
    assert key_lines("= = =\n") == {}


KEYS = st.text(alphabet="abc_-", min_size=1, max_size=4)
VALUES = st.integers() | st.text(alphabet='ab #=[]{}."', max_size=6).map(lambda v: f"'{v}'")


@given(st.lists(st.tuples(KEYS, st.dictionaries(KEYS, VALUES, max_size=3)), max_size=5))
def test_every_key_of_generated_array_tables_is_found_on_its_line(
    tables: list[tuple[str, dict[str, int | str]]],
) -> None:
    """Whatever the tables, keys and values, each key maps to the line it was written on."""
    lines: list[str] = []
    expected: dict[tuple[str | int, ...], int] = {}
    counts: dict[str, int] = {}
    for name, table in tables:
        index = counts.get(name, 0)
        counts[name] = index + 1
        lines.append(f"[[x.{name}]]")
        for key, value in table.items():
            lines.append(f'"{key}" = {value}')
            expected[("x", name, index, key)] = len(lines)
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # the generated text is TOML

    for path, line in expected.items():
        assert line_of(text, path) == line
