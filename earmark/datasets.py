"""Datasets: a named queue of tasks with its view, labels and settings."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from earmark.store import Store

VIEWS = ("audio", "audio_manual", "transcript", "alignment")


class DatasetError(ValueError):
    """A dataset request that cannot be honoured; the message says why."""


@dataclass
class Dataset:
    name: str
    view: str
    labels: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    created: float = 0.0


def _check_view(view: str) -> None:
    if view not in VIEWS:
        raise DatasetError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")


def get_dataset(store: Store, name: str) -> Dataset | None:
    row = store.query_one(
        "SELECT name, view, labels, settings, created FROM datasets WHERE name = ?", [name]
    )
    if not row:
        return None
    return Dataset(row[0], row[1], json.loads(row[2]), json.loads(row[3]), row[4])


def list_datasets(store: Store) -> list[Dataset]:
    rows = store.query("SELECT name FROM datasets ORDER BY name")
    return [d for (name,) in rows if (d := get_dataset(store, name))]


def ensure_dataset(store: Store, name: str, view: str | None = None,
                   labels: list[str] | None = None, settings: dict | None = None) -> Dataset:
    """Get the dataset, creating it when new; given view/labels/settings update it."""
    if not name or not name.strip():
        raise DatasetError("a dataset needs a name")
    if view is not None:
        _check_view(view)

    def upsert(cur) -> None:
        row = cur.execute("SELECT labels, settings FROM datasets WHERE name = ?", [name]).fetchall()
        if not row:
            cur.execute(
                "INSERT INTO datasets (name, view, labels, settings, created) VALUES (?, ?, ?, ?, ?)",
                [name, view or "audio_manual", json.dumps(labels or []),
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
    found = get_dataset(store, name)
    assert found is not None
    return found


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
        for table in ("spans", "annotations", "tasks", "datasets"):
            column = "name" if table == "datasets" else "dataset"
            cur.execute(f"DELETE FROM {table} WHERE {column} = ?", [name])
        return True

    return store.write(drop)
