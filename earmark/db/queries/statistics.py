"""The Statistics page's and the `stats` command's queries: counts of tasks and
answers, regions and seconds by label, progress per annotator, pace per hour."""

from __future__ import annotations

import math

import pandas as pd

from earmark.db.queries import CURRENT_ANNOTATIONS
from earmark.db.store import Store


def dataset_stats(store: Store, dataset: str | None = None) -> dict:
    """Counts of tasks and answers, regions and seconds by label, audio seconds.

    Keys: `tasks`, `answered`, `answers` (answer -> count), `labels`
    (label -> {"regions", "seconds"}), `audio_seconds` (duration of the
    tasks' audio, a segment counting for its window).
    """
    where, params = ("WHERE t.dataset = ?", [dataset]) if dataset else ("", [])
    tasks, audio_seconds = store.query(
        "SELECT count(*), coalesce(sum(coalesce("
        "  TRY_CAST(json_extract(t.task, '$.segment.end') AS DOUBLE)"
        "  - TRY_CAST(json_extract(t.task, '$.segment.start') AS DOUBLE), m.duration)), 0) "
        f"FROM tasks t LEFT JOIN media m ON m.id = t.media_id {where}", params)[0]
    a_where, a_params = ("WHERE dataset = ?", [dataset]) if dataset else ("", [])
    answers = dict(store.query(
        f"SELECT answer, count(*) FROM ({CURRENT_ANNOTATIONS}) AS c {a_where} "
        "GROUP BY answer ORDER BY answer", a_params))
    labels = {
        label: {"regions": n, "seconds": round(seconds, 3)}
        for label, n, seconds in store.query(
            f'SELECT coalesce(s.label, \'\'), count(*), sum(s."end" - s.start) FROM spans s '
            f"JOIN ({CURRENT_ANNOTATIONS}) AS c ON c.id = s.annotation_id "
            f"{'WHERE s.dataset = ?' if dataset else ''} GROUP BY 1 ORDER BY 1", a_params)
    }
    return {
        "tasks": tasks,
        "answered": sum(answers.values()),
        "answers": answers,
        "labels": labels,
        "audio_seconds": round(audio_seconds, 3),
    }


def count_tasks(store: Store, dataset: str) -> int:
    """How many tasks `dataset` holds, answered or not."""
    return store.query("SELECT count(*) FROM tasks WHERE dataset = ?", [dataset])[0][0]


def tasks_done(store: Store, dataset: str) -> int:
    """How many tasks of `dataset` have at least one answer (of anyone, any version)."""
    return store.query("SELECT count(DISTINCT task_id) FROM annotations WHERE dataset = ?", [dataset])[0][0]


def dataset_version(store: Store, dataset: str) -> tuple:
    """(newest annotation id, annotations, tasks) of `dataset`: changes with every
    answer, correction or load, so figures cached under it are never stale."""
    return tuple(store.query(
        "SELECT (SELECT max(id) FROM annotations WHERE dataset = ?), "
        "(SELECT count(*) FROM annotations WHERE dataset = ?), "
        "(SELECT count(*) FROM tasks WHERE dataset = ?)", [dataset, dataset, dataset])[0])


def progress_by_annotator(store: Store, dataset: str) -> pd.DataFrame:
    """Per annotator: current answers, by answer, skips, and the time of the last."""
    return store.query_df(
        "SELECT session AS annotator, count(*) AS answered, "
        "count(*) FILTER (WHERE answer = 'accept') AS accept, "
        "count(*) FILTER (WHERE answer = 'reject') AS reject, "
        "count(*) FILTER (WHERE answer = 'ignore') AS ignore, "
        "count(*) FILTER (WHERE json_extract_string(annotation, '$._skip_reason') IS NOT NULL) AS skipped, "
        "to_timestamp(max(created)) AS last_answer "
        f"FROM ({CURRENT_ANNOTATIONS}) AS a WHERE dataset = ? GROUP BY 1 ORDER BY 1", [dataset])


def label_totals(store: Store, dataset: str) -> pd.DataFrame:
    """Per label: regions of the current annotations, their total and mean seconds."""
    return store.query_df(
        'SELECT s.label, count(*) AS regions, round(sum(s."end" - s.start), 3) AS seconds, '
        'round(avg(s."end" - s.start), 3) AS mean_seconds '
        f"FROM spans s JOIN ({CURRENT_ANNOTATIONS}) AS a ON a.id = s.annotation_id "
        "WHERE s.dataset = ? GROUP BY 1 ORDER BY 1", [dataset])


def nice_bins(low: float, high: float, most: int = 20) -> tuple[float, float, int]:
    """(start, width, count) of histogram bins over [low, high]: the narrowest
    width of 1, 2, 2.5 or 5 times a power of ten that needs at most `most` bins,
    the first starting at a multiple of the width. The last bin holds `high`."""
    if high <= low:                       # one length only: bins over half of it either side
        pad = max(abs(high), 0.01) / 2
        low, high = (max(low - pad, 0.0) if low >= 0 else low - pad), high + pad
    for exponent in range(-3, 10):
        for mantissa in (1, 2, 2.5, 5):
            width = mantissa * 10.0 ** exponent
            start = math.floor(low / width + 1e-9) * width
            count = max(1, math.ceil((high - start) / width - 1e-9))
            if count <= most:
                return round(start, 9), round(width, 9), count
    raise ValueError(f"no bins for lengths {low} to {high}")


def region_durations(store: Store, dataset: str, bins: int = 20) -> pd.DataFrame:
    """Histogram of region durations per label: bin start and end (s), label, count.

    The bins cover the lengths there are, from the shortest to the longest
    (`nice_bins`), at most `bins` of them."""
    regions = (f'SELECT s.label, s."end" - s.start AS seconds '
               f"FROM spans s JOIN ({CURRENT_ANNOTATIONS}) AS a ON a.id = s.annotation_id WHERE s.dataset = ?")
    low, high = store.query(f"SELECT min(seconds), max(seconds) FROM ({regions}) AS d", [dataset])[0]
    if low is None:
        return pd.DataFrame({"seconds": [], "upto": [], "label": [], "regions": []})
    start, width, count = nice_bins(float(low), float(high), bins)
    return store.query_df(
        f"WITH d AS ({regions}), "
        "b AS (SELECT least(greatest(floor((seconds - ?) / ? + 1e-9), 0), ? - 1) AS bin, label FROM d) "
        "SELECT round(? + bin * ?, 6) AS seconds, round(? + (bin + 1) * ?, 6) AS upto, label, "
        "count(*) AS regions FROM b GROUP BY bin, label ORDER BY 1, 3",
        [dataset, start, width, count, start, width, start, width])


def annotations_per_hour(store: Store, dataset: str) -> pd.DataFrame:
    """Current answers per hour (of their saving) and annotator: a version that
    undo or a correction replaced is not counted again."""
    return store.query_df(
        "SELECT date_trunc('hour', to_timestamp(created)) AS hour, session AS annotator, count(*) AS annotations "
        f"FROM ({CURRENT_ANNOTATIONS}) AS a WHERE dataset = ? GROUP BY 1, 2 ORDER BY 1, 2", [dataset])
