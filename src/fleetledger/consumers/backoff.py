"""How long a runner waits before calling a failed handler again: exponential, with jitter.

Jitter spreads the retries of many runners that failed together (a dependency that went
down for all of them) so they do not come back at the same instant.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from fleetledger.errors import ConfigurationError


@dataclass(frozen=True)
class Backoff:
    """Wait ``initial x multiplier^(n-1)`` seconds before retry ``n`` (capped at ``maximum``),
    scaled by a random factor in ``[1 - jitter, 1 + jitter]`` and capped again."""

    initial: float = 0.1
    maximum: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.initial <= self.maximum:
            raise ConfigurationError(
                f"backoff: initial ({self.initial}) must be between 0 and maximum ({self.maximum})"
            )
        if self.multiplier < 1:
            raise ConfigurationError(
                f"backoff: multiplier must be 1 or more, not {self.multiplier}"
            )
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError(f"backoff: jitter must be between 0 and 1, not {self.jitter}")

    def delay(self, retry: int, draw: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number ``retry`` (1: the first); ``draw`` gives a
        number in ``[0, 1)`` (a seeded one makes the delays reproducible)."""
        if retry < 1:
            raise ValueError(f"retries are numbered from 1, not {retry}")
        base = min(self.initial * self.multiplier ** (retry - 1), self.maximum)
        factor = 1 + self.jitter * (2 * draw() - 1)
        return min(base * factor, self.maximum)
