"""The one DuckDB file that holds datasets, media, tasks, annotations and peaks.

DuckDB allows one read-write process per file. Inside that process one
connection is shared and every thread works through its own cursor (a shared
connection fails with "connection is busy"). Writes run in explicit
transactions and are retried when two threads touch the same rows.

Errors a user can act on (a full disk, a read-only file system, no permission,
the file held by another process) become a `StoreError` here, in words, and
nowhere else. What DuckDB 2.0 does on a full disk (measured on a tmpfs): a
commit whose write-ahead log cannot grow raises `TransactionException`
("Failed to commit: Could not write file ...: No space left on device") and
rolls back; a checkpoint that cannot grow the file raises `FatalException`
and invalidates the open database until it is reopened, even when the commit
before it was durable; creating a new file leaves an empty file that DuckDB
refuses to open later. Each case is handled below.
"""

from __future__ import annotations

import errno
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ContextManager, Protocol, TypeVar, runtime_checkable

import duckdb

from earmark.db.schema import MIGRATIONS, SCHEMA_VERSION

DEFAULT_DB = Path("data") / "earmark.duckdb"
T = TypeVar("T")
log = logging.getLogger(__name__)

# What the operating system says (DuckDB passes strerror on in its messages),
# and the words Earmark says instead.
_REASONS: list[tuple[int, tuple[str, ...], str]] = [
    (errno.ENOSPC, ("no space left on device", "disk full"), "no space left on the device"),
    (errno.EDQUOT, ("disk quota exceeded",), "the disk quota is exceeded"),
    (errno.EROFS, ("read-only file system",), "the file system is read-only"),
    (errno.EACCES, ("permission denied",), "permission denied"),
    (errno.EPERM, ("operation not permitted",), "permission denied"),
]
_DURABLE_COMMIT = "commit succeeded and is durable"
_INVALIDATED = "database has been invalidated"


class StoreError(RuntimeError):
    """A problem with the database file that the user can act on.

    `message` says what failed and why in words ("the database could not be
    written: no space left on the device"); `str()` adds the file's path.
    """

    def __init__(self, message: str, path: Path | str | None = None, reason: str | None = None):
        self.message, self.path, self.reason = message, path, reason
        super().__init__(f"{message} ({path})" if path else message)


class StoreLockedError(StoreError):
    """Another process holds the database file open for writing."""


def io_reason(exc: BaseException) -> str | None:
    """The reason in words when `exc` is a full disk, a read-only file system or
    missing permission (as an `OSError` or in a DuckDB message); else None."""
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    for number, phrases, words in _REASONS:
        if code == number or any(p in text for p in phrases) or os.strerror(number).lower() in text:
            return words
    return None


def default_db_path() -> Path | str:
    """`EARMARK_DB` when set (a file path, or a `postgresql://` URL), else `data/earmark.duckdb`."""
    value = os.environ.get("EARMARK_DB") or DEFAULT_DB
    return value if is_database_url(value) else Path(value)


def is_database_url(location: object) -> bool:
    """Whether `--db` / `EARMARK_DB` names a database server (PostgreSQL) rather than a file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def _open_connection(path: Path) -> duckdb.DuckDBPyConnection:
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(path))
    except duckdb.IOException as exc:
        message = str(exc)
        if not any(m in message.lower() for m in ("could not set lock", "conflicting lock")):
            _remove_unfinished(path, existed)
            raise _open_error(path, existed, exc) from exc
        holder = re.search(r"PID (\d+)", message)
        who = f" (process {holder.group(1)})" if holder else ""
        raise StoreLockedError(
            f"The database {path} is in use by another program{who}, probably a "
            "running Earmark app. DuckDB lets only one process open a database "
            "file. Stop that program and try again, or use the app's Export "
            "page while it runs."
        ) from exc
    except (duckdb.Error, OSError) as exc:
        _remove_unfinished(path, existed)
        raise _open_error(path, existed, exc) from exc


def _open_error(path: Path, existed: bool, exc: BaseException) -> StoreError:
    reason = io_reason(exc)
    verb = "opened" if existed else "created"
    if reason:
        return StoreError(f"the database could not be {verb}: {reason}", path, reason)
    return StoreError(f"the database could not be {verb}: {exc}", path)


def _remove_unfinished(path: Path, existed: bool) -> None:
    """A file DuckDB began to create and could not finish (a full disk leaves
    an empty one) would be refused as "not a valid DuckDB database" forever."""
    if existed:
        return
    for leftover in (path, path.with_name(path.name + ".wal")):
        try:
            if leftover.stat().st_size == 0:
                leftover.unlink()
        except OSError:
            pass


def _write_error(path: Path, exc: BaseException) -> StoreError | None:
    reason = io_reason(exc)
    return StoreError(f"the database could not be written: {reason}", path, reason) if reason else None


@runtime_checkable
class Backend(Protocol):
    """What the queries of `earmark.db.queries` ask of a database.

    `Store` (DuckDB) is the one implementation; a second backend implements the
    same methods with its own SQL dialect behind `json_text`, `in_list` and
    `insert_rows`. Nothing outside `earmark.db` sees a DuckDB name. Queries that
    run inside a caller's transaction get only its cursor and call the module's
    `insert_rows(cur, ...)`, which a second backend makes choose by the cursor.
    """

    path: Path
    conflicts: tuple[type[Exception], ...]

    def cursor(self) -> Any: ...
    def query(self, sql: str, params: Sequence[Any] | dict | None = None) -> list[tuple]: ...
    def query_one(self, sql: str, params: Sequence[Any] | None = None) -> tuple | None: ...
    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> Any: ...
    def iter_rows(self, sql: str, params: Sequence[Any] | None = None, batch: int = 2000) -> Iterator[tuple]: ...
    def write(self, fn: Callable[[Any], T], attempts: int = 20,
              retry_on: tuple[type[Exception], ...] | None = None) -> T: ...
    def transaction(self) -> ContextManager[Any]: ...
    def json_text(self, column: str, key: str) -> str: ...
    def in_list(self, column: str) -> str: ...
    def insert_rows(self, cur: Any, name: str, columns: dict[str, Any], sql: str) -> list[tuple]: ...
    def cap_memory(self, limit: str) -> None: ...
    def refresh_statistics(self) -> None: ...


class Store:
    """A DuckDB database file with Earmark's schema, safe to use from threads."""

    # Errors of a write that lost to another thread's: on the same rows
    # (TransactionException) or on a key both inserted (ConstraintException).
    # `write(fn, retry_on=store.conflicts)` runs such a write again.
    conflicts: tuple[type[Exception], ...] = (duckdb.TransactionException, duckdb.ConstraintException)

    bridged = True      # another process reaches this file through the app (earmark.cli.bridge)

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.location = str(self.path)   # what messages call the database
        self.key = str(self.path)        # what `open_store` takes to give this store again
        self._con = _open_connection(self.path)
        self._generation = 0            # bumped when the connection is reopened
        self._reopen_lock = threading.Lock()
        self._local = threading.local()
        self._migrate()

    # -- connection handling -------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the shared connection."""
        cur = getattr(self._local, "cursor", None)
        if cur is None or getattr(self._local, "generation", None) != self._generation:
            cur = self._con.cursor()
            self._local.cursor, self._local.generation = cur, self._generation
        return cur

    def close(self) -> None:
        self._con.close()

    def _reopen(self, seen: int) -> None:
        """Replace a connection DuckDB has invalidated (after a failed checkpoint,
        e.g. on a full disk); a no-op when another thread already did."""
        with self._reopen_lock:
            if self._generation != seen:
                return
            log.warning("reopening the database %s after a fatal error", self.path)
            try:
                self._con.close()
            except duckdb.Error:
                pass
            self._con = _open_connection(self.path)
            self._generation += 1

    def _migrate(self) -> None:
        try:
            cur = self.cursor()
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            rows = cur.execute("SELECT max(version) FROM schema_version").fetchall()
        except duckdb.Error as exc:
            problem = _write_error(self.path, exc)
            if problem is None:
                raise
            raise problem from exc
        current = rows[0][0] or 0
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer Earmark (schema {current}, "
                f"this one knows {SCHEMA_VERSION}); upgrade Earmark to open it."
            )
        for version in range(current, SCHEMA_VERSION):
            def apply(c: duckdb.DuckDBPyConnection, v: int = version) -> None:
                step = MIGRATIONS[v]
                sql = step["duckdb"] if isinstance(step, dict) else step
                if sql.strip():           # a migration may be PostgreSQL's alone
                    c.execute(sql)
                c.execute("INSERT INTO schema_version VALUES (?)", [v + 1])
            self.write(apply)

    # -- reads and writes ----------------------------------------------------
    def _read(self, run: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """`run(cursor)`, once more on a fresh connection if the shared one was invalidated."""
        seen = self._generation
        try:
            return run(self.cursor())
        except (duckdb.FatalException, duckdb.ConnectionException) as exc:
            if not (isinstance(exc, duckdb.FatalException) or self._generation != seen):
                raise
            self._reopen(seen)
            return run(self.cursor())

    def query(self, sql: str, params: Sequence[Any] | dict | None = None) -> list[tuple]:
        """Run a read query and return all rows."""
        return self._read(lambda cur: cur.execute(sql, params or []).fetchall())

    def query_one(self, sql: str, params: Sequence[Any] | None = None) -> tuple | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def query_df(self, sql: str, params: Sequence[Any] | None = None):
        """Run a read query and return a pandas DataFrame."""
        return self._read(lambda cur: cur.execute(sql, params or []).df())

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
              retry_on: tuple[type[Exception], ...] | None = None) -> T:
        """Run `fn(cursor)` in a transaction; it is committed when this returns.

        A conflict with another thread's transaction rolls back and retries
        `fn` from the start, with a short random back-off. Callers whose
        inserts may race on a key pass `retry_on=store.conflicts`.
        A write the disk or the file system refuses is not retried: it raises
        `StoreError` and nothing of it is kept, so the caller may try again.
        """
        if retry_on is None:
            retry_on = (duckdb.TransactionException,)
        for attempt in range(attempts):
            seen = self._generation
            cur = self.cursor()
            ran = False
            try:
                cur.execute("BEGIN TRANSACTION")
                result = fn(cur)
                ran = True
                cur.execute("COMMIT")
                return result
            except (duckdb.FatalException, duckdb.ConnectionException) as exc:
                text = str(exc).lower()
                if isinstance(exc, duckdb.ConnectionException) and self._generation == seen:
                    raise
                self._reopen(seen)
                if ran and _DURABLE_COMMIT in text:
                    return result  # only the checkpoint after the commit failed; a later one redoes it
                if attempt == 0 and (_INVALIDATED in text or isinstance(exc, duckdb.ConnectionException)):
                    continue       # the connection was already broken: once more on the new one
                raise _write_error(self.path, exc) or StoreError(
                    f"the database failed and was reopened: {exc}", self.path) from exc
            except retry_on as exc:
                self._roll_back_and_name(cur, exc)
                if attempt == attempts - 1:
                    raise
                time.sleep(random.uniform(0.001, 0.01 * (attempt + 1)))
            except (duckdb.Error, OSError) as exc:
                self._roll_back_and_name(cur, exc)
                raise
            except BaseException:
                _rollback(cur)
                raise
        raise AssertionError("unreachable")

    def _roll_back_and_name(self, cur, exc: BaseException) -> None:
        """Roll a failed write back; raise it as a StoreError in words when it is one
        (a full disk, a read-only file system ...), else return for the caller to go on."""
        _rollback(cur)
        error = _write_error(self.path, exc)
        if error is not None:
            raise error from exc

    def refresh_statistics(self) -> None:
        """After a bulk copy: nothing to do, DuckDB keeps its statistics as it writes."""

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A transaction without retry, for bulk work done by one thread."""
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
            cur.execute("COMMIT")
        except (duckdb.Error, OSError) as exc:
            self._roll_back_and_name(cur, exc)
            raise
        except BaseException:
            _rollback(cur)
            raise


    # -- the dialect: what differs between SQL databases ---------------------
    def json_text(self, column: str, key: str) -> str:
        """SQL for the text of the top-level `key` of the JSON in `column` (NULL when absent)."""
        return f"json_extract_string({column}, '$.{checked_json_key(key)}')"

    def in_list(self, column: str) -> str:
        """SQL that is true when `column` is one of the values of a list parameter `?`."""
        return f"{column} IN (SELECT unnest(?))"

    def insert_rows(self, cur: duckdb.DuckDBPyConnection, name: str, columns: dict[str, Any],
                    sql: str) -> list[tuple]:
        return insert_rows(cur, name, columns, sql)

    def cap_memory(self, limit: str) -> None:
        """Bound DuckDB's cache of read blocks (80 % of RAM by default), e.g. "32MB"."""
        self.cursor().execute(f"SET memory_limit = '{checked_memory_size(limit)}'")


# What the dialect methods put into SQL text, checked the same way for every backend.
def checked_json_key(key: str) -> str:
    """`key` when it is a plain JSON key the dialects may quote into SQL; else ValueError."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        raise ValueError(f"not a JSON key this helper quotes: {key!r}")
    return key


def checked_memory_size(limit: str) -> str:
    """`limit` when it is a memory size such as "32MB"; else ValueError."""
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]?i?B", limit):
        raise ValueError(f"not a memory size: {limit!r}")
    return limit


def insert_rows(cur: duckdb.DuckDBPyConnection, name: str, columns: dict[str, Any], sql: str) -> list[tuple]:
    """Run `sql` (an INSERT ... SELECT ... FROM `name`) over the rows given as columns,
    with `cur`, inside the caller's transaction; return the rows it returns.

    The columns reach DuckDB as one DataFrame (executemany costs about 2 ms a row),
    registered under `name` for this statement only; a PostgreSQL cursor does the
    same its own way (`earmark.db.postgres.pg_insert_rows`)."""
    own = getattr(cur, "insert_rows", None)     # a cursor of another backend does it its own way
    if callable(own):
        return own(name, columns, sql)
    import pandas as pd
    frame = pd.DataFrame(columns)
    cur.register(name, frame)
    try:
        rows = cur.execute(sql).fetchall()
    except duckdb.Error:
        # The failed statement aborted the transaction, which refuses even the unregister
        # ("transaction is aborted", a TransactionException `write` would retry as a
        # conflict): the statement's own error goes on; the rollback drops the frame.
        try:
            cur.unregister(name)
        except duckdb.Error:
            pass
        raise
    cur.unregister(name)
    return rows


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    try:
        cur.execute("ROLLBACK")
    except duckdb.Error:
        pass  # already rolled back by DuckDB after the failure


_stores: dict[Path | str, Any] = {}
_stores_lock = threading.Lock()


def open_store(path: str | os.PathLike[str] | None = None) -> Any:
    """The process-wide store for `path`, a DuckDB file or a `postgresql://` URL
    (default: `default_db_path()`)."""
    location = path or default_db_path()
    key: Path | str
    if is_database_url(location):
        key = str(location)
    else:
        key = Path(location).resolve()
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            if isinstance(key, str):
                from earmark.db.postgres import PostgresStore
                store = PostgresStore(key)
            else:
                store = Store(key)
            _stores[key] = store
        return store


def get_store() -> Any:
    """The store of the current `EARMARK_DB` (or the default path)."""
    return open_store(None)
