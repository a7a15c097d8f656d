"""Audacity label tracks: `start<TAB>end<TAB>label`; start == end is a point label."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from pathlib import Path

from earmark.formats import FormatError, SpansFile, finite_seconds, ms, not_utf8, text_lines


def read(path: Path) -> SpansFile:
    result = SpansFile()
    for line_no, line in text_lines(path):
        where = f"{path}:{line_no}"
        if line is None:
            result.problems.append(not_utf8(where))
            continue
        line = line.rstrip("\r\n")
        if not line.strip() or line.startswith("\\"):
            continue  # blank, or the frequency line of a spectral selection
        fields = line.split("\t")
        if len(fields) < 2:
            result.problems.append(FormatError(where, "an Audacity label line reads start<TAB>end<TAB>label"))
            continue
        try:
            start, end = float(fields[0]), float(fields[1])
        except ValueError:
            result.problems.append(FormatError(where, f"start {fields[0]!r} or end {fields[1]!r} is not a number"))
            continue
        if not finite_seconds(start, end):
            result.problems.append(FormatError(where, f"start {fields[0]!r} or end {fields[1]!r} "
                                               "is not a finite number of seconds"))
            continue
        if start < 0 or end < start:
            result.problems.append(FormatError(where, f"end {end} before start {start}, or a negative time"))
            continue
        label = fields[2] if len(fields) > 2 else ""
        result.add(path.stem, {"id": str(uuid.uuid4()), "start": ms(start), "end": ms(end), "label": label},
                   where)
    return result


# A label is the rest of its line after the second tab: tabs and line breaks fold to spaces.
_SEPARATORS = re.compile(r"\r\n|[\t\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def write(spans: Iterable[dict]) -> str:
    return "".join(f"{s['start']:.6f}\t{s['end']:.6f}\t{_SEPARATORS.sub(' ', str(s.get('label') or ''))}\n"
                   for s in sorted(spans, key=lambda s: (s["start"], s["end"])))


def register_formats():
    from earmark.formats.export import spans_of
    from earmark.formats.registry import NOT_CARRIED, Format
    return Format("audacity", "Audacity labels", (".txt",), read, lambda records: write(spans_of(records)),
                  per_file=True, file_suffix=".txt", help="a label track per audio file",
                  channels=NOT_CARRIED)
