"""An export's progress: its JSON form, and the keys it names partitions by."""

import pyarrow as pa
import pytest

from fleetledger.errors import ContractError
from fleetledger.lake.progress import Batch, Progress, place, split_place


def test_progress_read_back_from_its_json_is_the_same() -> None:
    """leaves, offsets, notes, dead letters survive the round trip."""
    progress = Progress({"fleet.tool/0": 7}, {"fleet.tool/0": 9}, 3, 1)
    assert Progress.from_json(progress.to_json()) == progress


def test_an_empty_object_is_an_export_that_has_taken_nothing() -> None:
    """A new export's progress."""
    assert Progress.from_json({}) == Progress()


@pytest.mark.parametrize("value", [[], {"leaves": {"a/0": "x"}}, {"leaves": 3}])
def test_malformed_progress_is_a_contract_error(value: object) -> None:
    """Not an object, a count that is no number, leaves that are not a mapping."""
    with pytest.raises(ContractError):
        Progress.from_json(value)


def test_a_copy_is_independent() -> None:
    """Changing the copy leaves the original as it was."""
    progress = Progress({"t/0": 1})
    copy = progress.copy()
    copy.leaves["t/0"] = 2
    assert progress.leaves == {"t/0": 1}


def test_a_place_splits_back_into_topic_and_partition() -> None:
    """Topics hold dots, never slashes; the partition is after the last slash."""
    assert split_place(place("fleet.tool", 12)) == ("fleet.tool", 12)


@pytest.mark.parametrize("key", ["fleet.tool", "fleet.tool/x", "/3"])
def test_a_key_that_names_no_partition_is_a_contract_error(key: str) -> None:
    """No slash, no number, no topic."""
    with pytest.raises(ContractError):
        split_place(key)


def test_a_batch_counts_its_rows_across_families() -> None:
    """Rows of every table of every family."""
    one = pa.table({"x": [1, 2]})
    batch = Batch({"a": [one, one], "b": [one]}, [], [], Progress())
    assert (batch.rows, batch.empty) == (6, False)


def test_a_batch_with_no_rows_notes_or_dead_letters_is_empty() -> None:
    """An empty batch is never committed."""
    assert Batch({}, [], [], Progress()).empty
