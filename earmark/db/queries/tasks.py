"""Tasks and the feed: reading stored tasks, the queue of a session, claims, undo, progress."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence

from earmark.db.queries import CURRENT_ANNOTATIONS, skipped
from earmark.db.store import insert_rows
from earmark.records import StoredTask

_TASK_COLUMNS = "id, dataset, media_id, task, input_hash, task_hash"
IDS_PER_QUERY = 1000
_UNANSWERED = "NOT EXISTS (SELECT 1 FROM annotations a WHERE a.task_id = {0})"
# the feed's orders (setting `feed_order`): load order, or the least certain proposals
# first (`tasks.score`, the lowest region or word score; unscored tasks after, in load order)
FEED_ORDERS = ("file", "uncertain")


def _order(order: str, alias: str = "t", id_column: str = "id") -> str:
    if order == "uncertain":
        return f"{alias}.score ASC NULLS LAST, {alias}.{id_column}"
    return f"{alias}.{id_column}"


def task_score(task: dict) -> float | None:
    """A task's uncertainty for the feed: the lowest `score` of its regions and words
    (a model's confidence, 0 to 1), or None when nothing in it is scored."""
    scores = [item.get("score") for key in ("audio_spans", "words") for item in task.get(key) or ()
              if isinstance(item, dict)]
    numbers = [float(s) for s in scores if isinstance(s, (int, float)) and not isinstance(s, bool)]
    return min(numbers) if numbers else None


# Recording tasks as served and relabelling unserved ones take turns: a relabelling's
# transaction, begun after every served mark before it has committed, sees them all, and
# no task is marked served while one writes. (Both write `served` of the same rows, but
# DuckDB 2.0 was seen to let an UPDATE ... FROM over a registered frame overwrite a
# column another transaction committed after its snapshot, without a conflict.) DuckDB has
# one writing process per file, so a lock of this process suffices; a PostgreSQL backend
# would lock the rows (SELECT ... FOR UPDATE) instead.
SERVING = threading.Lock()


def serving_write(store, fn):
    """`store.write(fn)` (retried on conflicts) while no other served mark or relabelling runs."""
    with SERVING:
        return store.write(fn, retry_on=store.conflicts)


# A card shows the first task of its queue and moves to the next the moment it is
# answered, before the page runs again: those two count as shown. The tasks queued
# behind them stay open to relabelling from voice profiles (a name given once reaches
# the rest of a recording the card has queued); the card takes them anew from the
# next run, whose items are keyed by the task's content.
SHOWN_AHEAD = 2


def _mark_served(cur, ids: Sequence[int], now: float) -> None:
    """Record that the feed gave these tasks to a card (the first time only)."""
    if ids:
        cur.execute(f"UPDATE tasks SET served = ? WHERE id IN ({', '.join('?' * len(ids))}) "
                    "AND served IS NULL", [now, *ids])


def _stored_task(row) -> StoredTask:
    """A tasks row (id, dataset, media_id, task, input_hash, task_hash) as a StoredTask;
    one whose JSON cannot be read comes back with a `problem`."""
    hashes = {"_input_hash": row[4], "_task_hash": row[5]}
    try:
        data = json.loads(row[3])
    except ValueError as exc:
        return StoredTask(row[0], row[1], row[2], hashes, f"the stored task is not valid JSON ({exc})")
    if not isinstance(data, dict):
        return StoredTask(row[0], row[1], row[2], hashes,
                          f"the stored task is a JSON {type(data).__name__}, not an object")
    return StoredTask(row[0], row[1], row[2], {**hashes, **data})


def get_task(store, task_id: int) -> StoredTask | None:
    """The stored task; one whose JSON cannot be read comes back with a `problem`."""
    found = get_tasks(store, [task_id])
    return found[0] if found else None


def get_tasks(store, ids: Sequence[int]) -> list[StoredTask]:
    """The stored tasks of `ids`, in that order (ids no longer stored are left out), in one
    query per `IDS_PER_QUERY` ids (PostgreSQL takes at most 65,535 parameters)."""
    wanted = [int(i) for i in ids]
    by_id = {}
    for start in range(0, len(wanted), IDS_PER_QUERY):
        chunk = wanted[start:start + IDS_PER_QUERY]
        for row in store.query(f"SELECT {_TASK_COLUMNS} FROM tasks WHERE id IN ({', '.join('?' * len(chunk))})",
                               chunk):
            by_id[row[0]] = row
    return [_stored_task(by_id[i]) for i in wanted if i in by_id]


def unanswered_by(store, dataset: str, session: str, size: int, order: str = "file") -> list[int]:
    """The first `size` task ids `session` has not answered and nobody skipped, in the
    feed's `order`; the first `SHOWN_AHEAD` are recorded as served (every annotator sees every task)."""
    rows = store.query(
        "SELECT id, served FROM tasks t WHERE dataset = ? AND NOT EXISTS "
        "(SELECT 1 FROM annotations a WHERE a.task_id = t.id AND a.session = ?) "
        f"AND NOT EXISTS (SELECT 1 FROM ({CURRENT_ANNOTATIONS}) s WHERE s.task_id = t.id "
        f"AND {skipped(store, 's')}) ORDER BY {_order(order)} LIMIT ?", [dataset, session, size])
    new = [r[0] for r in rows[:SHOWN_AHEAD] if r[1] is None]
    if new:   # a write only when a task goes to a card for the first time
        now = time.time()
        serving_write(store, lambda cur: _mark_served(cur, new, now))
    return [r[0] for r in rows]


def claim_tasks(store, dataset: str, session: str, size: int, *, now: float, claim_seconds: float,
                fair_floor: int, order: str = "file") -> list[int]:
    """Claim up to `size` unanswered tasks for `session` in one transaction; their ids in order.

    First the claims `session` holds (oldest first), then free tasks (unclaimed, or
    claimed longer than `claim_seconds` ago), then, when those run out, tasks other
    sessions hold beyond their first `fair_floor`, free and taken-over tasks in the
    feed's `order`. Every claim returned is renewed to `now` (a task on an
    annotator's screen stays theirs) and the tasks are recorded as served."""
    def claim(cur) -> list[int]:
        held = [r[0] for r in cur.execute(
            f"SELECT task_id FROM claims c WHERE dataset = ? AND session = ? "
            f"AND {_UNANSWERED.format('c.task_id')} ORDER BY claimed, task_id LIMIT ?",
            [dataset, session, size]).fetchall()]
        free = []
        if len(held) < size:
            free = [r[0] for r in cur.execute(
                f"SELECT id FROM tasks t WHERE dataset = ? AND {_UNANSWERED.format('t.id')} "
                "AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.dataset = t.dataset "
                "AND c.task_id = t.id AND c.session = ?) "
                "AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.dataset = t.dataset "
                f"AND c.task_id = t.id AND c.session <> ? AND c.claimed > ?) ORDER BY {_order(order)} LIMIT ?",
                [dataset, session, session, now - claim_seconds, size - len(held)]).fetchall()]
        if len(held) + len(free) < size:
            free += [r[0] for r in cur.execute(
                f"SELECT task_id FROM (SELECT task_id, t.score, row_number() OVER (PARTITION BY session "
                f"ORDER BY claimed, task_id) AS rank FROM claims c JOIN tasks t ON t.id = c.task_id "
                f"WHERE c.dataset = ? AND session <> ? "
                f"AND claimed > ? AND {_UNANSWERED.format('c.task_id')}) AS t WHERE rank > ? "
                f"ORDER BY {_order(order, id_column='task_id')} LIMIT ?",
                [dataset, session, now - claim_seconds, fair_floor, size - len(held) - len(free)]).fetchall()]
        ids = list(dict.fromkeys(held + free))
        if ids:   # one statement for all: a statement per claim was a fifth of a page run's CPU
            cur.execute(
                "INSERT INTO claims (dataset, task_id, session, claimed) VALUES "
                + ", ".join(["(?, ?, ?, ?)"] * len(ids))
                + " ON CONFLICT (dataset, task_id) DO UPDATE SET session = excluded.session, "
                "claimed = excluded.claimed",
                [v for k, task_id in enumerate(ids) for v in (dataset, task_id, session, now + k * 1e-6)])
        _mark_served(cur, ids[:SHOWN_AHEAD], now)
        return ids

    # Two sessions may pick the same free task at once: the loser retries.
    return serving_write(store, claim)


def latest_answer(store, dataset: str, session: str,
                  before: float | None = None) -> tuple[int, int | None, dict, float] | None:
    """(annotation id, task id, annotation, created) of the session's latest current
    annotation (created before `before`, if given)."""
    sql = (f"SELECT id, task_id, annotation, created FROM ({CURRENT_ANNOTATIONS}) AS c "
           "WHERE dataset = ? AND session = ?")
    params: list = [dataset, session]
    if before is not None:
        sql += " AND created < ?"
        params.append(before)
    row = store.query_one(sql + " ORDER BY created DESC, id DESC LIMIT 1", params)
    if not row:
        return None
    return row[0], row[1], json.loads(row[2]), row[3]


def progress_counts(store, dataset: str, session: str) -> tuple[int, int, int]:
    """(tasks in the dataset, tasks answered by anyone, current annotations by `session`)."""
    tasks, done = store.query_one(
        # IN, not EXISTS: PostgreSQL hashes the dataset's answered ids once (an annotation
        # is stored under its task's dataset) instead of probing once per task
        "SELECT count(*), count(*) FILTER (WHERE t.id IN "
        "(SELECT a.task_id FROM annotations a WHERE a.dataset = ?)) FROM tasks t WHERE dataset = ?",
        [dataset, dataset])
    mine = store.query_one(
        f"SELECT count(*) FROM ({CURRENT_ANNOTATIONS}) AS c WHERE dataset = ? AND session = ?",
        [dataset, session])[0]
    return tasks, done, mine


# -- loading -------------------------------------------------------------------
def input_hashes(store, dataset: str) -> set[int]:
    """The input hashes of the dataset's tasks (a task with one of them is a duplicate)."""
    return {h for (h,) in store.query("SELECT input_hash FROM tasks WHERE dataset = ?", [dataset])}


def count_tasks(store, dataset: str) -> int:
    return store.query_one("SELECT count(*) FROM tasks WHERE dataset = ?", [dataset])[0]


def insert_tasks(cur, dataset: str, tasks: Sequence[tuple[dict, str | None]],
                 added: float) -> list[int]:
    """Insert (task, media id) pairs inside the caller's transaction, tasks already
    hashed; a task whose input hash the dataset holds is left out. Their ids in input order."""
    ids = insert_tasks_by_hash(cur, dataset, tasks, added)
    return [ids[t["_input_hash"]] for t, _ in tasks if t["_input_hash"] in ids]


def insert_tasks_by_hash(cur, dataset: str, tasks: Sequence[tuple[dict, str | None]],
                         added: float) -> dict[int, int]:
    """`insert_tasks`, giving input hash -> id of the tasks inserted (not those left out)."""
    import pandas as pd
    rows = insert_rows(cur, "new_tasks", {
        "dataset": dataset,
        "input_hash": [t["_input_hash"] for t, _ in tasks],
        "task_hash": [t["_task_hash"] for t, _ in tasks],
        "media_id": [media_id for _, media_id in tasks],
        "task": [json.dumps(t, ensure_ascii=False) for t, _ in tasks],
        "score": pd.array([task_score(t) for t, _ in tasks], dtype="Float64"),   # NULL, never NaN
        "added": added,
    }, "INSERT INTO tasks (dataset, input_hash, task_hash, media_id, task, score, added) "
       "SELECT dataset, input_hash, task_hash, media_id, task, score, added FROM new_tasks "
       "ON CONFLICT DO NOTHING RETURNING input_hash, id")
    return dict(rows)  # RETURNING order is not the input order


def delete_tasks_of_media(cur, dataset: str, media_ids: Sequence[str]) -> list[int]:
    """Delete the dataset's tasks on these media inside the caller's transaction; their ids."""
    if not media_ids:
        return []
    rows = cur.execute(
        f"DELETE FROM tasks WHERE dataset = ? AND media_id IN ({', '.join('?' * len(media_ids))}) "
        "RETURNING id", [dataset, *media_ids]).fetchall()
    ids = [r[0] for r in rows]
    if ids:
        cur.execute(f"DELETE FROM region_embeddings WHERE task_id IN ({', '.join('?' * len(ids))})", ids)
    return ids
