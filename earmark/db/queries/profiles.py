"""Region embeddings stored at load, the accepted regions voice profiles are made of,
and the relabelling of tasks no card has received yet (`earmark.profiles`).

An embedding is stored as little-endian float32 bytes (a BLOB in DuckDB, `bytea`
in PostgreSQL), so every backend holds it alike; the vectors come back as numpy
arrays. Writes run inside the caller's transaction (`cur`) or in one of their own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from earmark.db.queries import CURRENT_ANNOTATIONS
from earmark.db.store import insert_rows


def to_blob(vector: Sequence[float] | np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blob(data: bytes | bytearray | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<f4").astype(np.float32)


def _channel(region: dict, task: dict) -> int | None:
    """The channel a region is heard on: its own, else its task's (one task per channel)."""
    channel = region.get("channel")
    if channel is None:
        meta = task.get("meta")
        channel = meta.get("channel") if isinstance(meta, dict) else None
    return channel if isinstance(channel, int) and not isinstance(channel, bool) else None


def insert_embeddings(cur, dataset: str, tasks: Sequence[tuple[int, dict, dict[str, list[float]]]]) -> int:
    """Store, inside the caller's transaction, the embeddings of the regions of tasks just
    inserted: (task id, task, {region id: vector}); each with the region as proposed (times,
    channel, the model's label and score). An embedding whose region is not in the task
    is left out. How many were stored."""
    rows: dict[str, list] = {k: [] for k in ("task_id", "region_id", "start", "end", "channel", "label",
                                             "score", "embedding")}
    for task_id, task, vectors in tasks:
        for region in task.get("audio_spans") or ():
            vector = vectors.get(str(region.get("id"))) if isinstance(region, dict) else None
            if vector is None:
                continue
            score = region.get("score")
            for key, value in (("task_id", task_id), ("region_id", region["id"]),
                               ("start", float(region["start"])), ("end", float(region["end"])),
                               ("channel", _channel(region, task)),
                               ("label", region.get("label") if isinstance(region.get("label"), str) else None),
                               ("score", float(score) if isinstance(score, (int, float))
                                and not isinstance(score, bool) else None),
                               ("embedding", to_blob(vector))):
                rows[key].append(value)
    if not rows["task_id"]:
        return 0
    import pandas as pd
    frame = {**rows, "dataset": dataset,
             "channel": pd.array(rows["channel"], dtype="Int64"),
             "score": pd.array(rows["score"], dtype="Float64"),
             "label": pd.array(rows["label"], dtype="string")}
    insert_rows(cur, "new_embeddings", frame,
                'INSERT INTO region_embeddings (task_id, dataset, region_id, start, "end", channel, label, '
                "score, embedding) SELECT task_id, dataset, region_id, start, \"end\", channel, label, score, "
                "embedding FROM new_embeddings ON CONFLICT DO NOTHING")
    return len(rows["task_id"])


def has_embeddings(store, dataset: str) -> bool:
    return store.query_one("SELECT 1 FROM region_embeddings WHERE dataset = ? LIMIT 1", [dataset]) is not None


def task_embeddings(store, task_id: int) -> dict[str, np.ndarray]:
    """region id -> stored embedding of one task."""
    return {r: from_blob(b) for r, b in store.query(
        "SELECT region_id, embedding FROM region_embeddings WHERE task_id = ?", [task_id])}


@dataclass(frozen=True)
class AcceptedRegion:
    """A labelled region of a current accepted answer, with the proposal it kept the id of."""
    annotation_id: int
    task_id: int
    media_id: str | None
    path: str | None
    region_id: str | None
    label: str
    start: float
    end: float
    channel: int | None
    proposed: tuple[float, float, int | None] | None   # (start, end, channel) of the stored proposal
    embedding: np.ndarray | None                        # the stored embedding of that proposal


def accepted_regions(store, dataset: str) -> list[AcceptedRegion]:
    """The labelled regions of the dataset's current accepted answers (an answer an undo or
    a correction superseded no longer counts; skips are `ignore`), by file."""
    rows = store.query(
        'SELECT s.annotation_id, a.task_id, s.media_id, m.path, s.span_id, s.label, s.start, s."end", '
        's.channel, e.start, e."end", e.channel, e.embedding '
        f"FROM spans s JOIN ({CURRENT_ANNOTATIONS}) AS a ON a.id = s.annotation_id "
        "LEFT JOIN media m ON m.id = s.media_id "
        "LEFT JOIN region_embeddings e ON e.task_id = a.task_id AND e.region_id = s.span_id "
        "WHERE s.dataset = ? AND a.answer = 'accept' AND s.label IS NOT NULL AND s.label <> '' "
        "ORDER BY s.media_id, s.start, s.annotation_id", [dataset])
    return [AcceptedRegion(r[0], r[1], r[2], r[3], r[4], r[5], float(r[6]), float(r[7]), r[8],
                           None if r[9] is None else (float(r[9]), float(r[10]), r[11]),
                           None if r[12] is None else from_blob(r[12])) for r in rows]


@dataclass(frozen=True)
class ProposedRegion:
    """A stored region embedding of a task no card has received: the proposal as loaded."""
    region_id: str
    label: str | None
    score: float | None
    embedding: np.ndarray


def _unserved(alias: str) -> str:
    # a claimed task queued behind the first two of a card is not shown yet (tasks.SHOWN_AHEAD)
    return f"{alias}.served IS NULL AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.task_id = {alias}.id)"


def unserved_task_ids(store, dataset: str) -> list[int]:
    """The dataset's tasks with stored region embeddings that no card has shown and nobody
    answered: the ones a voice profile may relabel."""
    return [r[0] for r in store.query(
        f"SELECT t.id FROM tasks t WHERE t.dataset = ? AND {_unserved('t')} "
        "AND EXISTS (SELECT 1 FROM region_embeddings e WHERE e.task_id = t.id) ORDER BY t.id", [dataset])]


def proposals_of(store, task_ids: Sequence[int]) -> list[tuple[int, dict, list[ProposedRegion]]]:
    """(task id, task as stored, its embedded proposals as loaded) of these tasks."""
    if not task_ids:
        return []
    tasks = dict(store.query(f"SELECT id, task FROM tasks WHERE {store.in_list('id')}", [list(task_ids)]))
    regions: dict[int, list[ProposedRegion]] = {}
    for task_id, region_id, label, score, blob in store.query(
            "SELECT task_id, region_id, label, score, embedding FROM region_embeddings "
            f"WHERE {store.in_list('task_id')} ORDER BY task_id, region_id", [list(task_ids)]):
        regions.setdefault(task_id, []).append(ProposedRegion(region_id, label, score, from_blob(blob)))
    return [(i, json.loads(tasks[i]), regions.get(i, [])) for i in task_ids if i in tasks]


def relabel_tasks(cur, changes: Sequence[tuple[int, dict, float | None]]) -> list[int]:
    """Write (task id, task, score) of relabelled tasks inside the caller's transaction,
    each only while no card has shown the task and nobody answered it; the ids written. The caller runs it through `tasks.serving_write`, so
    that no task is recorded as served while this runs (a task served since the
    relabelling read it is left alone)."""
    if not changes:
        return []
    import pandas as pd
    rows = insert_rows(cur, "relabelled", {
        "id": [c[0] for c in changes],
        "task": [json.dumps(c[1], ensure_ascii=False) for c in changes],
        "score": pd.array([c[2] for c in changes], dtype="Float64"),
    }, "UPDATE tasks SET task = r.task, score = r.score FROM relabelled r "
       f"WHERE tasks.id = r.id AND {_unserved('tasks')} RETURNING tasks.id")
    return sorted(r[0] for r in rows)
