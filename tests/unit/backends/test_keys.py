"""The local key store: wrapped keys in a SQLite file, a KEK file, nothing left after destroy."""

import base64
import stat
from pathlib import Path

import pytest

from fleetledger.backends.keys import SQLiteKeyStore
from fleetledger.errors import ConfigurationError


def files(path: Path) -> list[Path]:
    """The store's files: the database, its WAL and shared memory, the KEK."""
    return [p for p in path.parent.iterdir() if p.name.startswith(path.name)]


def test_nothing_is_created_until_a_key_is_needed(tmp_path: Path) -> None:
    """Asking for an unknown key id creates no file."""
    store = SQLiteKeyStore(tmp_path / "keys")
    assert store.get("k-x") is None
    assert not store.erased("k-x")
    store.close()
    assert list(tmp_path.iterdir()) == []


def test_the_store_and_its_kek_are_private_files(tmp_path: Path) -> None:
    """The key file and the KEK file are created 0600."""
    store = SQLiteKeyStore(tmp_path / "keys")
    store.keys_for(["cust-7"])["cust-7"]
    store.close()
    for name in ("keys", "keys.kek"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_a_subject_keeps_its_key_across_openings(tmp_path: Path) -> None:
    """key_for returns the stored key in a later process; get finds it by id."""
    first = SQLiteKeyStore(tmp_path / "keys")
    key = first.keys_for(["cust-7"])["cust-7"]
    first.close()
    again = SQLiteKeyStore(tmp_path / "keys")
    assert again.keys_for(["cust-7"])["cust-7"] == key
    assert again.get(key.kid) == key
    again.close()


def test_key_bytes_are_stored_only_wrapped(tmp_path: Path) -> None:
    """The raw data key is in none of the store's files."""
    store = SQLiteKeyStore(tmp_path / "keys")
    key = store.keys_for(["cust-7"])["cust-7"]
    for path in files(tmp_path / "keys"):
        assert key.key not in path.read_bytes(), path
    store.close()


def test_a_destroyed_key_leaves_no_byte_of_it_in_the_files(tmp_path: Path) -> None:
    """After destroy, neither the raw nor the wrapped key is in the database, WAL or KEK."""
    store = SQLiteKeyStore(tmp_path / "keys")
    key = store.keys_for(["cust-7"])["cust-7"]
    store.keys_for(["cust-8"])["cust-8"]
    conn = store._open(create=False)
    assert conn is not None
    wrapped = conn.execute("SELECT wrapped FROM data_keys WHERE kid=?", (key.kid,)).fetchone()[0]
    assert store.destroy("cust-7") == 1
    for path in files(tmp_path / "keys"):
        raw = path.read_bytes()
        for secret in (key.key, wrapped, base64.b64encode(key.key)):
            assert secret not in raw, path
    assert store.get(key.kid) is None
    assert store.erased(key.kid)
    store.close()


def test_a_read_only_store_reads_keys_and_makes_none(tmp_path: Path) -> None:
    """A read-only store finds stored keys and refuses to create one."""
    writer = SQLiteKeyStore(tmp_path / "keys")
    key = writer.keys_for(["cust-7"])["cust-7"]
    writer.close()
    reader = SQLiteKeyStore(tmp_path / "keys", readonly=True)
    assert reader.get(key.kid) == key
    with pytest.raises(ConfigurationError, match="read-only"):
        reader.keys_for(["cust-8"])["cust-8"]
    reader.close()


def test_a_store_whose_kek_is_missing_says_so(tmp_path: Path) -> None:
    """Keys without their KEK cannot be unwrapped: the error names the missing file."""
    store = SQLiteKeyStore(tmp_path / "keys")
    key = store.keys_for(["cust-7"])["cust-7"]
    store.close()
    (tmp_path / "keys.kek").unlink()
    again = SQLiteKeyStore(tmp_path / "keys")
    with pytest.raises(ConfigurationError, match=r"keys\.kek"):
        again.get(key.kid)
    again.close()


def test_a_batch_of_new_subjects_gets_its_keys_in_one_call(tmp_path: Path) -> None:
    """keys_for gives every subject asked a distinct key, and the same ones again later."""
    store = SQLiteKeyStore(tmp_path / "keys")
    first = store.keys_for(["a", "b", "c"])
    assert len({key.kid for key in first.values()}) == 3
    assert store.keys_for(["c", "a", "d"]) == {
        **{s: first[s] for s in "ca"},
        "d": store.keys_for(["d"])["d"],
    }
    store.close()
