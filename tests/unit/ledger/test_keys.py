"""Key files: a key given where another kind belongs is refused, naming the file and the kind."""

from pathlib import Path

import pytest

from fleetledger.errors import InvalidKey
from fleetledger.ledger import (
    load_signer,
    load_verifier,
    load_writer_key,
    write_key_pair,
    write_writer_key,
)


@pytest.mark.parametrize("attempt", range(8))
def test_a_public_key_given_as_a_signer_key_is_named_as_one(tmp_path: Path, attempt: int) -> None:
    """Whatever its base64 holds (a '+' included), a NAME.pub is named as a public key."""
    _, pub = write_key_pair(f"k{attempt}.example.com", tmp_path)
    with pytest.raises(InvalidKey, match=rf"{pub} holds a public key, where a signer key"):
        load_signer(pub)


def test_a_signer_key_given_as_a_public_key_is_named_as_one(tmp_path: Path) -> None:
    """A NAME.key where NAME.pub belongs: named, and called secret."""
    key, _ = write_key_pair("k.example.com", tmp_path)
    with pytest.raises(InvalidKey, match=rf"{key} holds a private signer key \(keep it secret\)"):
        load_verifier(key)


def test_a_writer_key_is_neither_a_signer_nor_a_public_key(tmp_path: Path) -> None:
    """NAME.writer where a note key belongs, and the reverse: each says what it is."""
    writer = write_writer_key("fleet", tmp_path)
    key, _ = write_key_pair("k.example.com", tmp_path)
    with pytest.raises(InvalidKey, match="holds a writer key"):
        load_verifier(writer)
    with pytest.raises(InvalidKey, match="holds a private signer key"):
        load_writer_key(key)


def test_a_writer_key_file_reads_back_its_32_bytes(tmp_path: Path) -> None:
    """write_writer_key makes a 0600 file of 32 random bytes that load_writer_key reads."""
    path = write_writer_key("fleet/acme", tmp_path)
    assert path.name == "fleet_acme.writer"
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(load_writer_key(path)) == 32
