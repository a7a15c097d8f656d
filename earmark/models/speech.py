"""Speech activity detection: earshot's frame scores, smoothed into utterances.

earshot (MIT/Apache, weights built into its wheel, numpy only) scores every
16 ms frame of 16 kHz audio. Raw scores above 0.5 give a speech-time F1 of
0.79 on the corpus; single frames flicker in and out. Smoothing makes a
region a whole utterance: a median over 9 frames (144 ms), a hysteresis
threshold (speech starts above 0.7, ends below 0.4), gaps under 0.5 s
bridged, 0.3 s of padding, and nothing shorter than 0.1 s. These settings
were chosen on the corpus (F1 0.93 there; see tests/core/test_speech.py).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from earmark.models.registry import Model, Param, task_audio

SAMPLE_RATE = 16000
FRAME = 256                       # samples per earshot frame (16 ms)
FRAME_SECONDS = FRAME / SAMPLE_RATE


@dataclass(frozen=True)
class SpeechSettings:
    start_above: float = 0.7      # a region starts where the smoothed score rises above this
    end_below: float = 0.4        # ... and ends where it falls below this
    median_frames: int = 9        # median filter length (odd)
    bridge_gap: float = 0.5       # seconds of non-speech bridged inside one region
    padding: float = 0.3          # seconds added on both sides
    min_length: float = 0.1       # shorter regions are dropped


def frame_scores(samples: np.ndarray) -> np.ndarray:
    """earshot's speech probability for each whole 16 ms frame of 16 kHz int16 audio."""
    import earshot
    detector = earshot.Detector()
    frames = np.ascontiguousarray(samples[: len(samples) // FRAME * FRAME], dtype=np.int16).reshape(-1, FRAME)
    predict = detector.predict_i16
    return np.fromiter((predict(f) for f in frames), dtype=np.float32, count=len(frames))


def smooth(scores: np.ndarray, settings: SpeechSettings = SpeechSettings()) -> np.ndarray:
    k = max(1, settings.median_frames | 1)
    if k == 1 or len(scores) == 0:
        return scores
    padded = np.pad(scores, (k // 2, k // 2), mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, k), axis=1)


def hysteresis(scores: np.ndarray, start_above: float, end_below: float) -> list[tuple[int, int]]:
    """Frame ranges [start, end) that rise above `start_above` until they fall below `end_below`."""
    high = scores >= start_above
    low = scores < end_below
    # state after each frame: on once a high frame is seen, off at a low frame
    events = np.where(high, 1, np.where(low, -1, 0))
    idx = np.flatnonzero(events)
    state = np.zeros(len(scores), dtype=bool)
    if len(idx):
        last = np.maximum.accumulate(np.where(events != 0, np.arange(len(scores)), -1))
        valid = last >= 0
        state[valid] = events[last[valid]] == 1
    edges = np.flatnonzero(np.diff(np.concatenate([[0], state.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def regions_from_scores(scores: np.ndarray, duration: float,
                        settings: SpeechSettings = SpeechSettings()) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for a, b in hysteresis(smooth(scores, settings), settings.start_above, settings.end_below):
        start = max(0.0, a * FRAME_SECONDS - settings.padding)
        end = min(duration, b * FRAME_SECONDS + settings.padding)
        if merged and start - merged[-1][1] < settings.bridge_gap:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(round(a, 3), round(b, 3)) for a, b in merged if b - a >= settings.min_length]


def detect_speech(samples: np.ndarray, settings: SpeechSettings = SpeechSettings()) -> list[tuple[float, float]]:
    """Speech regions (seconds) of 16 kHz mono int16 audio."""
    return regions_from_scores(frame_scores(samples), len(samples) / SAMPLE_RATE, settings)


# -- the built-in model `speech` (earmark.models.registry.BUILT_IN) -------------
SPEECH_LABEL = "SPEECH"
_PARAM_HELP = {
    "start_above": "a region starts where the smoothed score rises above this",
    "end_below": "... and ends where it falls below this",
    "median_frames": "median filter length in 16 ms frames (odd)",
    "bridge_gap": "seconds of non-speech bridged inside one region",
    "padding": "seconds added on both sides",
    "min_length": "shorter regions (seconds) are dropped",
}


def annotate(task: dict, params: dict) -> list[dict]:
    """Speech regions of the task's file (its segment, its channel), labelled SPEECH."""
    samples, offset, channel = task_audio(task)
    regions = []
    for start, end in detect_speech(samples, SpeechSettings(**params)):
        region = {"start": round(start + offset, 3), "end": round(end + offset, 3), "label": SPEECH_LABEL}
        if channel is not None:
            region["channel"] = channel
        regions.append(region)
    return regions


def _load():
    import earshot  # noqa: F401  (its weights are in the wheel; a Detector per task keeps its state its own)
    return annotate


def _model() -> Model:
    defaults = SpeechSettings()
    return Model("speech", "speech regions labelled SPEECH, from earshot", _load,
                 params=tuple(Param(f.name, getattr(defaults, f.name), _PARAM_HELP[f.name])
                              for f in fields(SpeechSettings)))


MODEL = _model()
