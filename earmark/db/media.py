"""Media files: each audio file is registered once, under its content hash.

The hash makes the same recording found under two paths, or uploaded twice,
one media row, and names the file that base64 or uploaded audio is written to.

Bytes that come from outside (an upload, a data URI) are kept only when they
are audio: their name must end in an audio extension (earmark.audio.probe's list,
which holds no suffix Python imports from, such as .py, .pyc or .so), and the
bytes must probe as audio. So the media folder never holds a file that
`import` could load, whatever a page was sent.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from earmark.audio.probe import AUDIO_EXTENSIONS, AudioInfo, ProbeError, probe

if TYPE_CHECKING:
    from earmark.db.store import Store

_HASH_BLOCK = 1 << 20


class NotAudioError(ProbeError):
    """Bytes that are not kept: not named as audio, or not readable as audio."""


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

    Raises `earmark.audio.probe.ProbeError` when the file is not readable audio.
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
    """Insert media rows inside the caller's transaction; known ids are kept as they are."""
    from earmark.db.queries import media as queries   # it imports the store (and DuckDB) only when used
    queries.insert_media(cur, media)


def register_media(store: Store, path: str | Path) -> MediaInfo:
    """Probe, hash and register one file; return its media row."""
    media, _ = inspect_file(path)
    store.write(lambda cur: insert_media(cur, [media]))
    found = get_media(store, media.id)
    assert found is not None
    return found


def get_media(store: Store, media_id: str) -> MediaInfo | None:
    from earmark.db.queries.media import media_row
    row = media_row(store, media_id)
    return MediaInfo(*row) if row else None


def media_dir(store: Store) -> Path:
    """Where uploaded and base64 audio is written: `media/` beside the database."""
    return store.path.parent / "media"


def save_media_bytes(store: Store, data: bytes, suffix: str) -> Path:
    """Keep audio bytes once, as `media/<hash><suffix>`; return the file's path.

    `suffix` must be an audio extension and the bytes must probe as audio:
    they are written to a temporary file first (named `.incoming-...`, which no
    import can name), probed there and moved into place only when readable.
    Raises NotAudioError otherwise, and nothing is left behind.
    """
    suffix = (suffix if suffix.startswith(".") else f".{suffix}").lower()
    if suffix not in AUDIO_EXTENSIONS:
        raise NotAudioError(f"not kept: {suffix!r} is not an audio file extension "
                            f"(Earmark keeps {', '.join(AUDIO_EXTENSIONS)})")
    if not data:
        raise NotAudioError("empty file (0 bytes)")
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    target = media_dir(store) / f"{digest}{suffix}"
    if target.exists():
        return target   # kept by an earlier load (registering probes it again)
    target.parent.mkdir(parents=True, exist_ok=True)
    # the suffix stays last: the probe picks its reader by it
    tmp = target.with_name(f".incoming-{os.getpid()}-{secrets.token_hex(4)}{suffix}")
    try:
        tmp.write_bytes(data)
        try:
            probe(tmp)
        except ProbeError as exc:
            raise NotAudioError(f"not kept, not readable audio: {exc}") from exc
        os.replace(tmp, target)  # atomic: a reader never sees half a file
    finally:
        tmp.unlink(missing_ok=True)
    return target
