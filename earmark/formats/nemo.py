"""NeMo manifests: JSON lines `{"audio_filepath", "offset", "duration", "text", "label"?}`.

Written as one manifest for the dataset: a line per region of the accepted
annotations, or, for a task whose typed transcript is its only text, a line
over its segment (its regions, or the whole file) with the transcript, as
its subtitle cue is (`earmark.formats.export.cues`). `audio_filepath` is the
file Earmark reads the task's audio from (the registered media file: a
local file's path, an upload's or base64 audio's copy in `media/`); a task
whose audio was never a file here (a URL) gives that URL as the task has
it, query included, which NeMo cannot open until the file is fetched. Read back (`load --spans manifest.json`,
NeMo's suffix), a line is a region of the audio file of that stem.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TextIO

from earmark.formats import FormatError, SpansFile, finite_seconds, json_objects, ms

DEFAULT_LABEL = "SPEECH"   # a line without a label: speech, as NeMo's ASR manifests hold


def lines(record: dict, audio_filepath: str) -> list[dict]:
    """The manifest lines of one accepted record, in time order."""
    from earmark.formats.export import cues
    out = []
    for cue in sorted(cues([record]), key=lambda c: (c["start"], c["end"])):
        if not cue["end"] > cue["start"]:
            continue   # a marker has no audio to train on
        line = {"audio_filepath": audio_filepath, "offset": ms(cue["start"]),
                "duration": ms(cue["end"] - cue["start"]), "text": cue["text"]}
        if cue["label"]:
            line["label"] = cue["label"]
        out.append(line)
    return out


def export_manifest(store, dataset: str, out: TextIO, filt=None) -> int:
    """The accepted annotations as one manifest; returns the number of lines."""
    from earmark.formats.export import _media_path
    from earmark.formats.jsonl_csv import ExportFilter, iter_records, to_json_line
    filt = replace(filt or ExportFilter(), answers=["accept"])   # accepted only, as clips
    count = 0
    files: dict[str, str] = {}   # a task's path -> the file read for it: once per file, not per segment
    for record in iter_records(store, dataset, filt):
        if record.get("answer") != "accept":
            continue   # an unanswered task (`--all`) is not accepted either
        source = _task_audio(record)
        if source not in files:
            files[source] = _media_path(store, dataset, record) or source
        for line in lines(record, files[source]):
            out.write(to_json_line(line) + "\n")
            count += 1
    return count


def _task_audio(record: dict) -> str:
    """The task's `path`, else its `audio` as given (a URL, query and all), else its `file`."""
    for key in ("path", "audio", "file"):
        value = record.get(key)
        if isinstance(value, str) and value and not value.startswith("data:"):
            return value
    return f"task-{record.get('_input_hash')}"


def _seconds(value: object) -> bool:
    """A number of seconds a manifest can give: finite, >= 0, not true/false."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and finite_seconds(value) and value >= 0)


def read(path: Path) -> SpansFile:
    result = SpansFile()
    for where, line in json_objects(path, result.problems, "a manifest line is a JSON object"):
        audio = line.get("audio_filepath")
        if not isinstance(audio, str) or not audio:
            result.problems.append(FormatError(where, "no `audio_filepath` to match the audio by"))
            continue
        offset, duration = line.get("offset", 0), line.get("duration")
        if not (_seconds(offset) and _seconds(duration)):
            result.problems.append(FormatError(where, f"`offset` {offset!r} and `duration` {duration!r} "
                                               "are not seconds >= 0"))
            continue
        label = line.get("label")
        span = {"id": str(uuid.uuid4()), "start": ms(offset), "end": ms(offset + duration),
                "label": label if isinstance(label, str) and label else DEFAULT_LABEL}
        if isinstance(line.get("text"), str) and line["text"]:
            span["text"] = line["text"]
        result.add(PurePosixPath(audio.split("?", 1)[0].replace("\\", "/")).stem, span, where)
    return result


def register_formats():
    from earmark.formats.registry import NOT_CARRIED, Format
    return Format("nemo", "NeMo manifest", (".json",), read, stream=export_manifest, file_suffix=".json",
                  mime="application/json", counted="lines as a NeMo manifest",
                  help="a JSON line per region of the accepted annotations: audio_filepath, offset, "
                       "duration, text, label",
                  channels=NOT_CARRIED)
