"""Tasks and the feed: reading stored tasks, the queue of a session, claims, undo, progress."""

from __future__ import annotations

import json
from collections.abc import Sequence

from earmark.db.queries import CURRENT_ANNOTATIONS, skipped
from earmark.db.store import insert_rows
from earmark.records import StoredTask

_UNANSWERED = "NOT EXISTS (SELECT 1 FROM annotations a WHERE a.task_id = {0})"


def get_task(store, task_id: int) -> StoredTask | None:
    """The stored task; one whose JSON cannot be read comes back with a `problem`."""
    row = store.query_one(
        "SELECT id, dataset, media_id, task, input_hash, task_hash FROM tasks WHERE id = ?", [task_id])
    if not row:
        return None
    hashes = {"_input_hash": row[4], "_task_hash": row[5]}
    try:
        data = json.loads(row[3])
    except ValueError as exc:
        return StoredTask(row[0], row[1], row[2], hashes, f"the stored task is not valid JSON ({exc})")
    if not isinstance(data, dict):
        return StoredTask(row[0], row[1], row[2], hashes,
                          f"the stored task is a JSON {type(data).__name__}, not an object")
    return StoredTask(row[0], row[1], row[2], {**hashes, **data})


def get_tasks(store, ids: Sequence[int]) -> list[StoredTask]:
    """The stored tasks of `ids`, in that order (ids no longer stored are left out)."""
    tasks = (get_task(store, i) for i in ids)
    return [t for t in tasks if t is not None]


def unanswered_by(store, dataset: str, session: str, size: int) -> list[int]:
    """The first `size` task ids `session` has not answered and nobody skipped, by id."""
    rows = store.query(
        "SELECT id FROM tasks t WHERE dataset = ? AND NOT EXISTS "
        "(SELECT 1 FROM annotations a WHERE a.task_id = t.id AND a.session = ?) "
        f"AND NOT EXISTS (SELECT 1 FROM ({CURRENT_ANNOTATIONS}) s WHERE s.task_id = t.id "
        f"AND {skipped(store, 's')}) ORDER BY id LIMIT ?", [dataset, session, size])
    return [r[0] for r in rows]


def claim_tasks(store, dataset: str, session: str, size: int, *, now: float, claim_seconds: float,
                fair_floor: int) -> list[int]:
    """Claim up to `size` unanswered tasks for `session` in one transaction; their ids in order.

    First the claims `session` holds (oldest first), then free tasks (unclaimed, or
    claimed longer than `claim_seconds` ago), then, when those run out, tasks other
    sessions hold beyond their first `fair_floor`. Every claim returned is renewed
    to `now` (a task on an annotator's screen stays theirs)."""
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
                "AND c.task_id = t.id AND c.session <> ? AND c.claimed > ?) ORDER BY id LIMIT ?",
                [dataset, session, session, now - claim_seconds, size - len(held)]).fetchall()]
        if len(held) + len(free) < size:
            free += [r[0] for r in cur.execute(
                f"SELECT task_id FROM (SELECT task_id, row_number() OVER (PARTITION BY session "
                f"ORDER BY claimed, task_id) AS rank FROM claims c WHERE dataset = ? AND session <> ? "
                f"AND claimed > ? AND {_UNANSWERED.format('c.task_id')}) AS ranked WHERE rank > ? "
                "ORDER BY task_id LIMIT ?",
                [dataset, session, now - claim_seconds, fair_floor, size - len(held) - len(free)]).fetchall()]
        ids = held + free
        for k, task_id in enumerate(ids):
            cur.execute(
                "INSERT INTO claims (dataset, task_id, session, claimed) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (dataset, task_id) DO UPDATE SET session = excluded.session, "
                "claimed = excluded.claimed", [dataset, task_id, session, now + k * 1e-6])
        return ids

    # Two sessions may pick the same free task at once: the loser retries.
    return store.write(claim, retry_on=store.conflicts)


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
        "SELECT count(*), count(*) FILTER (WHERE EXISTS "
        "(SELECT 1 FROM annotations a WHERE a.task_id = t.id)) FROM tasks t WHERE dataset = ?",
        [dataset])
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
    rows = insert_rows(cur, "new_tasks", {
        "dataset": dataset,
        "input_hash": [t["_input_hash"] for t, _ in tasks],
        "task_hash": [t["_task_hash"] for t, _ in tasks],
        "media_id": [media_id for _, media_id in tasks],
        "task": [json.dumps(t, ensure_ascii=False) for t, _ in tasks],
        "added": added,
    }, "INSERT INTO tasks (dataset, input_hash, task_hash, media_id, task, added) "
       "SELECT dataset, input_hash, task_hash, media_id, task, added FROM new_tasks "
       "ON CONFLICT DO NOTHING RETURNING input_hash, id")
    ids = dict(rows)  # RETURNING order is not the input order
    return [ids[t["_input_hash"]] for t, _ in tasks if t["_input_hash"] in ids]


def delete_tasks_of_media(cur, dataset: str, media_ids: Sequence[str]) -> list[int]:
    """Delete the dataset's tasks on these media inside the caller's transaction; their ids."""
    if not media_ids:
        return []
    rows = cur.execute(
        f"DELETE FROM tasks WHERE dataset = ? AND media_id IN ({', '.join('?' * len(media_ids))}) "
        "RETURNING id", [dataset, *media_ids]).fetchall()
    return [r[0] for r in rows]
