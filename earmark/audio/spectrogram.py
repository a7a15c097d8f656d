"""Spectrogram images of a time window of an audio file, for the waveform's spectrogram lane.

`spectrogram_png` draws [start, end] seconds of a file as a PNG: x is time
(one FFT frame per column, centred on the column's time), y is frequency from
0 (bottom) to `max_freq` (top), the colour the level in dB within a fixed
range below the window's loudest point, through a perceptual colour map.

The cost does not grow with the window: a column needs only the samples of
its own frame, so a fit-to-window image of an hour reads width x window
samples, not the hour. Nor does it grow with the sample rate: a frame is at
most `MAX_WINDOW_SAMPLES` samples (a shorter time at rates above 341 kHz) and
the FFTs run a block of columns at a time, so the work and the memory of one
image are bounded by its width and height whatever the file's header claims.

Frames come through the reader's backends (`earmark.audio.reader.BACKENDS`),
tried in order:

- WAV is read by offset (no decoding): one read per column, or one read of
  the whole window when it is short.
- MP3, FLAC and Ogg are read through libsndfile (the soundfile package),
  which seeks to the exact sample: one seek and one short decode per column,
  on two threads (the C decoder runs without the GIL).
- Everything else (AAC/M4A, WebM, what libsndfile declines) is decoded by
  ffmpeg from `start` to `end`, streamed, keeping only the frames needed; a
  long window is decoded at a lower rate, just enough for `max_freq`. For
  these formats alone the cost grows with the window.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from earmark.audio.probe import AudioInfo
from earmark.audio.reader import BACKENDS, SNDFILE, WAV, AudioReadError, Request, ffmpeg_s16le
from earmark.audio.samples import int16_to_float

MAX_WIDTH, MAX_HEIGHT = 4096, 1024
#: Files with more channels are not drawn: every frame read holds all of them.
MAX_CHANNELS = 256
#: Levels shown: this many dB below the window's loudest bin map to the darkest colour.
DYNAMIC_RANGE_DB = 70.0
#: A window whose loudest bin is below this (dBFS) is shown dark, not stretched to the full range.
SILENCE_DB = -100.0
#: +6 dB per octave above 1 kHz (and less below), as Praat does by default: speech
#: loses about that much per octave, so F2 and F3 show as clearly as F1. (The tilt
#: moves the top of a low, wide-band peak up a little: 20 Hz at 1 kHz, 45 Hz at 440 Hz.)
PRE_EMPHASIS_DB_PER_OCTAVE = 6.0
#: Wide-band analysis: a 6 ms Hann window has a bandwidth (about 240 Hz at -3 dB)
#: wider than the spacing of voice harmonics, so the formants show as dark bands
#: and every glottal pulse as a striation, as in Praat's default (broad-band)
#: spectrogram; a longer window would smear consonant onsets in time.
WINDOW_SECONDS = 0.006
#: At most this many samples in a frame: 6 ms up to 341 kHz, shorter above, so
#: one column's cost never follows a sample rate (a header may claim 2 GHz).
MAX_WINDOW_SAMPLES = 2048
#: FFT'd a block at a time: at most this many spectrum values held at once.
_FFT_BLOCK_VALUES = 1 << 21
#: Frames read as one contiguous span when they fit in this many samples (frames
#: times channels): one read or one decode is then cheaper than a seek per column.
_CONTIGUOUS_MAX_FRAMES = 1 << 21
#: Windows longer than this, decoded by ffmpeg, are decoded at a lower rate.
_FFMPEG_FULL_RATE_SECONDS = 60.0
_FFMPEG_RATES = (8000, 11025, 16000, 22050, 32000, 44100, 48000)
#: ffmpeg never decodes faster than this (the top of the image follows).
_FFMPEG_MAX_RATE = 192000
_SNDFILE_MIN_COLUMNS_PER_THREAD = 64
# Where a window may reach past the end (a header's duration can be an estimate).
_END_TOLERANCE_S = 1.0

# magma (matplotlib, CC0), at nine evenly spaced points from dark to light
_MAGMA = ("#000004", "#1c1044", "#4f127b", "#812581", "#b5367a", "#e55064", "#fb8761", "#fec287", "#fcfdbf")


class SpectrogramError(ValueError):
    """A spectrogram that cannot be drawn (bad window, size, channel or file); the message says why."""


def _palette() -> list[int]:
    points = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in _MAGMA], dtype=float)
    where = np.linspace(0, 1, len(points))
    levels = np.linspace(0, 1, 256)
    lut = np.stack([np.interp(levels, where, points[:, k]) for k in range(3)], axis=1)
    return np.rint(lut).astype(np.uint8).reshape(-1).tolist()


_PALETTE = _palette()


@dataclass(frozen=True)
class Spectrogram:
    levels: np.ndarray   # uint8 (height, width): colour index, row 0 = max_freq
    max_freq: float      # Hz at the top edge

    def png(self) -> bytes:
        from PIL import Image  # Streamlit's own dependency; loaded only when drawing
        image = Image.fromarray(self.levels, mode="L")
        image = image.convert("P")
        image.putpalette(_PALETTE)
        out = io.BytesIO()
        image.save(out, format="PNG", compress_level=3)  # fast; palette PNGs are small anyway
        return out.getvalue()


def spectrogram_png(path: str | Path, info: AudioInfo, start: float, end: float, width: int, height: int,
                    *, channel: int | None = None, max_freq: float | None = None) -> bytes:
    """A PNG of [start, end] seconds of `path` (see the module docstring).

    `channel` None mixes the channels, an int draws that one; `max_freq`
    (Hz, top of the image) defaults to and is capped at the file's Nyquist
    frequency. Raises `SpectrogramError` for a window outside the file, a
    size outside 1..4096 x 1..1024, a channel the file does not have, or a
    file that cannot be read.
    """
    return spectrogram(path, info, start, end, width, height, channel=channel, max_freq=max_freq).png()


def effective_max_freq(info: AudioInfo, max_freq: float | None) -> float:
    """The frequency at the top of the image: the one asked for, at most the Nyquist frequency."""
    nyquist = info.sample_rate / 2
    if max_freq is None:
        return nyquist
    if not (math.isfinite(max_freq) and max_freq > 0):
        raise SpectrogramError(f"max_freq must be a positive number of Hz, not {max_freq!r}")
    return min(float(max_freq), nyquist)


def spectrogram(path: str | Path, info: AudioInfo, start: float, end: float, width: int, height: int,
                *, channel: int | None = None, max_freq: float | None = None) -> Spectrogram:
    """The image of `spectrogram_png` as colour indices, before encoding."""
    _check(info, start, end, width, height, channel)
    top = effective_max_freq(info, max_freq)
    centres_s = start + (np.arange(width) + 0.5) * ((end - start) / width)
    frames, rate = _read_frames(Path(path), info, centres_s, end - start, channel, top)
    top = min(top, rate / 2)   # ffmpeg may have decoded at a lower rate than the file's
    db = _spectrum_db(frames, rate, top, height)
    peak = max(float(db.max()), SILENCE_DB + DYNAMIC_RANGE_DB)
    db -= peak - DYNAMIC_RANGE_DB           # in place: the image's only full-size float array
    db *= 255.0 / DYNAMIC_RANGE_DB
    levels = np.clip(np.rint(db, out=db), 0, 255, out=db).astype(np.uint8)   # (width, height), low freq first
    return Spectrogram(levels=np.ascontiguousarray(levels.T[::-1]), max_freq=top)


def _check(info: AudioInfo, start: float, end: float, width: int, height: int, channel: int | None) -> None:
    if not (isinstance(width, int) and isinstance(height, int)):
        raise SpectrogramError("width and height must be whole numbers of pixels")
    if not (1 <= width <= MAX_WIDTH and 1 <= height <= MAX_HEIGHT):
        raise SpectrogramError(f"the image must be 1..{MAX_WIDTH} x 1..{MAX_HEIGHT} pixels, "
                               f"not {width} x {height}")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise SpectrogramError("start and end must be finite numbers of seconds")
    if start < 0 or start >= info.duration:
        raise SpectrogramError(f"start {start:.3f} s is outside the file (0 to {info.duration:.3f} s)")
    if end <= start:
        raise SpectrogramError(f"end {end:.3f} s is not after start {start:.3f} s")
    if end > info.duration + _END_TOLERANCE_S:
        raise SpectrogramError(f"end {end:.3f} s is past the end of the file ({info.duration:.3f} s)")
    if channel is not None and not (isinstance(channel, int) and 0 <= channel < info.channels):
        raise SpectrogramError(f"channel {channel!r} of a file with {info.channels} channel(s)")
    if info.channels > MAX_CHANNELS:
        raise SpectrogramError(f"a file of {info.channels} channels is not drawn "
                               f"(at most {MAX_CHANNELS})")


# -- the spectrum ---------------------------------------------------------------
def window_length(sample_rate: int) -> int:
    """Samples in one analysis frame (WINDOW_SECONDS, at least 16, at most MAX_WINDOW_SAMPLES)."""
    return min(MAX_WINDOW_SAMPLES, max(16, int(round(WINDOW_SECONDS * sample_rate))))


def fft_size(sample_rate: int) -> int:
    """The FFT size: the frame zero-padded to twice the next power of two, so the
    frequency axis is sampled finely enough to draw smooth formant bands."""
    return 2 << (window_length(sample_rate) - 1).bit_length()


def _spectrum_db(frames: np.ndarray, rate: int, top: float, height: int) -> np.ndarray:
    """Level in dBFS (a full-scale sine reads 0) of `height` frequency rows per frame.

    A block of frames at a time, so that the spectra held at once stay small
    (`_FFT_BLOCK_VALUES`) however wide the image.
    """
    block = max(1, _FFT_BLOCK_VALUES // fft_size(rate))
    out = np.empty((len(frames), height), dtype=np.float32)
    for i in range(0, len(frames), block):
        out[i:i + block] = _block_db(frames[i:i + block], rate, top, height)
    return out


def _block_db(frames: np.ndarray, rate: int, top: float, height: int) -> np.ndarray:
    win = frames.shape[1]
    n_fft = fft_size(rate)
    taper = np.hanning(win + 2)[1:-1].astype(np.float32)  # no zero ends: every sample counts
    spectrum = np.fft.rfft(frames * taper, n=n_fft, axis=1)
    power = spectrum.real ** 2 + spectrum.imag ** 2
    power *= (2.0 / taper.sum()) ** 2
    bin_hz = rate / n_fft
    freqs = np.arange(power.shape[1]) * bin_hz
    emphasis = (PRE_EMPHASIS_DB_PER_OCTAVE
                * np.log2(np.maximum(freqs, bin_hz / 2) / 1000.0)).astype(np.float32)
    db = 10.0 * np.log10(power + 1e-20) + emphasis
    # Row j (from the bottom) covers [j, j + 1) * top / height Hz.
    edges = np.arange(height + 1) * (top / height) / bin_hz       # in bins
    if edges[1] - edges[0] >= 1.0:
        # rows coarser than bins: the loudest bin of each row, so no narrow line is lost
        first = np.minimum(np.ceil(edges[:-1]).astype(int), db.shape[1] - 1)
        return np.maximum.reduceat(db[:, : int(np.ceil(edges[-1])) + 1], first, axis=1)[:, :height]
    centre = np.minimum((edges[:-1] + edges[1:]) / 2, db.shape[1] - 1.0)
    lo = np.minimum(np.floor(centre).astype(int), db.shape[1] - 2)
    frac = (centre - lo).astype(np.float32)
    return db[:, lo] * (1 - frac) + db[:, lo + 1] * frac


# -- reading the frames -------------------------------------------------------
class _Source(Protocol):
    sample_rate: int

    def read(self, first: int, count: int) -> np.ndarray:
        """`count` frames from frame `first`, (count, channels) float32; zeros outside the file."""


def _read_frames(path: Path, info: AudioInfo, centres_s: np.ndarray, span_s: float,
                 channel: int | None, top: float) -> tuple[np.ndarray, int]:
    """One analysis frame per column, (columns, window) float32 mono, and their sample rate."""
    def job(backend) -> tuple[np.ndarray, int]:
        if backend is WAV:
            return _frames_from_source(lambda: WAV.frames(path, info), info.sample_rate, info.channels,
                                       centres_s, channel, threads=1), info.sample_rate
        if backend is SNDFILE:
            return _frames_from_source(lambda: SNDFILE.frames(path), info.sample_rate, info.channels,
                                       centres_s, channel, threads=2), info.sample_rate
        return _frames_from_ffmpeg(path, info, centres_s, span_s, channel, top)

    # at the file's own rate (libsndfile declines a file whose rate it sees otherwise);
    # only ffmpeg may then decode at a lower one
    try:
        return BACKENDS.attempt(path, info, Request(sample_rate=info.sample_rate), job)
    except AudioReadError as exc:
        raise SpectrogramError(str(exc)) from exc


def _frames_from_source(open_source: Callable[[], _Source], rate: int, channels: int,
                        centres_s: np.ndarray, channel: int | None, threads: int) -> np.ndarray:
    win = window_length(rate)
    starts = np.rint(centres_s * rate).astype(np.int64) - win // 2
    first, last = int(starts[0]), int(starts[-1]) + win
    if len(starts) < 2 or (last - first) * channels <= max(_CONTIGUOUS_MAX_FRAMES, win * len(starts)):
        # a short window: one read of the whole span, and overlapping frames cut from it
        # (a strided view of the span, copied once: no index array of width x window)
        with _opened(open_source) as source:
            span = _mono(source.read(first, last - first), channel)
        return np.lib.stride_tricks.sliding_window_view(span, win)[starts - first]
    # a long window: one short read per column, on `threads` readers
    out = np.empty((len(starts), win), dtype=np.float32)

    def read_columns(columns: range) -> None:
        with _opened(open_source) as source:
            for i in columns:
                out[i] = _mono(source.read(int(starts[i]), win), channel)

    parts = max(1, min(threads, len(starts) // _SNDFILE_MIN_COLUMNS_PER_THREAD))
    _in_threads([range(k, len(starts), parts) for k in range(parts)], read_columns)
    return out


@contextmanager
def _opened(open_source: Callable[[], _Source]) -> Iterator[_Source]:
    source = open_source()
    try:
        yield source
    finally:
        close = getattr(source, "close", None)
        if close:
            close()


def _in_threads(jobs: list[range], work: Callable[[range], None]) -> None:
    if len(jobs) == 1:
        work(jobs[0])
        return
    errors: list[BaseException] = []

    def run(job: range) -> None:
        try:
            work(job)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _mono(block: np.ndarray, channel: int | None) -> np.ndarray:
    if channel is not None:
        return block[:, channel]
    return block[:, 0] if block.shape[1] == 1 else block.mean(axis=1)


def _frames_from_ffmpeg(path: Path, info: AudioInfo, centres_s: np.ndarray, span_s: float,
                        channel: int | None, top: float) -> tuple[np.ndarray, int]:
    """Decode [first frame, last frame] with ffmpeg (mono, or the one channel), keeping only the frames."""
    rate = min(info.sample_rate, _FFMPEG_MAX_RATE)
    if span_s > _FFMPEG_FULL_RATE_SECONDS:
        # a long window: the lowest common rate that still holds max_freq (less to convert and pipe)
        rate = min(rate, next((r for r in _FFMPEG_RATES if r >= 2 * top), rate))
    win = window_length(rate)
    starts = np.rint(centres_s * rate).astype(np.int64) - win // 2
    begin = max(0, int(starts[0]))
    out = np.zeros((len(starts), win), dtype=np.float32)
    pending = 0                                       # the first column not yet filled
    buffer = np.empty(0, dtype=np.float32)            # decoded samples from frame `buffer_at`
    buffer_at = begin
    length = (int(starts[-1]) + win - begin) / rate
    with ffmpeg_s16le(path, channels=1, sample_rate=rate, start=begin / rate, length=length,
                      channel=channel, error=SpectrogramError) as stream:
        carry = b""
        while pending < len(starts):
            chunk = stream.read(1 << 18)
            if not chunk:
                break
            chunk, carry = carry + chunk, b""
            if len(chunk) % 2:
                chunk, carry = chunk[:-1], chunk[-1:]
            buffer = np.concatenate([buffer, int16_to_float(np.frombuffer(chunk, dtype="<i2"))])
            end = buffer_at + len(buffer)
            while pending < len(starts) and starts[pending] + win <= end:
                out[pending] = _cut(buffer, buffer_at, int(starts[pending]), win)
                pending += 1
            keep_from = int(starts[pending]) if pending < len(starts) else end
            drop = max(0, min(len(buffer), keep_from - buffer_at))
            buffer, buffer_at = buffer[drop:], buffer_at + drop
        for i in range(pending, len(starts)):        # the file ended first: the rest is silence
            out[i] = _cut(buffer, buffer_at, int(starts[i]), win)
        while stream.read(1 << 18):                  # ffmpeg must not block on a full pipe
            pass
    return out, rate


def _cut(buffer: np.ndarray, buffer_at: int, first: int, count: int) -> np.ndarray:
    """`count` samples from absolute frame `first` of what is buffered; zeros where nothing is."""
    out = np.zeros(count, dtype=np.float32)
    a, b = max(first, buffer_at), min(first + count, buffer_at + len(buffer))
    if b > a:
        out[a - first:b - first] = buffer[a - buffer_at:b - buffer_at]
    return out
