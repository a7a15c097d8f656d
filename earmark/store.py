"""The one DuckDB file that holds datasets, media, tasks, annotations and peaks.

DuckDB allows one read-write process per file. Inside that process one
connection is shared and every thread works through its own cursor (a shared
connection fails with "connection is busy"). Writes run in explicit
transactions and are retried when two threads touch the same rows.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from earmark.schema import MIGRATIONS, SCHEMA_VERSION

DEFAULT_DB = Path("data") / "earmark.duckdb"
T = TypeVar("T")


class StoreError(RuntimeError):
    """A problem with the database file that the user can act on."""


class StoreLockedError(StoreError):
    """Another process holds the database file open for writing."""


def default_db_path() -> Path:
    """`EARMARK_DB` when set, else `data/earmark.duckdb`."""
    return Path(os.environ.get("EARMARK_DB") or DEFAULT_DB)


def _open_connection(path: Path) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path))
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" not in message.lower():
            raise StoreError(f"cannot open the database {path}: {message}") from exc
        holder = re.search(r"PID (\d+)", message)
        who = f" (process {holder.group(1)})" if holder else ""
        raise StoreLockedError(
            f"The database {path} is in use by another program{who}, probably a "
            "running Earmark app. DuckDB lets only one process open a database "
            "file. Stop that program and try again, or use the app's Export "
            "page while it runs."
        ) from exc
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the database {path}: {exc}") from exc


class Store:
    """A DuckDB database file with Earmark's schema, safe to use from threads."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._con = _open_connection(self.path)
        self._local = threading.local()
        self._migrate()

    # -- connection handling -------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the shared connection."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cursor = cur
        return cur

    def close(self) -> None:
        self._con.close()

    def _migrate(self) -> None:
        cur = self.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        rows = cur.execute("SELECT max(version) FROM schema_version").fetchall()
        current = rows[0][0] or 0
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer Earmark (schema {current}, "
                f"this one knows {SCHEMA_VERSION}); upgrade Earmark to open it."
            )
        for version in range(current, SCHEMA_VERSION):
            def apply(c: duckdb.DuckDBPyConnection, v: int = version) -> None:
                c.execute(MIGRATIONS[v])
                c.execute("INSERT INTO schema_version VALUES (?)", [v + 1])
            self.write(apply)

    # -- reads and writes ----------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        """Run a read query and return all rows."""
        return self.cursor().execute(sql, params or []).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] | None = None) -> tuple | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def query_df(self, sql: str, params: Sequence[Any] | None = None):
        """Run a read query and return a pandas DataFrame."""
        return self.cursor().execute(sql, params or []).df()

    def iter_rows(
        self, sql: str, params: Sequence[Any] | None = None, batch: int = 2000
    ) -> Iterator[tuple]:
        """Stream the rows of a query in batches, so memory stays flat.

        Uses a cursor of its own so that other queries on this thread may run
        while the caller consumes the rows.
        """
        cur = self._con.cursor()
        try:
            result = cur.execute(sql, params or [])
            while True:
                rows = result.fetchmany(batch)
                if not rows:
                    return
                yield from rows
        finally:
            cur.close()

    def write(self, fn: Callable[[duckdb.DuckDBPyConnection], T], attempts: int = 20,
              retry_on: tuple[type[Exception], ...] = (duckdb.TransactionException,)) -> T:
        """Run `fn(cursor)` in a transaction; it is committed when this returns.

        A conflict with another thread's transaction rolls back and retries
        `fn` from the start, with a short random back-off. Callers whose
        inserts may race on a key pass `duckdb.ConstraintException` too.
        """
        cur = self.cursor()
        for attempt in range(attempts):
            cur.execute("BEGIN TRANSACTION")
            try:
                result = fn(cur)
                cur.execute("COMMIT")
                return result
            except retry_on:
                _rollback(cur)
                if attempt == attempts - 1:
                    raise
                time.sleep(random.uniform(0.001, 0.01 * (attempt + 1)))
            except BaseException:
                _rollback(cur)
                raise
        raise AssertionError("unreachable")

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A transaction without retry, for bulk work done by one thread."""
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            _rollback(cur)
            raise


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    try:
        cur.execute("ROLLBACK")
    except duckdb.Error:
        pass  # already rolled back by DuckDB after the failure


_stores: dict[Path, Store] = {}
_stores_lock = threading.Lock()


def open_store(path: str | os.PathLike[str] | None = None) -> Store:
    """The process-wide store for `path` (default: `default_db_path()`)."""
    resolved = Path(path or default_db_path()).resolve()
    with _stores_lock:
        store = _stores.get(resolved)
        if store is None:
            store = Store(resolved)
            _stores[resolved] = store
        return store


def get_store() -> Store:
    """The store of the current `EARMARK_DB` (or the default path)."""
    return open_store(None)
