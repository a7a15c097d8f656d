"""Sample values: the one full scale, and conversions between WAV encodings, int16 and float.

`FULL_SCALE` is 32768, the magnitude of int16's most negative value: 0 dBFS
(as pydub's `max_possible_amplitude`), int16 to float is `x / FULL_SCALE`, and
float to int16 is `x * FULL_SCALE` rounded and clipped, as ffmpeg and
libsndfile convert. One conversion keeps an older rule: float WAV samples read
as int16 are `x * (FULL_SCALE - 1)` truncated toward zero, so a float WAV's
+1.0 and -1.0 read as +-32767 (the waveform peaks, segmentation and the
browser's clips have always read them so).
"""

from __future__ import annotations

import numpy as np

FULL_SCALE = 32768
#: Float WAV samples become int16 by this factor, truncated (see the module docstring).
FLOAT_WAV_SCALE = FULL_SCALE - 1


def to_int16(block: np.ndarray) -> np.ndarray:
    """WAV samples of any PCM or float encoding numpy reads (not 24-bit) as int16."""
    kind, size = block.dtype.kind, block.dtype.itemsize
    if kind == "f":
        return (np.clip(block, -1.0, 1.0) * FLOAT_WAV_SCALE).astype(np.int16)
    if kind == "u":  # 8-bit PCM is unsigned, centred on 128
        return ((block.astype(np.int16) - 128) << 8).astype(np.int16)
    if size == 2:
        return block.astype(np.int16, copy=False)
    return (block >> (8 * size - 16)).astype(np.int16)


def int24_to_int16(raw: np.ndarray) -> np.ndarray:
    # The top two bytes of each little-endian 24-bit sample are its 16-bit value.
    triples = np.asarray(raw).reshape(-1, 3)
    return triples[:, 1:3].copy().view("<i2").reshape(-1)


def float_to_int16(block: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as int16 the way ffmpeg converts them: x FULL_SCALE, rounded, clipped."""
    return np.clip(np.rint(block * float(FULL_SCALE)), -FULL_SCALE, FULL_SCALE - 1).astype(np.int16)


def int16_to_float(block: np.ndarray) -> np.ndarray:
    return block.astype(np.float32) / float(FULL_SCALE)


def wav_to_float(raw: bytes, encoding: str) -> np.ndarray:
    """WAV sample bytes (`AudioInfo.wav_encoding`) as float32 in [-1, 1]."""
    if encoding == "int24":
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return (value / float(1 << 23)).astype(np.float32)
    samples = np.frombuffer(raw, dtype=np.dtype(encoding))
    if samples.dtype.kind == "f":
        return samples.astype(np.float32)
    if samples.dtype.kind == "u":  # 8-bit PCM is unsigned, centred on 128
        return ((samples.astype(np.float32) - 128.0) / 128.0)
    return samples.astype(np.float32) / float(1 << (8 * samples.dtype.itemsize - 1))
