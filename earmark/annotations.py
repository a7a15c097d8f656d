"""Saving answers: one annotation row plus one row per region, in one commit.

`save_annotation` returns only after DuckDB has committed (and written its
write-ahead log), so an annotation the app reported as saved survives a crash
of the server.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from earmark.db.queries import CURRENT_ANNOTATIONS  # noqa: F401  (re-exported: the current versions, as SQL)
from earmark.db.queries.annotations import insert_annotation
from earmark.db.queries.tasks import get_task  # noqa: F401  (re-exported)
from earmark.db.store import Store
from earmark.records import Annotation, Region, StoredTask

ANSWERS = ("accept", "reject", "ignore")


class AnnotationError(ValueError):
    """An annotation that cannot be saved; the message says why."""


Task = StoredTask   # a stored task: id, dataset, media and the task's JSON object (earmark.records)


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

    @property
    def annotation(self) -> Annotation:
        """The document as a typed record (raises RecordError naming what does not fit)."""
        return Annotation.from_json(self.document)

    def regions(self) -> list[Region]:
        """The regions to index, as records: times as numbers (a time that is not one
        raises, and nothing of the annotation is kept), the other keys as given."""
        return [Region(id=s.get("id"), start=float(s["start"]), end=float(s["end"]), label=s.get("label"),
                       channel=s.get("channel"), text=s.get("text")) for s in self.spans]

    def insert(self, cur, supersedes: int | None = None) -> int:
        """Insert the annotation and its regions with `cur`, inside the caller's
        transaction (both or neither are kept); return the annotation id."""
        return insert_annotation(cur, self.task, self.document, self.regions(), session=self.session,
                                 view=self.view, answer=self.answer, created=self.created,
                                 supersedes=supersedes)


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
