"""Saving answers: one annotation row plus one row per region, in one commit.

`save_annotation` returns only after DuckDB has committed (and written its
write-ahead log), so an annotation the app reported as saved survives a crash
of the server.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from earmark.store import Store

ANSWERS = ("accept", "reject", "ignore")


class AnnotationError(ValueError):
    """An annotation that cannot be saved; the message says why."""


@dataclass
class Task:
    id: int
    dataset: str
    media_id: str | None
    data: dict


def get_task(store: Store, task_id: int) -> Task | None:
    row = store.query_one("SELECT id, dataset, media_id, task FROM tasks WHERE id = ?", [task_id])
    return Task(row[0], row[1], row[2], json.loads(row[3])) if row else None


def strip_base64(annotation: dict) -> dict:
    """Drop inline base64 audio (it lives in the media folder already)."""
    audio = annotation.get("audio")
    if isinstance(audio, str) and audio.startswith("data:"):
        annotation = {k: v for k, v in annotation.items() if k != "audio"}
    return annotation


def save_annotation(store: Store, task: Task, answer: str, session: str, *,
                    edits: dict | None = None, view: str | None = None,
                    supersedes: int | None = None, keep_base64: bool = False,
                    timestamp: float | None = None) -> int:
    """Store `task` plus the annotator's `edits` with `answer`; return the annotation id.

    `supersedes` names an earlier annotation this one corrects (review keeps
    the history; exports and statistics use the newest version).
    """
    if answer not in ANSWERS:
        raise AnnotationError(f"answer must be one of {', '.join(ANSWERS)}, not {answer!r}")
    if not session:
        raise AnnotationError("an annotation needs a session (annotator) name")
    annotation = {**task.data, **(edits or {})}
    if not keep_base64:
        annotation = strip_base64(annotation)
    now = time.time() if timestamp is None else timestamp
    annotation.update({
        "answer": answer,
        "_session_id": session,
        "_view_id": view,
        "_timestamp": int(now),
    })
    spans = annotation.get("audio_spans") or []
    document = json.dumps(annotation, ensure_ascii=False)

    def insert(cur) -> int:
        annotation_id = cur.execute(
            "INSERT INTO annotations (dataset, task_id, input_hash, task_hash, session, view, "
            "answer, created, supersedes, annotation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            [task.dataset, task.id, annotation["_input_hash"], annotation["_task_hash"], session,
             view, answer, now, supersedes, document],
        ).fetchall()[0][0]
        if spans:
            cur.executemany(
                'INSERT INTO spans (annotation_id, dataset, session, answer, media_id, span_id, '
                'label, start, "end", channel, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                [[annotation_id, task.dataset, session, answer, task.media_id, s.get("id"),
                  s.get("label"), float(s["start"]), float(s["end"]), s.get("channel"),
                  s.get("text")] for s in spans],
            )
        return annotation_id

    return store.write(insert)


CURRENT_ANNOTATIONS = (
    "SELECT * FROM annotations a WHERE NOT EXISTS "
    "(SELECT 1 FROM annotations b WHERE b.supersedes = a.id)"
)
