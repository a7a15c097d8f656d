"""Annotations and their regions, and the receipts of answers sent from a browser."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from earmark.db.queries import CURRENT_ANNOTATIONS
from earmark.records import Region, StoredTask


def insert_annotation(cur, task: StoredTask, document: dict, regions: Sequence[Region], *, session: str,
                      view: str | None, answer: str, created: float, supersedes: int | None = None) -> int:
    """Insert the annotation `document` of `task` and one row per region it indexes,
    inside the caller's transaction (both or neither are kept); the annotation's id."""
    annotation_id = cur.execute(
        "INSERT INTO annotations (dataset, task_id, input_hash, task_hash, session, view, "
        "answer, created, supersedes, annotation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        [task.dataset, task.id, document["_input_hash"], document["_task_hash"], session,
         view, answer, created, supersedes, json.dumps(document, ensure_ascii=False)],
    ).fetchall()[0][0]
    if regions:
        cur.executemany(
            'INSERT INTO spans (annotation_id, dataset, session, answer, media_id, span_id, '
            'label, start, "end", channel, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            [[annotation_id, task.dataset, session, answer, task.media_id, r.id, r.label,
              float(r.start), float(r.end), r.channel, r.text] for r in regions],
        )
    return annotation_id


def current_annotation_id(cur, task_id: int, session: str) -> int | None:
    """The id of the session's current annotation of the task (inside the caller's transaction)."""
    rows = cur.execute(
        f"SELECT id FROM ({CURRENT_ANNOTATIONS}) AS c WHERE task_id = ? AND session = ? "
        "ORDER BY created DESC, id DESC LIMIT 1", [task_id, session]).fetchall()
    return rows[0][0] if rows else None


# -- receipts: (session, client, seq) of every answer committed or refused ------------------
def has_receipt(cur, session: str, client: str, seq: int) -> bool:
    return bool(cur.execute(
        "SELECT 1 FROM answer_receipts WHERE session = ? AND client = ? AND seq = ?",
        [session, client, seq]).fetchall())


def insert_receipt(cur, session: str, client: str, seq: int, task_id: int | None,
                   annotation_id: int | None, problem: str | None, received: float) -> None:
    """A receipt with the annotation it stored, or with the reason it stored none."""
    cur.execute(
        "INSERT INTO answer_receipts (session, client, seq, task_id, annotation_id, problem, received) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", [session, client, seq, task_id, annotation_id, problem, received])


def receipted(store, clients: Iterable[str], low: int, high: int) -> set[tuple[str, str, int]]:
    """(session, client, seq) of the receipts of these clients with seq in [low, high]."""
    rows = store.query(
        f"SELECT session, client, seq FROM answer_receipts WHERE {store.in_list('client')} "
        "AND seq BETWEEN ? AND ?", [sorted(clients), low, high])
    return {(u, c, int(s)) for u, c, s in rows}


def highest_receipts(store, clients: Iterable[str]) -> dict[str, int]:
    """The highest seq with a receipt, per client (clients without one are left out)."""
    rows = store.query(
        f"SELECT client, max(seq) FROM answer_receipts WHERE {store.in_list('client')} "
        "GROUP BY client", [sorted(clients)])
    return {client: int(seq) for client, seq in rows}


def refused_receipts(store, client: str, limit: int) -> list[tuple[int, int | None, str]]:
    """(seq, task id, reason) of the client's latest refused answers, newest first."""
    rows = store.query(
        "SELECT seq, task_id, problem FROM answer_receipts WHERE client = ? AND annotation_id IS NULL "
        "ORDER BY seq DESC LIMIT ?", [client, limit])
    return [(int(s), t, p) for s, t, p in rows]
