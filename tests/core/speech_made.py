"""Test speech made with espeak-ng, with the start and end of every word known.

Each sentence is synthesised whole with espeak-ng's word gap (`-g 12`: 120 ms
of digital silence after every word), so every word boundary is a run of
silence; the words are the loud runs between pauses of 80 ms and more (a
stop consonant's closure inside a word is shorter and not silent). The
number of runs must equal the number of words, or the fixture fails: the
reference times are measured on the samples, not guessed. Sentences are
joined with `pause` seconds of silence, the file resampled to 16 kHz with sox.
Used by tests/core/test_transcribe.py and bench/bench_transcribe.py.
"""

from __future__ import annotations

import io
import subprocess
import wave
from pathlib import Path

import numpy as np

SENTENCES = (
    "the river was cold and quiet this morning",
    "please bring seven green apples to the kitchen",
    "our train leaves the station at nine",
    "she painted the small wooden boat blue",
)
VOICES = ("en-us", "en-gb+m3")     # two voices: American, and British with a male variant
WORD_GAP = 12                      # espeak-ng -g: pause after each word, in 10 ms units
QUIET = 200                        # |sample| at or under this is silence (espeak's pauses are 0)
MIN_PAUSE = 0.08                   # seconds of silence that separate two words


def synthesise(text: str, voice: str) -> tuple[int, np.ndarray]:
    raw = subprocess.run(["espeak-ng", "-v", voice, "-g", str(WORD_GAP), "--stdout", text],
                         capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(raw)) as w:
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def loud_runs(samples: np.ndarray, rate: int) -> list[tuple[int, int]]:
    """[start, end) sample ranges of sound separated by at least MIN_PAUSE of silence."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > QUIET)
    if not len(loud):
        return []
    breaks = np.flatnonzero(np.diff(loud) > MIN_PAUSE * rate)
    starts = np.concatenate(([loud[0]], loud[breaks + 1]))
    ends = np.concatenate((loud[breaks], [loud[-1]])) + 1
    return list(zip(starts.tolist(), ends.tolist()))


def make_speech(out: Path, voice: str, sentences: tuple[str, ...] = SENTENCES, pause: float = 1.0,
                lead: float = 0.5) -> list[tuple[str, float, float]]:
    """Write the sentences spoken by `voice` to `out` (16 kHz mono WAV); return the reference
    words (text, start, end) in seconds of that file."""
    pieces: list[np.ndarray] = []
    reference: list[tuple[str, float, float]] = []
    at = 0           # samples written so far
    rate = 22050
    for n, sentence in enumerate(sentences):
        rate, samples = synthesise(sentence, voice)
        runs = loud_runs(samples, rate)
        words = sentence.split()
        assert len(runs) == len(words), f"{voice}: {len(runs)} sounds for the {len(words)} words of {sentence!r}"
        first, last = runs[0][0], runs[-1][1]
        silence = np.zeros(int(round((lead if n == 0 else pause) * rate)), dtype=np.int16)
        pieces += [silence, samples[first:last]]
        at += len(silence)
        reference += [(word, (at + a - first) / rate, (at + b - first) / rate) for word, (a, b) in zip(words, runs)]
        at += last - first
    pieces.append(np.zeros(int(round(lead * rate)), dtype=np.int16))
    native = out.with_name(out.stem + f".{rate}.wav")
    with wave.open(str(native), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.concatenate(pieces).tobytes())
    subprocess.run(["sox", str(native), "-r", "16000", "-b", "16", "-c", "1", str(out)], check=True)
    native.unlink()
    return [(w, round(a, 4), round(b, 4)) for w, a, b in reference]


def normalise(text: str) -> list[str]:
    """Lower case, punctuation off: the words as WER counts them."""
    import re
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def word_time_error(reference: list[tuple[str, float, float]], words: list[dict]) -> tuple[float, int]:
    """Median |start - reference start| over the recognised words that match a reference word
    (aligned as WER aligns them), and how many matched."""
    import jiwer
    flat: list[tuple[str, float]] = [(t, w["start"]) for w in words for t in normalise(w["text"])]
    if not flat:
        return float("inf"), 0
    out = jiwer.process_words(" ".join(r[0] for r in reference), " ".join(t for t, _ in flat))
    errors = []
    for chunk in out.alignments[0]:
        if chunk.type == "equal":
            for k in range(chunk.ref_end_idx - chunk.ref_start_idx):
                errors.append(abs(flat[chunk.hyp_start_idx + k][1] - reference[chunk.ref_start_idx + k][1]))
    return (float(np.median(errors)) if errors else float("inf")), len(errors)


def wer(reference_words: list[str], text: str) -> float:
    import jiwer
    return float(jiwer.wer(" ".join(reference_words), " ".join(normalise(text)) or "<nothing>"))
