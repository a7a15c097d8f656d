"""Which task an annotator sees next, and undo.

With `feed_overlap` on, every annotator sees every task: the next task is the
first one this session has not answered. With it off, the tasks are shared
out: a task is claimed by one session when shown, and nobody else receives it
while the claim is fresh (an abandoned claim expires). Reloading the page
returns the task the session holds, so work resumes where it was.

A task someone skipped because it could not be shown (an annotation with
`_skip_reason`) is given to nobody again, with or without `feed_overlap`:
the file is missing or the task broken for everyone alike.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import duckdb

from earmark.annotations import CURRENT_ANNOTATIONS, SKIPPED, Task, get_task
from earmark.db.store import Store

CLAIM_SECONDS = 30 * 60
FAIR_FLOOR = 3   # tasks a session may always hold ahead in a shared queue


def next_task(store: Store, dataset: str, session: str, overlap: bool) -> Task | None:
    """The task `session` should annotate now, or None when the queue is done."""
    tasks = queue_tasks(store, dataset, session, overlap, 1)
    return tasks[0] if tasks else None


def queue_tasks(store: Store, dataset: str, session: str, overlap: bool, size: int) -> list[Task]:
    """The next `size` tasks for `session`, in the order they are to be shown.

    Without overlap every task returned is claimed for `session` (the claims it
    already holds first, oldest first), so that annotators sharing a queue never
    receive the same task while the claims are fresh. When no task is free, a
    session takes over tasks another holds beyond that one's first `FAIR_FLOOR`
    (waiting in its card's queue, not on its screen), so that near the end of a
    shared queue the last tasks are not all held by one annotator."""
    size = max(1, int(size))
    if overlap:
        rows = store.query(
            "SELECT id FROM tasks t WHERE dataset = ? AND NOT EXISTS "
            "(SELECT 1 FROM annotations a WHERE a.task_id = t.id AND a.session = ?) "
            f"AND NOT EXISTS (SELECT 1 FROM ({CURRENT_ANNOTATIONS}) s WHERE s.task_id = t.id "
            f"AND {SKIPPED.format('s')}) ORDER BY id LIMIT ?", [dataset, session, size])
        return _tasks(store, [r[0] for r in rows])

    def claim(cur) -> list[int]:
        now = time.time()
        unanswered = "NOT EXISTS (SELECT 1 FROM annotations a WHERE a.task_id = {0})"
        held = [r[0] for r in cur.execute(
            f"SELECT task_id FROM claims c WHERE dataset = ? AND session = ? "
            f"AND {unanswered.format('c.task_id')} ORDER BY claimed, task_id LIMIT ?",
            [dataset, session, size]).fetchall()]
        free = []
        if len(held) < size:
            free = [r[0] for r in cur.execute(
                f"SELECT id FROM tasks t WHERE dataset = ? AND {unanswered.format('t.id')} "
                "AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.dataset = t.dataset "
                "AND c.task_id = t.id AND c.session = ?) "
                "AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.dataset = t.dataset "
                "AND c.task_id = t.id AND c.session <> ? AND c.claimed > ?) ORDER BY id LIMIT ?",
                [dataset, session, session, now - CLAIM_SECONDS, size - len(held)]).fetchall()]
        if len(held) + len(free) < size:
            # the free tasks have run out: take over tasks others hold beyond their first
            # FAIR_FLOOR (queued in their card, not on their screen), so the end of a shared
            # queue goes to whoever is annotating instead of waiting in one annotator's queue
            free += [r[0] for r in cur.execute(
                f"SELECT task_id FROM (SELECT task_id, row_number() OVER (PARTITION BY session "
                f"ORDER BY claimed, task_id) AS rank FROM claims c WHERE dataset = ? AND session <> ? "
                f"AND claimed > ? AND {unanswered.format('c.task_id')}) WHERE rank > ? "
                "ORDER BY task_id LIMIT ?",
                [dataset, session, now - CLAIM_SECONDS, FAIR_FLOOR, size - len(held) - len(free)]).fetchall()]
        ids = held + free
        # held claims are renewed too: a task on an annotator's screen stays theirs
        for k, task_id in enumerate(ids):
            cur.execute(
                "INSERT INTO claims (dataset, task_id, session, claimed) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (dataset, task_id) DO UPDATE SET session = excluded.session, "
                "claimed = excluded.claimed", [dataset, task_id, session, now + k * 1e-6])
        return ids

    # Two sessions may pick the same free task at once: the loser retries.
    ids = store.write(claim, retry_on=(duckdb.TransactionException, duckdb.ConstraintException))
    return _tasks(store, ids)


def _tasks(store: Store, ids: list[int]) -> list[Task]:
    tasks = (get_task(store, i) for i in ids)
    return [t for t in tasks if t is not None]


@dataclass
class Answered:
    """An annotation that undo reopens: its task and the annotation as saved."""
    annotation_id: int
    task: Task
    annotation: dict
    created: float


def previous_answer(store: Store, dataset: str, session: str,
                    before: float | None = None) -> Answered | None:
    """The session's latest current annotation (created before `before`, if given)."""
    sql = (f"SELECT id, task_id, annotation, created FROM ({CURRENT_ANNOTATIONS}) AS c "
           "WHERE dataset = ? AND session = ?")
    params: list = [dataset, session]
    if before is not None:
        sql += " AND created < ?"
        params.append(before)
    row = store.query_one(sql + " ORDER BY created DESC, id DESC LIMIT 1", params)
    if not row or row[1] is None:
        return None
    task = get_task(store, row[1])
    if task is None:
        return None
    return Answered(row[0], task, json.loads(row[2]), row[3])


@dataclass
class Progress:
    tasks: int        # tasks in the dataset
    done: int         # tasks answered by anyone
    session_done: int # annotations by this session


def progress(store: Store, dataset: str, session: str) -> Progress:
    tasks, done = store.query_one(
        "SELECT count(*), count(*) FILTER (WHERE EXISTS "
        "(SELECT 1 FROM annotations a WHERE a.task_id = t.id)) FROM tasks t WHERE dataset = ?",
        [dataset])
    mine = store.query_one(
        f"SELECT count(*) FROM ({CURRENT_ANNOTATIONS}) AS c WHERE dataset = ? AND session = ?",
        [dataset, session])[0]
    return Progress(tasks, done, mine)
