"""Datasets in the store: read, list, create or update, add labels, drop.

A dataset comes back as a plain dict: `name`, `view`, `labels` (list),
`settings` (dict), `created` (Unix seconds); labels and settings are kept as
JSON text in the table and decoded here. The naming rule and the `Dataset`
type live in `earmark.datasets`, which calls these.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from earmark.db.store import Store

_COLUMNS = "name, view, labels, settings, created"


def _as_dict(row: tuple) -> dict:
    return {"name": row[0], "view": row[1], "labels": json.loads(row[2]),
            "settings": json.loads(row[3]), "created": row[4]}


def dataset_row(store: Store, name: str) -> dict | None:
    """The dataset `name`, or None when there is none."""
    row = store.query_one(f"SELECT {_COLUMNS} FROM datasets WHERE name = ?", [name])
    return _as_dict(row) if row else None


def dataset_rows(store: Store) -> list[dict]:
    """Every dataset, by name."""
    return [_as_dict(row) for row in store.query(f"SELECT {_COLUMNS} FROM datasets ORDER BY name")]


def has_datasets(store: Store) -> bool:
    """Whether the store holds any dataset at all."""
    return bool(store.query("SELECT count(*) FROM datasets")[0][0])


def save_dataset(store: Store, name: str, view: str | None, labels: list[str] | None,
                 settings: dict | None, *, default_view: str, check_new_name: Callable[[str], object]) -> None:
    """Create the dataset when new (in `default_view` unless a view is given),
    else set those of view/labels/settings given.

    `check_new_name(name)` runs, inside the same transaction, only when the
    dataset does not exist yet; what it raises rolls the write back.
    """
    def upsert(cur) -> None:
        row = cur.execute("SELECT labels, settings FROM datasets WHERE name = ?", [name]).fetchall()
        if not row:
            check_new_name(name)
            cur.execute(
                "INSERT INTO datasets (name, view, labels, settings, created) VALUES (?, ?, ?, ?, ?)",
                [name, view or default_view, json.dumps(labels or []),
                 json.dumps(settings or {}), time.time()],
            )
            return
        if view is not None:
            cur.execute("UPDATE datasets SET view = ? WHERE name = ?", [view, name])
        if labels is not None:
            cur.execute("UPDATE datasets SET labels = ? WHERE name = ?", [json.dumps(labels), name])
        if settings is not None:
            cur.execute("UPDATE datasets SET settings = ? WHERE name = ?", [json.dumps(settings), name])

    store.write(upsert)


def add_labels(store: Store, name: str, labels: list[str]) -> list[str]:
    """Append to the dataset's labels those of `labels` it lacks; return them."""
    added: list[str] = []

    def append(cur) -> None:
        added.clear()  # a retried write starts again
        (current,) = cur.execute("SELECT labels FROM datasets WHERE name = ?", [name]).fetchone()
        have = json.loads(current)
        added.extend(label for label in labels if label not in have)
        if added:
            cur.execute("UPDATE datasets SET labels = ? WHERE name = ?", [json.dumps(have + added), name])

    if labels:
        store.write(append)
    return added


def drop_dataset(store: Store, name: str) -> bool:
    """Delete a dataset with its tasks and annotations; False when it did not exist."""
    def drop(cur) -> bool:
        if not cur.execute("SELECT 1 FROM datasets WHERE name = ?", [name]).fetchall():
            return False
        for table in ("spans", "annotations", "region_embeddings", "tasks", "datasets"):
            column = "name" if table == "datasets" else "dataset"
            cur.execute(f"DELETE FROM {table} WHERE {column} = ?", [name])
        return True

    return store.write(drop)
