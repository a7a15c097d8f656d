"""Queries behind the Review and Statistics pages: plain DuckDB SQL."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from earmark.agreement import cohen_kappa, label_f1
from earmark.annotations import CURRENT_ANNOTATIONS
from earmark.store import Store


@dataclass
class ReviewFilter:
    dataset: str | None = None
    answers: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    file: str = ""                       # substring of the file name
    since: dt.date | None = None
    until: dt.date | None = None


def filter_sql(f: ReviewFilter) -> tuple[str, list]:
    """A WHERE clause over current annotations aliased `a`, and its parameters."""
    clauses, params = ["TRUE"], []
    if f.dataset:
        clauses.append("a.dataset = ?")
        params.append(f.dataset)
    for column, values in (("a.answer", f.answers), ("a.session", f.sessions)):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params += list(values)
    if f.labels:
        clauses.append(f"EXISTS (SELECT 1 FROM spans s WHERE s.annotation_id = a.id AND s.label IN "
                       f"({', '.join('?' * len(f.labels))}))")
        params += list(f.labels)
    if f.file:
        clauses.append("json_extract_string(a.annotation, '$.file') ILIKE ?")
        params.append(f"%{f.file}%")
    if f.since:
        clauses.append("a.created >= ?")
        params.append(dt.datetime.combine(f.since, dt.time()).timestamp())
    if f.until:
        clauses.append("a.created < ?")
        params.append(dt.datetime.combine(f.until + dt.timedelta(days=1), dt.time()).timestamp())
    return " AND ".join(clauses), params


def review_table(store: Store, f: ReviewFilter, limit: int = 1000) -> tuple[pd.DataFrame, int]:
    """The newest current annotations matching `f` (at most `limit`), and how many match."""
    where, params = filter_sql(f)
    current = f"({CURRENT_ANNOTATIONS}) AS a"
    count = store.query_one(f"SELECT count(*) FROM {current} WHERE {where}", params)[0]
    frame = store.query_df(
        "SELECT a.id, a.dataset, a.session AS annotator, a.answer, "
        "json_extract_string(a.annotation, '$.file') AS file, "
        "coalesce(r.regions, 0) AS regions, r.labels, "
        "to_timestamp(a.created) AS saved, a.supersedes IS NOT NULL AS corrected, a.task_id "
        f"FROM {current} LEFT JOIN (SELECT annotation_id, count(*) AS regions, "
        "string_agg(DISTINCT label, ', ' ORDER BY label) AS labels FROM spans GROUP BY 1) AS r "
        f"ON r.annotation_id = a.id WHERE {where} ORDER BY a.id DESC LIMIT ?",
        params + [limit])
    return frame, count


def annotation_history(store: Store, annotation_id: int) -> list[dict]:
    """The annotation and every earlier version it corrects, newest first."""
    versions, current = [], annotation_id
    while current is not None:
        row = store.query_one("SELECT id, supersedes, created, annotation FROM annotations WHERE id = ?",
                              [current])
        if not row:
            break
        versions.append({"id": row[0], "created": row[2], "annotation": json.loads(row[3])})
        current = row[1]
    return versions


def annotations_of_task(store: Store, task_id: int) -> list[tuple[str, dict]]:
    """(annotator, annotation) for every current annotation of one task."""
    rows = store.query(f"SELECT session, annotation FROM ({CURRENT_ANNOTATIONS}) AS a "
                       "WHERE task_id = ? ORDER BY session", [task_id])
    return [(s, json.loads(doc)) for s, doc in rows]


def progress_by_annotator(store: Store, dataset: str) -> pd.DataFrame:
    return store.query_df(
        "SELECT session AS annotator, count(*) AS answered, "
        "count(*) FILTER (WHERE answer = 'accept') AS accept, "
        "count(*) FILTER (WHERE answer = 'reject') AS reject, "
        "count(*) FILTER (WHERE answer = 'ignore') AS ignore, "
        "to_timestamp(max(created)) AS last_answer "
        f"FROM ({CURRENT_ANNOTATIONS}) AS a WHERE dataset = ? GROUP BY 1 ORDER BY 1", [dataset])


def label_totals(store: Store, dataset: str) -> pd.DataFrame:
    return store.query_df(
        'SELECT s.label, count(*) AS regions, round(sum(s."end" - s.start), 3) AS seconds, '
        'round(avg(s."end" - s.start), 3) AS mean_seconds '
        f"FROM spans s JOIN ({CURRENT_ANNOTATIONS}) AS a ON a.id = s.annotation_id "
        "WHERE s.dataset = ? GROUP BY 1 ORDER BY 1", [dataset])


def region_durations(store: Store, dataset: str, bins: int = 30) -> pd.DataFrame:
    """Histogram of region durations per label: bin start (s), label, count."""
    return store.query_df(
        'WITH d AS (SELECT s.label, s."end" - s.start AS seconds '
        f"FROM spans s JOIN ({CURRENT_ANNOTATIONS}) AS a ON a.id = s.annotation_id WHERE s.dataset = ?), "
        "w AS (SELECT greatest(max(seconds), 0.001) / ? AS width FROM d) "
        "SELECT round(least(floor(seconds / width), ? - 1) * width, 3) AS seconds, label, count(*) AS regions "
        "FROM d, w GROUP BY 1, 2 ORDER BY 1, 2", [dataset, bins, bins])


def annotations_per_hour(store: Store, dataset: str) -> pd.DataFrame:
    return store.query_df(
        "SELECT date_trunc('hour', to_timestamp(created)) AS hour, session AS annotator, count(*) AS annotations "
        "FROM annotations WHERE dataset = ? GROUP BY 1, 2 ORDER BY 1, 2", [dataset])


def agreement(store: Store, dataset: str) -> pd.DataFrame:
    """Pairwise agreement on shared tasks: tasks, kappa on accept/reject, F1 per label."""
    rows = store.query(
        f"SELECT task_id, session, answer, id FROM ({CURRENT_ANNOTATIONS}) AS a WHERE dataset = ?",
        [dataset])
    by_task: dict[int, dict[str, tuple[str, int]]] = defaultdict(dict)
    for task_id, session, answer, annotation_id in rows:
        by_task[task_id][session] = (answer, annotation_id)
    spans = defaultdict(list)
    for annotation_id, label, channel, start, end in store.query(
            'SELECT annotation_id, coalesce(label, \'\'), channel, start, "end" FROM spans WHERE dataset = ?',
            [dataset]):
        spans[annotation_id].append((label, channel, start, end))
    sessions = sorted({s for t in by_task.values() for s in t})
    out = []
    for i, a in enumerate(sessions):
        for b in sessions[i + 1:]:
            shared = [t for t, who in by_task.items() if a in who and b in who]
            if not shared:
                continue
            pairs = [(by_task[t][a][0], by_task[t][b][0]) for t in shared
                     if {by_task[t][a][0], by_task[t][b][0]} <= {"accept", "reject"}]
            regions = ({}, {})
            for t in shared:
                for side, who in enumerate((a, b)):
                    for label, channel, start, end in spans[by_task[t][who][1]]:
                        regions[side].setdefault((t, label, channel), []).append((start, end))
            f1 = label_f1(*regions)
            kappa = cohen_kappa([p[0] for p in pairs], [p[1] for p in pairs])
            out.append({"annotator A": a, "annotator B": b, "shared tasks": len(shared),
                        "kappa (accept/reject)": None if kappa is None else round(kappa, 3),
                        **{f"F1 {label or '(none)'}": round(v, 3) for label, v in f1.items()}})
    return pd.DataFrame(out)
