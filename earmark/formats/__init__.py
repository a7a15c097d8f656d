"""Interchange formats: read pre-annotations, write annotations.

Each reader turns one file into spans grouped by audio file stem; each writer
turns the regions of one annotated file back into that format. The mapping
(issue 5): an RTTM speaker or a TextGrid tier becomes a label; a TextGrid
interval a region of that label carrying the interval's text; Praat point
tiers and Audacity point labels become markers (start equals end).
"""

from __future__ import annotations

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

    def add(self, stem: str, span: dict) -> None:
        self.spans.setdefault(stem, []).append(span)


def ms(value: float) -> float:
    """Seconds rounded to the millisecond, the precision of `audio_spans`."""
    return round(float(value), 3)


READ_SUFFIXES = {".rttm": "rttm", ".textgrid": "textgrid", ".txt": "audacity",
                 ".vtt": "vtt", ".srt": "srt", ".jsonl": "jsonl"}


def read_spans_file(path: str | Path) -> SpansFile:
    """Read any supported spans file, by its suffix."""
    from earmark.formats import audacity, jsonl_spans, rttm, subtitles, textgrid
    path = Path(path)
    kind = READ_SUFFIXES.get(path.suffix.lower())
    readers = {"rttm": rttm.read, "textgrid": textgrid.read, "audacity": audacity.read,
               "vtt": subtitles.read, "srt": subtitles.read, "jsonl": jsonl_spans.read}
    if kind is None:
        raise FormatError(str(path), f"unknown spans format {path.suffix!r}; use one of "
                          + ", ".join(sorted(READ_SUFFIXES)))
    return readers[kind](path)
