"""PostgreSQL: the database a team shares between app replicas and the command line.

`PostgresStore` is the second implementation of `earmark.db.store.Backend`:
the same schema (the DuckDB migrations with two type names translated), the
same queries (their `?` and `$name` placeholders translated once per
statement), the same `write(fn)` with retries. What differs:

- Connections come from a pool (psycopg_pool), one per query or transaction,
  so any number of threads and Streamlit script runs share a few connections.
- Writes run at REPEATABLE READ, PostgreSQL's snapshot isolation, which is what
  DuckDB gives: two transactions updating the same row, or inserting the same
  key, conflict, and the loser is retried from the start. So two replicas never
  claim one task for two annotators, and an answer's receipt is written once.
- Migrations take a transaction-scoped advisory lock: two processes opening
  an empty database at once apply each migration once.
- Files kept beside the database (the media folder of uploads and the token
  secret) live in `EARMARK_DATA` (default `data/`), a folder every replica
  must share.

A URL names the database: `postgresql://user[:password]@host[:port]/dbname`
(libpq's own forms, such as `?host=/socket/dir`, work too).
"""

from __future__ import annotations

import functools
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
import psycopg.errors
from psycopg_pool import ConnectionPool

from earmark.db.schema import MIGRATIONS, SCHEMA_VERSION

T = TypeVar("T")
log = logging.getLogger(__name__)
_MIGRATION_LOCK = 0x6561726D   # "earm": the advisory lock migrations hold
POOL_SIZE = int(os.environ.get("EARMARK_DB_POOL", "10"))


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


# -- the dialect -------------------------------------------------------------------
@functools.lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """The queries' SQL (DuckDB placeholders `?` and `$name`) in psycopg's: `%s` and
    `%(name)s`, with literal `%` doubled; text inside quotes is left as it is."""
    out, i, n = [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:   # an escaped quote
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i:j + 1].replace("%", "%%"))
            i = j + 1
            continue
        if c == "?":
            out.append("%s")
        elif c == "%":
            out.append("%%")
        elif c == "$" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql[i:])
            assert m is not None
            out.append(f"%({m.group(1)})s")
            i += len(m.group(0))
            continue
        else:
            out.append(c)
        i += 1
    return _functions("".join(out))


# DuckDB functions the queries use, in PostgreSQL's words.
_FUNCTION_REWRITES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"json_extract_string\(([^,()]+(?:\([^()]*\))?),\s*'\$\.([A-Za-z_][A-Za-z0-9_]*)'\)"),
     r"((\1)::json ->> '\2')"),
    (re.compile(r"TRY_CAST\(json_extract\(([^,()]+),\s*'\$\.([A-Za-z_]+)\.([A-Za-z_]+)'\) AS DOUBLE\)"),
     r"earmark_try_double((\1)::json -> '\2' ->> '\3')"),
]


def _functions(sql: str) -> str:
    for pattern, replacement in _FUNCTION_REWRITES:
        sql = pattern.sub(replacement, sql)
    return sql


def _ddl(migration: str | dict[str, str]) -> str:
    """A migration in PostgreSQL's words: its own version, or the portable one in
    PostgreSQL's type names."""
    if isinstance(migration, dict):
        migration = migration["postgresql"]
    migration = re.sub(r"\bDOUBLE\b(?! PRECISION)", "DOUBLE PRECISION", migration)
    return re.sub(r"\bBLOB\b", "BYTEA", migration)


# Helpers the translated queries call (created with the schema, replaced on every open).
_HELPERS = """
CREATE OR REPLACE FUNCTION round(double precision, integer) RETURNS double precision AS $$
    SELECT round($1::numeric, $2)::double precision
$$ LANGUAGE sql IMMUTABLE;
CREATE OR REPLACE FUNCTION earmark_try_double(text) RETURNS double precision AS $$
BEGIN
    RETURN $1::double precision;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$ LANGUAGE plpgsql IMMUTABLE;
"""


class PgCursor:
    """A psycopg cursor that takes the queries' placeholders and returns itself from
    `execute`, as DuckDB's does (`cur.execute(sql, params).fetchall()`)."""

    def __init__(self, conn: psycopg.Connection):
        self.connection = conn
        self._cur = conn.cursor()

    def execute(self, sql: str, params: Sequence[Any] | dict | None = None) -> "PgCursor":
        self._cur.execute(translate(sql), _params(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> "PgCursor":
        self._cur.executemany(translate(sql), [_params(r) for r in rows])  # type: ignore[misc]
        return self

    def fetchall(self) -> list[tuple]:
        return self._cur.fetchall() if self._cur.description else []

    def fetchone(self) -> tuple | None:
        return self._cur.fetchone() if self._cur.description else None

    def fetchmany(self, size: int) -> list[tuple]:
        return self._cur.fetchmany(size)

    @property
    def description(self):
        return self._cur.description

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    def df(self):
        import pandas as pd
        columns = [d.name for d in self._cur.description or ()]
        return pd.DataFrame(self.fetchall(), columns=columns)

    def close(self) -> None:
        self._cur.close()

    def insert_rows(self, name: str, columns: dict[str, Any], sql: str) -> list[tuple]:
        return pg_insert_rows(self, name, columns, sql)


def _params(params: Sequence[Any] | dict | None) -> Sequence[Any] | dict | None:
    if params is None:
        return None
    if isinstance(params, dict):
        return {k: _value(v) for k, v in params.items()}
    return [_value(v) for v in params]


def _is_column(value: Any) -> bool:
    return hasattr(value, "__len__") and not isinstance(value, (str, bytes, bytearray, memoryview, dict))


def _value(value: Any) -> Any:
    """numpy scalars and pandas' missing values (which pandas hands out) as Python's."""
    if value is not None and type(value).__name__ in ("NAType", "NaTType"):
        return None
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        return item()
    if isinstance(value, tuple):
        return list(value)
    return value


def _dtype_type(column: Any) -> str | None:
    """The SQL type of a numpy or pandas array by its dtype (None: by its values)."""
    kind = getattr(getattr(column, "dtype", None), "kind", None)
    return {"f": "double precision", "i": "bigint", "u": "bigint", "b": "boolean"}.get(kind or "")


def _target_types(cur: "PgCursor", sql: str) -> dict[str, str]:
    """The column types of the table an `INSERT INTO table` statement writes."""
    m = re.match(r"\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)", sql, re.IGNORECASE)
    if not m:
        return {}
    rows = cur._cur.execute("SELECT column_name, data_type FROM information_schema.columns "
                            "WHERE table_schema = current_schema() AND table_name = %s", [m.group(1)]).fetchall()
    return {name: kind for name, kind in rows}


def _column_type(values: list) -> str:
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool):
        return "boolean"
    if isinstance(sample, int):
        return "bigint"
    if isinstance(sample, float):
        return "double precision"
    if isinstance(sample, (bytes, bytearray, memoryview)):
        return "bytea"
    return "text"


def pg_insert_rows(cur: PgCursor, name: str, columns: dict[str, Any], sql: str) -> list[tuple]:
    """`insert_rows` for PostgreSQL: the rows go into a temporary table `name` by COPY
    (one round trip for the lot), `sql` reads them from there, the table is dropped."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or not all(
            re.fullmatch(r"[a-z_][a-z0-9_]*", c) for c in columns):
        raise ValueError(f"not a table or column name this helper quotes: {name!r}, {list(columns)!r}")
    # a column is a list (or any sequence, such as a pandas array) or one value for every row
    listed = {c: [_value(x) for x in v] for c, v in columns.items() if _is_column(v)}
    lengths = {len(v) for v in listed.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths for {name}: {sorted(lengths)}")
    count = lengths.pop() if lengths else 1
    full = {c: listed[c] if c in listed else [_value(v)] * count for c, v in columns.items()}
    types = {c: _dtype_type(columns[c]) or _column_type(v) for c, v in full.items()}
    if any(all(x is None for x in full[c]) for c in full):   # no value to tell the type: the target's
        target = _target_types(cur, sql)
        types.update({c: target[c] for c in full if all(x is None for x in full[c]) and c in target
                      and _dtype_type(columns[c]) is None})
    raw = cur._cur
    raw.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
    raw.execute(f"CREATE TEMP TABLE {name} ({', '.join(f'{c} {types[c]}' for c in full)})")
    with raw.copy(f"COPY {name} ({', '.join(full)}) FROM STDIN") as copy:
        for row in zip(*full.values()):
            copy.write_row(row)
    try:
        return cur.execute(sql).fetchall()
    finally:
        if not cur.connection.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            raw.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")


# -- the store -----------------------------------------------------------------------
class PostgresStore:
    """A PostgreSQL database with Earmark's schema, shared by threads and processes."""

    conflicts: tuple[type[Exception], ...] = (
        psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected, psycopg.errors.UniqueViolation)
    _write_conflicts: tuple[type[Exception], ...] = (
        psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE):
        from earmark.db.store import StoreError
        self.url = url
        self.location = redacted(url)
        self.key = url                   # what `open_store` takes to give this store again
        data = Path(os.environ.get("EARMARK_DATA") or "data")
        database = urlsplit(url).path.strip("/") or "earmark"
        # Files kept beside the database: `path.parent` is the shared data folder
        # (media/ and the token secret are found from `path`, as for a DuckDB file).
        self.path = data.resolve() / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', database)}.postgresql"
        self._local = threading.local()
        try:   # once directly: libpq's reason in words, where a pool would only time out
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"the database could not be opened: {reason}", self.location) from exc
        self._pool = ConnectionPool(url, min_size=1, max_size=max(2, pool_size), open=True,
                                    kwargs={"autocommit": True}, timeout=30, name=f"earmark {self.location}")
        self._migrate()

    # -- connections ---------------------------------------------------------------
    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        held = getattr(self._local, "conn", None)
        if held is not None:          # inside this thread's transaction: the same connection
            yield held
            return
        with self._pool.connection() as conn:
            yield conn

    @contextmanager
    def _checked_out(self) -> Iterator[psycopg.Connection]:
        pinned = getattr(self._local, "pinned", None)
        if pinned is not None:
            yield pinned
            return
        with self._pool.connection() as conn:
            yield conn

    def cursor(self) -> PgCursor:
        """A cursor for one statement outside a transaction (its connection goes back
        to the pool at once: read everything it returns before the next call)."""
        raise NotImplementedError("PostgresStore has no cursor outside a transaction: use query()")

    def close(self) -> None:
        self._pool.close()

    def _migrate(self) -> None:
        from earmark.db.store import StoreError

        def apply(cur: PgCursor) -> None:
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = cur.execute("SELECT max(version) FROM schema_version").fetchall()[0][0] or 0
            if current > SCHEMA_VERSION:
                raise StoreError(f"{self.location} was written by a newer Earmark (schema {current}, "
                                 f"this one knows {SCHEMA_VERSION}); upgrade Earmark to open it.")
            cur._cur.execute(_HELPERS)       # first: migrations may call them
            for version in range(current, SCHEMA_VERSION):
                cur._cur.execute(_ddl(MIGRATIONS[version]))      # DDL: no placeholders
                cur.execute("INSERT INTO schema_version VALUES (?)", [version + 1])
        # The lock is the session's, taken before the transaction begins: a snapshot
        # taken while waiting for it would not see the migrations the holder commits.
        with self._pool.connection() as conn:
            conn.execute(f"SELECT pg_advisory_lock({_MIGRATION_LOCK})")
            try:
                self._local.conn = None
                with _held(self._local, conn):
                    self.write(apply)
            finally:
                conn.execute(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK})")

    # -- reads and writes ------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | dict | None = None) -> list[tuple]:
        with self._connection() as conn:
            return PgCursor(conn).execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] | dict | None = None) -> tuple | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def query_df(self, sql: str, params: Sequence[Any] | dict | None = None):
        with self._connection() as conn:
            return PgCursor(conn).execute(sql, params).df()

    def iter_rows(self, sql: str, params: Sequence[Any] | None = None, batch: int = 2000) -> Iterator[tuple]:
        """Stream the rows of a query with a server-side cursor, so memory stays flat."""
        with self._pool.connection() as conn:
            with conn.transaction():
                with conn.cursor(name=f"earmark_rows_{threading.get_ident()}_{random.getrandbits(32)}") as cur:
                    cur.itersize = batch
                    cur.execute(translate(sql), _params(params))
                    yield from cur

    def write(self, fn: Callable[[Any], T], attempts: int = 20,
              retry_on: tuple[type[Exception], ...] | None = None) -> T:
        """Run `fn(cursor)` in a REPEATABLE READ transaction, committed when this returns;
        a conflict with another transaction (here or in another process) retries `fn`."""
        retry_on = self._write_conflicts if retry_on is None else retry_on
        for attempt in range(attempts):
            try:
                with self.transaction() as cur:
                    return fn(cur)
            except retry_on:
                if attempt == attempts - 1:
                    raise
                time.sleep(random.uniform(0.001, 0.01 * (attempt + 1)))
        raise AssertionError("unreachable")

    def refresh_statistics(self) -> None:
        """After a bulk copy: VACUUM ANALYZE, so that the planner knows the tables' sizes
        and index-only scans need not visit the rows (autovacuum would take its time;
        until then every plan guesses). VACUUM runs outside a transaction."""
        with self._pool.connection() as conn:
            autocommit = conn.autocommit
            conn.autocommit = True
            try:
                conn.execute("VACUUM ANALYZE")
            finally:
                conn.autocommit = autocommit

    @contextmanager
    def transaction(self) -> Iterator[PgCursor]:
        from earmark.db.store import StoreError
        if getattr(self._local, "conn", None) is not None:
            raise RuntimeError("a transaction is already open on this thread")
        with self._checked_out() as conn:
            self._local.conn = conn
            try:
                conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
                cur = PgCursor(conn)
                try:
                    yield cur
                    conn.execute("COMMIT")
                except BaseException:
                    _rollback(conn)
                    raise
            except psycopg.errors.DiskFull as exc:
                raise StoreError("the database could not be written: no space left on the device",
                                 self.location, "no space left on the device") from exc
            finally:
                self._local.conn = None

    # -- the dialect ---------------------------------------------------------------
    def json_text(self, column: str, key: str) -> str:
        from earmark.db.store import checked_json_key
        return f"(({column})::json ->> '{checked_json_key(key)}')"

    def in_list(self, column: str) -> str:
        return f"{column} = ANY(?)"

    def insert_rows(self, cur: PgCursor, name: str, columns: dict[str, Any], sql: str) -> list[tuple]:
        return pg_insert_rows(cur, name, columns, sql)

    def cap_memory(self, limit: str) -> None:
        """The server bounds its own memory (exports stream through a server-side
        cursor); the size is checked as DuckDB's store checks it."""
        from earmark.db.store import checked_memory_size
        checked_memory_size(limit)

    bridged = False     # the command line opens PostgreSQL itself, beside running apps


@contextmanager
def _held(local: threading.local, conn: psycopg.Connection) -> Iterator[None]:
    """Make this thread's transactions use `conn` (the one holding a session lock)."""
    local.pinned = conn
    try:
        yield
    finally:
        local.pinned = None


def _rollback(conn: psycopg.Connection) -> None:
    try:
        conn.execute("ROLLBACK")
    except psycopg.Error:
        pass
