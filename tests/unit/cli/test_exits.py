"""One exit-code convention: every error a user can act on, and Ctrl-C, map to one code."""

import os
import signal

import pytest
import typer

from fleetledger import (
    AccessDenied,
    BackendError,
    Backpressure,
    ConfigurationError,
    ContractError,
    IdConflict,
    IntegrityError,
    LedgerClosed,
    MissingExtra,
    NotFound,
    ReadOnlyLedger,
)
from fleetledger.cli.exits import (
    CheckFailed,
    InputError,
    Interrupted,
    committed,
    exit_code,
    fail,
    guarded,
    holding_interrupts,
)
from fleetledger.errors import InvalidKey


class PolicyViolation(AccessDenied):
    """Stands for the refusals a later issue adds below AccessDenied."""


CODES = {
    "a failed check": (CheckFailed("differs"), 1),
    "an integrity failure": (IntegrityError("tampered"), 1),
    "a contract error": (ContractError("bad data"), 2),
    "an id conflict": (IdConflict("e-1", "fleet.task/0@0"), 2),
    "a configuration error": (ConfigurationError("bad URL"), 2),
    "an invalid key": (InvalidKey("x.key holds a public key"), 2),
    "a missing extra": (MissingExtra("kafka", "confluent_kafka"), 2),
    "something not found": (NotFound("no event"), 2),
    "the CLI's own input error": (InputError("unreadable"), 2),
    "a backend error": (BackendError("broker down"), 3),
    "a read-only ledger": (ReadOnlyLedger("cannot write"), 3),
    "backpressure": (Backpressure("busy", retry_after=1.0), 3),
    "a closed ledger": (LedgerClosed("closed"), 3),
    "access denied": (AccessDenied("no"), 4),
    "a subclass of access denied": (PolicyViolation("rule r1"), 4),
    "an interrupt": (Interrupted("nothing was written"), 130),
}


@pytest.mark.parametrize("case", CODES.values(), ids=CODES.keys())
def test_each_error_maps_to_its_exit_code(case: tuple[Exception, int]) -> None:
    """0 ok, 1 check failed, 2 usage or input, 3 backend or environment, 4 policy, 130 Ctrl-C."""
    error, code = case

    assert exit_code(error) == code


def test_fail_prints_one_line_even_for_a_multiline_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A message with newlines and markup-like brackets prints as one literal line."""
    with pytest.raises(typer.Exit) as exited:
        fail(ContractError("first\nsecond [bold]x[/bold]"))

    assert exited.value.exit_code == 2
    assert capsys.readouterr().err == "error: first second [bold]x[/bold]\n"


def test_fail_escapes_control_and_bidi_characters_in_the_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An error naming ledger content cannot send escape sequences or bidi overrides."""
    with pytest.raises(typer.Exit):
        fail(NotFound("no event with id 'a\x1b[31mb\u202ec'"))

    assert capsys.readouterr().err == "error: no event with id 'a\\u001b[31mb\\u202ec'\n"


def test_guarded_lets_programming_errors_through() -> None:
    """Only the errors a user can act on are turned into a message; bugs keep their traceback."""

    def broken() -> None:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        guarded(broken)()


def test_ctrl_c_in_a_command_that_wrote_nothing_exits_130_saying_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A KeyboardInterrupt becomes exit 130 and one line: nothing was written."""

    def reading() -> None:
        raise KeyboardInterrupt

    with pytest.raises(typer.Exit) as exited:
        guarded(reading)()

    assert exited.value.exit_code == 130
    assert capsys.readouterr().err == "interrupted: nothing was written\n"


def test_ctrl_c_after_a_commit_says_what_was_committed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What a command declared committed is the line an interrupt after it prints."""

    def writing() -> None:
        committed("3 events were committed")
        raise KeyboardInterrupt

    with pytest.raises(typer.Exit):
        guarded(writing)()

    assert capsys.readouterr().err == "interrupted: 3 events were committed\n"


def test_what_was_committed_is_forgotten_by_the_next_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each command starts from nothing written, even in the same process."""

    def writing() -> None:
        committed("3 events were committed")

    def reading() -> None:
        raise KeyboardInterrupt

    guarded(writing)()
    with pytest.raises(typer.Exit):
        guarded(reading)()

    assert capsys.readouterr().err == "interrupted: nothing was written\n"


def test_a_ctrl_c_held_during_a_write_interrupts_right_after_it() -> None:
    """SIGINT during holding_interrupts lets the block finish, then raises KeyboardInterrupt."""
    finished = []

    def write() -> None:
        with holding_interrupts():
            os.kill(os.getpid(), signal.SIGINT)
            finished.append(True)

    with pytest.raises(KeyboardInterrupt):
        write()

    assert finished == [True]


def test_holding_interrupts_puts_the_previous_handler_back() -> None:
    """After the block, SIGINT is handled as before it."""
    before = signal.getsignal(signal.SIGINT)

    with holding_interrupts():
        pass

    assert signal.getsignal(signal.SIGINT) is before
