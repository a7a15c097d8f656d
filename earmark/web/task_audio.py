"""What the waveform component is given for a task, and how its times map back.

A whole-file task streams the media file with the file's peaks. A segment
task (with `segment_context` seconds around it) or a split-channel task
streams a clip of the parent file with the matching slice of its peaks;
the component works in the clip's time, and regions are shifted back into
the original file's time (and given the task's channel) before they are
stored, so every stored time is in the original file's time.

With an access code set, every URL carries the browser session's token for
its media file (earmark/web/access.py); the component keeps the query of the
URLs it is given when it adds its own parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from earmark.annotations import Task
from earmark.answers import View
from earmark.db.media import get_media
from earmark.audio.peaks import Peaks, PeaksError, get_peaks
from earmark.db.store import Store
from earmark.web.access import Grant, server_secret, session_grant
from earmark.web.routes import clip_url, media_url
from earmark.web.spectrogram_route import spectrogram_url

DEFAULT_CONTEXT = 1.0


@dataclass
class TaskAudio:
    url: str
    duration: float
    peaks: Peaks | None
    offset: float = 0.0             # file time of the clip's 0
    channel: int | None = None      # the task's channel, for split-channel tasks
    file_name: str | None = None
    problem: str | None = None      # why the waveform could not be prepared
    spectrogram_url: str | None = None  # the media file's spectrogram (in file time, from `offset`)

    def to_view(self, regions: list[dict]) -> list[dict]:
        out = []
        for r in regions:
            shown = {**r, "start": round(r["start"] - self.offset, 3), "end": round(r["end"] - self.offset, 3)}
            if self.channel is not None:
                shown["channel"] = None  # the clip has just this channel
            out.append(shown)
        return out

    def from_view(self, regions: list[dict]) -> list[dict]:
        out = []
        for r in regions:
            stored = {**r, "start": round(r["start"] + self.offset, 3), "end": round(r["end"] + self.offset, 3)}
            if self.channel is not None:
                stored["channel"] = self.channel
            out.append(stored)
        return out


def task_view(task: Task, context: float = DEFAULT_CONTEXT) -> View:
    """Where the component's time 0 lies in the file for `task`, and the task's channel:
    a segment's clip starts `context` seconds before the segment (not before the file)."""
    data = task.data
    segment = data.get("segment") or None
    meta = data.get("meta")
    channel = meta.get("channel") if isinstance(meta, dict) else None
    if segment is None:
        return View(0.0, channel)
    return View(max(0.0, float(segment["start"]) - context), channel)


def task_audio(store: Store, task: Task, context: float = DEFAULT_CONTEXT,
               grant: Grant | None = None) -> TaskAudio:
    """What the component needs for `task`; its URLs signed with `grant`
    (by default this browser session's, when it entered the access code)."""
    grant = grant or session_grant()
    data = task.data
    name = data.get("file")
    media = get_media(store, task.media_id) if task.media_id else None
    if media is None:
        meta_duration = float((data.get("meta") or {}).get("duration") or 0)
        return TaskAudio(str(data.get("audio") or ""), meta_duration, None, file_name=name)
    peaks, problem = None, None
    try:
        peaks = get_peaks(store, media.id)
    except (PeaksError, OSError) as exc:
        problem = f"could not compute the waveform of {media.path}: {exc}"
    duration = (peaks.duration if peaks else None) or media.duration or 0.0
    segment = data.get("segment") or None
    view = task_view(task, context)
    channel = view.channel
    secret = server_secret(store.path) if grant is not None else b""

    def signed(url: str) -> str:
        return grant.sign(url, media.id, secret) if grant is not None else url

    if segment is None and channel is None:
        return TaskAudio(signed(media_url(media.id)), duration, peaks, file_name=name or media.path,
                         problem=problem, spectrogram_url=signed(spectrogram_url(media.id)))
    start = view.offset
    end = min(duration, float(segment["end"]) + context) if segment else duration
    clip_peaks = None
    if peaks is not None:
        a, b = int(round(start * peaks.rate)), int(round(end * peaks.rate))
        rows = peaks.minmax[channel:channel + 1] if channel is not None else peaks.minmax
        clip_peaks = Peaks(rate=peaks.rate, minmax=np.ascontiguousarray(rows[:, a:b]), duration=end - start)
    return TaskAudio(signed(clip_url(media.id, start, end, channel)), round(end - start, 3), clip_peaks,
                     offset=start, channel=channel, file_name=name or media.path, problem=problem,
                     spectrogram_url=signed(spectrogram_url(media.id, channel)))
