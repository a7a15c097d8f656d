"""Waveform peaks: the min and max of every 10 ms of every channel.

The browser draws the waveform from these instead of decoding the audio, which
is what lets an hour-long file open at once. They are computed once per media
file and kept in the database under the file's content hash.

Samples come through the reader's backends (`earmark.audio.reader.BACKENDS`),
tried in order:

- WAV is read and reduced in chunks: no decoding, flat memory.
- MP3, FLAC and Ogg (Vorbis, Opus) are decoded in-process by libsndfile (the
  soundfile package; mpg123 for MP3) to float blocks reduced as they come.
  libsndfile seeks sample-exactly, so a long file is decoded as two halves by
  two threads at once (the C decoder runs without the GIL): an hour of MP3
  takes under half the time of one plain `ffmpeg -f null` decode.
- Everything else (AAC/M4A, WebM, and any file libsndfile refuses) is decoded
  by ffmpeg to 16-bit PCM on a pipe, long files by two ffmpeg processes each
  given one half.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from earmark.db.media import MediaInfo, get_media
from earmark.audio.probe import AudioInfo, ProbeError, probe
from earmark.audio.reader import BACKENDS, FFMPEG, SNDFILE, WAV, AudioReadError, Request, TryNext, ffmpeg_s16le
from earmark.audio.samples import float_to_int16

if TYPE_CHECKING:  # computing peaks needs neither pandas nor DuckDB: keep the import light
    from earmark.db.store import Store

PEAKS_PER_SECOND = 100
# Samples reduced per step: bounds memory whatever the file's length.
_CHUNK_BUCKETS = 6000  # one minute at 100 buckets/s
# Below this duration one decoder is cheaper than two.
_PARALLEL_MIN_SECONDS = 120.0
_SNDFILE_BLOCK_FRAMES = 1 << 18  # frames decoded per read (6 s at 44.1 kHz)
_MAX_BUFFER_BYTES = 64 << 20     # the ffmpeg pipe's buffer


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
    """Compute the peaks of one file (see the module docstring for how).

    Raises `PeaksError` (with the reason) or `OSError` (the file cannot be
    read), never another kind: callers name the file and go on with the next.
    """
    path = Path(path)
    try:
        return _compute(path, info or probe(path), rate)
    except (PeaksError, OSError):
        raise
    except (ProbeError, AudioReadError) as exc:
        raise PeaksError(str(exc)) from exc
    except Exception as exc:  # a header that probes but that no decoder can follow
        raise PeaksError(f"{type(exc).__name__}: {exc}") from exc


def _compute(path: Path, info: AudioInfo, rate: int) -> Peaks:
    ways = {WAV.name: _wav_peaks, SNDFILE.name: _sndfile_peaks, FFMPEG.name: _ffmpeg_peaks}
    return BACKENDS.attempt(path, info, Request(), lambda backend: ways[backend.name](path, info, rate))


# -- WAV, read a chunk at a time ----------------------------------------------
def _wav_peaks(path: Path, info: AudioInfo, rate: int) -> Peaks:
    """Read the samples a chunk at a time into memory of one chunk's size."""
    reducer = _Reducer(info.sample_rate, info.channels, rate)
    step = max(1, int(info.sample_rate * _CHUNK_BUCKETS / rate))
    for block in WAV.blocks(path, info, step, error=PeaksError):
        reducer.feed(block)
    return reducer.finish()


class _Reducer:
    """Turns a stream of frames (n, channels) into per-bucket min/max.

    Frames are int16, or float in [-1, 1] (converted to int16 at the end, as
    ffmpeg converts: x 32768, clipped). `start_bucket`: the stream begins at
    that bucket's first frame (the second half of a file).
    """

    def __init__(self, sample_rate: int, channels: int, rate: int,
                 dtype: np.dtype | type = np.int16, start_bucket: int = 0):
        self.sample_rate, self.channels, self.rate = sample_rate, channels, rate
        self.frames_seen = 0
        self.next_bucket = start_bucket   # first bucket not yet reduced
        self.parts: list[np.ndarray] = []
        self.carry = np.empty((0, channels), dtype=dtype)

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
        self.feed(self.carry[:0], final=True)
        if self.parts:
            data = np.concatenate(self.parts, axis=0)
        else:
            data = np.zeros((0, self.channels, 2), dtype=self.carry.dtype)
        if data.dtype.kind == "f":
            data = float_to_int16(data)
        return Peaks(rate=self.rate, minmax=np.ascontiguousarray(data.transpose(1, 0, 2)),
                     duration=self.frames_seen / self.sample_rate)


# -- MP3, FLAC, Ogg: in-process through libsndfile ------------------------------
class _NotForSndfile(TryNext):
    """libsndfile cannot open this file, or it is a format left to ffmpeg: the next backend reads it."""


def _sndfile_peaks(path: Path, info: AudioInfo, rate: int) -> Peaks:
    header = SNDFILE.examine(path, info)
    if isinstance(header, str):
        raise _NotForSndfile(header)
    sample_rate, channels, frames = header.sample_rate, header.channels, header.frames

    def decode(start_bucket: int, stop_frame: int | None) -> Peaks:
        start_frame = (start_bucket * sample_rate) // rate
        reducer = _Reducer(sample_rate, channels, rate, np.float32, start_bucket)
        for block in SNDFILE.blocks(path, start_frame, stop_frame, _SNDFILE_BLOCK_FRAMES, channels):
            reducer.feed(block)
        return reducer.finish()

    try:
        if frames < _PARALLEL_MIN_SECONDS * sample_rate:
            return decode(0, None)
        middle = frames * rate // (2 * sample_rate)          # a bucket, not a frame
        first, second = _in_two_threads(lambda: decode(0, (middle * sample_rate) // rate),
                                        lambda: decode(middle, None))
    except Exception as exc:  # e.g. a seek libsndfile refuses: ffmpeg gets a go
        raise _NotForSndfile(str(exc)) from exc
    # The second half reads to the end, whatever the header's frame count said.
    return Peaks(rate=rate, minmax=np.ascontiguousarray(np.concatenate([first.minmax, second.minmax], axis=1)),
                 duration=first.duration + second.duration)


def _in_two_threads(first: Callable[[], Peaks], second: Callable[[], Peaks]) -> tuple[Peaks, Peaks]:
    """Run two decodes at once; an exception in either is raised here."""
    results: list[Peaks | BaseException | None] = [None, None]

    def run(index: int, job: Callable[[], Peaks]) -> None:
        try:
            results[index] = job()
        except BaseException as exc:  # re-raised in the caller's thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        if isinstance(r, BaseException):
            raise r
    a, b = results
    assert isinstance(a, Peaks) and isinstance(b, Peaks)
    return a, b


# -- everything else, through ffmpeg -----------------------------------------
def _ffmpeg_peaks(path: Path, info: AudioInfo, rate: int) -> Peaks:
    if info.duration < _PARALLEL_MIN_SECONDS:
        return _decode_range(path, info, rate, None, None)
    # Cut on a bucket boundary so the halves' buckets join without a seam.
    middle = round(info.duration / 2 * rate) / rate
    first, second = _in_two_threads(lambda: _decode_range(path, info, rate, None, middle),
                                    lambda: _decode_range(path, info, rate, middle, None))
    # The first half may decode a few samples past `middle`; keep its exact buckets.
    head = first.minmax[:, : int(round(middle * rate))]
    return Peaks(rate=rate, minmax=np.ascontiguousarray(np.concatenate([head, second.minmax], axis=1)),
                 duration=middle + second.duration)


def _decode_range(path: Path, info: AudioInfo, rate: int,
                  start: float | None, length: float | None) -> Peaks:
    reducer = _Reducer(info.sample_rate, info.channels, rate)
    frame_bytes = 2 * info.channels
    # One reusable buffer of about 10 s (at most 64 MB, whatever a header claims
    # of channels and rate); a partial frame at its end is moved to the front
    # before the next read.
    frames = max(1, min(info.sample_rate * 10, _MAX_BUFFER_BYTES // frame_bytes))
    buffer = bytearray(frame_bytes * frames)
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
    from earmark.db.queries.media import set_duration
    from earmark.db.queries.peaks import insert_peaks
    insert_peaks(cur, [(m.id, p.rate, p.channels, p.buckets, p.duration, p.to_bytes()) for m, p in computed])
    for media, peaks in computed:
        if media.duration is None or abs(media.duration - peaks.duration) > 0.05:
            set_duration(cur, media.id, peaks.duration)


def get_peaks(store: Store, media_id: str) -> Peaks:
    """The peaks of a registered media file, computed on first use and kept.

    Reading stored peaks writes nothing. Peaks are missing only for a file
    loaded without them (`load_candidates(peaks=False)`) or stored before they
    were kept: then this one call decodes the file and keeps the result, so the
    next request (every card shows the waveform) reads it instead of decoding
    an hour of audio again."""
    from earmark.db.queries.peaks import read_peaks
    row = read_peaks(store, media_id)
    if row:
        rate, channels, duration, data = row
        return Peaks.from_bytes(data, rate, channels, duration)
    media = get_media(store, media_id)
    if media is None:
        raise KeyError(f"unknown media id {media_id!r}")
    peaks = compute_peaks(media.path)
    store.write(lambda cur: store_peaks(cur, [(media, peaks)]))
    return peaks
