"""Export a dataset as RTTM, TextGrid, WebVTT, SRT, Audacity labels or audio clips.

RTTM is one stream for the whole dataset. The others are one file per audio
file (and per annotator, when several annotated the same file), written into
a folder; `clips` writes one WAV per accepted region plus `metadata.csv`, the
layout of Hugging Face's `audiofolder`.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from earmark.export import ExportFilter, iter_records
from earmark.formats import audacity, rttm, subtitles, textgrid
from earmark.store import Store

PER_FILE = {"textgrid": ".TextGrid", "vtt": ".vtt", "srt": ".srt", "audacity": ".txt",
            "transcript": ".transcript.txt"}
FORMATS = ("rttm", *PER_FILE, "clips")


class ExportError(ValueError):
    """An export that cannot be written as asked; the message says why."""


def _stem(record: dict) -> str:
    name = record.get("file") or record.get("path") or record.get("audio") or f"task-{record.get('_input_hash')}"
    return Path(str(name)).stem


def _grouped(records: Iterator[dict]) -> dict[tuple[str, str | None], list[dict]]:
    """Records by (file stem, annotator): the segments of one file come together."""
    groups: dict[tuple[str, str | None], list[dict]] = defaultdict(list)
    for record in records:
        groups[(_stem(record), record.get("_session_id"))].append(record)
    return groups


def _spans(records: list[dict]) -> list[dict]:
    return [s for r in records for s in r.get("audio_spans") or []]


def _file_name(stem: str, session: str | None, sessions_of_stem: int, suffix: str) -> str:
    safe = re.sub(r"[^\w.-]+", "_", session or "")
    return f"{stem}.{safe}{suffix}" if sessions_of_stem > 1 and safe else f"{stem}{suffix}"


def export_rttm(store: Store, dataset: str, out: TextIO, filt: ExportFilter | None = None) -> int:
    count = 0
    for (stem, _), records in _grouped(iter_records(store, dataset, filt)).items():
        out.write(rttm.write(stem, _spans(records)))
        count += 1
    return count


def render(fmt: str, records: list[dict]) -> str:
    spans = _spans(records)
    if fmt == "textgrid":
        meta = records[0].get("meta") or {}
        duration = float(meta.get("duration") or 0)
        return textgrid.write(spans, duration, meta.get("tiers"),
                              meta.get("textgrid_format") or "long_textgrid")
    if fmt == "vtt":
        return subtitles.write_vtt(spans)
    if fmt == "srt":
        return subtitles.write_srt(spans)
    if fmt == "audacity":
        return audacity.write(spans)
    if fmt == "transcript":
        return transcript_text(records)
    raise ExportError(f"unknown format {fmt!r}")


def transcript_text(records: list[dict]) -> str:
    """A file's transcript reassembled from its segments, in order, one line per segment."""
    def start(r: dict) -> float:
        return float((r.get("segment") or {}).get("start") or 0.0)
    lines = []
    for r in sorted(records, key=start):
        text = (r.get("transcript") or "").strip()
        if not text:
            continue
        segment = r.get("segment")
        if segment:
            when = f"[{subtitles.stamp(segment['start'], '.')} --> {subtitles.stamp(segment['end'], '.')}] "
        else:
            when = ""
        lines.append(when + " ".join(text.split()))
    return "\n".join(lines) + ("\n" if lines else "")


def export_files(store: Store, dataset: str, fmt: str, folder: Path,
                 filt: ExportFilter | None = None) -> list[Path]:
    """One file per audio file (and annotator) in `folder`; returns the paths written."""
    groups = _grouped(iter_records(store, dataset, filt))
    per_stem = defaultdict(int)
    for stem, _ in groups:
        per_stem[stem] += 1
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for (stem, session), records in groups.items():
        target = folder / _file_name(stem, session, per_stem[stem], PER_FILE[fmt])
        target.write_text(render(fmt, records), encoding="utf-8")
        written.append(target)
    return written


def export_clips(store: Store, dataset: str, folder: Path, filt: ExportFilter | None = None) -> int:
    """Every region of the accepted annotations as a WAV clip, with metadata.csv."""
    from dataclasses import replace

    from pydub import AudioSegment
    filt = replace(filt or ExportFilter(), answers=["accept"])  # accepted regions only
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(folder / "metadata.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file_name", "label", "text", "start", "end", "channel", "source", "annotator"])
        for (stem, session), records in _grouped(iter_records(store, dataset, filt)).items():
            spans = [s for s in _spans(records) if s["end"] > s["start"]]
            path = records[0].get("path")
            if not spans or not path or not Path(path).is_file():
                continue
            audio = AudioSegment.from_file(path)
            channels = audio.split_to_mono() if audio.channels > 1 else [audio]
            for span in spans:
                source = audio if span.get("channel") is None else channels[int(span["channel"])]
                clip = source[int(round(span["start"] * 1000)):int(round(span["end"] * 1000))]
                count += 1
                name = f"{stem}_{count:06d}.wav"
                clip.export(folder / name, format="wav")
                writer.writerow([name, span.get("label"), span.get("text") or "", span["start"],
                                 span["end"], span.get("channel"), path, session])
    return count


def export_archive(store: Store, dataset: str, fmt: str, filt: ExportFilter | None = None) -> tuple[bytes, str]:
    """The export as one download: RTTM as text, the per-file formats and clips as a ZIP.

    Returns the bytes and the file name to offer.
    """
    import io
    import tempfile
    import zipfile
    if fmt == "rttm":
        out = io.StringIO()
        export_rttm(store, dataset, out, filt)
        return out.getvalue().encode("utf-8"), f"{dataset}.rttm"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / dataset
        if fmt == "clips":
            export_clips(store, dataset, folder, filt)
        else:
            export_files(store, dataset, fmt, folder, filt)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")) if folder.exists() else []:
                archive.write(path, path.relative_to(Path(tmp)).as_posix())
        return buffer.getvalue(), f"{dataset}-{fmt}.zip"
