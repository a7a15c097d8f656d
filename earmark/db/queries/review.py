"""The Review page's queries: the filter bar's choices and the filter itself,
the table of matching annotations, an annotation's versions (corrections), and
the rows the agreement between annotators is computed from.

The filter is the one of Review and Export: a `ReviewFilter` from the page,
made into SQL here (`filter_sql`), never by the page.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from dataclasses import dataclass, field

import pandas as pd

from earmark.db.queries import CURRENT_ANNOTATIONS
from earmark.db.store import Store


@dataclass
class ReviewFilter:
    """What the filter bar of Review and Export selects; an empty field selects everything."""
    dataset: str | None = None
    answers: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    file: str = ""                       # substring of the file name
    since: dt.date | None = None
    until: dt.date | None = None


def filter_sql(f: ReviewFilter) -> tuple[str, list]:
    """A WHERE clause over current annotations aliased `a`, and its parameters."""
    clauses: list[str] = ["TRUE"]
    params: list[Any] = []
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
    return store.query(f"SELECT count(*) FROM ({CURRENT_ANNOTATIONS}) AS a WHERE {where}", params)[0][0]


def review_table(store: Store, f: ReviewFilter, limit: int = 1000) -> tuple[pd.DataFrame, int]:
    """The newest current annotations matching `f` (at most `limit`), and how many match.

    `channel` lists the regions' channels counted from 1, as the pages say them;
    `corrected` says a reviewer (a version saved in Review) or another annotator
    changed the annotation since its first version."""
    where, params = filter_sql(f)
    current = f"({CURRENT_ANNOTATIONS}) AS a"
    count = count_annotations(store, f)
    # The newest `limit` ids first; spans are aggregated for those rows only.
    # "corrected": a later version of the chain was saved in Review or by another
    # annotator than the first version's; an annotator's own undo and new answer is not.
    frame = store.query_df(
        f"WITH RECURSIVE top AS (SELECT a.id FROM {current} WHERE {where} ORDER BY a.id DESC LIMIT ?), "
        "r AS (SELECT annotation_id, count(*) AS regions, count(channel) AS on_channel, "
        "string_agg(DISTINCT label, ', ' ORDER BY label) AS labels FROM spans "
        "WHERE annotation_id IN (SELECT id FROM top) GROUP BY 1), "
        # the channels the regions are on, as people count them (from 1), in order
        "ch AS (SELECT annotation_id, string_agg(CAST(c + 1 AS VARCHAR), ', ' ORDER BY c) AS listed "
        "FROM (SELECT DISTINCT annotation_id, channel AS c FROM spans WHERE channel IS NOT NULL "
        "AND annotation_id IN (SELECT id FROM top)) AS d GROUP BY 1), "
        "chain AS (SELECT v.id AS top_id, v.id, v.supersedes, v.session, v.annotation, 0 AS depth "
        "FROM annotations v JOIN top USING (id) "
        "UNION ALL SELECT c.top_id, v.id, v.supersedes, v.session, v.annotation, c.depth + 1 "
        "FROM chain c JOIN annotations v ON v.id = c.supersedes), "
        "first AS (SELECT top_id, (array_agg(session ORDER BY depth DESC))[1] AS session FROM chain GROUP BY 1), "
        "fixed AS (SELECT c.top_id, bool_or(c.supersedes IS NOT NULL AND (c.session <> f.session "
        "OR json_extract_string(c.annotation, '$._reviewed_by') IS NOT NULL)) AS corrected "
        "FROM chain c JOIN first f USING (top_id) GROUP BY 1) "
        "SELECT a.id, a.dataset, a.session AS annotator, a.answer, "
        "json_extract_string(a.annotation, '$.file') AS file, "
        "coalesce(json_extract_string(a.annotation, '$._skip_reason'), '') AS skipped_because, "
        "coalesce(r.regions, 0) AS regions, coalesce(r.labels, '') AS labels, "
        # "all" for the regions on every channel beside them; empty when no region names a channel
        "CASE WHEN coalesce(r.on_channel, 0) = 0 THEN '' ELSE ch.listed || "
        "CASE WHEN r.regions > r.on_channel THEN ', all' ELSE '' END END AS channel, "
        "to_timestamp(a.created) AS saved, coalesce(fixed.corrected, FALSE) AS corrected, a.task_id "
        "FROM annotations a JOIN top USING (id) LEFT JOIN r ON r.annotation_id = a.id "
        "LEFT JOIN ch ON ch.annotation_id = a.id "
        "LEFT JOIN fixed ON fixed.top_id = a.id ORDER BY a.id DESC",
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


def annotation_keys(store: Store, annotation_id: int) -> dict | None:
    """The task, annotator (`session`) and dataset of one annotation, or None."""
    row = store.query_one("SELECT task_id, session, dataset FROM annotations WHERE id = ?", [annotation_id])
    return {"task_id": row[0], "session": row[1], "dataset": row[2]} if row else None


def annotators(store: Store, dataset: str) -> list[str]:
    """Everyone who answered in `dataset` (any version), by name: the filter bar's choices."""
    return [s for (s,) in store.query(
        "SELECT DISTINCT session FROM annotations WHERE dataset = ? ORDER BY 1", [dataset])]


def labels_in_use(store: Store, dataset: str) -> list[str]:
    """The labels of the regions saved in `dataset` (any version), by name."""
    return [label for (label,) in store.query(
        "SELECT DISTINCT label FROM spans WHERE dataset = ? AND label IS NOT NULL ORDER BY 1", [dataset])]


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
          FROM spans sp WHERE sp.annotation_id IN (SELECT id FROM sides) AND sp.dataset = $ds),
    m0 AS (SELECT *, CASE WHEN start <= max("end") OVER (PARTITION BY id, label, channel ORDER BY start, "end"
             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS fresh FROM s),
    m1 AS (SELECT *, sum(fresh) OVER (PARTITION BY id, label, channel ORDER BY start, "end"
             ROWS UNBOUNDED PRECEDING) AS island FROM m0),
    m AS (SELECT id, label, channel, min(start) AS s, max("end") AS e FROM m1 GROUP BY id, label, channel, island),
    sizes AS (SELECT x.a, x.b, m.label, sum(m.e - m.s) FILTER (WHERE side = 0) AS size_a,
                     sum(m.e - m.s) FILTER (WHERE side = 1) AS size_b
              FROM sides x JOIN m ON m.id = x.id GROUP BY 1, 2, 3),
    -- side a's islands with their pair first (materialised: PostgreSQL, misled by the
    -- estimates of `m`, joined every island of one label with every other before the
    -- pairs, 16 million rows for 4,000 annotations)
    xs AS MATERIALIZED (SELECT p.a, p.b, p.idb, x.label, x.channel, x.s, x.e
                        FROM pairs p JOIN m x ON x.id = p.ida),
    inter AS (SELECT xs.a, xs.b, xs.label, sum(greatest(0, least(xs.e, y.e) - greatest(xs.s, y.s))) AS shared
              FROM xs JOIN m y ON y.id = xs.idb AND y.label = xs.label
              AND y.channel IS NOT DISTINCT FROM xs.channel AND xs.s < y.e AND y.s < xs.e GROUP BY 1, 2, 3)
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


def agreement_answer_rows(store: Store, dataset: str) -> list[tuple]:
    """Per pair of annotators (a < b) on their shared tasks:
    (a, b, shared tasks, tasks both answered accept/reject, of those answered alike,
    of those a accepted, of those b accepted)."""
    return store.query(_AGREEMENT_ANSWERS, {"ds": dataset})


def agreement_overlap_rows(store: Store, dataset: str) -> list[tuple]:
    """Per pair of annotators (a < b) and label ('' for none), over their shared tasks:
    (a, b, label, seconds a labelled, seconds b labelled, seconds both labelled),
    each side's regions merged per annotation, label and channel first."""
    return store.query(_AGREEMENT_F1, {"ds": dataset})
