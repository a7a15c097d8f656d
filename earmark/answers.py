"""Answers from the annotation card's pending log, committed exactly once, in order.

The card (design.md, component protocol, "Answers") shows the next task as
soon as an answer is given and keeps the answer in its pending log, in the
browser's storage, until Python acknowledges it. Every value it sends carries
every answer not yet acknowledged, so the same answer arrives many times: after
each later answer, after a reload, a lost connection or a server restart.

Each answer is keyed by the annotator's session, the browser tab's client id
and the tab's answer number `seq`. `commit_answers` commits an answer together
with its receipt (the key) in one transaction, and an answer whose receipt
exists is not committed again. Answering a task the session has answered
before (undo, then answer again) supersedes that annotation; history is kept.

An answer that cannot be stored as sent (a task of another dataset, regions
outside the file, text that is not Unicode) gets a receipt with the reason and
no annotation, so it is acknowledged and named instead of being re-sent
forever; nothing that could crash a page is stored. A database that refuses the
write (a full disk) stops the batch there: the answers stay pending in the
browser and are committed, in order, once the write succeeds.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from earmark.annotations import ANSWERS, AnnotationRecord, Task, get_task, skip_record
from earmark.db.media import get_media
from earmark.db.queries.annotations import (current_annotation_id, has_receipt, highest_receipts,
                                            insert_receipt, receipted, refused_receipts)
from earmark.db.store import Store
from earmark.loading.validate import task_problem
from earmark.profiles import schedule_update
from earmark.views import CardEdits, answer_of, view_blocks, whole_number

log = logging.getLogger(__name__)
# one commit of answers at a time in this process (they are short), so overlapping runs wait, not conflict
_COMMITTING = threading.Lock()

MAX_CLIENT = 64          # characters of a client id
MAX_TEXT = 100_000       # characters of a transcript
MAX_REGIONS = 10_000     # regions in one answer


@dataclass(frozen=True)
class PendingAnswer:
    """One answer of the pending log, as the card sends it (times in the card's view)."""
    client: str
    seq: int
    dataset: str
    session: str
    task_id: int
    answer: str
    regions: list[dict] = field(default_factory=list)
    transcript: str | None = None
    spans: list[dict] | None = None
    ts: float = 0.0
    skip_reason: str | None = None


@dataclass(frozen=True)
class View:
    """How a task's times on screen map to its file: the clip's start and the task's channel."""
    offset: float = 0.0
    channel: int | None = None


@dataclass
class CommitReport:
    committed: list[PendingAnswer] = field(default_factory=list)   # stored now
    repeated: list[PendingAnswer] = field(default_factory=list)    # stored before (re-sent)
    refused: list[tuple[PendingAnswer, str]] = field(default_factory=list)
    error: Exception | None = None                                 # the write that stopped the batch
    acked: dict[str, int] = field(default_factory=dict)            # client -> highest seq with a receipt


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def parse_pending(items: object) -> tuple[list[PendingAnswer], list[str]]:
    """The pending answers of a component value, and why the unreadable ones were dropped.

    An entry needs a client id and a positive `seq` to be acknowledged; its
    other fields are checked when it is committed (and refused with a receipt)."""
    if not isinstance(items, list):
        return [], ([] if items is None else [f"`pending` must be a list, not {type(items).__name__}"])
    out: dict[tuple[str, int], PendingAnswer] = {}
    problems = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"pending[{i}] is not an object")
            continue
        client, seq = item.get("client"), whole_number(item.get("seq"))
        if not isinstance(client, str) or not 0 < len(client) <= MAX_CLIENT or seq is None or seq < 1:
            problems.append(f"pending[{i}] has no usable client id and seq")
            continue
        task_id = whole_number(item.get("task_id"))
        if task_id is None and isinstance(item.get("task_id"), str) and item["task_id"].isdigit():
            task_id = int(item["task_id"])
        ts = item.get("ts")
        entry = PendingAnswer(
            client=client, seq=seq,
            dataset=_str(item.get("dataset")),
            session=_str(item.get("session")),
            task_id=task_id if task_id is not None else -1,
            answer=_str(item.get("answer")),
            regions=_list(item.get("regions")),
            transcript=item.get("transcript") if isinstance(item.get("transcript"), str) else None,
            spans=item.get("spans") if isinstance(item.get("spans"), list) else None,
            ts=float(ts) if isinstance(ts, (int, float)) and not isinstance(ts, bool) and math.isfinite(ts) else 0.0,
            skip_reason=item.get("skip_reason") if isinstance(item.get("skip_reason"), str) else None,
        )
        out.setdefault((client, seq), entry)
    # in the order they were given: per client by seq, clients by their first answer's time
    first: dict[str, float] = {}
    for e in out.values():
        first[e.client] = min(first.get(e.client, e.ts), e.ts)
    return sorted(out.values(), key=lambda e: (first[e.client], e.client, e.seq)), problems


def _region(region: object, view: View) -> dict:
    """A region of the card, in file time, with only the keys of the task format."""
    if not isinstance(region, dict):
        raise ValueError("a region is not an object")
    out: dict = {}
    for key in ("id", "label", "color", "text"):
        value = region.get(key)
        if value is not None:
            if not isinstance(value, str):
                raise ValueError(f"region {key} must be a string")
            out[key] = value
    if "id" not in out:
        raise ValueError("a region has no id")
    out.setdefault("label", "")
    for key in ("start", "end"):
        value = region.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"region {out['id']!r} has no finite {key}")
        out[key] = round(float(value) + view.offset, 3)
    if out["end"] < out["start"]:
        out["start"], out["end"] = out["end"], out["start"]
    channel = region.get("channel")
    if view.channel is not None:
        out["channel"] = view.channel        # a split-channel task's clip holds only its channel
    elif channel is not None:
        if isinstance(channel, bool) or not isinstance(channel, int):
            raise ValueError(f"region {out['id']!r} has a channel that is not an integer")
        out["channel"] = channel
    for key in ("score", "profile"):   # a model's confidence; the similarity of the voice profile it was named from
        value = region.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out[key] = value
    return out


def answer_edits(task: Task, entry: PendingAnswer, blocks: list[str], view: View) -> dict:
    """What the annotator changed, as keys of the annotation (design.md task format):
    what the blocks of the views named in `blocks` add (earmark.views)."""
    if len(entry.regions) > MAX_REGIONS:
        raise ValueError(f"{len(entry.regions)} regions (at most {MAX_REGIONS})")
    regions = [_region(r, view) for r in entry.regions]
    edits = answer_of(view_blocks(blocks), task, CardEdits(regions, entry.transcript, entry.spans))
    transcript = edits.get("transcript")
    if isinstance(transcript, str) and len(transcript) > MAX_TEXT:
        raise ValueError(f"a transcript of {len(transcript)} characters (at most {MAX_TEXT})")
    return edits


def _receipt(cur, entry: PendingAnswer) -> bool:
    return has_receipt(cur, entry.session, entry.client, entry.seq)


def _write_receipt(cur, entry: PendingAnswer, annotation_id: int | None, problem: str | None) -> None:
    insert_receipt(cur, entry.session, entry.client, entry.seq, entry.task_id if entry.task_id >= 0 else None,
                   annotation_id, problem, time.time())


def _record(store: Store, entry: PendingAnswer, blocks_of: Callable[[str], list[str] | None],
            view_of: Callable[[Task], View]) -> tuple[Task | None, AnnotationRecord | None, str | None]:
    """The annotation to store for `entry`, or the reason it cannot be stored."""
    dataset, session = entry.dataset, entry.session
    blocks = blocks_of(dataset) if dataset else None
    if blocks is None:
        return None, None, f"there is no dataset {dataset!r}"
    if not session:
        return None, None, "an answer needs a session (annotator) name"
    task = get_task(store, entry.task_id) if entry.task_id >= 0 else None
    if task is None or task.dataset != dataset:
        return None, None, f"task {entry.task_id} is not a task of {dataset!r}"
    view = "+".join(blocks)
    if entry.skip_reason is not None:
        return task, skip_record(task, session, entry.skip_reason[:500], view=view, timestamp=entry.ts or None), None
    if entry.answer not in ANSWERS:
        return task, None, f"{entry.answer!r} is not an answer (one of {', '.join(ANSWERS)})"
    try:
        edits = answer_edits(task, entry, blocks, view_of(task))
    except ValueError as exc:
        return task, None, str(exc)
    record = AnnotationRecord.build(task, entry.answer, session, edits=edits, view=view,
                                    timestamp=entry.ts or None)
    media = get_media(store, task.media_id) if task.media_id else None
    # task_problem checks the whole document as JSON a browser reads first
    problem = task_problem(record.document, duration=media.duration if media else None,
                           channels=media.channels if media else None)
    if problem:
        return task, None, problem
    return task, record, None


def commit_answers(store: Store, entries: list[PendingAnswer], blocks_of: Callable[[str], list[str] | None],
                   view_of: Callable[[Task], View] = lambda task: View(),
                   may_answer: Callable[[str], bool] = lambda session: True) -> CommitReport:
    """Commit each pending answer once, in the order given; see the module docstring.

    `blocks_of(dataset)` gives a dataset's view blocks (None: no such dataset),
    `view_of(task)` how its times on screen map to the file, `may_answer(session)`
    whether that annotator may answer on this server (`allowed_sessions`)."""
    report = CommitReport()
    seen = _receipted(store, entries)
    for entry in entries:
        if (entry.session, entry.client, entry.seq) in seen:
            report.repeated.append(entry)   # the common case: a value re-sent with answers already stored
            continue
        problem: str | None
        try:
            if not may_answer(entry.session):
                task, record, problem = None, None, f"{entry.session!r} is not an annotator of this server"
            else:
                task, record, problem = _record(store, entry, blocks_of, view_of)
        except Exception as exc:  # noqa: BLE001  (a database read failing: stop, the answers stay pending)
            report.error = exc
            break

        def write(cur, entry=entry, record=record, problem=problem) -> str:
            if _receipt(cur, entry):
                return "repeated"
            annotation_id = None
            if record is not None:
                annotation_id = record.insert(cur, current_annotation_id(cur, entry.task_id, entry.session))
            _write_receipt(cur, entry, annotation_id, problem)
            return "refused" if record is None else "committed"

        try:
            # two runs of one browser session can overlap (a run stopping while the next
            # starts) and commit the same answer at once: the loser's receipt insert
            # conflicts, and its retry finds the receipt and commits nothing
            with _COMMITTING:
                outcome = store.write(write, retry_on=store.conflicts)
        except Exception as exc:  # noqa: BLE001  (StoreError: a full disk, a read-only file ...)
            log.warning("answer %s/%s on task %s not committed: %s", entry.client, entry.seq, entry.task_id, exc)
            report.error = exc
            break
        if outcome == "committed":
            report.committed.append(entry)
        elif outcome == "repeated":
            report.repeated.append(entry)
        else:
            log.warning("answer %s/%s on task %s refused: %s", entry.client, entry.seq, entry.task_id, problem)
            report.refused.append((entry, problem or ""))
    report.acked = acked_seqs(store, {e.client for e in entries})
    # voice profiles learn from the answers, after their transactions and off this thread
    for dataset in dict.fromkeys(e.dataset for e in report.committed):
        schedule_update(store, dataset)
    return report


def _receipted(store: Store, entries: list[PendingAnswer]) -> set[tuple[str, str, int]]:
    """The keys of `entries` that have a receipt already."""
    if not entries:
        return set()
    return receipted(store, {e.client for e in entries}, min(e.seq for e in entries),
                     max(e.seq for e in entries))


def acked_seqs(store: Store, clients: set[str]) -> dict[str, int]:
    """The highest answer number with a receipt, per client (clients without one are left out).

    A client is one browser tab; its numbers run across datasets and annotator names."""
    if not clients:
        return {}
    return highest_receipts(store, clients)


def refusals(store: Store, client: str, limit: int = 5) -> list[tuple[int, int | None, str]]:
    """(seq, task id, reason) of this client's latest refused answers, oldest first."""
    return list(reversed(refused_receipts(store, client, limit)))


__all__ = ["PendingAnswer", "View", "CommitReport", "parse_pending", "answer_edits", "commit_answers",
           "acked_seqs", "refusals"]
