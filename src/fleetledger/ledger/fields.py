"""The encrypt stage and its reverse: confidential fields sealed for their data subject.

:class:`FieldCrypto` applies the pure primitives of :mod:`fleetledger.governance.encryption`
to events: at the encrypt stage (before encode, so leaves commit to the ciphertext), each
confidential field of an event whose classification is at or above the threshold is replaced
by its sealed marker; at decode, markers open into plaintext for a reader holding the key
store, become :data:`~fleetledger.governance.encryption.ERASED` once the key was destroyed,
and stay sealed markers for a reader without the key.

Keys are cached in memory for :data:`KEY_TTL` seconds, so a store is asked once per subject
per few seconds, not once per event; :meth:`FieldCrypto.forget` drops the cache at once, and
another process that held the key stops using it when its cache expires.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

from fleetledger.errors import ConfigurationError
from fleetledger.events.codec import CanonicalEnvelope, canonical_json
from fleetledger.events.envelope import Event
from fleetledger.governance.encryption import (
    ERASED,
    DataKey,
    FieldCipher,
    KeyStore,
    cipher,
    is_sealed,
    open_field,
    seal,
)
from fleetledger.types import Classification

KEY_TTL = 5.0
"""Seconds a data key stays cached in a process after it was read from the store."""
DEFAULT_ENCRYPT_FROM = Classification.RESTRICTED
SEALED_MARK = b'"$enc":"aes256gcm"'
"""Bytes every body holding a sealed field contains: a fast filter on the read path."""
_MAX_CACHED = 4096
_decode_json = msgspec.json.decode
_set = msgspec.structs.force_setattr


class FieldCrypto:
    """Seals and opens confidential fields with one key store (``None``: sealing refused)."""

    def __init__(
        self,
        keys: KeyStore | None,
        encrypt_from: Classification = DEFAULT_ENCRYPT_FROM,
        *,
        clock: Any = time.monotonic,
    ) -> None:
        self.keys = keys
        self.encrypt_from = Classification(encrypt_from)
        self._ranks = {c.value for c in Classification if c.rank >= self.encrypt_from.rank}
        self._clock = clock
        self._subjects: dict[str, tuple[DataKey, FieldCipher, float]] = {}
        self._kids: dict[str, tuple[DataKey | None, FieldCipher | None, float]] = {}

    # -- the encrypt stage -------------------------------------------------------------------

    def applies(self, classification: str, names: tuple[str, ...]) -> bool:
        """Whether an event of this classification with these confidential fields is sealed."""
        return bool(names) and classification in self._ranks

    def sealed(self, envelope: CanonicalEnvelope, names: tuple[str, ...]) -> CanonicalEnvelope:
        """``envelope`` with each of ``names`` present in its data sealed for its data subject."""
        data = envelope.data
        as_dict = type(data) is dict
        changes: dict[str, dict[str, str]] = {}
        key: tuple[DataKey, FieldCipher, float] | None = None
        for name in names:
            value = data.get(name) if as_dict else getattr(data, name)
            if value is None:
                continue
            key = key or self._key_for(envelope.datasubject or envelope.subject, envelope.type)
            changes[name] = seal(_plaintext(value, name), key[0], envelope.id, name, key[1])
        if not changes:
            return envelope
        data = {**data, **changes} if as_dict else msgspec.structs.replace(data, **changes)
        return msgspec.structs.replace(envelope, data=data)

    def _key_for(self, datasubject: str, type_: str) -> tuple[DataKey, FieldCipher, float]:
        cached = self._subjects.get(datasubject)
        if cached is not None and cached[2] > self._clock():
            return cached
        self.prefetch({datasubject}, type_)
        return self._subjects[datasubject]

    def prefetch(self, datasubjects: set[str], type_: str) -> None:
        """Cache the keys of ``datasubjects`` (those not cached yet: one store call, so that a
        batch's new subjects cost one durable write)."""
        now = self._clock()
        missing = {s for s in datasubjects if (c := self._subjects.get(s)) is None or c[2] <= now}
        if not missing:
            return
        if self.keys is None:
            raise ConfigurationError(
                f"{type_} events classified {self.encrypt_from.value} or above have"
                " confidential fields to encrypt, and this ledger has no key store: open it"
                " with keys=PATH (or the URL option ?keys=PATH)"
            )
        if len(self._subjects) + len(missing) > _MAX_CACHED:
            self._subjects.clear()
        for subject, key in self.keys.keys_for(missing).items():
            self._subjects[subject] = (key, cipher(key), now + KEY_TTL)

    # -- decoding ----------------------------------------------------------------------------

    def open(self, event: Event) -> None:
        """Replace, in place, the sealed top-level fields of ``event``'s data by their plaintext
        (or :data:`ERASED` once their key was destroyed); fields sealed under a key this
        store never held stay sealed."""
        data = event.data
        if self.keys is None or type(data) is not dict:
            return
        opened = dict(data)
        for name, value in data.items():
            if is_sealed(value):
                opened[name] = self._opened(value, event.id, name)
        _set(event, "data", opened)

    def _opened(self, marker: dict[str, Any], event_id: str, name: str) -> Any:
        kid = marker["kid"]
        key, with_cipher, _ = self._key(kid)
        if key is None:
            assert self.keys is not None
            return dict(ERASED) if self.keys.erased(kid) else marker
        plaintext = open_field(marker, key, event_id, name, with_cipher)
        return marker if plaintext is None else _decode_json(plaintext)

    def _key(self, kid: str) -> tuple[DataKey | None, FieldCipher | None, float]:
        cached = self._kids.get(kid)
        now = self._clock()
        if cached is not None and cached[2] > now:
            return cached
        assert self.keys is not None
        key = self.keys.get(kid)
        found = (key, None if key is None else cipher(key), now + KEY_TTL)
        _bounded(self._kids)[kid] = found
        return found

    # -- erasure -----------------------------------------------------------------------------

    def forget(self, datasubject: str) -> int:
        """Destroy the subject's keys in the store and in this process; how many."""
        if self.keys is None:
            raise ConfigurationError(
                "this ledger has no key store: nothing was encrypted, so nothing can be"
                " forgotten; open it with keys=PATH"
            )
        self._subjects.clear()
        self._kids.clear()
        return self.keys.destroy(datasubject)

    def close(self) -> None:
        """Drop cached keys and close the store."""
        self._subjects.clear()
        self._kids.clear()
        if self.keys is not None:
            self.keys.close()


def _plaintext(value: Any, name: str) -> bytes:
    """The canonical bytes of a field's value (a rewritten number is already bytes)."""
    if type(value) is msgspec.Raw:
        return bytes(value)
    if isinstance(value, msgspec.Struct):
        value = msgspec.to_builtins(value)
    return canonical_json(value, path=f"$.data.{name}", depth=3)


def _bounded(cache: dict[str, Any]) -> dict[str, Any]:
    if len(cache) >= _MAX_CACHED:
        cache.clear()
    return cache
