"""JSONL pre-annotations: one object per line with `file` or `path` and `audio_spans`."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from earmark.formats import FormatError, SpansFile, ms
from earmark.sources import check_spans


def read(path: Path) -> SpansFile:
    result = SpansFile()
    with open(path, encoding="utf-8-sig") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                result.problems.append(FormatError(where, f"invalid JSON: {exc.msg}"))
                continue
            if not isinstance(record, dict):
                result.problems.append(FormatError(where, "a line must be a JSON object"))
                continue
            name = record.get("file") or record.get("path") or record.get("audio")
            if not isinstance(name, str) or not name:
                result.problems.append(FormatError(where, "no `file` or `path` to match the audio by"))
                continue
            problem = check_spans(record.get("audio_spans") or [])
            if problem:
                result.problems.append(FormatError(where, problem))
                continue
            for span in record.get("audio_spans") or []:
                result.add(Path(name).stem, {**span, "id": span.get("id") or str(uuid.uuid4()),
                                             "start": ms(span["start"]), "end": ms(span["end"])})
    return result
