"""``evidence``, ``verify-bundle`` and ``prove --consistency`` / ``--heads`` on a real ledger."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import fleetledger
from fleetledger.cli.app import app
from fleetledger.ledger.signing import write_key_pair

Run = Callable[..., Result]


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    """The ledger's key pair."""
    return write_key_pair("ledger.example/acme", tmp_path)


@pytest.fixture
def signed(url: str, keys: tuple[Path, Path]) -> str:
    """Two tasks' events, a head signed every two events, the ledger closed; its URL."""
    with fleetledger.open(
        f"{url}?checkpoint_events=2", signer=keys[0], default_source="tests"
    ) as ledger:
        for n in range(3):
            for task in ("task-1", "task-2"):
                ledger.append("task.requested", subject=task, data={"goal": f"g{n}"})
    return url


@pytest.fixture
def bundle(signed: str, run: Run, tmp_path: Path, keys: tuple[Path, Path]) -> Path:
    """The evidence bundle of task-1, written by the command with the public key."""
    path = tmp_path / "bundle.json"
    result = run("evidence", "task-1", "-o", str(path), "--key", str(keys[1]))
    assert result.exit_code == 0, result.output
    return path


def verify_bundle(*args: str) -> Result:
    """Run verify-bundle: it works on a file, with no ledger."""
    return CliRunner(env={"COLUMNS": "200"}).invoke(app, ["verify-bundle", *args])


def edit(path: Path, change: Callable[[dict[str, object]], None]) -> None:
    """Change the bundle file's JSON in place, as a tamperer would."""
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def no_traceback(result: Result) -> bool:
    """The command ended with an exit code, not an exception."""
    return isinstance(result.exception, SystemExit) and "Traceback" not in result.output


def test_evidence_writes_a_bundle_that_verify_bundle_accepts(
    bundle: Path, keys: tuple[Path, Path]
) -> None:
    """The bundle verifies offline with the public key: exit 0 and an ok line."""
    result = verify_bundle(str(bundle), "--key", str(keys[1]))

    assert result.exit_code == 0, result.output
    assert "ok: 3 events of task-1" in result.stdout
    assert "signed by ledger.example/acme+" in result.stdout


def test_evidence_json_names_the_file_and_what_it_holds(
    signed: str, run: Run, tmp_path: Path
) -> None:
    """--json prints the bundle's path, task, event and partition counts."""
    path = tmp_path / "b.json"

    result = run("evidence", "task-2", "-o", str(path), "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["bundle"], summary["task"], summary["events"]) == (str(path), "task-2", 3)


def test_evidence_writes_to_evidence_task_json_by_default(
    signed: str, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without -o the bundle is evidence-<task>.json in the working directory."""
    monkeypatch.chdir(tmp_path)

    result = run("evidence", "task-1")

    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "evidence-task-1.json").read_text())["task"] == "task-1"


def test_evidence_of_an_unknown_task_exits_2(signed: str, run: Run, tmp_path: Path) -> None:
    """No events of the task: an input error naming it, and no file written."""
    result = run("evidence", "task-9", "-o", str(tmp_path / "b.json"))

    assert result.exit_code == 2
    assert "no events of task 'task-9'" in result.stderr
    assert not (tmp_path / "b.json").exists()


def test_evidence_before_any_signed_head_says_how_to_get_one(
    url: str, run: Run, tmp_path: Path
) -> None:
    """An unsigned ledger has nothing to prove against: exit 2, saying how heads are signed."""
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append("task.requested", subject="task-1", data={"goal": "g"})

    result = run("evidence", "task-1", "-o", str(tmp_path / "b.json"))

    assert result.exit_code == 2
    assert "no signed ledger head yet" in result.stderr
    assert no_traceback(result)


def test_verify_bundle_without_a_key_says_it_proves_integrity_not_the_signer(
    bundle: Path,
) -> None:
    """The bundle's own key checks it (exit 0), with a note on what that does not prove."""
    result = verify_bundle(str(bundle))

    assert result.exit_code == 0, result.output
    assert "not who signed it" in result.stdout


def test_a_bundle_collected_without_a_key_needs_one_to_verify(
    signed: str, run: Run, tmp_path: Path
) -> None:
    """Collected with no key known, the bundle carries none: verify-bundle asks for --key."""
    path = tmp_path / "keyless.json"
    run("evidence", "task-1", "-o", str(path))

    result = verify_bundle(str(path))

    assert result.exit_code == 1
    assert "no-key" in result.stdout


def test_verify_bundle_with_another_key_exits_1(bundle: Path, tmp_path: Path) -> None:
    """A key other than the one that signed is an other-key and a bad-signature finding."""
    _, stranger = write_key_pair("ledger.example/stranger", tmp_path)

    result = verify_bundle(str(bundle), "--key", str(stranger))

    assert result.exit_code == 1
    assert "other-key" in result.stdout
    assert "bad-signature" in result.stdout


def test_verify_bundle_finds_a_changed_body(bundle: Path, keys: tuple[Path, Path]) -> None:
    """A body swapped for another event's bytes: exit 1, one line naming the event."""

    def swap(document: dict[str, object]) -> None:
        events = document["events"]
        assert isinstance(events, list)
        events[0]["body"] = events[1]["body"]

    edit(bundle, swap)

    result = verify_bundle(str(bundle), "--key", str(keys[1]))

    assert result.exit_code == 1
    assert "not-included event #0:" in result.stdout
    assert "FAILED" in result.stdout


def test_verify_bundle_json_lists_each_finding(bundle: Path, keys: tuple[Path, Path]) -> None:
    """--json prints ok false and the findings with kind, event and detail."""
    edit(bundle, lambda document: document.update(task="task-2"))

    result = verify_bundle(str(bundle), "--key", str(keys[1]), "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert {(f["kind"], f["event"]) for f in report["findings"]} == {
        ("foreign-subject", 0),
        ("foreign-subject", 1),
        ("foreign-subject", 2),
    }


def test_verify_bundle_of_a_malformed_file_exits_2(tmp_path: Path) -> None:
    """A file that is not a bundle is an input error, one red line, no traceback."""
    path = tmp_path / "nonsense.json"
    path.write_text('{"format": "fleetledger-evidence", "version": 1, "task": 7}')

    result = verify_bundle(str(path))

    assert result.exit_code == 2
    assert "nonsense.json" in result.stderr
    assert no_traceback(result)


def test_verify_bundle_of_a_missing_file_exits_2(tmp_path: Path) -> None:
    """An unreadable path is an input error."""
    result = verify_bundle(str(tmp_path / "nowhere.json"))

    assert result.exit_code == 2
    assert "cannot read" in result.stderr


def test_prove_heads_lists_the_stored_heads_by_number(signed: str, run: Run) -> None:
    """--heads --json lists each head's number, total leaves and partitions, oldest first."""
    result = run("prove", "--heads", "--json")

    assert result.exit_code == 0, result.output
    heads = json.loads(result.stdout)
    assert [h["size"] for h in heads] == [2, 4, 6]
    assert [h["number"] for h in heads] == [1, 2, 3]


def test_prove_consistency_between_two_head_numbers(
    signed: str, run: Run, keys: tuple[Path, Path]
) -> None:
    """The first head to 'latest': exit 0, the documented JSON, one entry per old partition."""
    first = json.loads(run("prove", "--heads", "--json").stdout)[0]["number"]

    result = run("prove", "--consistency", str(first), "latest", "--key", str(keys[1]), "--json")

    assert result.exit_code == 0, result.output
    proof = json.loads(result.stdout)
    assert proof["format"] == "fleetledger-consistency"
    assert len(proof["partitions"]) == first_partitions(proof["old_head"])


def first_partitions(head: str) -> int:
    """How many partition lines a head note has."""
    return len(head.split("\n\n", maxsplit=1)[0].splitlines()) - 1


def test_prove_consistency_from_a_bundles_head_to_latest(
    bundle: Path, run: Run, keys: tuple[Path, Path]
) -> None:
    """A bundle file can name the old head; the text output says the new head extends it."""
    result = run("prove", "--consistency", str(bundle), "latest", "--key", str(keys[1]))

    assert result.exit_code == 0, result.output
    assert f"extends the head in {bundle}" in result.stdout


def test_prove_consistency_backwards_exits_1_with_the_finding(signed: str, run: Run) -> None:
    """The newest head to the first: it does not extend it, exit 1 naming both."""
    first = json.loads(run("prove", "--heads", "--json").stdout)[0]["number"]

    result = run("prove", "--consistency", "latest", str(first))

    assert result.exit_code == 1
    assert "does not extend ledger head #" in result.stderr
    assert no_traceback(result)


def test_prove_consistency_from_a_file_without_a_head_exits_2(
    signed: str, run: Run, tmp_path: Path
) -> None:
    """A file that holds no signed head is an input error naming the file."""
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n")

    result = run("prove", "--consistency", str(path), "latest")

    assert result.exit_code == 2
    assert "holds no signed ledger head" in result.stderr


@pytest.mark.parametrize(
    "content",
    [b"[" * 100_000, b'{"head": "\\ud800"}', b'{"head": 5}', b"\xff\xfe"],
    ids=["deeply-nested", "lone-surrogate", "head-not-text", "not-utf-8"],
)
def test_prove_consistency_from_a_malformed_head_file_exits_2(
    signed: str, run: Run, tmp_path: Path, content: bytes
) -> None:
    """Whatever the file holds, a file that is no head is an input error, never a traceback."""
    path = tmp_path / "head.json"
    path.write_bytes(content)

    result = run("prove", "--consistency", str(path), "latest")

    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_prove_an_unknown_head_number_exits_2(signed: str, run: Run) -> None:
    """A head number the ledger does not hold is an input error pointing at --heads."""
    result = run("prove", "--consistency", "999", "latest")

    assert result.exit_code == 2
    assert "prove --heads" in result.stderr


def test_prove_without_an_event_or_a_mode_exits_2(signed: str, run: Run) -> None:
    """prove needs exactly one of EVENT_ID, --consistency, --heads."""
    result = run("prove")

    assert result.exit_code == 2
    assert "give one of" in result.stderr
