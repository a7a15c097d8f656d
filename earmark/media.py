"""Media files: each audio file is registered once, under its content hash.

The hash makes the same recording found under two paths, or uploaded twice,
one media row, and names the file that base64 or uploaded audio is written to.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from earmark.probe import AudioInfo, probe

if TYPE_CHECKING:
    from earmark.store import Store

_HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class MediaInfo:
    id: str            # content hash, hex
    path: str          # absolute path on the server
    format: str
    duration: float | None
    sample_rate: int | None
    channels: int | None
    size: int


def content_hash(path: str | Path) -> str:
    """BLAKE2b-128 of the file's bytes, hex."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while block := fh.read(_HASH_BLOCK):
            h.update(block)
    return h.hexdigest()


def inspect_file(path: str | Path) -> tuple[MediaInfo, AudioInfo]:
    """Probe and hash one file without touching the database.

    Raises `earmark.probe.ProbeError` when the file is not readable audio.
    """
    path = Path(path).resolve()
    info = probe(path)
    media = MediaInfo(
        id=content_hash(path), path=str(path), format=info.format,
        duration=info.duration, sample_rate=info.sample_rate,
        channels=info.channels, size=path.stat().st_size,
    )
    return media, info


def insert_media(cur, media: list[MediaInfo]) -> None:
    """Insert media rows inside the caller's transaction; known ids are kept as they are.

    Rows go in from a DataFrame: executemany costs about 2 ms a row here.
    """
    if not media:
        return
    import pandas as pd
    frame = pd.DataFrame({
        "id": [m.id for m in media], "path": [m.path for m in media],
        "format": [m.format for m in media], "duration": [m.duration for m in media],
        "sample_rate": pd.array([m.sample_rate for m in media], dtype="Int32"),
        "channels": pd.array([m.channels for m in media], dtype="Int32"),
        "size": [m.size for m in media], "added": time.time(),
    })
    cur.register("new_media", frame)
    try:
        cur.execute("INSERT INTO media (id, path, format, duration, sample_rate, channels, size, added) "
                    "SELECT id, path, format, duration, sample_rate, channels, size, added FROM new_media "
                    "ON CONFLICT (id) DO NOTHING")
    finally:
        cur.unregister("new_media")


def register_media(store: Store, path: str | Path) -> MediaInfo:
    """Probe, hash and register one file; return its media row."""
    media, _ = inspect_file(path)
    store.write(lambda cur: insert_media(cur, [media]))
    found = get_media(store, media.id)
    assert found is not None
    return found


def get_media(store: Store, media_id: str) -> MediaInfo | None:
    row = store.query_one(
        "SELECT id, path, format, duration, sample_rate, channels, size FROM media WHERE id = ?",
        [media_id],
    )
    return MediaInfo(*row) if row else None


def media_dir(store: Store) -> Path:
    """Where uploaded and base64 audio is written: `media/` beside the database."""
    return store.path.parent / "media"


def save_media_bytes(store: Store, data: bytes, suffix: str) -> Path:
    """Write audio bytes once, named by their hash; return the file's path."""
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    suffix = suffix if suffix.startswith(".") else f".{suffix}"
    target = media_dir(store) / f"{digest}{suffix.lower()}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)  # atomic: a reader never sees half a file
    return target
