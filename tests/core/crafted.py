"""Small WAV files built in the test, with any header fields (honest or not)."""

from __future__ import annotations

import struct

import numpy as np


def wav_bytes(*, rate: int = 16000, channels: int = 1, bits: int = 16, tag: int = 1,
              frames: int = 1600, block_align: int | None = None, data_size: int | None = None,
              data: bytes | None = None, seed: int = 0) -> bytes:
    """A RIFF/WAVE file; every field of the fmt chunk and the data size may lie."""
    align = block_align if block_align is not None else channels * ((bits + 7) // 8)
    if data is None:
        # a tone whose pitch depends on the seed: distinct seeds give distinct files
        t = np.arange(frames * max(channels, 1)) / 16000
        tone = (np.sin(2 * np.pi * (220 + 7 * seed) * t) * 12000).astype("<i2")
        data = tone.tobytes()[: frames * align] if align else b""
    fmt = struct.pack("<HHIIHH", tag & 0xFFFF, channels & 0xFFFF, rate & 0xFFFFFFFF,
                      (rate * align) & 0xFFFFFFFF, align & 0xFFFF, bits & 0xFFFF)
    size = len(data) if data_size is None else data_size
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"data" + struct.pack("<I", size & 0xFFFFFFFF) + data)
    return b"RIFF" + struct.pack("<I", len(body) & 0xFFFFFFFF) + body


def load_tasks(store, tmp_path, tasks: list[dict], dataset: str = "d", name: str = "in") -> list[int]:
    """Load `tasks` through a JSONL file into `dataset`; every one must be added. Their ids."""
    import json

    from earmark.loading.loader import load_sources
    source = tmp_path / f"{name}.jsonl"
    source.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    report = load_sources(store, dataset, [source])
    assert report.failures == [] and report.added == len(tasks), (report.failures, report.added)
    return report.task_ids
