"""Windows of a media file, one channel or all, as WAV bytes for the browser.

A segment task plays only its window of the parent file, and a task made by
`--split-channels` only its channel; neither is copied on disk. WAV windows
are cut from the file's bytes; other formats go through ffmpeg. Recent clips
are kept in a small cache, since a page reruns often.
"""

from __future__ import annotations

import math
import struct
import subprocess
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from earmark.db.media import MediaInfo
from earmark.audio.probe import probe

MAX_CLIP_SECONDS = 30 * 60
#: A clip is built in memory: at most this many bytes of 16-bit samples (30 minutes
#: of 48 kHz stereo fit), whatever sample rate and channel count a header claims.
MAX_CLIP_BYTES = 384 << 20
#: WAV windows are read and converted this many frames at a time.
_BLOCK_FRAMES = 1 << 18
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
    frame_bytes = dtype.itemsize * info.channels
    available = (info.data_size or 0) // frame_bytes
    # the nearest frame: 0.071 * 48000 is 3407.999... as a float, and truncated it
    # would start the window a frame early
    first = min(round(start * info.sample_rate), available)
    last = min(round(end * info.sample_rate), available)
    pieces = []
    # Read and converted a block at a time: 32-bit samples never sit whole in memory
    # beside their 16-bit copy.
    with open(media.path, "rb") as fh:
        fh.seek(info.data_offset + first * frame_bytes)  # type: ignore[operator]
        for at in range(first, last, _BLOCK_FRAMES):
            raw = fh.read(min(_BLOCK_FRAMES, last - at) * frame_bytes)
            raw = raw[: len(raw) - len(raw) % frame_bytes]
            if not raw:
                break
            frames = np.frombuffer(raw, dtype=dtype).reshape(-1, info.channels)
            if channel is not None:
                frames = frames[:, channel:channel + 1]
            if dtype.kind == "f":
                frames = (np.clip(frames, -1, 1) * 32767).astype("<i2")
            elif dtype.itemsize == 4:
                frames = (frames >> 16).astype("<i2")
            pieces.append(np.ascontiguousarray(frames).tobytes())
    width = 1 if dtype.itemsize == 1 else 2
    return _wav_bytes(pieces, 1 if channel is not None else info.channels, width, info.sample_rate)


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
    return _wav_bytes([done.stdout], channels, 2, rate)


def _wav_bytes(pcm: list[bytes], channels: int, sample_width: int, rate: int) -> bytes:
    """A PCM WAV file of the sample bytes `pcm` (joined once, with its 44-byte header)."""
    size = sum(len(p) for p in pcm)
    block = channels * sample_width
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + size, b"WAVE", b"fmt ", 16, 1, channels,
                         rate, rate * block, block, 8 * sample_width, b"data", size)
    return b"".join([header, *pcm])
