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

# Seeded from os.urandom; 62 random bits a millisecond need no syscall per id. A forked child
# would replay its parent's sequence, so it reseeds.
_random = random.Random()
os.register_at_fork(after_in_child=_random.seed)
_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> str:
    """Return a new UUIDv7 string, monotonic within this process."""
    global _last_ms, _counter
    with _lock:
        now = time.time_ns() // 1_000_000
        if now > _last_ms:
            _last_ms = now
            _counter = _random.getrandbits(11)  # a random start that leaves room to count
        else:
            _counter += 1
            if _counter > 0xFFF:  # 4096 ids in one millisecond: borrow the next millisecond
                _last_ms += 1
                _counter = 0
        ms, seq = _last_ms, _counter
    value = (ms << 80) | (0x7 << 76) | (seq << 64) | (0b10 << 62)
    value |= _random.getrandbits(62)
    h = value.to_bytes(16, "big").hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
