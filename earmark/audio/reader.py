"""The one way samples are read: backends tried in order, every refusal named.

`read(path, start, end, channel=..., sample_rate=..., mono=...)` gives a
window of a file (one channel, all, or all mixed to one; at the file's rate or
another) as int16 frames. `BACKENDS`, a `CompositeAudioBackend`, asks the WAV
reader, libsndfile and ffmpeg in that order (`earmark.audio.backends`): the
first that can serve the request reads it; when none can, one
`AudioReadError` names the file and every backend's reason.

`read_mono_16k(path)` is the whole file as 16 kHz mono int16, for
segmentation and the speech detector (an hour is 115 MB). A WAV that is
already 16 kHz mono, or one channel of a 16 kHz WAV, is read straight from its
data chunk; a file libsndfile reads at 16 kHz is decoded in this process;
everything else is decoded by ffmpeg (`-ac 1 -ar 16000`, its mix-down, or
`pan` for one channel) straight into the result's memory, a long file as two
halves by two processes.

The waveform peaks and the spectrogram stream what they need through the same
composite (`BACKENDS.attempt`), each with its own loop over a backend's blocks.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from earmark.audio.backends import (Audio, AudioReadError, Backend, FfmpegBackend, Request, SndfileBackend,
                                    TryNext, WavBackend, ffmpeg_s16le)
from earmark.audio.probe import AudioInfo, probe

__all__ = ["BACKENDS", "FFMPEG", "SNDFILE", "WAV", "Audio", "AudioReadError", "CompositeAudioBackend",
           "Request", "TryNext", "ffmpeg_s16le", "read", "read_mono_16k"]

T = TypeVar("T")
SAMPLE_RATE = 16000
# Below this duration one ffmpeg process is cheaper than two.
_PARALLEL_MIN_SECONDS = 120.0
_READ_CHUNK_FRAMES = 1 << 20  # WAV frames converted per step (64 s at 16 kHz)


class CompositeAudioBackend:
    """Backends tried in order: the first that does not refuse a request reads it."""

    def __init__(self, backends: Sequence[Backend]):
        self.backends = tuple(backends)

    def attempt(self, path: str | Path, info: AudioInfo, request: Request, job: Callable[[Backend], T]) -> T:
        """`job(backend)` with the first backend that can serve `request` of the file.

        A backend's refusal, or a `TryNext` from the job, moves on to the next;
        any other error is the job's answer and is raised as it is. When every
        backend declined, `AudioReadError` names the file and each reason.
        """
        reasons: list[tuple[str, str]] = []
        for backend in self.backends:
            why = backend.refusal(Path(path), info, request)
            if why is None:
                try:
                    return job(backend)
                except TryNext as exc:
                    why = str(exc) or type(exc).__name__
            reasons.append((backend.name, why))
        raise AudioReadError.from_reasons(path, reasons)

    def read(self, path: str | Path, info: AudioInfo, request: Request) -> Audio:
        path = Path(path)
        return self.attempt(path, info, request, lambda backend: backend.read(path, info, request))


WAV, SNDFILE, FFMPEG = WavBackend(), SndfileBackend(), FfmpegBackend()
BACKENDS = CompositeAudioBackend([WAV, SNDFILE, FFMPEG])


def read(path: str | Path, start: float = 0.0, end: float | None = None, *, channel: int | None = None,
         sample_rate: int | None = None, mono: bool = False, info: AudioInfo | None = None,
         backends: CompositeAudioBackend | None = None) -> Audio:
    """[start, end) seconds of a file as int16 (frames, channels); see the module docstring.

    `channel`: that channel only; `mono`: every channel mixed down; `sample_rate`:
    resampled to it. Raises `AudioReadError` (every backend's reason, or the damage
    found), or `ProbeError` when `info` is not given and the header cannot be read.
    """
    path = Path(path)
    info = info or probe(path)
    if channel is not None and not 0 <= channel < info.channels:
        raise AudioReadError(f"channel {channel} of a {info.channels}-channel file", path=path)
    return (backends or BACKENDS).read(path, info, Request(start, end, channel, sample_rate, mono))


# -- the whole file at 16 kHz mono ----------------------------------------------------
def read_mono_16k(path: str | Path, info: AudioInfo | None = None, *,
                  channel: int | None = None) -> np.ndarray:
    """The whole file as 16 kHz mono int16 samples (see the module docstring).

    `channel`: only that channel (0-based, for one task per channel); by
    default all channels mixed down as ffmpeg's `-ac 1` does.
    """
    path = Path(path)
    info = info or probe(path)
    if channel is not None:
        if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)):
            raise ValueError(f"channel must be an integer, got {channel!r}")
        if not 0 <= channel < info.channels:
            raise ValueError(f"channel {channel} does not exist: {path.name} has "
                             f"{info.channels} channel{'s' if info.channels != 1 else ''} (0-based)")
        channel = None if info.channels == 1 else int(channel)
    request = Request(channel=channel, sample_rate=SAMPLE_RATE, mono=True)

    def job(backend: Backend) -> np.ndarray:
        if backend is WAV:
            return WAV.read_channel(path, info, channel or 0, _READ_CHUNK_FRAMES)
        if backend is SNDFILE:
            return SNDFILE.read(path, info, request).samples[:, 0]
        return _ffmpeg_mono_16k(path, info, channel)

    return BACKENDS.attempt(path, info, request, job)


def _ffmpeg_mono_16k(path: Path, info: AudioInfo, channel: int | None) -> np.ndarray:
    """Decode through ffmpeg into one preallocated array (grown only if the header lied).

    Files of two minutes or more are decoded as two halves by two ffmpeg
    processes at once (decoders such as MP3's use one core), each writing into
    its own part of the result.
    """
    estimate = int(math.ceil(info.duration * SAMPLE_RATE)) + SAMPLE_RATE // 10
    if info.duration < _PARALLEL_MIN_SECONDS:
        out = np.empty(estimate, dtype=np.int16)
        out, n = _ffmpeg_into(path, out, 0, None, None, None, channel)
        return _trim(out, n)
    middle = round(info.duration / 2, 2)                 # on a 10 ms frame boundary
    head = int(round(middle * SAMPLE_RATE))
    out = np.empty(estimate, dtype=np.int16)
    results: list[object] = [None, None]

    def first_half() -> None:
        try:
            # Samples past `middle` belong to the second half: read and dropped.
            results[0] = _ffmpeg_into(path, out, 0, head, None, middle, channel)[1]
        except BaseException as exc:  # re-raised in the caller's thread
            results[0] = exc

    thread = threading.Thread(target=first_half)
    thread.start()
    try:
        second = _ffmpeg_into(path, out, head, None, middle, None, channel)
    except BaseException as exc:
        thread.join()
        raise exc
    thread.join()
    if isinstance(results[0], BaseException):
        raise results[0]
    got_head = int(results[0])  # type: ignore[call-overload]
    grown, end = second
    if grown is not out:  # the second half outgrew the estimate: bring the first half over
        grown[:got_head] = out[:got_head]
        out = grown
    if got_head < head:  # the file is shorter than its header said: close the gap
        out[got_head:got_head + end - head] = out[head:end].copy()
        end = got_head + end - head
    return _trim(out, end)


def _trim(out: np.ndarray, n: int) -> np.ndarray:
    if n == 0:
        raise AudioReadError("ffmpeg decoded no audio samples")
    if len(out) - n > max(SAMPLE_RATE, n // 20):  # more than 1 s and 5 % spare: give it back
        return out[:n].copy()
    return out[:n]


def _ffmpeg_into(path: Path, out: np.ndarray, pos: int, limit: int | None,
                 start: float | None, length: float | None,
                 channel: int | None) -> tuple[np.ndarray, int]:
    """Run ffmpeg and write its 16 kHz mono s16le output (one `channel`, or all
    mixed down) into `out[pos:]`.

    Stops writing at index `limit` (the rest of the output is read and
    dropped); otherwise grows `out` when it is full. Returns the array (a new
    one if it grew) and the index after the last sample written.
    """
    end_byte = 2 * (limit if limit is not None else len(out))
    view = out.data.cast("B")
    filled = 2 * pos
    scratch = bytearray(1 << 16)
    try:
        with ffmpeg_s16le(path, channels=1, sample_rate=SAMPLE_RATE, start=start, length=length,
                          channel=channel, error=AudioReadError) as stream:
            while True:
                if filled < end_byte:
                    got = stream.readinto(view[filled:end_byte])
                elif limit is not None:
                    got = stream.readinto(scratch)   # past the limit: drain and drop
                    if got:
                        continue
                else:  # the header underestimated the duration: grow by half
                    grown = np.empty(len(out) + len(out) // 2 + SAMPLE_RATE, dtype=np.int16)
                    grown[: len(out)] = out
                    view.release()
                    out, view = grown, grown.data.cast("B")
                    end_byte = 2 * len(out)
                    continue
                if not got:
                    break
                filled += got
    finally:
        view.release()
    return out, filled // 2
