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


# -- proposals against answers ---------------------------------------------------------
SAME_TIME = 0.010   # seconds: a region whose start and end moved less is kept where it was
OUTCOMES = ("kept", "moved", "relabelled", "added", "removed")


def word_edits(proposed: list[str], answered: list[str]) -> int:
    """Word-level edit distance (substitutions, insertions, deletions) between two word lists."""
    start = 0
    while start < min(len(proposed), len(answered)) and proposed[start] == answered[start]:
        start += 1
    end_a, end_b = len(proposed), len(answered)
    while end_a > start and end_b > start and proposed[end_a - 1] == answered[end_b - 1]:
        end_a, end_b = end_a - 1, end_b - 1
    a, b = proposed[start:end_a], answered[start:end_b]
    if not a or not b:
        return max(len(a), len(b))
    previous = list(range(len(b) + 1))
    for i, word in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other)))
        previous = current
    return previous[-1]


def _regions(value: object) -> dict[str, dict]:
    if not isinstance(value, list):
        return {}
    return {str(r["id"]): r for r in value if isinstance(r, dict) and r.get("id") is not None}


def _times(region: dict) -> tuple[float, float] | None:
    try:
        return float(region["start"]), float(region["end"])
    except (KeyError, TypeError, ValueError):
        return None


def compare_answer(task: dict, annotation: dict) -> dict[str, int]:
    """How one answer treated its task's proposals: region ids kept (times within
    `SAME_TIME`, same label), moved (times changed), relabelled (label changed; a region
    both moved and relabelled counts in both), added (an id no proposal has), removed (a
    proposal's id missing from the answer); and the word edits from the pre-filled
    transcript to the answer's, with the answer's word count."""
    counts = dict.fromkeys((*OUTCOMES, "word_edits", "words"), 0)
    proposed, answered = _regions(task.get("audio_spans")), _regions(annotation.get("audio_spans"))
    if proposed:
        for region_id, region in answered.items():
            before = proposed.get(region_id)
            if before is None:
                counts["added"] += 1
                continue
            then, now = _times(before), _times(region)
            moved = then is None or now is None or any(abs(x - y) > SAME_TIME + 1e-9 for x, y in zip(then, now))
            relabelled = (before.get("label") or "") != (region.get("label") or "")
            counts["moved"] += moved
            counts["relabelled"] += relabelled
            counts["kept"] += not (moved or relabelled)
        counts["removed"] = sum(1 for region_id in proposed if region_id not in answered)
    pre, typed = task.get("transcript"), annotation.get("transcript")
    if isinstance(pre, str) and pre.strip():
        words = typed.split() if isinstance(typed, str) else []
        counts["word_edits"] = word_edits(pre.split(), words)
        counts["words"] = len(words)
    return counts


def proposal_comparison(store: Store, dataset: str) -> dict:
    """How the proposals (a task's `audio_spans` and pre-filled `transcript` as loaded or
    relabelled) compare with the current accepted answers, per hour or per day of the
    answers (hours when they span two days at most).

    `{"bucket": "hour" | "day", "rows": [{"start": ISO time (UTC), "answers", "kept",
    "moved", "relabelled", "added", "removed", "word_edits", "words"}]}`. Only accepted
    answers of tasks that had proposals count: a rejected or ignored task says nothing of
    how its proposals were corrected, so those are left out (the Statistics page counts
    answers by kind above)."""
    import json
    from datetime import datetime, timezone
    rows = store.query(
        f"SELECT a.created, a.annotation, t.task FROM ({CURRENT_ANNOTATIONS}) AS a "
        "JOIN tasks t ON t.id = a.task_id WHERE a.dataset = ? AND a.answer = 'accept' "
        "ORDER BY a.created, a.id", [dataset])
    compared: list[tuple[float, dict[str, int]]] = []
    for created, annotation, task in rows:
        try:
            task_data, answer_data = json.loads(task), json.loads(annotation)
        except ValueError:
            continue
        if not isinstance(task_data, dict) or not isinstance(answer_data, dict):
            continue
        has_regions = bool(_regions(task_data.get("audio_spans")))
        pre = task_data.get("transcript")
        if not has_regions and not (isinstance(pre, str) and pre.strip()):
            continue
        compared.append((float(created), compare_answer(task_data, answer_data)))
    if not compared:
        return {"bucket": "hour", "rows": []}
    span = compared[-1][0] - compared[0][0]
    unit = "hour" if span <= 2 * 86400 else "day"
    width = 3600 if unit == "hour" else 86400
    buckets: dict[int, dict[str, int]] = {}
    for created, counts in compared:
        key = int(created // width) * width
        total = buckets.setdefault(key, dict.fromkeys(("answers", *OUTCOMES, "word_edits", "words"), 0))
        total["answers"] += 1
        for name, n in counts.items():
            total[name] += n
    return {"bucket": unit, "rows": [
        {"start": datetime.fromtimestamp(key, timezone.utc).isoformat(), **total}
        for key, total in sorted(buckets.items())]}
