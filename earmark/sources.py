"""Turn what the user points at into candidate tasks, or named failures.

A source is a directory (searched recursively for audio), a JSONL file of
tasks (a `.json` file holding a list works too), a single audio file, or the
bytes of an upload. Nothing here touches the database; base64 and uploaded
audio are handed to `save_bytes`, which writes them to the media folder.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from earmark.probe import AUDIO_EXTENSIONS, ProbeError

SaveBytes = Callable[[bytes, str], Path]

_MIME_SUFFIX = {
    "wav": ".wav", "x-wav": ".wav", "wave": ".wav", "vnd.wave": ".wav",
    "mpeg": ".mp3", "mp3": ".mp3", "flac": ".flac", "x-flac": ".flac",
    "ogg": ".ogg", "opus": ".opus", "webm": ".webm", "mp4": ".m4a",
    "x-m4a": ".m4a", "m4a": ".m4a", "aac": ".aac",
}


@dataclass
class Candidate:
    """A task to add; `audio_file` is the local file to register, if any."""
    origin: str                 # file path, or "tasks.jsonl:12"
    task: dict
    audio_file: Path | None


@dataclass
class Failure:
    origin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


def is_audio_name(name: str) -> bool:
    return name.lower().endswith(AUDIO_EXTENSIONS)


def iter_sources(sources: list[str | Path], save_bytes: SaveBytes) -> Iterator[Candidate | Failure]:
    for source in sources:
        path = Path(source)
        if path.is_dir():
            for file in iter_audio_files(path):
                yield file_candidate(file)
        elif path.is_file():
            suffix = path.suffix.lower()
            if suffix in (".jsonl", ".ndjson"):
                yield from iter_jsonl(path, save_bytes)
            elif suffix == ".json":
                yield from iter_json_list(path, save_bytes)
            else:
                yield file_candidate(path)
        else:
            yield Failure(str(source), "no such file or directory")


def iter_audio_files(folder: Path) -> Iterator[Path]:
    """Audio files under `folder`, in a stable order; hidden files are skipped
    (such as the `._name.wav` resource forks that macOS leaves on shared drives)."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and is_audio_name(name):
                yield Path(root) / name


def file_candidate(path: Path) -> Candidate:
    path = path.resolve()
    task = {"audio": str(path), "path": str(path), "file": path.name, "meta": {"file": path.name}}
    return Candidate(str(path), task, path)


def upload_name(name: str) -> str:
    """The file name of an upload as it may be shown and stored: its base name
    (the browser's name may carry a path, `../` or `C:\\`), control characters
    replaced; "upload" when nothing is left."""
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c if c.isprintable() else "_" for c in base).strip()
    return base if base not in ("", ".", "..") else "upload"


def upload_candidate(name: str, data: bytes, save_bytes: SaveBytes) -> Candidate | Failure:
    """A task for an uploaded audio file, kept once in the media folder.

    Only a name with an audio extension and bytes that probe as audio are kept
    (save_bytes refuses the rest); the task names the file by its base name.
    """
    shown = upload_name(name)
    if not data:
        return Failure(shown, "empty file (0 bytes)")
    if not is_audio_name(shown):
        return Failure(shown, f"not an audio file (Earmark takes {', '.join(AUDIO_EXTENSIONS)} "
                              "uploads, and JSONL or JSON tasks); not kept")
    try:
        stored = save_bytes(data, Path(shown).suffix)
    except ProbeError as exc:
        return Failure(shown, str(exc))
    task = {"audio": shown, "path": shown, "file": shown, "meta": {"file": shown}}
    return Candidate(shown, task, stored)


def iter_jsonl(path: Path, save_bytes: SaveBytes) -> Iterator[Candidate | Failure]:
    try:
        fh = open(path, encoding="utf-8-sig", errors="strict")
    except OSError as exc:
        yield Failure(str(path), f"cannot read: {exc.strerror or exc}")
        return
    with fh:
        line_no = 0
        while True:
            line_no += 1
            try:
                line = fh.readline()
            except UnicodeDecodeError as exc:
                yield Failure(f"{path}:{line_no}", f"not UTF-8 text ({exc.reason}); the rest of the file is skipped")
                return
            if not line:
                return
            if not line.strip():
                continue
            origin = f"{path}:{line_no}"
            try:
                task = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Failure(origin, f"invalid JSON: {exc.msg} at column {exc.colno}")
                continue
            yield task_candidate(task, origin, path.parent, save_bytes)


def iter_json_list(path: Path, save_bytes: SaveBytes) -> Iterator[Candidate | Failure]:
    try:
        tasks = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        yield Failure(str(path), f"cannot read as JSON: {exc}")
        return
    if not isinstance(tasks, list):
        yield Failure(str(path), "a .json source must hold a list of tasks")
        return
    for index, task in enumerate(tasks):
        yield task_candidate(task, f"{path}[{index}]", path.parent, save_bytes)


def task_candidate(task: object, origin: str, base: Path, save_bytes: SaveBytes) -> Candidate | Failure:
    """Resolve a task's `audio` (data URI, URL or path) into a candidate."""
    if not isinstance(task, dict):
        return Failure(origin, f"a task must be a JSON object, not {type(task).__name__}")
    problem = check_spans(task.get("audio_spans"))
    if problem:
        return Failure(origin, problem)
    audio = task.get("audio")
    if isinstance(audio, str) and audio.startswith("data:"):
        try:
            header, payload = audio.split(",", 1)
            if ";base64" not in header:
                return Failure(origin, "audio data URI is not base64-encoded")
            data = base64.b64decode(payload, validate=True)
        except (ValueError, binascii.Error):
            return Failure(origin, "audio data URI is not valid base64")
        if not data:
            return Failure(origin, "audio data URI holds no data")
        mime = header[5:].split(";")[0]
        suffix = _MIME_SUFFIX.get(mime.split("/")[-1].lower())
        if suffix is None:
            return Failure(origin, f"audio data URI of type {mime!r}: not an audio type Earmark keeps")
        try:
            return Candidate(origin, task, save_bytes(data, suffix))
        except ProbeError as exc:   # not audio: nothing was kept
            return Failure(origin, f"audio data URI: {exc}")
    if isinstance(audio, str) and audio.startswith(("http://", "https://")):
        return Candidate(origin, task, None)
    local = audio if isinstance(audio, str) and audio else task.get("path")
    if not isinstance(local, str) or not local:
        return Failure(origin, "task has no `audio` (URL, path or data URI) and no `path`")
    file = Path(local).expanduser()
    if not file.is_absolute():
        file = base / file if (base / file).exists() else file
    if not file.is_file():
        return Failure(origin, f"audio file not found: {local}")
    return Candidate(origin, task, file.resolve())


def check_spans(spans: object) -> str | None:
    """Why a task's `audio_spans` are unusable, or None when they are fine."""
    if spans is None:
        return None
    if not isinstance(spans, list):
        return "`audio_spans` must be a list"
    for i, span in enumerate(spans):
        if not isinstance(span, dict):
            return f"audio_spans[{i}] is not an object"
        start, end = span.get("start"), span.get("end")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (start, end)):
            return f"audio_spans[{i}] needs numeric `start` and `end` seconds"
        if start < 0 or end < start:
            return f"audio_spans[{i}] has end {end} before start {start} or a negative time"
    return None
