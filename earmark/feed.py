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

import time
from dataclasses import dataclass

from earmark.db.queries.tasks import (FEED_ORDERS, claim_tasks, get_task, get_tasks, latest_answer,
                                      progress_counts, unanswered_by)
from earmark.db.store import Store
from earmark.records import StoredTask as Task

CLAIM_SECONDS = 30 * 60
FAIR_FLOOR = 3   # tasks a session may always hold ahead in a shared queue


def next_task(store: Store, dataset: str, session: str, overlap: bool, order: str = "file") -> Task | None:
    """The task `session` should annotate now, or None when the queue is done."""
    tasks = queue_tasks(store, dataset, session, overlap, 1, order)
    return tasks[0] if tasks else None


def queue_tasks(store: Store, dataset: str, session: str, overlap: bool, size: int,
                order: str = "file") -> list[Task]:
    """The next `size` tasks for `session`, in the order they are to be shown.

    `order` is the setting `feed_order`: `file` (load order) or `uncertain` (the
    tasks whose proposals have the lowest `score` first, unscored ones after in
    load order; re-ranked as voice profiles re-score proposals, `earmark.profiles`).
    Every task returned is recorded as served: it is no longer relabelled.

    Without overlap every task returned is claimed for `session` (the claims it
    already holds first, oldest first), so that annotators sharing a queue never
    receive the same task while the claims are fresh. When no task is free, a
    session takes over tasks another holds beyond that one's first `FAIR_FLOOR`
    (waiting in its card's queue, not on its screen), so that near the end of a
    shared queue the last tasks are not all held by one annotator."""
    size = max(1, int(size))
    order = order if order in FEED_ORDERS else "file"
    if overlap:
        return get_tasks(store, unanswered_by(store, dataset, session, size, order))
    ids = claim_tasks(store, dataset, session, size, now=time.time(), claim_seconds=CLAIM_SECONDS,
                      fair_floor=FAIR_FLOOR, order=order)
    return get_tasks(store, ids)


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
    row = latest_answer(store, dataset, session, before)
    if not row or row[1] is None:
        return None
    task = get_task(store, row[1])
    if task is None:
        return None
    return Answered(row[0], task, row[2], row[3])


@dataclass
class Progress:
    tasks: int        # tasks in the dataset
    done: int         # tasks answered by anyone
    session_done: int # annotations by this session


def progress(store: Store, dataset: str, session: str) -> Progress:
    return Progress(*progress_counts(store, dataset, session))
