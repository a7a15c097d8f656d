"""Typed records of the task format (design.md, "Task and annotation format").

`Region` is one of `audio_spans`, `Task` a task, `Annotation` a task with its
answer. `from_json` reads the JSON object of the format and names what is wrong
(`audio_spans[2]: start is not a number`); `to_json` gives it back. Keys the
format does not name are kept (Prodigy tasks carry their own), in the order
they were read, so `Task.from_json(d).to_json() == d` and dumps to the same
bytes. Times are seconds in the original file's time; Earmark writes them at
millisecond precision (`ms`), and keeps the times a task came with as they are.

`StoredTask` is a task as the database holds it: its row's id, dataset and
media, the JSON object as stored (`data`), and why it cannot be read, if so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

MS_DIGITS = 3


def ms(seconds: float) -> float:
    """`seconds` at millisecond precision, as Earmark stores times."""
    return round(float(seconds), MS_DIGITS)


class RecordError(ValueError):
    """A JSON object that is not a record of the task format; the message says where."""


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _optional(obj: dict, key: str, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, kind):
        raise RecordError(f"{where}: {key} must be {what}, not {type(value).__name__}")
    return value


class _Keyed:
    """A record whose known keys are fields and whose other keys stay in `extra`,
    written back in the order they were read (`keys`; a new record: `ORDER`)."""

    ORDER: ClassVar[tuple[str, ...]] = ()
    KEYS: ClassVar[dict[str, str]] = {}       # JSON key -> field name
    ALWAYS: ClassVar[tuple[str, ...]] = ()    # keys written even when None
    extra: dict
    keys: tuple[str, ...]

    def _known(self) -> dict[str, Any]:
        return {key: getattr(self, name) for key, name in self.KEYS.items()}

    def to_json(self) -> dict:
        known = self._known()
        out: dict = {}
        order = self.keys or self.ORDER
        for key in order:
            if key in known:
                if known[key] is not None or key in self.keys or key in self.ALWAYS:
                    out[key] = _json(known[key])
            elif key in self.extra:
                out[key] = self.extra[key]
        for key, value in known.items():   # set after reading, or not in ORDER
            if key not in out and (value is not None or key in self.ALWAYS):
                out[key] = _json(value)
        for key, value in self.extra.items():
            out.setdefault(key, value)
        return out


def _json(value: Any) -> Any:
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value.to_json() if isinstance(value, _Keyed) else value


@dataclass
class Region(_Keyed):
    """One region of `audio_spans`."""
    id: str | None
    start: float
    end: float
    label: str | None = None
    color: str | None = None
    channel: int | None = None
    text: str | None = None
    score: float | None = None
    extra: dict = field(default_factory=dict)
    keys: tuple[str, ...] = field(default=(), compare=False, repr=False)

    ORDER: ClassVar[tuple[str, ...]] = ("id", "label", "color", "text", "start", "end", "channel", "score")
    KEYS: ClassVar[dict[str, str]] = {k: k for k in ORDER}
    ALWAYS: ClassVar[tuple[str, ...]] = ("id", "label", "start", "end")

    @classmethod
    def from_json(cls, obj: object, where: str = "region") -> "Region":
        if not isinstance(obj, dict):
            raise RecordError(f"{where} is not an object")
        for key in ("start", "end"):
            if not _number(obj.get(key)):
                raise RecordError(f"{where}: {key} is not a number ({obj.get(key)!r})")
        region = obj.get("id")
        name = f"{where} ({region!r})" if region is not None else where
        return cls(
            id=_optional(obj, "id", (str, int), name, "a string"),
            start=obj["start"], end=obj["end"],
            label=_optional(obj, "label", str, name, "a string"),
            color=_optional(obj, "color", str, name, "a string"),
            channel=_optional(obj, "channel", int, name, "a whole number"),
            text=_optional(obj, "text", str, name, "a string"),
            score=_optional(obj, "score", (int, float), name, "a number"),
            extra={k: v for k, v in obj.items() if k not in cls.KEYS},
            keys=tuple(obj),
        )


def _regions(obj: dict, where: str) -> list[Region]:
    spans = obj.get("audio_spans")
    if spans is None:
        return []
    if not isinstance(spans, list):
        raise RecordError(f"{where}audio_spans is not a list")
    return [Region.from_json(s, f"{where}audio_spans[{i}]") for i, s in enumerate(spans)]


_TASK_KEYS = {"audio": "audio", "path": "path", "file": "file", "audio_spans": "regions",
              "segment": "segment", "transcript": "transcript", "meta": "meta",
              "_input_hash": "input_hash", "_task_hash": "task_hash"}


@dataclass
class Task(_Keyed):
    """A task: the audio, its regions and what else the annotator is shown."""
    audio: str | None = None
    path: str | None = None
    file: str | None = None
    regions: list[Region] | None = None      # `audio_spans` (None: the task has none)
    segment: dict | None = None              # {"start", "end"} of a window of a longer file
    transcript: str | None = None
    meta: dict | None = None
    input_hash: int | None = None
    task_hash: int | None = None
    extra: dict = field(default_factory=dict)
    keys: tuple[str, ...] = field(default=(), compare=False, repr=False)

    KEYS: ClassVar[dict[str, str]] = dict(_TASK_KEYS)
    ORDER: ClassVar[tuple[str, ...]] = tuple(KEYS)

    @classmethod
    def _fields_from(cls, obj: object, where: str = "") -> dict:
        if not isinstance(obj, dict):
            raise RecordError(f"a task is a JSON object, not {type(obj).__name__}")
        segment = obj.get("segment")
        if segment is not None and not (isinstance(segment, dict) and _number(segment.get("start"))
                                        and _number(segment.get("end"))):
            raise RecordError(f"{where}segment must be an object with a start and an end")
        meta = obj.get("meta")
        if meta is not None and not isinstance(meta, dict):
            raise RecordError(f"{where}meta must be an object, not {type(meta).__name__}")
        for key in ("_input_hash", "_task_hash"):
            value = obj.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise RecordError(f"{where}{key} must be a whole number")
        return dict(
            audio=_optional(obj, "audio", str, where + "audio", "a string"),
            path=_optional(obj, "path", str, where + "path", "a string"),
            file=_optional(obj, "file", str, where + "file", "a string"),
            regions=_regions(obj, where) if "audio_spans" in obj else None,
            segment=segment, transcript=_optional(obj, "transcript", str, where + "transcript", "a string"),
            meta=meta, input_hash=obj.get("_input_hash"), task_hash=obj.get("_task_hash"),
            extra={k: v for k, v in obj.items() if k not in cls.KEYS}, keys=tuple(obj))

    @classmethod
    def from_json(cls, obj: object) -> "Task":
        return cls(**cls._fields_from(obj))


@dataclass
class Annotation(Task):
    """A task with the answer, who gave it, in which view and when."""
    answer: str | None = None
    session_id: str | None = None
    view_id: str | None = None
    timestamp: int | None = None

    KEYS: ClassVar[dict[str, str]] = {**_TASK_KEYS, "answer": "answer", "_session_id": "session_id",
                                      "_view_id": "view_id", "_timestamp": "timestamp"}
    ORDER: ClassVar[tuple[str, ...]] = tuple(KEYS)

    @classmethod
    def from_json(cls, obj: object) -> "Annotation":
        base = cls._fields_from(obj)
        assert isinstance(obj, dict)
        answer = obj.get("answer")
        if answer is not None and not isinstance(answer, str):
            raise RecordError("answer must be a string")
        timestamp = obj.get("_timestamp")
        if timestamp is not None and not _number(timestamp):
            raise RecordError("_timestamp must be a number (Unix seconds)")
        return cls(**base, answer=answer, session_id=_optional(obj, "_session_id", str, "_session_id", "a string"),
                   view_id=_optional(obj, "_view_id", str, "_view_id", "a string"), timestamp=timestamp)

    @property
    def skip_reason(self) -> str | None:
        """Why the task could not be annotated, when this annotation records a skip."""
        reason = self.extra.get("_skip_reason")
        return reason if isinstance(reason, str) else None


@dataclass
class StoredTask:
    """A task as stored: its id, dataset and media, and the task's JSON object."""
    id: int
    dataset: str
    media_id: str | None
    data: dict
    problem: str | None = None   # why the stored task could not be read (then `data` holds its hashes)

    @property
    def record(self) -> Task:
        """The task as a typed record (raises RecordError naming what does not fit)."""
        return Task.from_json(self.data)


__all__ = ["Region", "Task", "Annotation", "StoredTask", "RecordError", "ms", "MS_DIGITS"]
