"""The rows behind the exports: current annotations (and unanswered tasks) in id order.

Rows are read a window of ids at a time: one ORDER BY over the whole dataset
would make the database sort (and hold) all of it; windows of ids sort a few
thousand rows at a time, so an export's memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from earmark.db.queries import CURRENT_ANNOTATIONS
from earmark.db.queries.media import task_media_path

EXPORT_WINDOW = 5000  # ids per query

__all__ = ["EXPORT_WINDOW", "annotation_documents", "unanswered_task_documents", "task_media_path"]


def annotation_documents(store, dataset: str, answers: Sequence[str] | None = None,
                         sessions: Sequence[str] | None = None,
                         where: tuple[str, list] | None = None) -> Iterator[str]:
    """The JSON documents of the dataset's current annotations, in id order; only the
    `answers` and `sessions` given (None: all), and those matching `where` (more SQL
    over annotations aliased `a`, with its parameters)."""
    clauses, params = ["a.dataset = ?"], [dataset]
    if answers:
        clauses.append(f"a.answer IN ({', '.join('?' * len(answers))})")
        params += list(answers)
    if sessions:
        clauses.append(f"a.session IN ({', '.join('?' * len(sessions))})")
        params += list(sessions)
    if where:
        clauses.append(f"({where[0]})")
        params += list(where[1])
    sql = f"SELECT a.annotation FROM ({CURRENT_ANNOTATIONS}) AS a WHERE {' AND '.join(clauses)}"
    return _in_id_windows(store, "annotations", sql, params)


def unanswered_task_documents(store, dataset: str) -> Iterator[str]:
    """The JSON documents of the dataset's tasks nobody has answered, in id order."""
    sql = ("SELECT task FROM tasks t WHERE dataset = ? AND NOT EXISTS "
           "(SELECT 1 FROM annotations a WHERE a.task_id = t.id)")
    return _in_id_windows(store, "tasks", sql, [dataset])


def _in_id_windows(store, table: str, sql: str, params: list,
                   window: int = EXPORT_WINDOW) -> Iterator[str]:
    """The first column of `sql`, in id order, a window of ids at a time."""
    low, high = store.query_one(f"SELECT min(id), max(id) FROM {table} WHERE dataset = ?", [params[0]])
    if low is None:
        return
    for start in range(low, high + 1, window):
        rows = store.query(f"{sql} AND id >= ? AND id < ? ORDER BY id",
                           [*params, start, start + window])
        for (document,) in rows:
            yield document
