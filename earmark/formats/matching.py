"""Pre-annotations from spans files, matched to audio files by stem.

A spans file's stem matches an audio file of the same stem, or, failing
that, the audio whose stem is the longest prefix of it followed by `_`, `-`
or `.` (so `interview_words.TextGrid` annotates `interview.wav`). RTTM and
JSONL name the stem on every line. The loader tells the stems of the load's
audio files first (`audio_stems`): with `interview.wav` and `interview_2.wav`
loaded together, `interview_2`'s spans go to `interview_2.wav` alone.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from earmark.formats import FormatError, SpansFile, read_spans_file
from earmark.loading.sources import Failure, shown_path

_SEPARATORS = ("_", "-", ".", " ")


@dataclass
class PreAnnotations:
    spans: dict[str, list[dict]] = field(default_factory=dict)     # stem -> spans
    tiers: dict[str, list[dict]] = field(default_factory=dict)     # stem -> TextGrid tiers
    grid_format: dict[str, str] = field(default_factory=dict)      # stem -> TextGrid layout
    sources: dict[str, str] = field(default_factory=dict)          # stem -> spans file, for messages
    where: dict[str, str] = field(default_factory=dict)            # span id -> "file:line" it came from
    failures: list[Failure] = field(default_factory=list)
    used: set[str] = field(default_factory=set)                     # stems matched to audio
    audio_stems: set[str] = field(default_factory=set)              # the load's audio files, NFC

    @classmethod
    def read(cls, paths: list[str | Path]) -> "PreAnnotations":
        pre = cls()
        for path in paths:
            try:
                parsed: SpansFile = read_spans_file(path)
            except (FormatError, OSError, UnicodeDecodeError) as exc:
                pre.failures.append(Failure(shown_path(path), str(getattr(exc, "reason", exc))))
                continue
            except Exception as exc:  # one unreadable spans file never stops the load
                pre.failures.append(Failure(shown_path(path), f"cannot read: {type(exc).__name__}: {exc}"))
                continue
            # names as printable text (a spans file's name need not be UTF-8)
            pre.where.update((span_id, shown_path(where)) for span_id, where in parsed.where.items())
            pre.failures += [Failure(shown_path(p.where), p.reason) for p in parsed.problems]
            for stem, spans in parsed.spans.items():
                stem = _nfc(stem)
                pre.spans.setdefault(stem, []).extend(spans)
                pre.sources[stem] = shown_path(path)
            for stem, tiers in parsed.tiers.items():
                known = pre.tiers.setdefault(_nfc(stem), [])
                known += [t for t in tiers if t not in known]
            pre.grid_format.update({_nfc(k): v for k, v in parsed.grid_format.items()})
        return pre

    def know_audio_stems(self, stems: Iterable[str]) -> None:
        """The stems of every audio file of the load, so a stem goes to its longest match."""
        self.audio_stems = {_nfc(stem) for stem in stems}

    def for_audio(self, audio_stem: str) -> tuple[list[dict], dict, str | None]:
        """Spans, meta to add (TextGrid tiers and layout) and source file for one audio stem."""
        audio_stem = _nfc(audio_stem)
        # an exact match, else every prefixed one that has no longer audio-stem match
        if audio_stem in self.spans:
            chosen = [audio_stem]
        else:
            chosen = [s for s in self.spans if _prefixed(s, audio_stem) and not any(
                len(other) > len(audio_stem) and (s == other or _prefixed(s, other))
                for other in self.audio_stems)]
        self.used.update(chosen)
        spans = [span for s in chosen for span in self.spans[s]]
        meta: dict = {}
        tiers = [t for s in chosen for t in self.tiers.get(s, [])]
        if tiers:
            meta["tiers"] = tiers
            meta["textgrid_format"] = next(self.grid_format[s] for s in chosen if s in self.grid_format)
        return spans, meta, (self.sources.get(chosen[0]) if chosen else None)

    def origin(self, span: dict, default: str) -> str:
        """The file and line a span came from (its file when the line is not known)."""
        return self.where.get(span.get("id") or "", default)

    def unmatched(self) -> list[Failure]:
        """A failure for every stem no loaded audio file matched."""
        return [Failure(self.sources[s], f"no audio file matches {s!r} (by stem)")
                for s in sorted(set(self.spans) - self.used)]


def _prefixed(stem: str, audio_stem: str) -> bool:
    return any(stem.startswith(audio_stem + sep) for sep in _SEPARATORS)


def _nfc(name: str) -> str:
    # macOS writes file names decomposed (NFD); annotation files usually hold NFC
    return unicodedata.normalize("NFC", name)
