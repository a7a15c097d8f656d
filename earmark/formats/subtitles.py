"""WebVTT and SRT: each cue a region with its text; a VTT voice (`<v Name>`) is the label.

Written so that no text can make or split a cue: a blank line ends a cue in
both formats and a line holding `-->` starts one, so cue text keeps its line
breaks but never an empty line, and WebVTT text is escaped (`&`, `<`, `>` as
character references, so `-->` is written `--&gt;` and `<script>` is text).
The voice is one line, escaped alike. SRT has no escapes: `-->` is written
`->` there.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterable
from pathlib import Path

from earmark.formats import FormatError, SpansFile, ms, not_utf8, text_lines

DEFAULT_LABEL = "SPEECH"
_TIME = r"(?:(\d+):)?([0-5]?\d):([0-5]\d)[.,](\d{1,3})"   # minutes and seconds 0-59
_CUE_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
_VOICE = re.compile(r"^<v(?:\.[^ >]*)?\s+([^>]*)>")
_TAG = re.compile(r"</?[^>]+>")


def _seconds(h: str | None, m: str, s: str, frac: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(frac.ljust(3, "0")) / 1000


def read(path: Path) -> SpansFile:
    result = SpansFile()
    # WebVTT text carries character references (`&lt;`); SRT has none
    unescape = html.unescape if path.suffix.lower() == ".vtt" else (lambda text: text)
    # each line decoded on its own: a cue with a line that is not UTF-8 is named and skipped
    lines = [text.rstrip("\r\n") if text is not None else None for _, text in text_lines(path)]
    i = 0
    while i < len(lines):
        line = lines[i]
        if line is None:
            result.problems.append(not_utf8(f"{path}:{i + 1}"))
            i += 1
            continue
        match = _CUE_TIMING.match(line)
        if not match:
            if "-->" in line:
                result.problems.append(FormatError(f"{path}:{i + 1}", f"cannot read the cue timing {line.strip()!r}"))
            i += 1
            continue
        g = match.groups()
        start, end = _seconds(*g[:4]), _seconds(*g[4:])
        timing_line = i + 1
        i += 1
        cue_lines: list[str | None] = []
        while i < len(lines) and ((cue_line := lines[i]) is None or cue_line.strip()):
            cue_lines.append(lines[i])
            i += 1
        if None in cue_lines:
            bad = timing_line + 1 + cue_lines.index(None)
            result.problems.append(FormatError(f"{path}:{bad}", "this cue's text is not UTF-8; the cue is skipped"))
            continue
        if end < start:
            result.problems.append(FormatError(f"{path}:{timing_line}", f"cue ends ({end}) before it starts ({start})"))
            continue
        text = "\n".join(line for line in cue_lines if line is not None)
        voice = _VOICE.match(text)
        label = voice.group(1).strip() if voice else DEFAULT_LABEL
        result.add(path.stem, {"id": str(uuid.uuid4()), "start": ms(start), "end": ms(end),
                               "label": unescape(label), "text": unescape(_TAG.sub("", text)).strip()},
                   f"{path}:{timing_line}")
    return result


def stamp(seconds: float, sep: str) -> str:
    total_ms = int(round(seconds * 1000))
    h, rest = divmod(total_ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, milli = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{milli:03d}"


# Line breaks of every kind Python or a browser splits on.
_LINE_BREAK = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def cue_lines(text: str) -> list[str]:
    """Text as the lines of one cue: line breaks kept, blank lines dropped."""
    return [line for line in _LINE_BREAK.split(text or "") if line.strip()]


def one_line(text: str) -> str:
    """Text folded onto one line (a voice, an identifier): each line break becomes a space."""
    return " ".join(_LINE_BREAK.sub(" ", text or "").split())


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _by_time(spans: Iterable[dict]) -> list[dict]:
    return sorted(spans, key=lambda s: (s["start"], s["end"]))


def write_vtt(spans: Iterable[dict]) -> str:
    """WebVTT cues of regions `{start, end, text, label}`: the label is the voice
    (none for an empty label or the default SPEECH)."""
    cues = []
    for s in _by_time(spans):
        text = "\n".join(_vtt_escape(line) for line in cue_lines(s.get("text") or ""))
        label = one_line(str(s.get("label") or ""))
        voice = f"<v {_vtt_escape(label)}>" if label and label != DEFAULT_LABEL else ""
        cues.append(f"{stamp(s['start'], '.')} --> {stamp(s['end'], '.')}\n{voice}{text}\n")
    return "WEBVTT\n\n" + "\n".join(cues)


def write_srt(spans: Iterable[dict]) -> str:
    cues = []
    for n, s in enumerate(_by_time(spans), 1):
        text = "\n".join(line.replace("-->", "->") for line in cue_lines(s.get("text") or ""))
        cues.append(f"{n}\n{stamp(s['start'], ',')} --> {stamp(s['end'], ',')}\n{text}\n")
    return "\n".join(cues)


def register_formats():
    from earmark.formats.export import cues
    from earmark.formats.registry import NOT_CARRIED, Format
    return [Format("vtt", "WebVTT", (".vtt",), read, lambda records: write_vtt(cues(records)), per_file=True,
                   file_suffix=".vtt", skips_ignored=True, help="a subtitle file per audio file, labels as voices",
                   channels=NOT_CARRIED),
            Format("srt", "SRT", (".srt",), read, lambda records: write_srt(cues(records)), per_file=True,
                   file_suffix=".srt", skips_ignored=True, help="a subtitle file per audio file",
                   channels=NOT_CARRIED)]
