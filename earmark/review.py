"""Queries behind the Review and Statistics pages: plain DuckDB SQL."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from earmark.annotations import CURRENT_ANNOTATIONS
from earmark.db.store import Store


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


def count_annotations(store: Store, f: ReviewFilter) -> int:
    """How many current annotations match `f`."""
    where, params = filter_sql(f)
    return store.query_one(f"SELECT count(*) FROM ({CURRENT_ANNOTATIONS}) AS a WHERE {where}", params)[0]


def review_table(store: Store, f: ReviewFilter, limit: int = 1000) -> tuple[pd.DataFrame, int]:
    """The newest current annotations matching `f` (at most `limit`), and how many match."""
    where, params = filter_sql(f)
    current = f"({CURRENT_ANNOTATIONS}) AS a"
    count = count_annotations(store, f)
    # The newest `limit` ids first; spans are aggregated for those rows only.
    frame = store.query_df(
        f"WITH top AS (SELECT a.id FROM {current} WHERE {where} ORDER BY a.id DESC LIMIT ?), "
        "r AS (SELECT annotation_id, count(*) AS regions, "
        "string_agg(DISTINCT label, ', ' ORDER BY label) AS labels FROM spans "
        "WHERE annotation_id IN (SELECT id FROM top) GROUP BY 1) "
        "SELECT a.id, a.dataset, a.session AS annotator, a.answer, "
        "json_extract_string(a.annotation, '$.file') AS file, "
        "coalesce(json_extract_string(a.annotation, '$._skip_reason'), '') AS skipped_because, "
        "coalesce(r.regions, 0) AS regions, coalesce(r.labels, '') AS labels, "
        "to_timestamp(a.created) AS saved, a.supersedes IS NOT NULL AS corrected, a.task_id "
        "FROM annotations a JOIN top USING (id) LEFT JOIN r ON r.annotation_id = a.id ORDER BY a.id DESC",
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
        "count(*) FILTER (WHERE json_extract_string(annotation, '$._skip_reason') IS NOT NULL) AS skipped, "
        "to_timestamp(max(created)) AS last_answer "
        f"FROM ({CURRENT_ANNOTATIONS}) AS a WHERE dataset = ? GROUP BY 1 ORDER BY 1", [dataset])


def label_totals(store: Store, dataset: str) -> pd.DataFrame:
    return store.query_df(
        'SELECT s.label, count(*) AS regions, round(sum(s."end" - s.start), 3) AS seconds, '
        'round(avg(s."end" - s.start), 3) AS mean_seconds '
        f"FROM spans s JOIN ({CURRENT_ANNOTATIONS}) AS a ON a.id = s.annotation_id "
        "WHERE s.dataset = ? GROUP BY 1 ORDER BY 1", [dataset])


def region_durations(store: Store, dataset: str, bins: int = 30) -> pd.DataFrame:
    """Histogram of region durations per label: bin start and end (s), label, count."""
    return store.query_df(
        'WITH d AS (SELECT s.label, s."end" - s.start AS seconds '
        f"FROM spans s JOIN ({CURRENT_ANNOTATIONS}) AS a ON a.id = s.annotation_id WHERE s.dataset = ?), "
        "w AS (SELECT greatest(max(seconds), 0.001) / ? AS width FROM d), "
        "b AS (SELECT least(floor(seconds / width), ? - 1) AS bin, label, width FROM d, w) "
        "SELECT round(bin * width, 3) AS seconds, round((bin + 1) * width, 3) AS upto, label, "
        "count(*) AS regions FROM b GROUP BY bin, width, label ORDER BY 1, 3", [dataset, bins, bins])


def annotations_per_hour(store: Store, dataset: str) -> pd.DataFrame:
    return store.query_df(
        "SELECT date_trunc('hour', to_timestamp(created)) AS hour, session AS annotator, count(*) AS annotations "
        "FROM annotations WHERE dataset = ? GROUP BY 1, 2 ORDER BY 1, 2", [dataset])


_AGREEMENT_PAIRS = f"""
    cur AS (SELECT id, task_id, session, answer FROM ({CURRENT_ANNOTATIONS}) AS c WHERE dataset = $ds),
    shared AS (SELECT * FROM cur WHERE task_id IN (SELECT task_id FROM cur GROUP BY 1 HAVING count(*) > 1)),
    pairs AS (SELECT x.task_id, x.session AS a, y.session AS b, x.id AS ida, y.id AS idb,
                     x.answer AS ans_a, y.answer AS ans_b
              FROM shared x JOIN shared y ON x.task_id = y.task_id AND x.session < y.session)
"""

# Regions of each side merged into islands per (annotation, label, channel),
# then the seconds both sides cover. Equality joins through `sides`: an
# IN (ida, idb) condition made DuckDB fall back to a nested-loop join.
_AGREEMENT_F1 = f"""
WITH {_AGREEMENT_PAIRS},
    sides AS (SELECT a, b, ida AS id, 0 AS side FROM pairs UNION ALL SELECT a, b, idb, 1 FROM pairs),
    s AS (SELECT sp.annotation_id AS id, coalesce(sp.label, '') AS label, sp.channel, sp.start, sp."end"
          FROM spans sp SEMI JOIN sides ON sides.id = sp.annotation_id WHERE sp.dataset = $ds),
    m0 AS (SELECT *, CASE WHEN start <= max("end") OVER (PARTITION BY id, label, channel ORDER BY start, "end"
             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS fresh FROM s),
    m1 AS (SELECT *, sum(fresh) OVER (PARTITION BY id, label, channel ORDER BY start, "end"
             ROWS UNBOUNDED PRECEDING) AS island FROM m0),
    m AS (SELECT id, label, channel, min(start) AS s, max("end") AS e FROM m1 GROUP BY id, label, channel, island),
    sizes AS (SELECT x.a, x.b, m.label, sum(m.e - m.s) FILTER (WHERE side = 0) AS size_a,
                     sum(m.e - m.s) FILTER (WHERE side = 1) AS size_b
              FROM sides x JOIN m ON m.id = x.id GROUP BY 1, 2, 3),
    inter AS (SELECT p.a, p.b, x.label, sum(greatest(0, least(x.e, y.e) - greatest(x.s, y.s))) AS shared
              FROM pairs p JOIN m x ON x.id = p.ida JOIN m y ON y.id = p.idb AND y.label = x.label
              AND y.channel IS NOT DISTINCT FROM x.channel AND x.s < y.e AND y.s < x.e GROUP BY 1, 2, 3)
SELECT sizes.a, sizes.b, sizes.label, coalesce(size_a, 0), coalesce(size_b, 0), coalesce(inter.shared, 0)
FROM sizes LEFT JOIN inter USING (a, b, label) ORDER BY 1, 2, 3
"""

_AGREEMENT_ANSWERS = f"""
WITH {_AGREEMENT_PAIRS}
SELECT a, b, count(*) AS tasks,
       count(*) FILTER (WHERE ans_a IN ('accept', 'reject') AND ans_b IN ('accept', 'reject')) AS n,
       count(*) FILTER (WHERE ans_a IN ('accept', 'reject') AND ans_b IN ('accept', 'reject')
                        AND ans_a = ans_b) AS same,
       count(*) FILTER (WHERE ans_a = 'accept' AND ans_b IN ('accept', 'reject')) AS a_accept,
       count(*) FILTER (WHERE ans_b = 'accept' AND ans_a IN ('accept', 'reject')) AS b_accept
FROM pairs GROUP BY 1, 2 ORDER BY 1, 2
"""


def _kappa(n: int, same: int, a_accept: int, b_accept: int) -> float | None:
    """Cohen's kappa from the counts of a 2x2 accept/reject table (as agreement.cohen_kappa)."""
    if n == 0:
        return None
    expected = (a_accept / n) * (b_accept / n) + (1 - a_accept / n) * (1 - b_accept / n)
    if expected >= 1.0:
        return None
    return (same / n - expected) / (1 - expected)


def agreement(store: Store, dataset: str) -> pd.DataFrame:
    """Pairwise agreement on shared tasks: tasks, kappa on accept/reject, F1 per label.

    Computed in DuckDB (see `earmark.agreement` for the definitions, which the
    tests check this against): a Python version took over a second for
    100,000 annotations.
    """
    cur = store.cursor()
    answers = cur.execute(_AGREEMENT_ANSWERS, {"ds": dataset}).fetchall()
    f1: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for a, b, label, size_a, size_b, shared in cur.execute(_AGREEMENT_F1, {"ds": dataset}).fetchall():
        f1[(a, b)][label] = 2 * shared / (size_a + size_b) if size_a + size_b else 1.0
    out = []
    for a, b, tasks, n, same, a_accept, b_accept in answers:
        kappa = _kappa(n, same, a_accept, b_accept)
        out.append({"annotator A": a, "annotator B": b, "shared tasks": tasks,
                    "kappa (accept/reject)": None if kappa is None else round(kappa, 3),
                    **{f"F1 {label or '(none)'}": round(v, 3) for label, v in sorted(f1[(a, b)].items())}})
    return pd.DataFrame(out)


def changes_from_pre_annotation(proposed: list[dict], final: list[dict], tolerance: float = 0.001) -> dict:
    """What the annotator did to the proposed regions, matched by region id.

    Returns lists under `added`, `removed`, `moved` (start or end changed;
    with `before`) and `relabelled` (with `before`).
    """
    before = {r.get("id"): r for r in proposed}
    after = {r.get("id"): r for r in final}
    moved, relabelled = [], []
    for rid in before.keys() & after.keys():
        old, new = before[rid], after[rid]
        if abs(old["start"] - new["start"]) > tolerance or abs(old["end"] - new["end"]) > tolerance:
            moved.append({**new, "before": old})
        if (old.get("label") or "") != (new.get("label") or ""):
            relabelled.append({**new, "before": old})
    return {
        "added": [after[k] for k in after if k not in before],
        "removed": [before[k] for k in before if k not in after],
        "moved": sorted(moved, key=lambda r: r["start"]),
        "relabelled": sorted(relabelled, key=lambda r: r["start"]),
    }
