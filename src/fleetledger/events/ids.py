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
        with self._lock:
            now = time.time_ns() // 1_000_000
            if now > self._last_ms:
                self._last_ms = now
                self._counter = self._random.getrandbits(11)  # random start, room to count
                self._prefix = f"{now >> 16:08x}-{now & 0xFFFF:04x}-7"
            else:
                self._counter += 1
                if self._counter > 0xFFF:  # 4096 ids in one millisecond: borrow the next one
                    self._last_ms += 1
                    self._counter = 0
                    ms = self._last_ms
                    self._prefix = f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7"
            counter, prefix = self._counter, self._prefix
        tail = self._random.getrandbits(62)
        return f"{prefix}{counter:03x}-{0x8000 | tail >> 48:04x}-{tail & 0xFFFFFFFFFFFF:012x}"


uuid7 = _Uuid7()
"""Return a new UUIDv7 string, monotonic within this process."""
