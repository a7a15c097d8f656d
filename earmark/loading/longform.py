"""Long recordings at load: one task per channel, per segment; pre-annotation.

`expand_task` turns the task of one audio file into the tasks to annotate:
with `split_channels`, one per channel (`meta.channel`, 0-based); with a
segment spec, one per segment (`segment` in the file's time, the task still
pointing at the whole file); with a model, each task's `audio_spans` (and `transcript` and `words`
from a recogniser) are filled in before anyone annotates. Pre-annotations already on the task
(from `--spans`) are kept, each with the tasks whose window and channel it
falls in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from earmark.db.media import MediaInfo
from earmark.models.registry import PreAnnotator, audio_16k, propose
from earmark.loading.segment import SegmentSpec


# the key under which a part carries its regions' embeddings to the loader, which
# stores them beside the task and takes the key off (never part of a stored task)
EMBEDDINGS_KEY = "_region_embeddings"


@dataclass
class LongformOptions:
    split_channels: bool = False
    segment: SegmentSpec | None = None
    model: PreAnnotator | None = None
    model_name: str = ""

    @property
    def active(self) -> bool:
        return self.split_channels or self.segment is not None or self.model is not None


def _in_window(span: dict, start: float, end: float) -> bool:
    """A region overlapping the window, or a marker inside it."""
    if span["start"] == span["end"]:
        return start <= span["start"] < end
    return span["start"] < end and span["end"] > start


def expand_task(task: dict, media: MediaInfo | None, options: LongformOptions) -> list[dict]:
    """The tasks one file's task becomes (errors propagate to the caller, who names the file)."""
    if media is None:
        return [task]
    channels: list[int | None] = [None]
    if options.split_channels and (media.channels or 1) > 1:
        channels = list(range(media.channels or 1))
    out = []
    for channel in channels:
        base = dict(task)
        spans = list(task.get("audio_spans") or [])
        if channel is not None:
            base["meta"] = {**(task.get("meta") or {}), "channel": channel}
            spans = [s for s in spans if s.get("channel") in (None, channel)]
        windows: Sequence[tuple[float, float] | None] = [None]
        if options.segment is not None:
            samples = audio_16k(media.path, channel) if options.segment.needs_samples else None
            windows = options.segment(media.path, samples=samples, duration=media.duration)
        for window in windows:
            part = dict(base)
            if window is not None or channel is not None:
                # a part of the file is a different input: its hashes are derived anew
                part.pop("_input_hash", None)
                part.pop("_task_hash", None)
            if window is not None:
                start, end = window
                part["segment"] = {"start": start, "end": end}
                part["audio_spans"] = [s for s in spans if _in_window(s, start, end)]
            else:
                part["audio_spans"] = spans
            if options.model is not None:
                # the model reads the file on the server (an upload's `path` is its name)
                found = propose(options.model, {**part, "path": media.path}, media.duration)
                part["audio_spans"] = part["audio_spans"] + found.regions
                if found.transcript is not None and not part.get("transcript"):
                    part["transcript"] = found.transcript   # a transcript already given is kept
                if found.words is not None:
                    part["words"] = found.words
                if found.embeddings:
                    part[EMBEDDINGS_KEY] = found.embeddings
            if not part["audio_spans"]:
                part.pop("audio_spans")
            out.append(part)
    return out
