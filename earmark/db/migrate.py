"""Copying a whole store from one database to another (`earmark migrate`).

A DuckDB file into PostgreSQL when a team outgrows one process, and back.
Every table of the schema is copied row for row, ids included (annotations
point at the versions they supersede, spans at their annotation, receipts at
both), in batches so memory stays flat; the target's id sequences then
continue after the copied ids. The target must be empty: copying into a store
that holds datasets would mix two histories. The copy is verified by counting
each table on both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from earmark.db.schema import SCHEMA_VERSION

# Every table, parents first; each id sequence with the table whose ids it gives.
SEQUENCES = {"task_ids": "tasks", "annotation_ids": "annotations"}
BATCH = 5000


class MigrateError(ValueError):
    """A copy that cannot be made (in words naming the database)."""


@dataclass
class Copied:
    table: str
    rows: int


def tables(store) -> list[str]:
    """The schema's tables (all but `schema_version`), in the order they were created."""
    if hasattr(store, "url"):
        rows = store.query("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                           "current_schema() AND table_type = 'BASE TABLE'")
    else:
        rows = store.query("SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                           "AND table_schema = 'main'")
    names = {r[0] for r in rows} - {"schema_version"}
    return sorted(names, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))


_ORDER = ["datasets", "media", "tasks", "annotations", "spans", "peaks", "claims", "answer_receipts"]


def migrate(source, target, progress: Callable[[str, int], None] | None = None) -> list[Copied]:
    """Copy every row of `source` into the empty `target`; the rows copied per table."""
    if source.key == target.key:
        raise MigrateError(f"{source.location} is both the source and the target")
    for store in (source, target):
        version = store.query_one("SELECT max(version) FROM schema_version")[0]
        if version != SCHEMA_VERSION:
            raise MigrateError(f"{store.location} is at schema {version}, this Earmark at {SCHEMA_VERSION}")
    held = [t for t in tables(target) if target.query_one(f"SELECT count(*) FROM {t}")[0]]
    if held:
        raise MigrateError(f"{target.location} is not empty (it holds rows in {', '.join(held)}): "
                           "migrate into a new database")
    names = tables(source)
    missing = set(names) - set(tables(target))
    if missing:
        raise MigrateError(f"{target.location} has no table {', '.join(sorted(missing))}")
    copied = []
    with target.transaction() as cur:   # all or nothing: a failed copy leaves the target empty
        for table in names:
            columns = _columns(source, table)
            n = 0
            batch: list[tuple] = []
            for row in source.iter_rows(f"SELECT {', '.join(columns)} FROM {table}", batch=BATCH):
                batch.append(row)
                if len(batch) == BATCH:
                    n += _append(target, cur, table, columns, batch)
                    batch = []
                    if progress:
                        progress(table, n)
            if batch:
                n += _append(target, cur, table, columns, batch)
            if progress:
                progress(table, n)
            copied.append(Copied(table, n))
        for sequence, table in SEQUENCES.items():
            _continue_after(target, cur, sequence, table)
    for item in copied:
        counted = target.query_one(f"SELECT count(*) FROM {item.table}")[0]
        if counted != item.rows or source.query_one(f"SELECT count(*) FROM {item.table}")[0] != item.rows:
            raise MigrateError(f"{item.table}: {item.rows} rows copied but {counted} in {target.location}")
    target.refresh_statistics()
    return copied


def _columns(store, table: str) -> list[str]:
    if hasattr(store, "url"):
        rows = store.query("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                           "current_schema() AND table_name = ? ORDER BY ordinal_position", [table])
    else:
        rows = store.query("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                           "AND table_schema = 'main' ORDER BY ordinal_position", [table])
    return [f'"{name}"' for (name,) in rows]


def _append(store, cur, table: str, columns: list[str], rows: list[tuple]) -> int:
    """Insert `rows` into `table` inside the transaction of `cur`: COPY into PostgreSQL,
    one DataFrame into DuckDB."""
    if hasattr(store, "url"):
        with cur._cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return len(rows)
    import pandas as pd
    frame = pd.DataFrame.from_records(rows, columns=[c.strip('"') for c in columns])
    cur.register("migrated_rows", frame)
    try:
        cur.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM migrated_rows")
    finally:
        cur.unregister("migrated_rows")
    return len(rows)


def _continue_after(store, cur, sequence: str, table: str) -> None:
    """Make `sequence` give ids after the largest copied one."""
    top = cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchall()[0][0]
    if not top:
        return
    if hasattr(store, "url"):
        cur.execute(f"SELECT setval('{sequence}', ?)", [top])
    else:   # DuckDB has no setval: draw the ids the copy used
        cur.execute(f"SELECT count(nextval('{sequence}')) FROM range(?)", [top])
