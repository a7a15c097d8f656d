"""Windows of a media file, one channel or all, as WAV bytes for the browser.

A segment task plays only its window of the parent file, and a task made by
`--split-channels` only its channel; neither is copied on disk. The window is
read through `earmark.audio.reader` (a WAV's bytes directly, MP3, FLAC and Ogg
by libsndfile, the rest by ffmpeg) and written as 16-bit PCM WAV. Recent clips
are kept in a small cache, since a page reruns often.
"""

from __future__ import annotations

import math
import struct
import threading
from collections import OrderedDict

import numpy as np

from earmark.db.media import MediaInfo
from earmark.audio.probe import AudioInfo, probe
from earmark.audio.reader import AudioReadError, read

MAX_CLIP_SECONDS = 30 * 60
#: A clip is built in memory: at most this many bytes of 16-bit samples (30 minutes
#: of 48 kHz stereo fit), whatever sample rate and channel count a header claims.
MAX_CLIP_BYTES = 384 << 20
_CACHE_BYTES = 256 << 20
_cache: OrderedDict[tuple, bytes] = OrderedDict()
_cache_lock = threading.Lock()


class ClipError(ValueError):
    """A window that cannot be cut; the message says why."""


def clip_wav(media: MediaInfo, start: float, end: float, channel: int | None = None) -> bytes:
    """The window [start, end) of `media` (one channel, or all) as a WAV file."""
    duration = media.duration or 0.0
    start, end = float(start), float(end)
    if not (math.isfinite(start) and math.isfinite(end)):
        raise ClipError(f"start and end must be finite numbers of seconds, not {start!r} and {end!r}")
    start, end = max(0.0, start), min(duration, end)
    if not end > start:
        raise ClipError(f"empty window {start:.3f}-{end:.3f} s of a {duration:.3f} s file")
    if end - start > MAX_CLIP_SECONDS:
        raise ClipError(f"windows are at most {MAX_CLIP_SECONDS // 60} minutes; "
                        "cut long recordings into segments at load (--segment)")
    channels = media.channels or 1
    if channel is not None and not 0 <= channel < channels:
        raise ClipError(f"channel {channel} of a {channels}-channel file")
    rate = media.sample_rate or 44100
    out_channels = 1 if channel is not None else channels
    if rate * out_channels * 2 > 0xFFFFFFFF:
        raise ClipError(f"{out_channels} channel(s) at {rate} Hz cannot be written as WAV "
                        "(the header's byte rate overflows)")
    size = (end - start) * rate * out_channels * 2
    if size > MAX_CLIP_BYTES:
        raise ClipError(f"a {end - start:.3f} s window of {out_channels} channel(s) at {rate} Hz "
                        f"would be {size / 2**20:,.0f} MiB; clips are at most {MAX_CLIP_BYTES >> 20} MiB")
    key = (media.id, round(start, 3), round(end, 3), channel)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    data = _cut(media, start, end, channel)
    with _cache_lock:
        _cache[key] = data
        while sum(len(v) for v in _cache.values()) > _CACHE_BYTES and len(_cache) > 1:
            _cache.popitem(last=False)
    return data


def _cut(media: MediaInfo, start: float, end: float, channel: int | None) -> bytes:
    # A WAV's header says where its samples are; other formats are described by the media row.
    info = probe(media.path) if media.format == "wav" else AudioInfo(
        format=media.format or "", duration=media.duration or 0.0,
        sample_rate=media.sample_rate or 44100, channels=media.channels or 1)
    try:
        audio = read(media.path, start, end, channel=channel, sample_rate=info.sample_rate, info=info)
    except AudioReadError as exc:
        raise ClipError(str(exc)) from exc   # names the file and why
    return wav_bytes(audio.samples, audio.sample_rate)


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """int16 frames (frames, channels) as a PCM WAV file (the samples copied once, into it)."""
    pcm = np.ascontiguousarray(samples, dtype="<i2").reshape(-1).data.cast("B")
    return _wav_bytes([pcm], samples.shape[1], 2, rate)


def _wav_bytes(pcm: list, channels: int, sample_width: int, rate: int) -> bytes:
    """A PCM WAV file of the sample bytes `pcm` (joined once, with its 44-byte header)."""
    size = sum(len(p) for p in pcm)
    block = channels * sample_width
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + size, b"WAVE", b"fmt ", 16, 1, channels,
                         rate, rate * block, block, 8 * sample_width, b"data", size)
    return b"".join([header, *pcm])
