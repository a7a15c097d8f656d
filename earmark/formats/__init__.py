"""Interchange formats: read pre-annotations, write annotations.

Each reader turns one file into spans grouped by audio file stem; each writer
turns the regions of one annotated file back into that format. The mapping
(issue 5): an RTTM speaker or a TextGrid tier becomes a label; a TextGrid
interval a region of that label carrying the interval's text; Praat point
tiers and Audacity point labels become markers (start equals end). Which
format reads which suffix and how each writes: `earmark.formats.registry`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


class FormatError(ValueError):
    """A malformed line or file; `where` names the file and line."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}: {reason}")
        self.where, self.reason = where, reason


@dataclass
class SpansFile:
    """What one spans file holds: spans per audio stem, plus per-line problems."""
    spans: dict[str, list[dict]] = field(default_factory=dict)
    problems: list[FormatError] = field(default_factory=list)
    # TextGrid only: the tiers in file order, so an export writes them back alike
    tiers: dict[str, list[dict]] = field(default_factory=dict)
    grid_format: dict[str, str] = field(default_factory=dict)   # "long_textgrid" or "short_textgrid"
    # span id -> "file:line" it came from, so a span refused later is named by its line
    where: dict[str, str] = field(default_factory=dict)

    def add(self, stem: str, span: dict, where: str | None = None) -> None:
        self.spans.setdefault(stem, []).append(span)
        if where is not None and isinstance(span.get("id"), str):
            self.where[span["id"]] = where


def text_lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, text) of every line of a file, each decoded on its own.

    A line that is not UTF-8 comes as None, so that a reader names that line
    and goes on with the next (decoding the whole file would stop at the
    first bad byte and drop or misnumber the lines after it).
    """
    with open(path, "rb") as fh:
        for line_no, raw in enumerate(fh, 1):
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield line_no, raw.decode("utf-8")
            except UnicodeDecodeError:
                yield line_no, None


def json_objects(path: Path, problems: list[FormatError], not_object: str) -> Iterator[tuple[str, dict]]:
    """("file:line", object) of every JSON object line of a file; a line that is not
    UTF-8, not JSON or not an object is named in `problems` (with `not_object` for
    the last) and skipped, and blank lines are passed over."""
    from earmark.loading.validate import JSONLineError, parse_json
    for line_no, line in text_lines(path):
        where = f"{path}:{line_no}"
        if line is None:
            problems.append(not_utf8(where))
            continue
        if not line.strip():
            continue
        try:
            value = parse_json(line.rstrip("\r\n"))   # so a column past the end names this line
        except JSONLineError as exc:
            problems.append(FormatError(where, str(exc)))
            continue
        if not isinstance(value, dict):
            problems.append(FormatError(where, not_object))
            continue
        yield where, value


def not_utf8(where: str) -> FormatError:
    return FormatError(where, "this line is not UTF-8 text; skipped")


def finite_seconds(*values: float) -> bool:
    """Times a span can carry: finite (float() reads 'nan' and 'inf' too)."""
    return all(math.isfinite(v) for v in values)


def ms(value: float) -> float:
    """Seconds rounded to the millisecond, the precision of `audio_spans`."""
    return round(float(value), 3)


def __getattr__(name: str):
    if name == "READ_SUFFIXES":   # suffix -> format name, from the registry
        from earmark.formats.registry import readers
        return {suffix: fmt.name for suffix, fmt in readers().items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def read_spans_file(path: str | Path) -> SpansFile:
    """Read any supported spans file, by its suffix (the registry's readers)."""
    from earmark.formats.registry import readers
    path = Path(path)
    found = readers()
    fmt = found.get(path.suffix.lower())
    if fmt is None or fmt.read is None:
        raise FormatError(str(path), f"unknown spans format {path.suffix!r}; use one of "
                          + ", ".join(sorted(found)))
    return fmt.read(path)
