"""Pre-annotators: functions that propose regions before anyone annotates.

A pre-annotator is any function `annotate(task: dict) -> list[dict]`:

- `task["path"]` is the audio file on the server; `task.get("segment")`
  (`{"start", "end"}`) limits the work to a window, and
  `task["meta"].get("channel")` to one channel of a split recording;
- it returns regions `{"start", "end", "label", "text"?, "channel"?}` in
  seconds of the original file.

`--model speech` is the built-in speech detector, written against exactly
this interface; on the command line `--model package.module:function` loads
a user's own (the working directory is importable, so a `my_model.py` beside
the data works).

The web UI never imports a module a page names: it offers the built-in
models and those `earmark.json` lists under `models` (`offered_models`), and
resolves a chosen name on the server (`resolve_offered`), with neither the
working directory added to the import path nor any module taken from the
media folder.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from earmark.loading.sources import check_spans

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
    from earmark.audio.reader import read_mono_16k
    key = (str(path), channel)
    with _audio_lock:
        if key not in _audio_cache:
            _audio_cache.clear()
            _audio_cache[key] = read_mono_16k(path, channel=channel)
        return _audio_cache[key]


def speech(task: dict) -> list[dict]:
    """The built-in pre-annotator: speech regions from earmark.models.speech, labelled SPEECH."""
    from earmark.models.speech import SAMPLE_RATE, detect_speech
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


def resolve_model(name: str, *, configured: dict[str, str] | None = None,
                  import_from_cwd: bool = True, refuse_under: Path | None = None) -> PreAnnotator:
    """A built-in model, a name of `configured` (earmark.json's `models`), or `module:function`.

    `import_from_cwd` puts the working directory on the import path (the
    command line's promise); `refuse_under` is a folder no model's module may
    come from (the media folder, where uploads are kept).
    """
    if name in BUILT_IN:
        return BUILT_IN[name]
    target = (configured or {}).get(name, name)
    module_name, sep, function_name = target.partition(":")
    if not sep or not module_name or not function_name:
        raise ModelError(f"--model {name!r}: give {_built_in_names()}, a name listed under `models` "
                         "in earmark.json, or 'module:function'")
    if import_from_cwd and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    if refuse_under is not None:
        _refuse_module_under(name, module_name, refuse_under)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the user's module may fail in any way on import
        raise ModelError(f"--model {name!r}: cannot import {module_name!r}: {exc}") from exc
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ModelError(f"--model {name!r}: {module_name!r} has no function {function_name!r}")
    return function


def _built_in_names() -> str:
    return " or ".join(repr(n) for n in BUILT_IN)


def _refuse_module_under(name: str, module_name: str, folder: Path) -> None:
    """Raise ModelError when `module_name` would be loaded from inside `folder`."""
    try:
        spec = importlib.util.find_spec(module_name)
    except Exception:  # a missing parent package: import_module names the problem
        return
    if spec is None:
        return
    places = [spec.origin] if spec.origin else []
    places += list(spec.submodule_search_locations or [])
    if any(Path(place).resolve().is_relative_to(folder.resolve()) for place in places):
        raise ModelError(f"model {name!r}: {module_name!r} lies in the media folder; not imported")


def offered_models(configured: dict[str, str]) -> list[str]:
    """What the web UI offers: the built-in models, then earmark.json's `models`
    (a configured name that is a built-in's keeps the built-in)."""
    return [*BUILT_IN, *(n for n in configured if n not in BUILT_IN)]


def resolve_offered(name: str, configured: dict[str, str], media_folder: Path) -> PreAnnotator:
    """The model the web UI offered under `name`; any other name is refused, never imported."""
    if name not in offered_models(configured):
        raise ModelError(f"model {name!r} is not offered here: choose one of "
                         f"{', '.join(offered_models(configured))}")
    return resolve_model(name, configured=configured, import_from_cwd=False, refuse_under=media_folder)


def run_model(model: PreAnnotator, task: dict, duration: float | None) -> list[dict]:
    """Call `model` on `task` and check what it returns; regions get ids."""
    regions = model(task)
    if not isinstance(regions, list):
        raise ModelError(f"the model returned {type(regions).__name__}, not a list of regions")
    problem = check_spans(regions, duration)
    if problem:
        raise ModelError(f"the model returned bad regions: {problem}")
    out = []
    for region in regions:
        out.append({**region, "id": region.get("id") or str(uuid.uuid4()),
                    "start": round(float(region["start"]), 3), "end": round(float(region["end"]), 3)})
    return out
