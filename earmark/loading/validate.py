"""Check a task against the task format of design.md before it is stored.

A task that is stored is shown: the Annotate page slices peaks by its
channel, formats its times, seeks to its segment. So anything a page could
not show is refused here, at load, with a reason that names the key, instead
of crashing a page later. The checks:

- the whole task is JSON as a browser reads it: no NaN or Infinity, no lone
  surrogates (text that is not Unicode; DuckDB stores UTF-8), nesting at most
  `MAX_DEPTH` deep;
- `audio`, `path`, `file`, `transcript`, `text` are strings; `meta` an object;
- `audio_spans` a list of objects with finite numeric `start` <= `end`, both
  >= 0 and inside the file; `label`, `id`, `text`, `color` strings; `channel`
  an integer channel of the file; `score` a number from 0 to 1;
- `segment` an object with finite numeric `start` <= `end` inside the file;
- `words` (a recogniser's, in file time) a list of objects with such times
  inside the file, a string `text` and, when given, a `score` from 0 to 1; `tokens` a
  list of objects; `spans` (of the text) objects with integer character
  offsets `start` <= `end` and a string `label`;
- `_input_hash` and `_task_hash` integers within signed 64 bits (the column's
  type; the hashes Earmark makes itself stay below 2^53);
- `meta.channel` an integer channel of the file, `meta.channels` a positive
  integer, `meta.duration` a finite number >= 0.

`duration` and `channels` (of the task's file, when known) bound the times
and channels. Every function returns None when all is well, else the reason.
"""

from __future__ import annotations

import json
import math
from typing import TypeGuard

INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
MAX_DEPTH = 64
# Times may pass the end of the file by this much: header durations are rounded.
END_TOLERANCE = 0.001

_STRING_KEYS = ("audio", "path", "file", "transcript", "text")
_SPAN_STRINGS = ("label", "id", "text", "color")


def task_problem(task: object, *, duration: float | None = None,
                 channels: int | None = None) -> str | None:
    """Why `task` cannot be stored (None when it can); see the module docstring."""
    if not isinstance(task, dict):
        return f"a task must be a JSON object, not {_kind(task)}"
    problem = json_problem(task)
    if problem:
        return problem
    for key in _STRING_KEYS:
        if task.get(key) is not None and not isinstance(task[key], str):
            return f"`{key}` must be a string, not {_kind(task[key])}"
    meta = task.get("meta")
    if meta is not None:
        if not isinstance(meta, dict):
            return f"`meta` must be an object, not {_kind(meta)}"
        problem = _meta_problem(meta, channels)
        if problem:
            return problem
    for key in ("_input_hash", "_task_hash"):
        if key in task and task[key] is not None:
            problem = hash_problem(key, task[key])
            if problem:
                return problem
    problem = spans_problem(task.get("audio_spans"), duration=duration, channels=channels)
    if problem:
        return problem
    segment = task.get("segment")
    if segment is not None:
        if not isinstance(segment, dict):
            return f"`segment` must be an object with `start` and `end`, not {_kind(segment)}"
        problem = times_problem("segment", segment, duration)
        if problem:
            return problem
    words = task.get("words")
    if words is not None:
        if not isinstance(words, list):
            return f"`words` must be a list, not {_kind(words)}"
        for i, word in enumerate(words):
            where = f"words[{i}]"
            if not isinstance(word, dict):
                return f"{where} is not an object"
            problem = times_problem(where, word, duration)
            if problem:
                return problem
            if not isinstance(word.get("text"), str):
                return f"{where}.text must be a string, not {_kind(word.get('text'))}"
            if word.get("score") is not None and (not _is_number(word["score"]) or not 0 <= word["score"] <= 1):
                return f"{where}.score must be a number from 0 to 1, got {_show(word['score'])}"
    for key in ("tokens", "spans"):
        items = task.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            return f"`{key}` must be a list, not {_kind(items)}"
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                return f"{key}[{i}] is not an object"
            if key == "spans":
                problem = _text_span_problem(f"spans[{i}]", item)
                if problem:
                    return problem
    return None


def _text_span_problem(where: str, span: dict) -> str | None:
    """A labelled span of the text: character offsets and a label (the alignment view slices by them)."""
    start, end = span.get("start"), span.get("end")
    if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
        return f"{where} needs integer character offsets `start` and `end` (got {_show(start)} and {_show(end)})"
    if start < 0 or end < start:
        return f"{where} has end {_show(end)} before start {_show(start)} or a negative offset"
    if not isinstance(span.get("label"), str):
        return f"{where}.label must be a string, not {_kind(span.get('label'))}"
    if span.get("audio_span_id") is not None and not isinstance(span["audio_span_id"], str):
        return f"{where}.audio_span_id must be a string, not {_kind(span['audio_span_id'])}"
    return None


def spans_problem(spans: object, *, duration: float | None = None,
                  channels: int | None = None) -> str | None:
    """Why a list of regions (`audio_spans`, or a model's answer) is unusable, or None."""
    if spans is None:
        return None
    if not isinstance(spans, list):
        return f"`audio_spans` must be a list, not {_kind(spans)}"
    for i, span in enumerate(spans):
        where = f"audio_spans[{i}]"
        if not isinstance(span, dict):
            return f"{where} is not an object"
        problem = times_problem(where, span, duration)
        if problem:
            return problem
        for key in _SPAN_STRINGS:
            if span.get(key) is not None and not isinstance(span[key], str):
                return f"{where}.{key} must be a string, not {_kind(span[key])}"
        if span.get("channel") is not None:
            problem = channel_problem(f"{where}.channel", span["channel"], channels)
            if problem:
                return problem
        if span.get("score") is not None:
            score = span["score"]
            if not _is_number(score) or not 0 <= score <= 1:
                return f"{where}.score must be a number from 0 to 1, got {_show(score)}"
    return None


def channel_problem(where: str, channel: object, channels: int | None) -> str | None:
    """Why a task-format channel (0-based) is not one of the file's; the message
    also names it as people count (from 1, as the pages, CSV and RTTM do)."""
    if isinstance(channel, bool) or not isinstance(channel, int):
        return f"{where} must be an integer (counted from 0: 0 is channel 1), not {_kind(channel)}"
    if channel < 0:
        return f"{where} {_show(channel)} is negative (it counts from 0: 0 is channel 1)"
    if channels is not None and channel >= channels:
        return (f"{where} {_show(channel)} does not exist: that is channel {channel + 1} counted from 1, "
                f"and the file has {channels} channel{'s' if channels != 1 else ''}")
    return None


def hash_problem(key: str, value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"`{key}` must be an integer, not {_kind(value)}"
    if not INT64_MIN <= value <= INT64_MAX:
        return f"`{key}` {_show(value)} does not fit in 64 bits (signed)"
    return None


def json_problem(value: object) -> str | None:
    """What in `value` is not JSON as a browser and DuckDB read it, or None.

    Walked with a stack, not recursion: a hostile task may nest deeper than
    Python's recursion limit.
    """
    stack: list[tuple[object, str, int]] = [(value, "", 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep at `{where}`"
        if isinstance(item, str):
            if _has_surrogate(item):
                return f"`{where}` holds text that is not valid Unicode (a lone surrogate)" if where else \
                    "a value holds text that is not valid Unicode (a lone surrogate)"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"`{where or 'a value'}` is {item!r}, which is not a JSON number"
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return f"{where or 'an object'} has a key that is not a string ({_show(key)})"
                if _has_surrogate(key):
                    return f"{where or 'an object'} has a key that is not valid Unicode text"
                stack.append((child, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))
        elif item is not None and not isinstance(item, (bool, int)):
            return f"{where or 'a value'} is a {_kind(item)}, not a JSON value"
    return None


def _meta_problem(meta: dict, channels: int | None) -> str | None:
    if meta.get("channel") is not None:
        problem = channel_problem("meta.channel", meta["channel"], channels)
        if problem:
            return problem
    count = meta.get("channels")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        return f"meta.channels must be a positive integer, got {_show(count)}"
    length = meta.get("duration")
    if length is not None and (not _is_number(length) or length < 0):
        return f"meta.duration must be a number of seconds >= 0, got {_show(length)}"
    return None


def times_problem(where: str, item: dict, duration: float | None) -> str | None:
    start, end = item.get("start"), item.get("end")
    if not (_is_number(start) and _is_number(end)):
        return (f"{where} needs finite numeric `start` and `end` seconds "
                f"(got {_show(start)} and {_show(end)})")
    if start < 0 or end < start:
        return f"{where} has end {_show(end)} before start {_show(start)} or a negative time"
    if duration is not None and end > duration + END_TOLERANCE:
        return f"{where} ends at {_show(end)} s, after the end of the file ({duration:.3f} s)"
    return None


def _is_number(value: object) -> TypeGuard[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value)


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _kind(value: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a decimal number",
             list: "a list", dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _show(value: object, limit: int = 40) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"an integer of {value.bit_length()} bits"   # repr of a huge int can raise
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."



class JSONLineError(ValueError):
    """A line that is not one JSON value; the message says why."""


def _refuse_constant(name: str) -> float:
    raise JSONLineError(f"{name} is not a JSON number (write a number or null)")


def parse_json(text: str) -> object:
    """One JSON value, strictly: Python's json reads NaN and Infinity, which no
    browser does; nesting beyond the recursion limit and integers of more than
    4,300 digits raise other errors than JSONDecodeError. All of them come as
    `JSONLineError` with a reason."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except JSONLineError:
        raise
    except json.JSONDecodeError as exc:
        raise JSONLineError(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise JSONLineError("invalid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. "Exceeds the limit (4300 digits) for integer string conversion"
        raise JSONLineError(f"invalid JSON: {exc}") from None
