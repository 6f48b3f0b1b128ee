"""Settings shared by the property-based fuzz tests, so one variable sets how hard they try.

A fuzz test throws generated input at an entry point that reads outside data and checks that
only :class:`~fleetledger.errors.LedgerError` escapes, that nothing altered is accepted, and
that every call returns quickly. Mark it ``fuzz`` and decorate it with :data:`FUZZ`::

    import pytest
    from hypothesis import given, strategies as st

    from tests.fuzzing import FUZZ

    @pytest.mark.fuzz
    @FUZZ
    @given(st.binary())
    def test_reading_any_bytes_raises_only_ledger_errors(data: bytes) -> None:
        \"\"\"...\"\"\"

``make test`` runs them with :data:`DEFAULT_EXAMPLES` inputs each, within the suite's time
budget; ``make fuzz`` runs only the fuzz tests, with ``FLEETLEDGER_FUZZ_EXAMPLES=20000``. Any
count works: ``FLEETLEDGER_FUZZ_EXAMPLES=500 python -m pytest -m fuzz``.

Hypothesis keeps no example database here (``database=None``), so nothing is written into the
repository; a failure prints the input and a ``@reproduce_failure`` line to replay it.
"""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

ENV = "FLEETLEDGER_FUZZ_EXAMPLES"
DEFAULT_EXAMPLES = 100
"""Inputs per fuzz test in the normal run: enough to catch a regression, cheap enough for CI."""

DEADLINE = timedelta(seconds=1)
"""The longest one call may take. Inputs are small, so honest code needs milliseconds; only a
parser that loops, backtracks or recurses without bound comes near it."""


def examples() -> int:
    """Inputs per fuzz test: ``$FLEETLEDGER_FUZZ_EXAMPLES``, else :data:`DEFAULT_EXAMPLES`."""
    text = os.environ.get(ENV, "")
    if not text:
        return DEFAULT_EXAMPLES
    if not text.isdecimal() or int(text) < 1:
        raise ValueError(f"{ENV} is a positive number of examples, not {text!r}")
    return int(text)


FUZZ = settings(
    max_examples=examples(),
    deadline=DEADLINE,
    database=None,
    # Strategies that build signed notes and bundles are slow to generate; that is not a bug.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""Hypothesis settings for every fuzz test."""
