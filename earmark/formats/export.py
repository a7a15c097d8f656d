"""Export a dataset as RTTM, TextGrid, WebVTT, SRT, Audacity labels, transcripts or audio clips.

RTTM is one stream for the whole dataset. The others are one file per audio
file (and per annotator, when several annotated the same file), written into
a folder; `clips` writes one WAV per accepted region plus `metadata.csv` into
the folder's `train/`, the layout Hugging Face's `audiofolder` loads as one
split with every column.

Every name written comes from the data (a task's `file` or `path`, an
annotator, the dataset) and goes through `earmark.formats.outfiles`: one safe path
component each, kept inside its folder, never two files under one name; each
file is written whole or not at all (`atomic_open`). What each format's
syntax cannot carry is escaped or folded by its writer (README, "Export").
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from earmark.formats.jsonl_csv import ExportError, ExportFilter, csv_cell, iter_records, person_channel
from earmark.formats import jsonl_csv, rttm, subtitles
from earmark.formats.outfiles import NameAllocator, atomic_open, inside, safe_component
from earmark.db.queries.export import task_media_path
from earmark.formats.registry import NOT_CARRIED, Format, formats, get_format
from earmark.db.store import Store
from earmark.audio.clips import wav_bytes
from earmark.audio.probe import probe
from earmark.audio.reader import read

# FORMATS and PER_FILE are importable too (module __getattr__, below), not listed: they are not
# names of this module until asked for.
__all__ = ["ExportError", "export_archive", "export_clips", "export_files", "export_rttm", "render",
           "transcript_text"]


def file_formats() -> list[Format]:
    """The formats that write regions converted (all but JSONL and CSV, the records themselves)."""
    return [f for f in formats() if f.writes and f.name not in jsonl_csv.FORMATS]


def __getattr__(name: str):
    # The registry's tables, computed when asked: the registry imports this module to register
    # its formats, so they cannot be computed while it is imported.
    if name == "PER_FILE":
        return {f.name: f.file_suffix for f in formats() if f.per_file}
    if name == "FORMATS":
        return tuple(f.name for f in file_formats())
    if name == "SKIPS_IGNORED":
        return tuple(f.name for f in formats() if f.per_file and f.skips_ignored)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _choose_from() -> str:
    return ", ".join(f.name for f in file_formats())


#: The split folder of a clips export. Hugging Face `datasets` (`data_files.py`) tries
#: split folder names before split words in file names, and attaches the metadata.csv
#: beside the clips: under `train/`, clips cut from `dev00.wav` or `test_a.wav` stay one
#: split with every column (at the top, their names made splits of them, without metadata).
CLIPS_SPLIT = "train"
#: The label Annotate gives the region it makes of a segment's typed transcript:
#: a placeholder, not a speaker, so never a WebVTT voice.
TRANSCRIPT_PLACEHOLDER = "TRANSCRIPT"


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _audio_url(record: dict) -> str | None:
    """The task's `audio` when it names a file (not inline base64), without a URL's query."""
    audio = record.get("audio")
    if not isinstance(audio, str) or not audio or audio.startswith("data:"):
        return None
    return audio.split("?", 1)[0] if "://" in audio else audio


def _source(record: dict) -> str:
    """What identifies a record's audio file: records of one file are exported together."""
    return str(record.get("path") or record.get("file") or _audio_url(record)
               or f"task-{record.get('_input_hash')}")


def _stem(record: dict) -> str:
    """The audio file's name without folder and extension (raw: sanitise before use as a file name)."""
    name = str(record.get("file") or record.get("path") or _audio_url(record)
               or f"task-{record.get('_input_hash')}")
    return PurePosixPath(name.replace("\\", "/")).stem


def _grouped(records: Iterator[dict], skip_ignored: bool = False) -> dict[tuple[str, str | None], list[dict]]:
    """Records by (audio file, annotator): the segments of one file come together."""
    groups: dict[tuple[str, str | None], list[dict]] = defaultdict(list)
    for record in records:
        if skip_ignored and record.get("answer") == "ignore":
            continue
        groups[(_source(record), record.get("_session_id"))].append(record)
    return groups


def _file_names(groups: dict[tuple[str, str | None], list[dict]], suffix: str) -> dict[tuple, str]:
    """A distinct safe file name per group: the stem, plus the annotator when several
    annotated the file; a second file whose name sanitises alike gets `-2`, and so on."""
    sessions_per_source: dict[str, int] = defaultdict(int)
    for source, _ in groups:
        sessions_per_source[source] += 1
    names = NameAllocator()
    out = {}
    for (source, session), records in groups.items():
        stem = _stem(records[0])
        base = f"{stem}.{session}" if sessions_per_source[source] > 1 and session else stem
        out[(source, session)] = names.take(safe_component(base, f"task-{records[0].get('_input_hash')}"),
                                            suffix)
    return out


def spans_of(records: list[dict]) -> list[dict]:
    """The regions of one file's records, in record order."""
    return [s for r in records for s in r.get("audio_spans") or []]


def export_rttm(store: Store, dataset: str, out: IO[str], filt: ExportFilter | None = None) -> int:
    count = 0
    for records in _grouped(iter_records(store, dataset, filt)).values():
        out.write(rttm.write(_stem(records[0]), spans_of(records)))
        count += 1
    return count


def render(fmt: str, records: list[dict]) -> str:
    """The text of one file of a per-file format, from the records of one audio file."""
    found = get_format(fmt)
    if found is None or found.write is None:   # a per-file format (it has `write`) or none
        raise ExportError(f"unknown format {fmt!r}; choose one of {_choose_from()}")
    return found.write(records)


def _is_placeholder(span: dict) -> bool:
    return span.get("label") == TRANSCRIPT_PLACEHOLDER and str(span.get("id") or "").startswith("segment-")


def cues(records: list[dict]) -> list[dict]:
    """The subtitle cues of one file's records: `{start, end, text, label}`, label the voice.

    A region with text is a cue voiced by its label (none for the placeholder
    region of a typed segment transcript). A record with a transcript but no
    region text is one cue over its segment (or its regions), voiced by its
    regions' label when they share one. Regions without text stay cues of their own.
    """
    out = []
    for record in records:
        spans = [s for s in record.get("audio_spans") or [] if isinstance(s, dict)]
        transcript = _str(record.get("transcript"))
        has_text = any((s.get("text") or "").strip() for s in spans)
        if transcript.strip() and not has_text:
            window = record.get("segment") or (
                {"start": min(s["start"] for s in spans), "end": max(s["end"] for s in spans)} if spans else None)
            if window is None:
                meta = _dict(record.get("meta"))
                duration = float(meta.get("duration") or 0)
                window = {"start": 0.0, "end": duration} if duration > 0 else None
            if window is not None:
                labels = {s.get("label") for s in spans if not _is_placeholder(s) and s.get("label")}
                out.append({"start": window["start"], "end": window["end"], "text": transcript,
                            "label": labels.pop() if len(labels) == 1 else ""})
                continue
        for s in spans:
            out.append({"start": s["start"], "end": s["end"], "text": s.get("text") or "",
                        "label": "" if _is_placeholder(s) else (s.get("label") or "")})
    return out


def transcript_text(records: list[dict]) -> str:
    """A file's transcript reassembled from its segments, in order, one line per segment."""
    def start(r: dict) -> float:
        return float((r.get("segment") or {}).get("start") or 0.0)
    lines = []
    for r in sorted(records, key=start):
        if r.get("answer") == "ignore":
            continue
        text = _str(r.get("transcript"))
        if not text.strip():
            continue
        segment = r.get("segment")
        if segment:
            when = f"[{subtitles.stamp(segment['start'], '.')} --> {subtitles.stamp(segment['end'], '.')}] "
        else:
            when = ""
        lines.append(when + " ".join(text.split()))   # every line break and tab folds to a space
    return "\n".join(lines) + ("\n" if lines else "")


def export_files(store: Store, dataset: str, fmt: str, folder: Path,
                 filt: ExportFilter | None = None) -> list[Path]:
    """One file per audio file (and annotator) in `folder`; returns the paths written."""
    found = get_format(fmt)
    if found is None or not found.per_file:
        per_file = ", ".join(f.name for f in formats() if f.per_file)
        raise ExportError(f"{fmt!r} is not a one-file-per-audio-file format ({per_file})")
    groups = _grouped(iter_records(store, dataset, filt), skip_ignored=found.skips_ignored)
    names = _file_names(groups, found.file_suffix)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key, records in groups.items():
        target = inside(folder, names[key])
        content = render(fmt, records)
        with atomic_open(target, "w", encoding="utf-8", newline="") as fh:
            fh.write(content)
        written.append(target)
    return written


def _media_path(store: Store, dataset: str, record: dict) -> str | None:
    """The registered media file of a record's task: clips are cut from it, never from
    a path the record itself names."""
    input_hash = record.get("_input_hash")
    if not isinstance(input_hash, int):
        return None
    return task_media_path(store, dataset, input_hash)


def _why(exc: BaseException) -> str:
    """An error's last line (a decoder's message ends with its reason), or its kind."""
    return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__


def export_clips(store: Store, dataset: str, folder: Path, filt: ExportFilter | None = None) -> int:
    """Every region of the accepted annotations as a WAV clip, with metadata.csv, in `folder/train/`.

    Each clip is its window (and channel) read through `earmark.audio.reader`:
    a long recording is never decoded whole. metadata.csv's `channel` counts
    from 1 as the CSV export's does (empty: the clip holds every channel);
    a clip holds its one channel, so nothing indexes samples with it.
    """
    from dataclasses import replace
    filt = replace(filt or ExportFilter(), answers=["accept"])  # accepted regions only
    split = inside(folder, CLIPS_SPLIT)
    split.mkdir(parents=True, exist_ok=True)
    names = NameAllocator()
    names.used.add("metadata.csv")
    count = 0
    with atomic_open(inside(split, "metadata.csv"), "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file_name", "label", "text", "start", "end", "channel", "source", "annotator"])
        for (_, session), records in _grouped(iter_records(store, dataset, filt)).items():
            spans = [s for s in spans_of(records) if s["end"] > s["start"]]
            path = _media_path(store, dataset, records[0])
            if not spans or not path:
                continue   # nothing to cut, or audio that was never a file here (a URL)
            if not Path(path).is_file():
                # registered, then moved or deleted: skipping it would leave its clips out unsaid
                raise ExportError(f"cannot cut clips from {path}: the file is no longer there "
                                  "(restore it, or export the other formats)")
            stem = safe_component(_stem(records[0]), f"task-{records[0].get('_input_hash')}")
            try:
                info = probe(path)
            except (ValueError, OSError) as exc:   # ProbeError is a ValueError
                raise ExportError(f"cannot cut clips from {path}: {_why(exc)}") from exc
            for span in spans:
                channel = span.get("channel")
                if channel is not None and not 0 <= int(channel) < info.channels:
                    continue
                try:
                    clip = read(path, span["start"], span["end"], info=info,
                                channel=None if channel is None else int(channel))
                except Exception as exc:  # the reader's error, or whatever a decoder raised: named, in one line
                    raise ExportError(f"cannot cut clips from {path}: {_why(exc)}") from exc
                count += 1
                name = names.take(f"{stem}_{count:06d}", ".wav")
                with atomic_open(inside(split, name), "wb") as wav:
                    wav.write(wav_bytes(clip.samples, clip.sample_rate))
                writer.writerow([csv_cell(v) for v in (name, span.get("label"), span.get("text") or "",
                                                       span["start"], span["end"], person_channel(channel),
                                                       path, session)])
    return count


def export_archive(store: Store, dataset: str, fmt: str, filt: ExportFilter | None = None) -> tuple[bytes, str]:
    """The export as one download: a stream format (RTTM) as text, the per-file formats and clips as a ZIP.

    Returns the bytes and the file name to offer. The folder inside the ZIP is
    the dataset's name made safe; a member name is never a path out of it.
    """
    import io
    import tempfile
    import zipfile
    safe_name = safe_component(dataset, "export")
    found = get_format(fmt)
    if found is None or found not in file_formats():
        raise ExportError(f"unknown format {fmt!r}; choose one of {_choose_from()}")
    if found.stream is not None:
        out = io.StringIO()
        found.stream(store, dataset, out, filt)
        return out.getvalue().encode("utf-8"), f"{safe_name}{found.file_suffix}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = inside(root, safe_name)
        if found.folder is not None:
            found.folder(store, dataset, folder, filt)
        else:
            export_files(store, dataset, fmt, folder, filt)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            # the clips' split folder too (written here, under names made safe)
            for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []:
                member = f"{safe_name}/{inside(path.parent, path.name).relative_to(folder).as_posix()}"
                archive.write(path, member)
        return buffer.getvalue(), f"{safe_name}-{fmt}.zip"


def register_formats() -> list[Format]:
    return [Format("transcript", "Transcripts", write=transcript_text, per_file=True,
                   file_suffix=".transcript.txt", skips_ignored=True,
                   help="a file's segment transcripts in order, with their timestamps", channels=NOT_CARRIED),
            Format("clips", "Audio clips", folder=export_clips, counted="clips (with metadata.csv, in the train/ folder)",
                   export_title="Audio clips + metadata.csv (zip)",
                   help="a WAV per region of the accepted annotations, with metadata.csv "
                        "(Hugging Face audiofolder layout)",
                   channels="`metadata.csv`'s `channel` column counted from 1, as CSV's (1 is the left); "
                            "empty for all channels; a clip holds its channel alone")]
