"""Field encryption given keys: confidential data fields sealed per data subject, and opened.

A type names its confidential data fields (``EventType.confidential``); when an event's
classification calls for it, each such field's value is replaced in the stored body by a
marker holding its AES-256-GCM ciphertext under the data subject's key::

    {"$enc": "aes256gcm", "kid": "<key id>", "iv": "<12 bytes, base64>", "ct": "<base64>"}

The plaintext is the RFC 8785 bytes of the field's value; the associated data is
``fleetledger/field/v1 NUL <event id> NUL <field name>``, so a ciphertext cannot be moved to
another event or field. The IV is synthetic: the first 12 bytes of an HMAC-SHA256, under a key
derived from the data key, of the associated data and the plaintext. So a producer retrying
an event (same id, same field, same value, same subject's key) seals the same bytes, and the
retry is recognised as already stored instead of refused as a conflict; two different values
get IVs as unpredictable as random ones, and equal ciphertexts reveal only that the same field
of the same event was sealed twice. Leaves hash the stored body, so they commit to the
ciphertext: the ledger proves the same bytes before and after the key is destroyed.

Data keys are kept by a :class:`KeyStore`, wrapped by a key-encryption key (KEK)
(:func:`wrap`, :func:`unwrap`: AES-256-GCM, the key id as associated data). Destroying a
subject's keys (``forget``) leaves their fields unreadable for good: a reader then shows them
as :data:`ERASED`. Pure: no I/O here; stores that keep keys in files live with the backends.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
import threading
from collections.abc import Collection, Mapping
from typing import Any, NamedTuple, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fleetledger.errors import ConfigurationError

ALGORITHM = "aes256gcm"
MARKER = "$enc"
ERASED: dict[str, Any] = {"$erased": True}
"""What a reader sees in place of a field whose key was destroyed."""
KEY_BYTES = 32
_IV_BYTES = 12
_AAD_PREFIX = b"fleetledger/field/v1\x00"
_IV_KEY_LABEL = b"fleetledger/field-iv/v1"
_WRAP_AAD = b"fleetledger/key/v1\x00"

__all__ = [
    "ALGORITHM",
    "ERASED",
    "DataKey",
    "FieldCipher",
    "KeyStore",
    "MemoryKeyStore",
    "cipher",
    "is_sealed",
    "new_key_id",
    "open_field",
    "seal",
    "unwrap",
    "wrap",
]


class DataKey(NamedTuple):
    """One data subject's key: its id (named in every marker it sealed) and its bytes."""

    kid: str
    key: bytes


@runtime_checkable
class KeyStore(Protocol):
    """Where data keys live, one current key per data subject, wrapped at rest by a KEK.

    The local store (a SQLite file and a KEK file beside the ledger) is the default; a KMS or
    Vault store implements the same five methods.
    """

    def keys_for(self, datasubjects: Collection[str]) -> dict[str, DataKey]:
        """Each subject's current data key, those that have none created and stored durably
        first (all in one write: a batch's new subjects cost one durable write)."""
        ...

    def get(self, kid: str) -> DataKey | None:
        """The key with this id; None when it is unknown here or destroyed."""
        ...

    def erased(self, kid: str) -> bool:
        """Whether the key with this id was destroyed (by :meth:`destroy`)."""
        ...

    def destroy(self, datasubject: str) -> int:
        """Destroy every key of the subject beyond recovery; how many were destroyed."""
        ...

    def close(self) -> None:
        """Release files and connections."""
        ...


def new_key_id() -> str:
    """A random key id: it names no one, so a marker does not reveal its data subject."""
    return "k-" + secrets.token_hex(12)


def _aad(event_id: str, field: str) -> bytes:
    return b"%s%s\x00%s" % (_AAD_PREFIX, event_id.encode(), field.encode())


class FieldCipher(NamedTuple):
    """A data key made ready to seal and open many fields: its AES-256-GCM cipher and the key
    its synthetic IVs are derived with."""

    aead: AESGCM
    iv_key: bytes


def cipher(key: DataKey) -> FieldCipher:
    """``key`` ready for :func:`seal` and :func:`open_field`, to pass when sealing or opening
    many fields with one key (both derivations are done once)."""
    return FieldCipher(_cipher(key.key), hmac.digest(key.key, _IV_KEY_LABEL, "sha256"))


def seal(
    plaintext: bytes,
    key: DataKey,
    event_id: str,
    field: str,
    with_cipher: FieldCipher | None = None,
) -> dict[str, str]:
    """The marker holding ``plaintext`` (a field's canonical JSON) sealed for one event field
    (``with_cipher``: ``key``'s, from :func:`cipher`)."""
    ready = with_cipher or cipher(key)
    aad = _aad(event_id, field)
    iv = hmac.digest(ready.iv_key, aad + b"\x00" + plaintext, "sha256")[:_IV_BYTES]
    sealed = ready.aead.encrypt(iv, plaintext, aad)
    return {
        MARKER: ALGORITHM,
        "ct": base64.b64encode(sealed).decode(),
        "iv": base64.b64encode(iv).decode(),
        "kid": key.kid,
    }


def is_sealed(value: object) -> bool:
    """Whether ``value`` is a marker :func:`seal` made (of an algorithm this code knows)."""
    return type(value) is dict and value.get(MARKER) == ALGORITHM and type(value.get("kid")) is str


def open_field(
    marker: Mapping[str, Any],
    key: DataKey,
    event_id: str,
    field: str,
    with_cipher: FieldCipher | None = None,
) -> bytes | None:
    """The plaintext a marker holds, or None when it does not open with this key for this
    event field (moved, altered, or sealed under another key)."""
    try:
        iv = base64.b64decode(marker["iv"], validate=True)
        sealed = base64.b64decode(marker["ct"], validate=True)
        aead = with_cipher.aead if with_cipher is not None else _cipher(key.key)
        return aead.decrypt(iv, sealed, _aad(event_id, field))
    except (KeyError, TypeError, ValueError, binascii.Error, InvalidTag):
        return None


def wrap(kek: bytes, key: DataKey) -> bytes:
    """``key`` encrypted under the KEK (nonce ‖ ciphertext), its id bound as associated data."""
    nonce = os.urandom(_IV_BYTES)
    return nonce + _cipher(kek).encrypt(nonce, key.key, _WRAP_AAD + key.kid.encode())


def unwrap(kek: bytes, kid: str, wrapped: bytes) -> DataKey:
    """The data key :func:`wrap` wrapped; :class:`ConfigurationError` under another KEK."""
    try:
        key = _cipher(kek).decrypt(
            wrapped[:_IV_BYTES], wrapped[_IV_BYTES:], _WRAP_AAD + kid.encode()
        )
    except (InvalidTag, ValueError):
        raise ConfigurationError(
            f"data key {kid} does not unwrap: the key store was wrapped by another KEK"
        ) from None
    return DataKey(kid, key)


def _cipher(key: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        raise ConfigurationError(f"an AES-256 key is {KEY_BYTES} bytes, not {len(key)}")
    return AESGCM(key)


class MemoryKeyStore:
    """Keys in memory only: for memory ledgers and tests (gone when the process ends)."""

    def __init__(self) -> None:
        self._keys: dict[str, DataKey] = {}
        self._subjects: dict[str, list[str]] = {}
        self._erased: set[str] = set()
        self._lock = threading.Lock()

    def keys_for(self, datasubjects: Collection[str]) -> dict[str, DataKey]:
        """Each subject's current key, made on first use."""
        with self._lock:
            return {subject: self._key_for(subject) for subject in datasubjects}

    def _key_for(self, datasubject: str) -> DataKey:
        kids = self._subjects.setdefault(datasubject, [])
        if not kids:
            key = DataKey(new_key_id(), AESGCM.generate_key(256))
            self._keys[key.kid] = key
            kids.append(key.kid)
        return self._keys[kids[-1]]

    def get(self, kid: str) -> DataKey | None:
        """The key with this id, if it is held."""
        return self._keys.get(kid)

    def erased(self, kid: str) -> bool:
        """Whether the key was destroyed."""
        return kid in self._erased

    def destroy(self, datasubject: str) -> int:
        """Forget the subject's keys; how many there were."""
        with self._lock:
            kids = self._subjects.pop(datasubject, [])
            for kid in kids:
                del self._keys[kid]
                self._erased.add(kid)
            return len(kids)

    def close(self) -> None:
        """Nothing to release."""
