"""Waveform peaks: the min and max of every 10 ms of every channel.

The browser draws the waveform from these instead of decoding the audio, which
is what lets an hour-long file open at once. They are computed once per media
file and kept in the database under the file's content hash.

- WAV is memory-mapped and reduced in chunks: no decoding, flat memory.
- Everything else is decoded by ffmpeg to 16-bit PCM on a pipe and reduced as
  it streams. Long files are cut in two halves decoded by two ffmpeg processes
  at once (decoders such as MP3's use one core), which keeps the whole job
  below the time of one plain `ffmpeg -f null` decode.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from earmark.media import MediaInfo, get_media
from earmark.pcm import ffmpeg_s16le, int24_to_int16, to_int16
from earmark.probe import AudioInfo, probe

if TYPE_CHECKING:  # computing peaks needs neither pandas nor DuckDB: keep the import light
    from earmark.store import Store

PEAKS_PER_SECOND = 100
# Samples reduced per step: bounds memory whatever the file's length.
_CHUNK_BUCKETS = 6000  # one minute at 100 buckets/s
# Below this duration a single ffmpeg process is cheaper than two.
_PARALLEL_MIN_SECONDS = 120.0


class PeaksError(RuntimeError):
    """The audio could not be decoded to compute peaks."""


@dataclass(frozen=True)
class Peaks:
    rate: int             # buckets per second
    minmax: np.ndarray    # int16, shape (channels, buckets, 2): min, max
    duration: float       # seconds of audio actually decoded

    @property
    def channels(self) -> int:
        return int(self.minmax.shape[0])

    @property
    def buckets(self) -> int:
        return int(self.minmax.shape[1])

    def to_bytes(self) -> bytes:
        return np.ascontiguousarray(self.minmax, dtype="<i2").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, rate: int, channels: int, duration: float) -> "Peaks":
        minmax = np.frombuffer(data, dtype="<i2").reshape(channels, -1, 2)
        return cls(rate=rate, minmax=minmax, duration=duration)


def compute_peaks(path: str | Path, info: AudioInfo | None = None,
                  rate: int = PEAKS_PER_SECOND) -> Peaks:
    """Compute the peaks of one file (see the module docstring for how)."""
    path = Path(path)
    info = info or probe(path)
    if info.wav_encoding is not None:
        return _wav_peaks(path, info, rate)
    return _ffmpeg_peaks(path, info, rate)


# -- WAV, read a chunk at a time ----------------------------------------------
def _wav_peaks(path: Path, info: AudioInfo, rate: int) -> Peaks:
    """Read the samples a chunk at a time into memory of one chunk's size.

    (A memory map of the whole file would keep every page read counted in
    the process's memory: 700 MB for an hour of 48 kHz stereo.)
    """
    assert info.data_offset is not None and info.data_size is not None
    ch, sr = info.channels, info.sample_rate
    int24 = info.wav_encoding == "int24"
    dtype = np.dtype(np.uint8) if int24 else np.dtype(info.wav_encoding)
    frame_bytes = (3 if int24 else dtype.itemsize) * ch
    frames_total = info.data_size // frame_bytes
    reducer = _Reducer(sr, ch, rate)
    step = max(1, int(sr * _CHUNK_BUCKETS / rate))
    with open(path, "rb") as fh:
        fh.seek(info.data_offset)
        for start in range(0, frames_total, step):
            frames = min(step, frames_total - start)
            count = frames * frame_bytes // dtype.itemsize
            raw = np.fromfile(fh, dtype=dtype, count=count)
            if len(raw) < count:
                raise PeaksError(f"{path.name} ends before its header says it should")
            block = int24_to_int16(raw) if int24 else to_int16(raw)
            reducer.feed(block.reshape(-1, ch))
    return reducer.finish()


class _Reducer:
    """Turns a stream of int16 frames (n, channels) into per-bucket min/max."""

    def __init__(self, sample_rate: int, channels: int, rate: int):
        self.sample_rate, self.channels, self.rate = sample_rate, channels, rate
        self.frames_seen = 0
        self.next_bucket = 0          # first bucket not yet reduced
        self.parts: list[np.ndarray] = []
        self.carry = np.empty((0, channels), dtype=np.int16)

    def _edge(self, bucket: int) -> int:
        # First frame of a bucket; exact for rates such as 22050 Hz where a
        # bucket is not a whole number of frames.
        return (bucket * self.sample_rate) // self.rate

    def feed(self, block: np.ndarray, final: bool = False) -> None:
        self.frames_seen += len(block)
        if self.carry.size:
            block = np.concatenate([self.carry, block])
        first = self.next_bucket
        start = self._edge(first)          # absolute frame of block[0]
        end = start + len(block)
        # Largest bucket whose first frame is <= end: buckets before it are complete.
        last = ((end + 1) * self.rate + self.sample_rate - 1) // self.sample_rate - 1
        if final and self._edge(last) < end:
            last += 1                      # the partial bucket at the very end
        if last <= first:
            self.carry = block
            return
        edges = (np.arange(first, last + 1, dtype=np.int64) * self.sample_rate) // self.rate - start
        consumed = int(min(edges[-1], len(block)))
        used = block[:consumed]
        self.parts.append(np.stack([
            np.minimum.reduceat(used, edges[:-1], axis=0),
            np.maximum.reduceat(used, edges[:-1], axis=0),
        ], axis=-1))  # (buckets, channels, 2)
        self.carry = block[consumed:].copy()
        self.next_bucket = last

    def finish(self) -> Peaks:
        self.feed(np.empty((0, self.channels), dtype=np.int16), final=True)
        if self.parts:
            data = np.concatenate(self.parts, axis=0)
        else:
            data = np.zeros((0, self.channels, 2), dtype=np.int16)
        return Peaks(rate=self.rate, minmax=np.ascontiguousarray(data.transpose(1, 0, 2)),
                     duration=self.frames_seen / self.sample_rate)


# -- everything else, through ffmpeg -----------------------------------------
def _ffmpeg_peaks(path: Path, info: AudioInfo, rate: int) -> Peaks:
    if info.duration < _PARALLEL_MIN_SECONDS:
        return _decode_range(path, info, rate, None, None)
    # Cut on a bucket boundary so the halves' buckets join without a seam.
    middle = round(info.duration / 2 * rate) / rate
    results: list[Peaks | BaseException | None] = [None, None]

    def run(index: int, start: float | None, length: float | None) -> None:
        try:
            results[index] = _decode_range(path, info, rate, start, length)
        except BaseException as exc:  # re-raised in the caller's thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(0, None, middle)),
               threading.Thread(target=run, args=(1, middle, None))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        if isinstance(r, BaseException):
            raise r
    first, second = results  # type: ignore[misc]
    assert isinstance(first, Peaks) and isinstance(second, Peaks)
    # The first half may decode a few samples past `middle`; keep its exact buckets.
    head = first.minmax[:, : int(round(middle * rate))]
    return Peaks(rate=rate, minmax=np.ascontiguousarray(np.concatenate([head, second.minmax], axis=1)),
                 duration=middle + second.duration)


def _decode_range(path: Path, info: AudioInfo, rate: int,
                  start: float | None, length: float | None) -> Peaks:
    reducer = _Reducer(info.sample_rate, info.channels, rate)
    frame_bytes = 2 * info.channels
    # One reusable buffer of about 10 s; a partial frame at its end is moved
    # to the front before the next read.
    buffer = bytearray(frame_bytes * max(1, info.sample_rate * 10))
    view = memoryview(buffer)
    filled = 0
    with ffmpeg_s16le(path, channels=info.channels, sample_rate=info.sample_rate, start=start,
                      length=length, error=PeaksError) as stream:
        while True:
            got = stream.readinto(view[filled:])
            if not got:
                break
            filled += got
            usable = filled - filled % frame_bytes
            if usable:
                reducer.feed(np.frombuffer(buffer, dtype="<i2", count=usable // 2).reshape(-1, info.channels))
                view[: filled - usable] = view[usable:filled]
                filled -= usable
    return reducer.finish()


# -- the cache in the database -----------------------------------------------
def store_peaks(cur, computed: list[tuple[MediaInfo, Peaks]]) -> None:
    """Insert peaks rows inside the caller's transaction, in one statement.

    When decoding found a duration that differs from the header's estimate
    (VBR MP3 without a length tag), the media row is corrected so that the
    waveform and the audio element agree.
    """
    if not computed:
        return
    import pandas as pd
    frame = pd.DataFrame({
        "media_id": [m.id for m, _ in computed], "rate": [p.rate for _, p in computed],
        "channels": [p.channels for _, p in computed], "buckets": [p.buckets for _, p in computed],
        "duration": [p.duration for _, p in computed], "data": [p.to_bytes() for _, p in computed],
    })
    cur.register("new_peaks", frame)
    try:
        cur.execute("INSERT INTO peaks SELECT media_id, rate, channels, buckets, duration, data "
                    "FROM new_peaks ON CONFLICT (media_id) DO NOTHING")
    finally:
        cur.unregister("new_peaks")
    for media, peaks in computed:
        if media.duration is None or abs(media.duration - peaks.duration) > 0.05:
            cur.execute("UPDATE media SET duration = ? WHERE id = ?", [peaks.duration, media.id])


def get_peaks(store: Store, media_id: str) -> Peaks:
    """The peaks of a registered media file, computed on first use and kept."""
    row = store.query_one(
        "SELECT rate, channels, duration, data FROM peaks WHERE media_id = ?", [media_id]
    )
    if row:
        rate, channels, duration, data = row
        return Peaks.from_bytes(bytes(data), rate, channels, duration)
    media = get_media(store, media_id)
    if media is None:
        raise KeyError(f"unknown media id {media_id!r}")
    peaks = compute_peaks(media.path)
    store.write(lambda cur: store_peaks(cur, [(media, peaks)]))
    return peaks
