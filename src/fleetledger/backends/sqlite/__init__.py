"""The embedded SQLite backend."""

from fleetledger.backends.sqlite.store import SQLiteBackend

__all__ = ["SQLiteBackend"]
