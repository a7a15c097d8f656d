"""JSONL pre-annotations: one object per line with `file` or `path` and `audio_spans`."""

from __future__ import annotations

import uuid
from pathlib import Path

from earmark.formats import FormatError, SpansFile, json_objects, ms
from earmark.loading.validate import json_problem, spans_problem


def read(path: Path) -> SpansFile:
    result = SpansFile()
    for where, record in json_objects(path, result.problems, "a line must be a JSON object"):
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
