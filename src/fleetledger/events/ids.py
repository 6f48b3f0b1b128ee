"""Time-ordered event ids (UUIDv7, RFC 9562).

The id is the idempotency key and is indexed; ids that grow with time keep that index append
mostly at its right edge, which is what makes batched appends cheap (random UUIDv4 keys cost
several times more in index writes).
"""

from __future__ import annotations

import os
import random
import threading
import time


class _Uuid7:
    """Monotonic within a process: a 12-bit counter orders ids minted in the same millisecond."""

    def __init__(self) -> None:
        # Seeded from os.urandom; 62 random bits per id need no syscall. A forked child would
        # replay its parent's sequence, so it reseeds.
        self._random = random.Random()
        os.register_at_fork(after_in_child=self._random.seed)
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0
        self._prefix = ""

    def __call__(self) -> str:
        return self.many(1)[0]

    def many(self, count: int) -> list[str]:
        """``count`` new ids in order: one clock reading and one lock for all of them."""
        heads: list[str] = []
        with self._lock:
            now = time.time_ns() // 1_000_000
            if now > self._last_ms:
                self._last_ms = now
                self._counter = self._random.getrandbits(11) - 1  # random start, room to count
                self._prefix = f"{now >> 16:08x}-{now & 0xFFFF:04x}-7"
            counter, prefix = self._counter, self._prefix
            for _ in range(count):
                counter += 1
                if counter > 0xFFF:  # 4096 ids in one millisecond: borrow the next one
                    self._last_ms += 1
                    counter = 0
                    ms = self._last_ms
                    prefix = self._prefix = f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7"
                heads.append(f"{prefix}{counter:03x}-")
            self._counter = counter
        bits = self._random.getrandbits
        tails = [bits(62) for _ in range(count)]
        return [
            f"{head}{0x8000 | tail >> 48:04x}-{tail & 0xFFFFFFFFFFFF:012x}"
            for head, tail in zip(heads, tails, strict=True)
        ]


uuid7 = _Uuid7()
"""Return a new UUIDv7 string, monotonic within this process."""
