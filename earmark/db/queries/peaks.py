"""The waveform peaks kept per media file (the bytes are `earmark.audio.peaks.Peaks`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from earmark.db.store import insert_rows


def read_peaks(store, media_id: str) -> tuple[int, int, float, bytes] | None:
    """(rate, channels, duration, data) of the media file's stored peaks; a read, nothing written."""
    row = store.query_one("SELECT rate, channels, duration, data FROM peaks WHERE media_id = ?", [media_id])
    if not row:
        return None
    rate, channels, duration, data = row
    return rate, channels, duration, bytes(data)


def media_with_peaks(store, media_ids: Iterable[str]) -> set[str]:
    """The ones of `media_ids` that have peaks stored."""
    return {m for (m,) in store.query(f"SELECT media_id FROM peaks WHERE {store.in_list('media_id')}",
                                      [list(media_ids)])}


def insert_peaks(cur, rows: Sequence[tuple[str, int, int, int, float, bytes]]) -> None:
    """Insert (media id, rate, channels, buckets, duration, data) rows in one statement,
    inside the caller's transaction; peaks already stored are kept."""
    if not rows:
        return
    insert_rows(cur, "new_peaks", {
        "media_id": [r[0] for r in rows], "rate": [r[1] for r in rows], "channels": [r[2] for r in rows],
        "buckets": [r[3] for r in rows], "duration": [r[4] for r in rows], "data": [r[5] for r in rows],
    }, "INSERT INTO peaks SELECT media_id, rate, channels, buckets, duration, data "
       "FROM new_peaks ON CONFLICT (media_id) DO NOTHING")
