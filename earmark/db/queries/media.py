"""Media rows: each audio file registered once, under its content hash."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from earmark.db.store import insert_rows

if TYPE_CHECKING:
    from earmark.db.media import MediaInfo

_COLUMNS = "id, path, format, duration, sample_rate, channels, size"


def insert_media(cur, media: Sequence["MediaInfo"]) -> None:
    """Insert media rows inside the caller's transaction; known ids are kept as they are."""
    if not media:
        return
    import pandas as pd
    insert_rows(cur, "new_media", {
        "id": [m.id for m in media], "path": [m.path for m in media],
        "format": [m.format for m in media], "duration": [m.duration for m in media],
        "sample_rate": pd.array([m.sample_rate for m in media], dtype="Int32"),
        "channels": pd.array([m.channels for m in media], dtype="Int32"),
        "size": [m.size for m in media], "added": time.time(),
    }, f"INSERT INTO media ({_COLUMNS}, added) SELECT {_COLUMNS}, added FROM new_media "
       "ON CONFLICT (id) DO NOTHING")


def media_row(store, media_id: str) -> tuple | None:
    """(id, path, format, duration, sample_rate, channels, size) of a registered file."""
    return store.query_one(f"SELECT {_COLUMNS} FROM media WHERE id = ?", [media_id])


def follow_moved_files(cur, media: Sequence["MediaInfo"]) -> None:
    """A recording found again at a new path while its registered path is gone
    (the file was moved or renamed): the media row follows it. In the caller's transaction."""
    if not media:
        return
    found = {m.id: m.path for m in media}
    rows = cur.execute(f"SELECT id, path FROM media WHERE id IN ({', '.join('?' * len(found))})",
                       list(found)).fetchall()
    for media_id, path in rows:
        if path != found[media_id] and not os.path.exists(path):
            cur.execute("UPDATE media SET path = ? WHERE id = ?", [found[media_id], media_id])


def set_duration(cur, media_id: str, duration: float) -> None:
    """Correct a media row's duration (decoding found another than the header's estimate)."""
    cur.execute("UPDATE media SET duration = ? WHERE id = ?", [duration, media_id])


def task_media_path(store, dataset: str, input_hash: int) -> str | None:
    """The registered file of the dataset's task with this input hash."""
    row = store.query_one("SELECT m.path FROM tasks t JOIN media m ON m.id = t.media_id "
                          "WHERE t.dataset = ? AND t.input_hash = ?", [dataset, input_hash])
    return row[0] if row else None
