"""Export annotations as JSONL (Prodigy's task format) or CSV, streamed.

Rows come from DuckDB in batches and are written as they come, so a dataset
larger than memory exports with flat memory. A JSONL record is always one
line (line breaks JSON leaves raw are escaped); a CSV text cell that a
spreadsheet would run as a formula starts with `'` (`csv_cell`).

Channels: JSONL keeps the task format's `channel` (0-based, as Prodigy's);
CSV is read by people in spreadsheets, so its `channel` column counts from 1
as the pages do (1 is the left; `person_channel`), empty for all channels.
Its `words` column holds a task's recognised words (`{"start", "end", "text",
"score"}`, file time) as JSON, repeated on each of its rows as `transcript` is.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from earmark.annotations import strip_base64
from earmark.db.queries import export as queries
from earmark.db.queries.export import EXPORT_WINDOW  # noqa: F401  (ids per query, re-exported)
from earmark.db.store import Store

FORMATS = ("jsonl", "csv")


class ExportError(ValueError):
    """An export that cannot be written as asked; the message says why."""

# DuckDB keeps the blocks it has read cached up to its memory limit (80 % of
# RAM by default): a process that only exports caps it, so its memory stays
# flat whatever the dataset's size.
EXPORT_MEMORY_LIMIT = "32MB"


def cap_memory_for_export(store: Store) -> None:
    """For a process that only exports (the command line): bound DuckDB's cache."""
    store.cap_memory(EXPORT_MEMORY_LIMIT)
CSV_COLUMNS = (
    "_input_hash", "_task_hash", "_session_id", "_view_id", "_timestamp", "answer",
    "audio", "path", "file", "segment_start", "segment_end", "transcript",
    "span_id", "start", "end", "label", "channel", "text", "color", "words",
)


@dataclass
class ExportFilter:
    answers: Sequence[str] | None = None      # None: every answer
    sessions: Sequence[str] | None = None     # None: every annotator
    include_unanswered: bool = False          # add tasks nobody answered yet
    keep_base64: bool = False
    where: tuple[str, list] | None = None     # more SQL over annotations aliased `a`


def iter_records(store: Store, dataset: str, filt: ExportFilter | None = None) -> Iterator[dict]:
    """The dataset's current annotations (then, if asked, its unanswered tasks)."""
    filt = filt or ExportFilter()
    for document in queries.annotation_documents(store, dataset, filt.answers, filt.sessions, filt.where):
        record = json.loads(document)
        yield record if filt.keep_base64 else strip_base64(record)
    if filt.include_unanswered:
        for document in queries.unanswered_task_documents(store, dataset):
            record = json.loads(document)
            yield record if filt.keep_base64 else strip_base64(record)


# Line breaks that JSON leaves raw but Python's str.splitlines() and other
# line readers split on; escaped so that one record is always one line.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def to_json_line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False).translate(_LINE_BREAKS)


def write_jsonl(records: Iterator[dict], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(to_json_line(record))
        out.write("\n")
        count += 1
    return count


def person_channel(channel: object) -> int | None:
    """A region's 0-based `channel` as people count it (from 1); None (all channels) stays None."""
    return None if channel is None or isinstance(channel, bool) or not isinstance(channel, int) else channel + 1


def csv_rows(record: dict) -> Iterator[dict]:
    """One row per region; a record with no region gives one row."""
    segment = record.get("segment") or {}
    audio = record.get("audio")
    base = {
        "_input_hash": record.get("_input_hash"), "_task_hash": record.get("_task_hash"),
        "_session_id": record.get("_session_id"), "_view_id": record.get("_view_id"),
        "_timestamp": record.get("_timestamp"), "answer": record.get("answer"),
        "audio": None if isinstance(audio, str) and audio.startswith("data:") else audio,
        "path": record.get("path"), "file": record.get("file"),
        "segment_start": segment.get("start"), "segment_end": segment.get("end"),
        "transcript": record.get("transcript"),
        # the recogniser's words with their times (file time), as JSON in one cell
        "words": json.dumps(record["words"], ensure_ascii=False) if record.get("words") else None,
    }
    spans = record.get("audio_spans") or []
    if not spans:
        yield base
        return
    for span in spans:
        yield {**base, "span_id": span.get("id"), "start": span.get("start"),
               "end": span.get("end"), "label": span.get("label"),
               "channel": person_channel(span.get("channel")), "text": span.get("text"),
               "color": span.get("color")}


# What spreadsheets read as the start of a formula (OWASP's list): `=HYPERLINK(...)`.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A CSV cell: text that a spreadsheet would run as a formula gets a leading `'`.

    Only text: numbers (times, channels, hashes) stay numbers, negative or not.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(records: Iterator[dict], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for record in records:
        for row in csv_rows(record):
            writer.writerow({k: csv_cell(v) for k, v in row.items()})
        count += 1
    return count


def export(store: Store, dataset: str, out: TextIO, fmt: str = "jsonl",
           filt: ExportFilter | None = None) -> int:
    """Write the dataset to `out`; return the number of records written."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    records = iter_records(store, dataset, filt)
    return write_jsonl(records, out) if fmt == "jsonl" else write_csv(records, out)


def register_formats():
    from earmark.formats import jsonl_spans
    from earmark.formats.registry import Format

    def stream(fmt: str):
        def write(store: Store, dataset: str, out: TextIO, filt: ExportFilter | None = None) -> int:
            return export(store, dataset, out, fmt, filt)
        return write
    return [Format("jsonl", "JSONL", (".jsonl",), jsonl_spans.read, stream=stream("jsonl"), file_suffix=".jsonl",
                   mime="application/jsonl", export_title="JSONL (Prodigy tasks)",
                   help="the annotations as Prodigy tasks, one per line",
                   channels="`channel` and `meta.channel` 0-based, as the task format says (0 is the left); "
                            "absent for all channels"),
            Format("csv", "CSV", stream=stream("csv"), file_suffix=".csv", mime="text/csv",
                   export_title="CSV (a row per region)", help="a row per region, the task's columns repeated",
                   channels="`channel` column counted from 1, as the pages count (1 is the left); "
                            "empty for all channels")]
