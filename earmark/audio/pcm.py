"""Raw PCM: sample conversions, and ffmpeg decoding to 16-bit PCM on a pipe.

Shared by the peaks (per-channel, native rate) and the 16 kHz mono reader
of segmentation and speech detection.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

FULL_SCALE = 32767


def to_int16(block: np.ndarray) -> np.ndarray:
    kind, size = block.dtype.kind, block.dtype.itemsize
    if kind == "f":
        return (np.clip(block, -1.0, 1.0) * FULL_SCALE).astype(np.int16)
    if kind == "u":  # 8-bit PCM is unsigned, centred on 128
        return ((block.astype(np.int16) - 128) << 8).astype(np.int16)
    if size == 2:
        return block.astype(np.int16, copy=False)
    return (block >> (8 * size - 16)).astype(np.int16)


def int24_to_int16(raw: np.ndarray) -> np.ndarray:
    # The top two bytes of each little-endian 24-bit sample are its 16-bit value.
    triples = np.asarray(raw).reshape(-1, 3)
    return triples[:, 1:3].copy().view("<i2").reshape(-1)


def widen_pipe(stream) -> None:
    """Ask Linux for a 1 MiB pipe (64 kB by default): fewer wake-ups per second of audio."""
    try:
        import fcntl
        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError, ValueError):
        pass  # not Linux, or a lower limit: the default pipe works too



@contextmanager
def ffmpeg_s16le(path: str | Path, *, channels: int, sample_rate: int, start: float | None = None,
                 length: float | None = None, channel: int | None = None,
                 error: type[Exception] = RuntimeError) -> Iterator[BinaryIO]:
    """ffmpeg decoding `path` (from `start`, for `length` seconds) to s16le at
    `sample_rate` with `channels` channels (or one `channel` of it); yields
    its unbuffered output. A failed decode raises `error` naming the file."""
    path = Path(path)
    cmd = ["ffmpeg", "-nostdin", "-v", "error"]
    if start is not None:
        cmd += ["-ss", f"{start:.6f}"]
    cmd += ["-i", str(path)]
    if length is not None:
        cmd += ["-t", f"{length:.6f}"]
    cmd += ["-map", "0:a:0", "-vn", "-sn", "-dn"]
    if channel is not None:
        cmd += ["-af", f"pan=mono|c0=c{int(channel)}"]
    cmd += ["-f", "s16le", "-acodec", "pcm_s16le", "-ac", str(channels), "-ar", str(sample_rate), "pipe:1"]
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    except FileNotFoundError as exc:
        raise error("ffmpeg is not installed") from exc
    widen_pipe(proc.stdout)
    stderr: list[bytes] = []
    err_reader = threading.Thread(target=lambda: stderr.append(proc.stderr.read()))  # type: ignore[union-attr]
    err_reader.start()
    assert proc.stdout is not None
    try:
        yield proc.stdout
    except BaseException:
        proc.kill()   # never leave ffmpeg blocked on a full pipe
        raise
    finally:
        code = proc.wait()
        err_reader.join()
    if code != 0:
        message = b"".join(stderr).decode("utf-8", "replace").strip().splitlines()
        raise error(f"ffmpeg could not decode {path.name}: {message[-1] if message else code}")
