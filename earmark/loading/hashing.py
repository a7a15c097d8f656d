"""Stable task hashes, as Prodigy's `_input_hash` and `_task_hash`.

The input hash identifies what is annotated (the audio, its window and
channel, any text); the task hash adds what was proposed on it
(pre-annotated regions, transcript, label options). Both are integers kept
within JavaScript's safe range (53 bits) so that a browser reads them exactly;
64-bit-wide inputs keep collisions negligible where 32-bit ones would collide
within a few tens of thousands of tasks.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

INPUT_KEYS = ("segment", "text")
TASK_KEYS = ("audio_spans", "transcript", "spans", "options", "label")


def stable_hash(value: Any) -> int:
    payload = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.blake2b(payload.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 11  # 53 bits


def input_hash(task: dict, media_id: str | None) -> int:
    """Hash of the input: the audio's content (or URL), window, channel, text."""
    identity = {"audio": media_id or task.get("audio") or task.get("path")}
    for key in INPUT_KEYS:
        if task.get(key) is not None:
            identity[key] = task[key]
    channel = (task.get("meta") or {}).get("channel")
    if channel is not None:
        identity["channel"] = channel
    return stable_hash(identity)


def task_hash(task: dict, input_hash_value: int) -> int:
    """Hash of the input plus what was proposed on it."""
    proposal = {key: task[key] for key in TASK_KEYS if task.get(key) is not None}
    return stable_hash({"input": input_hash_value, **proposal})
