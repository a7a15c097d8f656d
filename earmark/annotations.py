"""Saving answers: one annotation row plus one row per region, in one commit.

`save_annotation` returns only after DuckDB has committed (and written its
write-ahead log), so an annotation the app reported as saved survives a crash
of the server.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

from earmark.db.store import Store

ANSWERS = ("accept", "reject", "ignore")


class AnnotationError(ValueError):
    """An annotation that cannot be saved; the message says why."""


@dataclass
class Task:
    id: int
    dataset: str
    media_id: str | None
    data: dict
    problem: str | None = None   # why the stored task could not be read (then `data` holds its hashes)


def get_task(store: Store, task_id: int) -> Task | None:
    """The stored task; one whose JSON cannot be read comes back with a `problem`."""
    row = store.query_one(
        "SELECT id, dataset, media_id, task, input_hash, task_hash FROM tasks WHERE id = ?", [task_id])
    if not row:
        return None
    hashes = {"_input_hash": row[4], "_task_hash": row[5]}
    try:
        data = json.loads(row[3])
    except ValueError as exc:
        return Task(row[0], row[1], row[2], hashes, f"the stored task is not valid JSON ({exc})")
    if not isinstance(data, dict):
        return Task(row[0], row[1], row[2], hashes,
                    f"the stored task is a JSON {type(data).__name__}, not an object")
    return Task(row[0], row[1], row[2], {**hashes, **data})


def strip_base64(annotation: dict) -> dict:
    """Drop inline base64 audio (it lives in the media folder already)."""
    audio = annotation.get("audio")
    if isinstance(audio, str) and audio.startswith("data:"):
        annotation = {k: v for k, v in annotation.items() if k != "audio"}
    return annotation


def save_annotation(store: Store, task: Task, answer: str, session: str, *,
                    edits: dict | None = None, view: str | None = None,
                    supersedes: int | None = None, keep_base64: bool = False,
                    timestamp: float | None = None, index_spans: bool = True) -> int:
    """Store `task` plus the annotator's `edits` with `answer`; return the annotation id.

    `supersedes` names an earlier annotation this one corrects (review keeps
    the history; exports and statistics use the newest version). With
    `index_spans` off the regions stay in the JSON but are not counted as
    annotated regions (a task skipped unseen).
    """
    record = AnnotationRecord.build(task, answer, session, edits=edits, view=view, keep_base64=keep_base64,
                                    timestamp=timestamp, index_spans=index_spans)
    return store.write(lambda cur: record.insert(cur, supersedes))


@dataclass
class AnnotationRecord:
    """An annotation ready to be inserted: its JSON document and the regions to index."""
    task: Task
    answer: str
    session: str
    view: str | None
    created: float
    document: dict
    spans: list[dict]

    @classmethod
    def build(cls, task: Task, answer: str, session: str, *, edits: dict | None = None,
              view: str | None = None, keep_base64: bool = False, timestamp: float | None = None,
              index_spans: bool = True) -> "AnnotationRecord":
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
        spans = (annotation.get("audio_spans") or []) if index_spans else []
        return cls(task, answer, session, view, now, annotation, spans)

    def insert(self, cur, supersedes: int | None = None) -> int:
        """Insert the annotation and its regions with `cur`, inside the caller's
        transaction (both or neither are kept); return the annotation id."""
        task, document = self.task, self.document
        annotation_id = cur.execute(
            "INSERT INTO annotations (dataset, task_id, input_hash, task_hash, session, view, "
            "answer, created, supersedes, annotation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            [task.dataset, task.id, document["_input_hash"], document["_task_hash"], self.session,
             self.view, self.answer, self.created, supersedes, json.dumps(document, ensure_ascii=False)],
        ).fetchall()[0][0]
        if self.spans:
            cur.executemany(
                'INSERT INTO spans (annotation_id, dataset, session, answer, media_id, span_id, '
                'label, start, "end", channel, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                [[annotation_id, task.dataset, self.session, self.answer, task.media_id, s.get("id"),
                  s.get("label"), float(s["start"]), float(s["end"]), s.get("channel"),
                  s.get("text")] for s in self.spans],
            )
        return annotation_id


def skip_task(store: Store, task: Task, session: str, reason: str, *, view: str | None = None,
              supersedes: int | None = None) -> int:
    """Record that `task` could not be annotated, and why: answer `ignore` with
    `_skip_reason`. Nothing of the task is taken as annotated (its regions are
    kept as they were stored, not indexed), so exports list it as ignored with
    the reason and label statistics leave it out; the feed gives it to nobody again."""
    record = skip_record(task, session, reason, view=view)
    return store.write(lambda cur: record.insert(cur, supersedes))


def skip_record(task: Task, session: str, reason: str, *, view: str | None = None,
                timestamp: float | None = None) -> AnnotationRecord:
    """The annotation `skip_task` stores, ready to insert."""
    reason = " ".join(str(reason).split()) or "no reason given"
    return AnnotationRecord.build(Task(task.id, task.dataset, task.media_id, finite(task.data)), "ignore",
                                  session, edits={"_skip_reason": reason}, view=view, timestamp=timestamp,
                                  index_spans=False)


def finite(value):
    """`value` with NaN and infinite numbers replaced by None (they are not JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


SKIPPED = "json_extract_string({0}.annotation, '$._skip_reason') IS NOT NULL"
"""SQL: the annotation aliased {0} records a skip (a task that could not be annotated)."""

CURRENT_ANNOTATIONS = (
    "SELECT * FROM annotations a WHERE NOT EXISTS "
    "(SELECT 1 FROM annotations b WHERE b.supersedes = a.id)"
)
