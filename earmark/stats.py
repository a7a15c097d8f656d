"""Dataset statistics, as plain SQL over the tasks, annotations and spans tables."""

from __future__ import annotations

from earmark.annotations import CURRENT_ANNOTATIONS
from earmark.db.store import Store


def dataset_stats(store: Store, dataset: str | None = None) -> dict:
    """Counts of tasks and answers, regions and seconds by label, audio seconds.

    Keys: `tasks`, `answered`, `answers` (answer -> count), `labels`
    (label -> {"regions", "seconds"}), `audio_seconds` (duration of the
    tasks' audio, a segment counting for its window).
    """
    where, params = ("WHERE t.dataset = ?", [dataset]) if dataset else ("", [])
    tasks, audio_seconds = store.query_one(
        "SELECT count(*), coalesce(sum(coalesce("
        "  TRY_CAST(json_extract(t.task, '$.segment.end') AS DOUBLE)"
        "  - TRY_CAST(json_extract(t.task, '$.segment.start') AS DOUBLE), m.duration)), 0) "
        f"FROM tasks t LEFT JOIN media m ON m.id = t.media_id {where}", params)
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
