"""A WAV file's length read from its header by hand: frames = data bytes / block
align, duration = frames / rate. The known answer for what Earmark probes."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WavHeader:
    rate: int
    channels: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.rate


def wav_header(path: Path) -> WavHeader:
    data = Path(path).read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", path
    at, fmt, size = 12, None, None
    while at + 8 <= len(data):
        chunk, length = struct.unpack("<4sI", data[at:at + 8])
        if chunk == b"fmt ":
            fmt = struct.unpack("<HHIIHH", data[at + 8:at + 24])
        elif chunk == b"data":
            size = min(length, len(data) - at - 8)
            break
        at += 8 + length + (length & 1)
    assert fmt is not None and size is not None, f"{path}: no fmt or data chunk"
    _, channels, rate, _, block_align, _ = fmt
    return WavHeader(rate=rate, channels=channels, frames=size // block_align)
