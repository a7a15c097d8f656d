"""The annotation card: the same component in card mode (design.md, "Answers").

The card draws the whole annotation card (file name, waveform and regions,
transcript field, text spans, answer buttons, progress) and holds a queue of
tasks: an answer shows the next queued task at once, without a round trip,
and joins the pending log the card keeps in the browser's storage. Every value
the card sends carries all pending answers not yet acknowledged; Python commits
each once (`earmark.answers.commit_answers`) and passes back `acked`.

`CardTask` is one queued task as the browser needs it. Peaks of all queued
tasks travel in one binary argument (nested bytes cannot be sent), each task
naming its slice of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from components.waveform import (
    SETTING_NAMES, _amplitude_bytes, _clean_labels, _clean_region, _component, overview_bytes, test_hooks_wanted,
)

__all__ = ["CardTask", "annotation_card", "card_task"]


@dataclass
class CardTask:
    """One task for the card: what it shows (JSON) and its peaks (bytes, or None)."""
    data: dict[str, Any]
    peaks: bytes | None = None
    overview: bytes | None = None

    @property
    def task_id(self) -> str:
        return str(self.data["task_id"])


def card_task(*, task_id: int | str, title: str, audio_url: str, duration: float, peaks: Any,
              regions: Sequence[Mapping[str, Any]] = (), details: Sequence[str] = (),
              caption: str | None = None, transcript: str | None = None, text: str | None = None,
              spans: Sequence[Mapping[str, Any]] = (), words: Sequence[Mapping[str, Any]] = (),
              spectrogram_url: str | None = None,
              spectrogram_offset: float = 0.0, segment: Mapping[str, float] | None = None,
              problem: str | None = None, answer: str | None = None) -> CardTask:
    """A queued task. `regions` and `segment` are in the card's time (a clip's time
    for a segment or channel task), each region's `channel` 0-based as in the
    task format; `details` are the header's parts after the title (duration,
    segment, channel) as people read them: "channel 1" is the left, `meta.channel`
    0; `caption` the task's other `meta`; `words` the recognised words
    (`{start, end, text, score?}`, in the card's time like the regions)."""
    amplitude = _amplitude_bytes(peaks) if peaks is not None else None
    data: dict[str, Any] = {
        "task_id": str(task_id),
        "title": str(title),
        "details": [str(d) for d in details],
        "caption": caption,
        "audio": str(audio_url),
        "duration": float(duration),
        "peaks_channels": int(amplitude.shape[0]) if amplitude is not None else 1,
        "peaks_rate": int(getattr(peaks, "rate", 100)) if peaks is not None else 100,
        "regions": [_clean_region(r) for r in regions],
        "transcript": transcript,
        "text": text,
        "spans": [dict(s) for s in spans],
        "words": _clean_words(words),
        "spectrogram": str(spectrogram_url) if spectrogram_url else None,
        "spectrogram_offset": float(spectrogram_offset),
        "segment": {"start": float(segment["start"]), "end": float(segment["end"])} if segment else None,
        "problem": problem,
        "answer": answer,
    }
    return CardTask(data, amplitude.tobytes() if amplitude is not None else None,
                    overview_bytes(amplitude) if amplitude is not None else None)


def _clean_words(words: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The words with finite times, as `{start, end, text, score?}` (ms precision), in time order."""
    def number(x: object) -> float | None:
        ok = isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
        return round(float(x), 3) if ok else None   # type: ignore[arg-type]

    out = []
    for w in words:
        start, end = number(w.get("start")), number(w.get("end"))
        if start is None or end is None:
            continue
        word: dict[str, Any] = {"start": start, "end": end, "text": str(w.get("text") or "").strip()}
        score = number(w.get("score"))
        if score is not None:
            word["score"] = score
        out.append(word)
    out.sort(key=lambda w: (w["start"], w["end"]))
    return out


def _pack(tasks: Sequence[CardTask]) -> tuple[list[dict[str, Any]], bytes]:
    """Each task's JSON with the [offset, length] of its peaks (and overview) in one buffer."""
    out, chunks, pos = [], [], 0
    for task in tasks:
        item = dict(task.data)
        for name, blob in (("peaks", task.peaks), ("overview", task.overview)):
            if blob:
                item[name] = [pos, len(blob)]
                chunks.append(blob)
                pos += len(blob)
            else:
                item[name] = None
        out.append(item)
    return out, b"".join(chunks)


def annotation_card(*, key: str, dataset: str, session: str, queue: Sequence[CardTask],
                    exhausted: bool, labels: Sequence[Mapping[str, Any] | str], blocks: Sequence[str],
                    editable: bool, settings: Mapping[str, Any] | None = None,
                    keymap: Mapping[str, Any] | None = None, acked: Mapping[str, int] | None = None,
                    progress: Mapping[str, int] | None = None, previous: CardTask | None = None,
                    refused: Sequence[Mapping[str, Any]] = (), error: str | None = None,
                    focus: int = 0) -> dict[str, Any] | None:
    """Render the card; return its last value (`{"client", "pending", "event"}`) or None.

    `queue` is the session's next tasks, the first being the one to show when
    the card has none on screen; `exhausted` says there are no more after them.
    `acked` is the highest committed answer number per client id; `previous`
    the session's last committed answer (what undo reopens after a reload).
    `blocks` names the parts drawn besides the waveform ("transcript": the text
    field; "alignment": the text field and the text-span panel) and `editable`
    whether regions can be edited: the page takes both from the view's blocks
    (`earmark.views.card_parts`, `earmark.views.editable`).
    """
    settings = dict(settings or {})
    theme = settings.get("custom_theme")
    theme_labels = ({str(k): str(v) for k, v in theme["labels"].items()}
                    if isinstance(theme, Mapping) and isinstance(theme.get("labels"), Mapping) else {})
    items = list(queue) + ([previous] if previous is not None else [])
    packed, blob = _pack(items)
    value = _component(
        mode="card",
        dataset=str(dataset),
        session=str(session),
        queue=packed[:len(queue)],
        previous=packed[len(queue)] if previous is not None else None,
        queue_peaks=blob,
        exhausted=bool(exhausted),
        labels=_clean_labels(labels, theme_labels),
        blocks=[str(b) for b in blocks],
        editable=bool(editable),
        settings={k: v for k, v in settings.items() if k in SETTING_NAMES},
        keymap={str(k): (v if isinstance(v, str) else [str(x) for x in v]) for k, v in (keymap or {}).items()},
        acked={str(k): int(v) for k, v in (acked or {}).items()},
        progress=dict(progress or {}),
        refused=[dict(r) for r in refused],
        error=error,
        focus=int(focus),
        test_hooks=test_hooks_wanted(),
        key=key,
        default=None,
    )
    return dict(value) if isinstance(value, Mapping) else None
