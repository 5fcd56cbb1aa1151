"""Where the emulator keeps its objects: in memory by default, or in SQLite so they survive a restart."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any, Protocol


class Store(Protocol):
    def load(self, table: str) -> Iterator[dict[str, Any]]: ...
    def put(self, table: str, key: str, row: dict[str, Any]) -> None: ...
    def put_many(self, table: str, rows: list[tuple[str, dict[str, Any]]]) -> None: ...
    def delete(self, table: str, key: str) -> None: ...
    def clear(self) -> None: ...


class MemoryStore:
    """Keeps nothing: the backend's own dicts are the state."""

    def load(self, table: str) -> Iterator[dict[str, Any]]:
        return iter(())

    def put(self, table: str, key: str, row: dict[str, Any]) -> None:
        pass

    def put_many(self, table: str, rows: list[tuple[str, dict[str, Any]]]) -> None:
        pass

    def delete(self, table: str, key: str) -> None:
        pass

    def clear(self) -> None:
        pass


class SqliteStore:
    """One table per kind of object, each row a JSON document; every change is committed at once."""

    TABLES = ("media", "uploads")

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.Lock()
        for table in self.TABLES:
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, row TEXT NOT NULL)")

    def load(self, table: str) -> Iterator[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(f"SELECT row FROM {self._table(table)} ORDER BY rowid").fetchall()
        return (json.loads(row) for (row,) in rows)

    def put(self, table: str, key: str, row: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO {self._table(table)} (key, row) VALUES (?, ?)", (key, json.dumps(row))
            )

    def put_many(self, table: str, rows: list[tuple[str, dict[str, Any]]]) -> None:
        """Many rows in one transaction (seeding thousands of media)."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(f"INSERT OR REPLACE INTO {self._table(table)} (key, row) VALUES (?, ?)",
                                 [(key, json.dumps(row)) for key, row in rows])
            self._db.execute("COMMIT")

    def delete(self, table: str, key: str) -> None:
        with self._lock:
            self._db.execute(f"DELETE FROM {self._table(table)} WHERE key = ?", (key,))

    def clear(self) -> None:
        with self._lock:
            for table in self.TABLES:
                self._db.execute(f"DELETE FROM {table}")

    def _table(self, table: str) -> str:
        if table not in self.TABLES:
            raise ValueError(f"unknown table {table!r}")
        return table
