"""Answers from a file or a flag: 1..5 for a known dimension, anything else refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetledger.planning.scorecard.answers import BadAnswer, check, read_answers


def test_a_toml_file_answers_dimensions_by_name_with_dashes_or_underscores(tmp_path: Path) -> None:
    """replay-depth and replay_depth are the same key."""
    path = tmp_path / "answers.toml"
    path.write_text('criticality = 4\n"replay-depth" = 2\n')

    assert read_answers(path) == {"criticality": 4, "replay_depth": 2}


def test_a_json_file_may_hold_its_answers_under_scores(tmp_path: Path) -> None:
    """{"scores": {...}} reads as the scores themselves."""
    path = tmp_path / "answers.json"
    path.write_text('{"scores": {"migration_tolerance": 5}}')

    assert read_answers(path) == {"migration_tolerance": 5}


@pytest.mark.parametrize("value", [0, 6, "x", 2.5, True])
def test_a_score_outside_one_to_five_is_refused_with_the_meaning_of_each_end(value: object) -> None:
    """The message names the dimension, the range and what 1 and 5 mean."""
    with pytest.raises(
        BadAnswer, match=r"replay_depth must be a whole number from 1 to 5.*1: Replay is rare"
    ):
        check("replay_depth", value)


def test_an_unknown_key_in_the_file_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    """A typo is named with the file and the six valid keys."""
    path = tmp_path / "answers.toml"
    path.write_text("replay_dept = 3\n")

    with pytest.raises(
        BadAnswer,
        match=r"answers.toml: unknown dimension 'replay_dept' \(known: criticality, replay_depth",
    ):
        read_answers(path)


def test_a_malformed_file_is_refused_naming_its_syntax(tmp_path: Path) -> None:
    """Broken TOML says it is not valid TOML."""
    path = tmp_path / "answers.toml"
    path.write_text("criticality = \n")

    with pytest.raises(BadAnswer, match="is not valid TOML"):
        read_answers(path)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    """No traceback-worthy OSError: a BadAnswer naming the path."""
    with pytest.raises(BadAnswer, match="cannot read answers file"):
        read_answers(tmp_path / "nope.toml")
