"""Long recordings at load: one task per channel, per segment; pre-annotation.

`expand_task` turns the task of one audio file into the tasks to annotate:
with `split_channels`, one per channel (`meta.channel`, 0-based); with a
segment spec, one per segment (`segment` in the file's time, the task still
pointing at the whole file); with a model, each task's `audio_spans` (and `transcript` and `words`
from a recogniser) are filled in before anyone annotates. Pre-annotations already on the task
(from `--spans`) are kept, each with the tasks whose window and channel it
falls in.

With `--segment asr` the recogniser (`LongformOptions.recogniser`, the model
`transcribe`) runs once on the whole file (per channel): its words cut the
file into one segment per utterance (`earmark.loading.segment.utterance_segments`),
and each segment gets its own words and its part of the transcript from that
one recognition; a `--model` chain that also holds the recogniser does not run
it again per segment. `make_options` builds the options the command line and
the Datasets page use, the recogniser from the same settings as `--model`.

`expand_task(..., progress=)` says how far one file is (a fraction, and what
it is doing: "segment 3 of 12"), from the segments and from what a model
reports inside one call (`earmark.models.registry.report_progress`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from earmark.db.media import MediaInfo
from earmark.models.registry import (BoundModel, ModelChain, ModelError, PreAnnotator, audio_16k, progress_to,
                                     propose, registered_models)
from earmark.loading.segment import SegmentSpec

#: (fraction of the current file done, 0..1; what is being done, e.g. "segment 3 of 12")
FileProgress = Callable[[float, str], None]
RECOGNISER = "transcribe"     # the model whose words `--segment asr` cuts at


# the key under which a part carries its regions' embeddings to the loader, which
# stores them beside the task and takes the key off (never part of a stored task)
EMBEDDINGS_KEY = "_region_embeddings"


@dataclass
class LongformOptions:
    split_channels: bool = False
    segment: SegmentSpec | None = None
    model: PreAnnotator | None = None
    model_name: str = ""
    recogniser: PreAnnotator | None = None   # for a segment spec that needs words (asr)

    @property
    def active(self) -> bool:
        return self.split_channels or self.segment is not None or self.model is not None


def recogniser_in(model: PreAnnotator | None) -> BoundModel | None:
    """The recogniser (`transcribe`) that `model` runs, alone or in a chain, or None."""
    if isinstance(model, BoundModel) and model.model.name == RECOGNISER:
        return model
    if isinstance(model, ModelChain):
        return next((r for m in model.models if (r := recogniser_in(m)) is not None), None)
    return None


def without(model: PreAnnotator | None, recogniser: PreAnnotator | None) -> PreAnnotator | None:
    """`model` less `recogniser` (already run on the whole file); None when nothing is left."""
    if model is None or recogniser is None:
        return model
    if model is recogniser:
        return None
    if isinstance(model, ModelChain):
        rest = [m for m in model.models if m is not recogniser]
        return None if not rest else rest[0] if len(rest) == 1 else ModelChain(rest)
    return model


def make_options(*, split_channels: bool = False, segment: SegmentSpec | None = None,
                 model: PreAnnotator | None = None, model_name: str = "",
                 settings: Mapping[str, object] | None = None) -> LongformOptions:
    """The options of a load; a segment spec that cuts at words gets its recogniser: the
    `transcribe` of `model` when it runs one, else `transcribe` with the `settings`."""
    recogniser = None
    if segment is not None and segment.needs_words:
        recogniser = recogniser_in(model)
        if recogniser is None:
            found = registered_models().get(RECOGNISER)
            if found is None:
                raise ModelError(f"--segment {segment.text}: the model {RECOGNISER!r} is not registered")
            recogniser = found.bind(settings=settings)
    return LongformOptions(split_channels=split_channels, segment=segment, model=model,
                           model_name=model_name, recogniser=recogniser)


def _in_window(span: dict, start: float, end: float) -> bool:
    """A region overlapping the window, or a marker inside it."""
    if span["start"] == span["end"]:
        return start <= span["start"] < end
    return span["start"] < end and span["end"] > start


def expand_task(task: dict, media: MediaInfo | None, options: LongformOptions,
                progress: FileProgress | None = None) -> list[dict]:
    """The tasks one file's task becomes (errors propagate to the caller, who names the file)."""
    if media is None:
        return [task]
    channels: list[int | None] = [None]
    if options.split_channels and (media.channels or 1) > 1:
        channels = list(range(media.channels or 1))
    by_words = options.segment is not None and options.segment.needs_words
    if by_words and options.recogniser is None:
        raise ModelError(f"--segment {options.segment.text if options.segment else ''}: "
                         "no recogniser to cut at words")
    # the recogniser already ran on the whole file: each segment is not recognised again
    per_part = without(options.model, options.recogniser) if by_words else options.model

    def tell(fraction: float, detail: str) -> None:
        if progress is not None:
            progress(min(1.0, max(0.0, fraction)), detail)

    out = []
    for c, channel in enumerate(channels):
        share = 1 / len(channels)
        first = c * share
        on_channel = f" (channel {channel + 1})" if channel is not None else ""
        base = dict(task)
        spans = list(task.get("audio_spans") or [])
        if channel is not None:
            base["meta"] = {**(task.get("meta") or {}), "channel": channel}
            spans = [s for s in spans if s.get("channel") in (None, channel)]
        windows: Sequence[tuple[float, float] | None] = [None]
        recognised: list[dict | None] = []
        if by_words:
            assert options.recogniser is not None and options.segment is not None
            whole = share if per_part is None else share / 2
            doing = f"recognising speech{on_channel}"
            tell(first, doing)
            with progress_to(_scaled(tell, first, whole, doing)):
                heard = propose(options.recogniser, {**base, "path": media.path}, media.duration)
            first += whole
            share -= whole
            windows = options.segment(media.path, duration=media.duration, words=heard.words or [],
                                      samples=audio_16k(media.path, channel))
            recognised = _share_words(heard.transcript or "", heard.words or [], windows)
        elif options.segment is not None:
            samples = audio_16k(media.path, channel) if options.segment.needs_samples else None
            windows = options.segment(media.path, samples=samples, duration=media.duration)
        for n, window in enumerate(windows):
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
            if recognised:
                heard_here = recognised[n]
                assert heard_here is not None
                if not part.get("transcript"):
                    part["transcript"] = heard_here["transcript"]
                part["words"] = heard_here["words"]
            if per_part is not None:
                here = first + share * n / len(windows)
                step = share / len(windows)
                detail = f"segment {n + 1} of {len(windows)}{on_channel}" if window is not None else \
                    f"running the model{on_channel}"
                tell(here, detail)
                # the model reads the file on the server (an upload's `path` is its name)
                with progress_to(_scaled(tell, here, step, detail)):
                    found = propose(per_part, {**part, "path": media.path}, media.duration)
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
    if per_part is not None or by_words:
        tell(1.0, "done")
    return out


def _scaled(tell: Callable[[float, str], None], at: float, share: float, detail: str) -> Callable[[float], None]:
    """A model's own fraction (0..1 of one call) as the file's: `at` plus that much of `share`."""
    def listener(fraction: float) -> None:
        tell(at + fraction * share, detail)
    return listener


def _share_words(transcript: str, words: list[dict], windows: Sequence[tuple[float, float] | None]) \
        -> list[dict | None]:
    """Each window's words (those whose middle lies in it) and its part of the transcript
    (the text from its first word to its last, as the recogniser spaced it)."""
    places: list[tuple[int, int] | None] = []
    cursor = 0
    for word in words:   # where each word is in the transcript, in order
        at = transcript.find(word["text"], cursor)
        if at < 0:
            places.append(None)
            continue
        places.append((at, at + len(word["text"])))
        cursor = at + len(word["text"])
    shared: list[dict | None] = []
    for window in windows:
        if window is None:
            shared.append({"transcript": transcript, "words": list(words)})
            continue
        start, end = window
        inside = [i for i, w in enumerate(words) if start <= (w["start"] + w["end"]) / 2 < end]
        mine = [words[i] for i in inside]
        spots = [places[i] for i in inside]
        if spots and spots[0] is not None and spots[-1] is not None:
            text = transcript[spots[0][0]:spots[-1][1]].strip()
        else:
            text = " ".join(w["text"] for w in mine)
        shared.append({"transcript": text, "words": mine})
    return shared
