"""Windows of a media file, one channel or all, as WAV bytes for the browser.

A segment task plays only its window of the parent file, and a task made by
`--split-channels` only its channel; neither is copied on disk. WAV windows
are cut from the file's bytes; other formats go through ffmpeg. Recent clips
are kept in a small cache, since a page reruns often.
"""

from __future__ import annotations

import io
import subprocess
import threading
import wave
from collections import OrderedDict
from pathlib import Path

import numpy as np

from earmark.media import MediaInfo
from earmark.probe import probe

MAX_CLIP_SECONDS = 30 * 60
_CACHE_BYTES = 256 << 20
_cache: OrderedDict[tuple, bytes] = OrderedDict()
_cache_lock = threading.Lock()


class ClipError(ValueError):
    """A window that cannot be cut; the message says why."""


def clip_wav(media: MediaInfo, start: float, end: float, channel: int | None = None) -> bytes:
    """The window [start, end) of `media` (one channel, or all) as a WAV file."""
    duration = media.duration or 0.0
    start, end = max(0.0, float(start)), min(duration, float(end))
    if not end > start:
        raise ClipError(f"empty window {start:.3f}-{end:.3f} s of a {duration:.3f} s file")
    if end - start > MAX_CLIP_SECONDS:
        raise ClipError(f"windows are at most {MAX_CLIP_SECONDS // 60} minutes; "
                        "cut long recordings into segments at load (--segment)")
    channels = media.channels or 1
    if channel is not None and not 0 <= channel < channels:
        raise ClipError(f"channel {channel} of a {channels}-channel file")
    key = (media.id, round(start, 3), round(end, 3), channel)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    data = _cut_wav(media, start, end, channel) if media.format == "wav" else None
    if data is None:
        data = _cut_ffmpeg(media, start, end, channel)
    with _cache_lock:
        _cache[key] = data
        while sum(len(v) for v in _cache.values()) > _CACHE_BYTES and len(_cache) > 1:
            _cache.popitem(last=False)
    return data


def _cut_wav(media: MediaInfo, start: float, end: float, channel: int | None) -> bytes | None:
    info = probe(media.path)
    if info.wav_encoding not in ("<i2", "u1", "<i4", "<f4"):
        return None  # 24-bit, 64-bit float: let ffmpeg convert them
    dtype = np.dtype(info.wav_encoding)
    first, last = int(start * info.sample_rate), int(end * info.sample_rate)
    frame_bytes = dtype.itemsize * info.channels
    with open(media.path, "rb") as fh:
        fh.seek(info.data_offset + first * frame_bytes)  # type: ignore[operator]
        frames = np.fromfile(fh, dtype=dtype, count=(last - first) * info.channels)
    frames = frames.reshape(-1, info.channels)
    if channel is not None:
        frames = frames[:, channel:channel + 1]
    if dtype.kind == "f":
        frames = (np.clip(frames, -1, 1) * 32767).astype("<i2")
    elif dtype.itemsize == 4:
        frames = (frames >> 16).astype("<i2")
    return _wav_bytes(np.ascontiguousarray(frames).tobytes(), frames.shape[1], frames.dtype.itemsize,
                      info.sample_rate)


def _cut_ffmpeg(media: MediaInfo, start: float, end: float, channel: int | None) -> bytes:
    # Raw PCM from ffmpeg, wrapped here: a WAV written to a pipe keeps
    # placeholder sizes in its header (ffmpeg cannot seek back to fill them).
    rate, channels = media.sample_rate or 44100, 1 if channel is not None else (media.channels or 1)
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-ss", f"{start:.3f}", "-t", f"{end - start:.3f}",
           "-i", str(Path(media.path)), "-map", "0:a:0", "-vn"]
    if channel is not None:
        cmd += ["-af", f"pan=mono|c0=c{channel}"]
    cmd += ["-ac", str(channels), "-ar", str(rate), "-f", "s16le", "pipe:1"]
    done = subprocess.run(cmd, capture_output=True)
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ClipError(f"ffmpeg could not cut {Path(media.path).name}: {reason[-1] if reason else done.returncode}")
    return _wav_bytes(done.stdout, channels, 2, rate)


def _wav_bytes(pcm: bytes, channels: int, sample_width: int, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(sample_width)
        w.setframerate(rate)
        w.writeframes(pcm)
    return out.getvalue()
