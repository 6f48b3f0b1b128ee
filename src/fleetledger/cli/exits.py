"""Exit codes, and the one place errors and Ctrl-C become one line on stderr and a code.

=====  ==========================================================================================
code   meaning
=====  ==========================================================================================
0      ok (also a ``--follow`` or ``notary`` run stopped by Ctrl-C that then finished cleanly)
1      a check failed: ``verify``, ``verify-bundle``, ``mirror``'s comparison, a proof, an empty
       replay
2      usage or input error: a bad option, a missing file or ledger, a malformed event, a bad key
3      the backend is unavailable or the environment refused: an unreachable broker, a
       read-only or corrupt file, a saturated or closed ledger
4      refused by policy: the principal may not do this
130    interrupted by Ctrl-C; the line says what was committed before it
=====  ==========================================================================================

Commands that write say what an interrupt would leave behind with :func:`committed`, and
hold Ctrl-C over a write that must not be cut short with :func:`holding_interrupts`.
"""

from __future__ import annotations

import functools
import io
import os
import select
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import FrameType
from typing import BinaryIO, NoReturn, ParamSpec

import typer
from rich.console import Console
from rich.text import Text

from fleetledger import (
    AccessDenied,
    BackendError,
    Backpressure,
    ConfigurationError,
    ContractError,
    IntegrityError,
    LedgerClosed,
    LedgerError,
    NotFound,
)
from fleetledger.cli.render import printable

P = ParamSpec("P")

OK = 0
FAILED = 1
USAGE = 2
UNAVAILABLE = 3
REFUSED = 4
INTERRUPTED = 130


class InputError(Exception):
    """Input the CLI itself could not use: malformed JSON, an unreadable file, a missing option."""


class CheckFailed(Exception):
    """The command ran, and what it checked for does not hold (exit code 1)."""


class Interrupted(Exception):
    """Ctrl-C stopped the command; the message says what was committed before (exit 130)."""


_CODES: tuple[tuple[tuple[type[BaseException], ...], int], ...] = (
    ((AccessDenied,), REFUSED),  # first: a policy refusal is never anything else
    ((Interrupted,), INTERRUPTED),
    ((CheckFailed, IntegrityError), FAILED),
    ((ContractError, ConfigurationError, NotFound, InputError), USAGE),
    ((BackendError, Backpressure, LedgerClosed), UNAVAILABLE),
)

NOTHING_WRITTEN = "nothing was written"

_committed: ContextVar[str | Callable[[], str] | None] = ContextVar("committed", default=None)

_READ_SIZE = 1 << 16


def exit_code(exc: BaseException) -> int:
    """The exit code an error ends the command with (see the module's table)."""
    return next((code for kinds, code in _CODES if isinstance(exc, kinds)), FAILED)


def guarded(command: Callable[P, None]) -> Callable[P, None]:
    """The one place errors a user can act on, and Ctrl-C, become one line and an exit code.

    Anything else (a bug) keeps its traceback.
    """

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        token = _committed.set(None)
        try:
            command(*args, **kwargs)
        except KeyboardInterrupt:
            fail(Interrupted(what_was_committed()))
        except (LedgerError, InputError, CheckFailed, Interrupted) as exc:
            fail(exc)
        finally:
            _committed.reset(token)

    return run


def fail(exc: BaseException) -> NoReturn:
    """Print ``exc`` as one line on stderr and exit with its code (no traceback).

    The line starts ``error:`` (``interrupted:`` for Ctrl-C); control and bidi characters in
    the message are shown escaped, never sent to the terminal.
    """
    message = printable(" ".join(str(exc).split()) or type(exc).__name__)
    label = "interrupted" if isinstance(exc, Interrupted) else "error"
    line = Text.assemble((f"{label}:", "bold red"), " ", (message, "red"))
    Console(stderr=True, highlight=False).print(line, soft_wrap=True)
    raise typer.Exit(exit_code(exc))


def committed(what: str | Callable[[], str] | None) -> None:
    """Say what an interrupt from now on leaves committed (a callable is asked at that time)."""
    _committed.set(what)


def what_was_committed() -> str:
    """What the running command has committed so far, for the line Ctrl-C prints."""
    what = _committed.get()
    if what is None:
        return NOTHING_WRITTEN
    return what if isinstance(what, str) else what()


def read_interruptibly(handle: BinaryIO) -> bytes:
    """Everything ``handle`` holds, read so that Ctrl-C always interrupts it.

    A plain blocking ``read`` of a pipe can miss Ctrl-C: a signal that lands between two of
    the reads inside ``readall`` only sets CPython's flag, and the next read blocks until the
    writer writes or closes. Here a wake-up pipe receives every signal's number at once, and
    each read waits in ``poll`` on the file and that pipe together, so a signal arriving at any
    moment ends the wait and its handler (KeyboardInterrupt) runs before the next read.
    """
    try:
        fd = handle.fileno()
    except io.UnsupportedOperation:  # in memory (a test's stdin): it never waits
        return handle.read()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    try:
        previous = signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    except ValueError:  # not the main thread: no signal reaches this read anyway
        os.close(wake_read)
        os.close(wake_write)
        return handle.read()
    chunks: list[bytes] = []
    try:
        waiter = select.poll()  # poll, not epoll: a regular file is always ready, never refused
        waiter.register(fd, select.POLLIN)
        waiter.register(wake_read, select.POLLIN)
        while True:
            ready = {ready_fd for ready_fd, _ in waiter.poll()}
            if wake_read in ready:
                os.read(wake_read, _READ_SIZE)
                _let_signal_handlers_run()
            if fd in ready:
                chunk = os.read(fd, _READ_SIZE)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
    finally:
        signal.set_wakeup_fd(previous)
        os.close(wake_read)
        os.close(wake_write)


def _let_signal_handlers_run() -> None:
    """Nothing: entering a Python function is where CPython runs the handlers of the signals
    that have arrived (Ctrl-C raises KeyboardInterrupt here)."""


@contextmanager
def holding_interrupts() -> Iterator[None]:
    """Hold Ctrl-C while the block runs (a write that must finish, or not start); a Ctrl-C
    pressed meanwhile interrupts right after it, once the block has said what it committed.

    Only the main thread receives signals; elsewhere the block runs as it is.
    """
    pressed: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        pressed.append(signum)

    try:
        previous = signal.signal(signal.SIGINT, hold)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt
