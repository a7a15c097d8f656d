"""Pre-annotators: functions that propose regions before anyone annotates.

A pre-annotator is any function `annotate(task: dict) -> list[dict]`:

- `task["path"]` is the audio file on the server; `task.get("segment")`
  (`{"start", "end"}`) limits the work to a window, and
  `task["meta"].get("channel")` to one channel of a split recording;
- it returns regions `{"start", "end", "label", "text"?, "channel"?}` in
  seconds of the original file.

`--model speech` is the built-in speech detector, written against exactly
this interface; `--model package.module:function` loads a user's own (the
working directory is importable, so a `my_model.py` beside the data works).
"""

from __future__ import annotations

import importlib
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from earmark.sources import check_spans

PreAnnotator = Callable[[dict], list[dict]]
_audio_lock = threading.Lock()
_audio_cache: dict[tuple[str, int | None], np.ndarray] = {}
SPEECH_LABEL = "SPEECH"


class ModelError(ValueError):
    """A pre-annotator that cannot be loaded, or that returned something unusable."""


def audio_16k(path: str, channel: int | None = None) -> np.ndarray:
    """A file (or one channel) as 16 kHz mono int16, decoded once for all its segments.

    Keeps the last file only: loading walks the files one after another.
    """
    from earmark.segment import read_mono_16k
    key = (str(path), channel)
    with _audio_lock:
        if key not in _audio_cache:
            _audio_cache.clear()
            _audio_cache[key] = read_mono_16k(path, channel=channel)
        return _audio_cache[key]


def speech(task: dict) -> list[dict]:
    """The built-in pre-annotator: speech regions from earmark.speech, labelled SPEECH."""
    from earmark.speech import SAMPLE_RATE, detect_speech
    channel = (task.get("meta") or {}).get("channel")
    samples = audio_16k(task["path"], channel)
    segment = task.get("segment") or {}
    offset = float(segment.get("start") or 0.0)
    if segment:
        samples = samples[int(offset * SAMPLE_RATE):int(float(segment["end"]) * SAMPLE_RATE)]
    regions = []
    for start, end in detect_speech(samples):
        region = {"start": round(start + offset, 3), "end": round(end + offset, 3), "label": SPEECH_LABEL}
        if channel is not None:
            region["channel"] = channel
        regions.append(region)
    return regions


BUILT_IN: dict[str, PreAnnotator] = {"speech": speech}


def resolve_model(name: str) -> PreAnnotator:
    """`speech`, or `module:function` imported from the working directory or the path."""
    if name in BUILT_IN:
        return BUILT_IN[name]
    module_name, sep, function_name = name.partition(":")
    if not sep or not module_name or not function_name:
        raise ModelError(f"--model {name!r}: give 'speech' or 'module:function'")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the user's module may fail in any way on import
        raise ModelError(f"--model {name!r}: cannot import {module_name!r}: {exc}") from exc
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ModelError(f"--model {name!r}: {module_name!r} has no function {function_name!r}")
    return function


def run_model(model: PreAnnotator, task: dict, duration: float | None) -> list[dict]:
    """Call `model` on `task` and check what it returns; regions get ids."""
    regions = model(task)
    if not isinstance(regions, list):
        raise ModelError(f"the model returned {type(regions).__name__}, not a list of regions")
    problem = check_spans(regions)
    if problem:
        raise ModelError(f"the model returned bad regions: {problem}")
    out = []
    for region in regions:
        if duration is not None and region["end"] > duration + 0.001:
            raise ModelError(f"the model returned a region ending at {region['end']} s, "
                             f"after the end of the file ({duration:.3f} s)")
        out.append({**region, "id": region.get("id") or str(uuid.uuid4()),
                    "start": round(float(region["start"]), 3), "end": round(float(region["end"]), 3)})
    return out
