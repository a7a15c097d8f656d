"""Whether a stored task can be shown, and if not, why (in words).

The loader validates tasks, but a database can hold tasks from before that,
or written by other programs, and files move after a load. The Annotate page
asks this before drawing a task, so that a task that cannot be shown is
named and skipped instead of crashing the page on every rerun.
"""

from __future__ import annotations

import math
from pathlib import Path

from earmark.annotations import Task
from earmark.db.media import get_media
from earmark.db.store import Store


def _time(value: object) -> float | None:
    """A finite number of seconds, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _times_problem(what: str, item: object, duration: float | None) -> str | None:
    if not isinstance(item, dict):
        return f"its {what} is a {type(item).__name__}, not an object with start and end"
    start, end = _time(item.get("start")), _time(item.get("end"))
    if start is None or end is None:
        key = "start" if start is None else "end"
        return f"its {what} has a {key} of {item.get(key)!r}, not a number of seconds"
    if start < 0 or end < start:
        return f"its {what} runs from {start:g} s to {end:g} s"
    if duration and start > duration + 0.5:
        return f"its {what} starts at {start:g} s, after the end of the file ({duration:g} s)"
    return None


def task_problem(store: Store, task: Task) -> str | None:
    """Why `task` cannot be shown, or None when it can."""
    if task.problem:
        return task.problem
    data = task.data
    meta = data.get("meta")
    if meta is not None and not isinstance(meta, dict):
        return f"its meta is a {type(meta).__name__}, not an object"
    meta = meta or {}
    media = get_media(store, task.media_id) if task.media_id else None
    if task.media_id and media is None:
        return f"its media record {task.media_id} is missing from the database"
    if media is None and not data.get("audio"):
        return "it has no audio"
    if media is not None and not Path(media.path).is_file():
        return f"the file {media.path} is no longer on the server"
    duration = media.duration if media else None
    channels = media.channels if media else None
    channel = meta.get("channel")
    if channel is not None and (isinstance(channel, bool) or not isinstance(channel, int) or channel < 0
                                or (channels and channel >= channels)):
        return (f"its meta.channel {channel!r} (counted from 0: 0 is channel 1) is not one of the file's "
                + (f"{channels} channel{'s' if channels != 1 else ''}" if channels else "channels"))
    if data.get("segment") is not None:
        problem = _times_problem("segment", data["segment"], duration)
        if problem:
            return problem
    spans = data.get("audio_spans")
    if spans is not None and not isinstance(spans, list):
        return f"its audio_spans is a {type(spans).__name__}, not a list"
    for i, span in enumerate(spans or []):
        problem = _times_problem(f"region {i + 1}", span, None)
        if problem:
            return problem
        if span.get("channel") is not None and (isinstance(span["channel"], bool)
                                                or not isinstance(span["channel"], int)):
            return f"its region {i + 1} has a channel of {span['channel']!r}"
        if span.get("label") is not None and not isinstance(span["label"], str):
            return f"its region {i + 1} has a label of {span['label']!r}, not text"
    for key in ("transcript", "text", "file"):
        if data.get(key) is not None and not isinstance(data[key], str):
            return f"its {key} is a {type(data[key]).__name__}, not text"
    return None
