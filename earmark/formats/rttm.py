"""RTTM: `SPEAKER <stem> <channel> <onset> <duration> <NA> <NA> <speaker> <NA> <NA>`."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from pathlib import Path

from earmark.formats import FormatError, SpansFile, finite_seconds, ms, not_utf8, text_lines

_MAX_CHANNEL = 65535   # a WAV header's limit


def read(path: Path) -> SpansFile:
    """The turns of an RTTM file by file id.

    RTTM counts channels from 1, and channel 1 also stands for "the whole
    file" in the RTTM that diarization tools write for mono and stereo
    recordings alike. So channel 1 is all channels, unless the same file id
    has turns on channel 2 or above: then its channel fields name channels,
    and channel 1 is the first one (0 here), as Earmark's own export of a
    two-channel file writes it.
    """
    result = SpansFile()
    on_channel_1: dict[str, list[dict]] = {}
    for line_no, line in text_lines(path):
        where = f"{path}:{line_no}"
        if line is None:
            result.problems.append(not_utf8(where))
            continue
        fields = line.split()
        if not fields or fields[0].startswith((";", "#")):
            continue
        if fields[0] != "SPEAKER":
            continue  # other RTTM types (SPKR-INFO, ...) carry no turns
        if len(fields) < 8:
            result.problems.append(FormatError(where, f"an RTTM SPEAKER line has 10 fields, this one {len(fields)}"))
            continue
        try:
            onset, duration = float(fields[3]), float(fields[4])
        except ValueError:
            result.problems.append(FormatError(where, f"onset {fields[3]!r} or duration {fields[4]!r} is not a number"))
            continue
        if not finite_seconds(onset, duration, onset + duration):
            result.problems.append(FormatError(where, f"onset {fields[3]!r} or duration {fields[4]!r} "
                                               "is not a finite number of seconds"))
            continue
        if onset < 0 or duration < 0:
            result.problems.append(FormatError(where, f"negative onset or duration ({onset}, {duration})"))
            continue
        span = {"id": str(uuid.uuid4()), "start": ms(onset), "end": ms(onset + duration),
                "label": fields[7]}
        if fields[2] not in ("1", "<NA>"):
            # RTTM channels count from 1; a span's channel from 0
            if not fields[2].isdigit() or not 1 <= int(fields[2]) <= _MAX_CHANNEL:
                result.problems.append(FormatError(where, f"channel {fields[2]!r} is not a channel number "
                                                   f"(1 to {_MAX_CHANNEL})"))
                continue
            span["channel"] = int(fields[2]) - 1
        elif fields[2] == "1":
            on_channel_1.setdefault(fields[1], []).append(span)
        result.add(fields[1], span, where)
    for stem, spans in on_channel_1.items():
        if any(s.get("channel") for s in result.spans[stem]):
            for span in spans:
                span["channel"] = 0
    return result


def field(value: object, empty: str = "<NA>") -> str:
    """One RTTM field: fields are separated by whitespace, so any run of it
    (a space, a tab, a line break of any kind) becomes `_`; nothing at all is `empty`."""
    text = _WHITESPACE.sub("_", str(value if value is not None else "").strip())
    return text or empty


_WHITESPACE = re.compile(r"\s+")   # what str.split() splits on, Unicode line breaks included


def write(stem: str, spans: Iterable[dict]) -> str:
    """RTTM lines for one file's regions (markers have no duration and are skipped)."""
    lines = []
    file_id = field(stem)
    for s in sorted(spans, key=lambda s: (s["start"], s["end"])):
        if s["end"] <= s["start"]:
            continue
        channel = 1 if s.get("channel") is None else int(s["channel"]) + 1
        speaker = field(s.get("label"), "speaker")
        lines.append(f"SPEAKER {file_id} {channel} {s['start']:.3f} {s['end'] - s['start']:.3f} "
                     f"<NA> <NA> {speaker} <NA> <NA>\n")
    return "".join(lines)


def register_formats():
    from earmark.formats.export import export_rttm
    from earmark.formats.registry import Format
    return Format("rttm", "RTTM", (".rttm",), read, stream=export_rttm, file_suffix=".rttm",
                  counted="files' turns as RTTM", help="one stream: a line per turn, speakers as labels",
                  channels="counted from 1, as RTTM says (1 is the left); 1 alone for a file id means all channels")
