"""Turn what the user points at into candidate tasks, or named failures.

A source is a directory (searched recursively for audio), a JSONL file of
tasks (a `.json` file holding a list works too), a single audio file, or the
bytes of an upload. Nothing here touches the database; base64 and uploaded
audio are handed to `save_bytes`, which writes them to the media folder.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from earmark.audio.probe import AUDIO_EXTENSIONS, ProbeError
from earmark.loading.validate import JSONLineError, json_problem, parse_json, spans_problem, task_problem

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
        try:
            kind = "dir" if path.is_dir() else "file" if path.is_file() else None
        except OSError as exc:
            yield Failure(shown_path(source), f"cannot open: {exc.strerror or exc}")
            continue
        if kind == "dir":
            for file in iter_audio_files(path):
                yield file if isinstance(file, Failure) else file_candidate(file)
        elif kind == "file":
            suffix = path.suffix.lower()
            if suffix in (".jsonl", ".ndjson"):
                yield from iter_jsonl(path, save_bytes)
            elif suffix == ".json":
                yield from iter_json_list(path, save_bytes)
            else:
                yield file_candidate(path)
        else:
            yield Failure(shown_path(source), "no such file or directory")


def iter_audio_files(folder: Path) -> Iterator[Path | Failure]:
    """Audio files under `folder`, in a stable order; hidden files are skipped
    (such as the `._name.wav` resource forks that macOS leaves on shared drives).
    A folder that cannot be listed is a failure; the walk goes on."""
    errors: list[OSError] = []
    for root, dirs, files in os.walk(folder, onerror=errors.append):
        while errors:
            error = errors.pop()
            yield Failure(shown_path(error.filename or root), f"cannot list the folder: {error.strerror or error}")
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and is_audio_name(name):
                yield Path(root) / name
    for error in errors:
        yield Failure(shown_path(error.filename or folder), f"cannot list the folder: {error.strerror or error}")


def shown_path(path: str | Path) -> str:
    """A path as text that can be printed and stored: a file name that is not
    UTF-8 (os.walk gives its bytes as lone surrogates) gets replacement characters."""
    return os.fsencode(path).decode("utf-8", "replace")


def is_utf8_path(path: str | Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def file_candidate(path: Path) -> Candidate:
    """The task of one audio file. Its name as shown and stored is `shown_path`;
    the file itself is read through `audio_file` (the loader gives a name that is
    not UTF-8 an alias in the media folder, see earmark.loading.loader)."""
    path = path.resolve()
    shown = shown_path(path)
    name = Path(shown).name
    task = {"audio": shown, "path": shown, "file": name, "meta": {"file": name}}
    return Candidate(shown, task, path)


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
    """The tasks of a JSONL file, a line at a time; each line is decoded on its
    own, so a line that is not UTF-8 or not JSON is named by its number and the
    lines after it still load."""
    try:
        fh = open(path, "rb")
    except OSError as exc:
        yield Failure(shown_path(path), f"cannot read: {exc.strerror or exc}")
        return
    shown = shown_path(path)
    with fh:
        for line_no, raw in enumerate(fh, 1):
            origin = f"{shown}:{line_no}"
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]   # a byte-order mark
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Failure(origin, f"not UTF-8 text ({exc.reason} at byte {exc.start + 1}); line skipped")
                continue
            if not line.strip():
                continue
            try:
                task = parse_json(line.rstrip("\r\n"))   # so a column past the end names this line
            except JSONLineError as exc:
                yield Failure(origin, str(exc))
                continue
            yield task_candidate(task, origin, path.parent, save_bytes)


def iter_json_list(path: Path, save_bytes: SaveBytes) -> Iterator[Candidate | Failure]:
    shown = shown_path(path)
    try:
        tasks = parse_json(path.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        yield Failure(shown, f"cannot read: {exc.strerror or exc}")
        return
    except UnicodeDecodeError as exc:
        yield Failure(shown, f"cannot read as JSON: not UTF-8 text ({exc.reason} at byte {exc.start + 1})")
        return
    except JSONLineError as exc:
        yield Failure(shown, f"cannot read as JSON: {exc}")
        return
    if not isinstance(tasks, list):
        yield Failure(shown, "a .json source must hold a list of tasks")
        return
    for index, task in enumerate(tasks):
        yield task_candidate(task, f"{shown}[{index}]", path.parent, save_bytes)


def task_candidate(task: object, origin: str, base: Path, save_bytes: SaveBytes) -> Candidate | Failure:
    """Resolve a task's `audio` (data URI, URL or path) into a candidate."""
    # Types first (times against the file's length once it is probed, in the loader)
    problem = task_problem(task)
    if problem:
        return Failure(origin, problem)
    assert isinstance(task, dict)
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
    shown = local if len(local) <= 200 else local[:200] + "..."
    try:
        file = Path(local).expanduser()
        if not file.is_absolute():
            file = base / file if (base / file).exists() else file
        if not file.is_file():
            return Failure(origin, f"audio file not found: {shown}")
        return Candidate(origin, task, file.resolve())
    except (OSError, ValueError, RuntimeError) as exc:  # a name too long, a symlink loop ...
        return Failure(origin, f"audio file {shown!r} cannot be opened: {getattr(exc, 'strerror', None) or exc}")


def check_spans(spans: object, duration: float | None = None) -> str | None:
    """Why a list of regions (a task's `audio_spans`, a model's answer) is
    unusable, or None when it is fine (see earmark.loading.validate); with the file's
    `duration`, a region ending after it is unusable too."""
    return json_problem(spans) or spans_problem(spans, duration=duration)
