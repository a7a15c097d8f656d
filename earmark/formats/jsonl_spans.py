"""JSONL pre-annotations: one object per line with `file` or `path` and `audio_spans`."""

from __future__ import annotations

import uuid
from pathlib import Path

from earmark.formats import FormatError, SpansFile, ms, not_utf8, text_lines
from earmark.loading.validate import JSONLineError, json_problem, parse_json, spans_problem


def read(path: Path) -> SpansFile:
    result = SpansFile()
    for line_no, line in text_lines(path):
        where = f"{path}:{line_no}"
        if line is None:
            result.problems.append(not_utf8(where))
            continue
        if not line.strip():
            continue
        try:
            record = parse_json(line.rstrip("\r\n"))   # so a column past the end names this line
        except JSONLineError as exc:
            result.problems.append(FormatError(where, str(exc)))
            continue
        if not isinstance(record, dict):
            result.problems.append(FormatError(where, "a line must be a JSON object"))
            continue
        name = record.get("file") or record.get("path") or record.get("audio")
        if not isinstance(name, str) or not name:
            result.problems.append(FormatError(where, "no `file`, `path` or `audio` to match the audio by"))
            continue
        problem = json_problem(record) or spans_problem(record.get("audio_spans") or [])
        if problem:
            result.problems.append(FormatError(where, problem))
            continue
        for span in record.get("audio_spans") or []:
            span = {**span, "id": span.get("id") or str(uuid.uuid4()),
                    "start": ms(span["start"]), "end": ms(span["end"])}
            result.add(Path(name).stem, span, where)
    return result
