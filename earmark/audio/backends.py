"""The three ways samples are read, each saying first whether it can read a file.

- `WavBackend`: the WAV header parsed by `earmark.audio.probe` (the standard
  library's struct), the data chunk read by offset or memory-mapped: no
  decoding, any PCM or float encoding.
- `SndfileBackend`: libsndfile (the soundfile package) in this process, for
  MP3 (mpg123), FLAC and Ogg when it will decode the whole file. It never
  reads past the length it believes, and for an MP3 with no length header
  (VBR without a Xing frame) mpg123 guesses that length from the first frame:
  21 s of a 90 s file. The probe guessed differently, so when the two lengths
  disagree the file is left to ffmpeg, which reads to the end.
- `FfmpegBackend`: an ffmpeg process decoding to 16-bit PCM on a pipe: every
  format, and the only backend that resamples or mixes channels down.

`earmark.audio.reader` tries them in that order. `refusal()` is a backend's
answer before reading (None: it can); a backend that finds only while reading
that it cannot raises `TryNext`, and the next one is asked. A file that is
damaged (a WAV shorter than its header) raises `AudioReadError` at once: a
decoder that reads whatever is there would hide it.
"""

from __future__ import annotations

import os
import io
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np

from earmark.audio.probe import AudioInfo
from earmark.audio.samples import float_to_int16, int24_to_int16, to_int16, wav_to_float

#: WAV frames converted per step of a window read (bounds the int16 copy beside the samples).
_WAV_BLOCK_FRAMES = 1 << 18
#: Frames libsndfile decodes per read of a window.
_SNDFILE_BLOCK_FRAMES = 1 << 18


@dataclass(frozen=True)
class Request:
    """What to read of a file: a window, one channel or all (or all mixed to one), at a rate."""

    start: float = 0.0               # seconds
    end: float | None = None         # seconds; None: to the end
    channel: int | None = None       # 0-based; None: every channel
    sample_rate: int | None = None   # None: the file's own
    mono: bool = False               # every channel mixed down to one (when `channel` is None)

    def mixes(self, channels: int) -> bool:
        return self.mono and self.channel is None and channels > 1

    def output_channels(self, channels: int) -> int:
        return 1 if self.channel is not None or self.mono else channels


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray   # int16, (frames, channels)
    sample_rate: int


class TryNext(Exception):
    """This backend cannot read the file after all; the message says why, the next backend is asked."""


class AudioReadError(RuntimeError):
    """Audio that could not be read. From the reader: the file and every backend's reason."""

    def __init__(self, message: str, *, path: str | Path | None = None,
                 reasons: tuple[tuple[str, str], ...] = ()):
        super().__init__(message)
        self.path = Path(path) if path is not None else None
        self.reasons = tuple(reasons)

    @classmethod
    def from_reasons(cls, path: str | Path, reasons: list[tuple[str, str]]) -> AudioReadError:
        said = "; ".join(f"{name}: {reason}" for name, reason in reasons) or "no backend to read it"
        return cls(f"cannot read {Path(path).name}: {said}", path=path, reasons=tuple(reasons))


class Backend(Protocol):
    name: str

    def refusal(self, path: Path, info: AudioInfo, request: Request) -> str | None:
        """Why this backend cannot serve `request` of the file, or None when it can."""

    def read(self, path: Path, info: AudioInfo, request: Request) -> Audio:
        """The window as int16; `TryNext` when it cannot after all."""


def _window(request: Request, rate: int, available: int | None) -> tuple[int, int]:
    """First and last frame of a request at `rate`: the nearest frames to start and end
    (0.071 * 48000 is 3407.999... as a float: truncated, the window would start a frame early).
    Without `available` (frames known to be there) and without an end, `last` is -1: to the end."""
    first = max(0, round(request.start * rate))
    last = available if request.end is None else round(request.end * rate)
    if last is None:
        return first, -1
    if available is not None:
        first, last = min(first, available), min(last, available)
    return first, max(first, last)


def _ends_early(path: Path) -> AudioReadError:
    return AudioReadError(f"{path.name} ends before its header says it should", path=path)


# -- WAV -------------------------------------------------------------------------
class WavBackend:
    name = "wav"

    def refusal(self, path: Path, info: AudioInfo, request: Request) -> str | None:
        if info.wav_encoding is None or info.data_offset is None or info.data_size is None:
            return "not a PCM or float WAV"
        if request.sample_rate not in (None, info.sample_rate):
            return f"reads at the file's {info.sample_rate} Hz only (asked for {request.sample_rate} Hz)"
        if request.mixes(info.channels):
            return "does not mix channels down"
        return None

    @staticmethod
    def _layout(info: AudioInfo) -> tuple[np.dtype, int, int]:
        """The dtype numpy reads the samples as, bytes per frame, frames the header declares."""
        int24 = info.wav_encoding == "int24"
        dtype = np.dtype(np.uint8) if int24 else np.dtype(info.wav_encoding)
        frame_bytes = (3 if int24 else dtype.itemsize) * info.channels
        return dtype, frame_bytes, (info.data_size or 0) // frame_bytes

    @staticmethod
    def _as_int16(raw: np.ndarray, info: AudioInfo, frames: int, channel: int | None) -> np.ndarray:
        """Sample values (numpy's reading of the bytes) as int16 (frames, channels or 1)."""
        if info.wav_encoding == "int24":
            triples = raw.reshape(frames, info.channels, 3)
            if channel is not None:
                triples = triples[:, channel]
            return int24_to_int16(triples).reshape(frames, -1)
        block = raw.reshape(frames, info.channels)
        if channel is not None:
            block = block[:, channel:channel + 1]
        return to_int16(block)

    def read(self, path: Path, info: AudioInfo, request: Request) -> Audio:
        """A window, memory-mapped and converted a block at a time into the result."""
        dtype, frame_bytes, declared = self._layout(info)
        first, last = _window(request, info.sample_rate, declared)
        out = np.empty((last - first, request.output_channels(info.channels)), dtype=np.int16)
        if last > first:
            offset = info.data_offset + first * frame_bytes   # type: ignore[operator]
            if offset + (last - first) * frame_bytes > path.stat().st_size:
                raise _ends_early(path)
            mapped = np.memmap(path, dtype=np.uint8, mode="r", offset=offset, shape=((last - first) * frame_bytes,))
            try:
                for at in range(0, last - first, _WAV_BLOCK_FRAMES):
                    n = min(_WAV_BLOCK_FRAMES, last - first - at)
                    raw = mapped[at * frame_bytes:(at + n) * frame_bytes].view(dtype)
                    out[at:at + n] = self._as_int16(raw, info, n, request.channel)
            finally:
                del mapped
        return Audio(out, info.sample_rate)

    def blocks(self, path: Path, info: AudioInfo, frames_per_block: int, *, channel: int | None = None,
               error: type[Exception] = AudioReadError) -> Iterator[np.ndarray]:
        """The whole file in order as int16 blocks (frames, channels or 1), read into memory
        of one block's size (a memory map of the whole file would keep every page read
        counted in the process's memory: 700 MB for an hour of 48 kHz stereo)."""
        dtype, frame_bytes, total = self._layout(info)
        with open(path, "rb") as fh:
            fh.seek(info.data_offset)   # type: ignore[arg-type]
            for start in range(0, total, frames_per_block):
                frames = min(frames_per_block, total - start)
                count = frames * frame_bytes // dtype.itemsize
                raw = np.fromfile(fh, dtype=dtype, count=count)
                if len(raw) < count:
                    raise error(f"{path.name} ends before its header says it should")
                yield self._as_int16(raw, info, frames, channel)

    def read_channel(self, path: Path, info: AudioInfo, channel: int, frames_per_block: int) -> np.ndarray:
        """One channel of the whole file as 1-D int16; a 16-bit mono file straight into the result."""
        total = self._layout(info)[2]
        out = np.empty(total, dtype=np.int16)
        if info.wav_encoding == "<i2" and info.channels == 1:
            with open(path, "rb") as fh:
                fh.seek(info.data_offset)   # type: ignore[arg-type]
                if fh.readinto(out.data.cast("B")) != 2 * total:
                    raise _ends_early(path)
            return out
        at = 0
        for block in self.blocks(path, info, frames_per_block, channel=channel):
            out[at:at + len(block)] = block[:, 0]
            at += len(block)
        return out

    def frames(self, path: Path, info: AudioInfo) -> WavFrames:
        return WavFrames(path, info)


class WavFrames:
    """Frames of a PCM or float WAV by offset, as float32: no decoding, no memory map."""

    def __init__(self, path: Path, info: AudioInfo):
        assert info.wav_encoding is not None and info.data_offset is not None and info.data_size is not None
        self.sample_rate, self.channels = info.sample_rate, info.channels
        self.encoding = info.wav_encoding
        width = 3 if self.encoding == "int24" else np.dtype(self.encoding).itemsize
        self.frame_bytes = width * self.channels
        self.offset = info.data_offset
        self.frames = info.data_size // self.frame_bytes
        self.fd = os.open(path, os.O_RDONLY)

    def close(self) -> None:
        os.close(self.fd)

    def read(self, first: int, count: int) -> np.ndarray:
        """`count` frames from frame `first`, (count, channels) float32; zeros outside the file."""
        out = np.zeros((count, self.channels), dtype=np.float32)
        a, b = max(0, first), min(self.frames, first + count)
        if b > a:
            raw = os.pread(self.fd, (b - a) * self.frame_bytes, self.offset + a * self.frame_bytes)
            got = len(raw) // self.frame_bytes
            out[a - first:a - first + got] = wav_to_float(raw[: got * self.frame_bytes],
                                                          self.encoding).reshape(got, self.channels)
        return out


# -- libsndfile --------------------------------------------------------------------
@dataclass(frozen=True)
class SndfileHeader:
    sample_rate: int
    channels: int
    frames: int


class SndfileBackend:
    name = "soundfile"
    #: libsndfile's major formats that it decodes faster than ffmpeg; the others go to ffmpeg.
    FORMATS = frozenset({"MP3", "FLAC", "OGG"})
    _LENGTH_TOLERANCE, _LENGTH_TOLERANCE_S = 0.005, 0.1

    def __init__(self, formats: frozenset[str] = FORMATS):
        self.formats = frozenset(formats)

    def header(self, path: Path, info: AudioInfo) -> SndfileHeader | None:
        """libsndfile's view of the file when it will decode all of it, else None."""
        found = self.examine(path, info)
        return found if isinstance(found, SndfileHeader) else None

    def examine(self, path: Path, info: AudioInfo) -> SndfileHeader | str:
        """libsndfile's view of the file, or why it is left to another backend."""
        try:
            stat = path.stat()
        except OSError as exc:
            return f"cannot open it: {exc.strerror or exc}"
        return _examine(str(path), stat.st_size, stat.st_mtime_ns, info.duration, self.formats,
                        self._LENGTH_TOLERANCE, self._LENGTH_TOLERANCE_S)

    def refusal(self, path: Path, info: AudioInfo, request: Request) -> str | None:
        found = self.examine(path, info)
        if isinstance(found, str):
            return found
        if request.sample_rate not in (None, found.sample_rate):
            return f"reads at the file's {found.sample_rate} Hz only (asked for {request.sample_rate} Hz)"
        if request.mixes(found.channels):
            return "does not mix channels down"
        if request.channel is not None and request.channel >= found.channels:
            return f"no channel {request.channel} in {found.channels}"
        return None

    def read(self, path: Path, info: AudioInfo, request: Request) -> Audio:
        import soundfile
        header = self.header(path, info)
        if header is None:
            raise TryNext("libsndfile no longer reads it")
        first, last = _window(request, header.sample_rate, None)
        out_channels = request.output_channels(header.channels)
        pieces: list[np.ndarray] = []
        # float, converted here: libsndfile's own int16 of a float file is not scaled (0.5 reads as 0)
        block = np.empty((_SNDFILE_BLOCK_FRAMES, header.channels), dtype=np.float32)
        try:
            with soundfile.SoundFile(path) as sf:
                if first:
                    sf.seek(min(first, header.frames))
                position = first
                while request.end is None or position < last:
                    want = len(block) if request.end is None else min(len(block), last - position)
                    got = sf.buffer_read_into(block[:want], dtype="float32")
                    if not got:
                        break
                    position += got
                    chosen = block[:got] if request.channel is None else block[:got, request.channel:request.channel + 1]
                    pieces.append(float_to_int16(chosen))
        except Exception as exc:  # libsndfile refusing a seek or a frame: ffmpeg gets a go
            raise TryNext(f"libsndfile failed: {exc}") from exc
        samples = np.concatenate(pieces) if pieces else np.zeros((0, out_channels), dtype=np.int16)
        return Audio(samples, header.sample_rate)

    def blocks(self, path: Path, start_frame: int, stop_frame: int | None,
               frames_per_block: int, channels: int) -> Iterator[np.ndarray]:
        """Float32 blocks (frames, channels) from `start_frame` (sample-exact) to `stop_frame`
        or the end; each block is a view of one reused buffer, valid until the next."""
        import soundfile
        block = np.empty((frames_per_block, channels), dtype=np.float32)
        position = start_frame
        with soundfile.SoundFile(path) as sf:
            if start_frame:
                sf.seek(start_frame)
            while stop_frame is None or position < stop_frame:
                want = len(block) if stop_frame is None else min(len(block), stop_frame - position)
                got = sf.buffer_read_into(block[:want], dtype="float32")
                if not got:
                    break
                position += got
                yield block[:got]

    def frames(self, path: Path) -> SndfileFrames:
        return SndfileFrames(path)


@lru_cache(maxsize=64)
def _examine(path: str, _size: int, _mtime_ns: int, duration: float, formats: frozenset[str],
             tolerance: float, tolerance_s: float) -> SndfileHeader | str:
    # Kept per file version: the reader asks before a backend reads, and the backend again.
    try:
        import soundfile
        with soundfile.SoundFile(path) as sf:
            fmt, sample_rate, channels, frames = sf.format, sf.samplerate, sf.channels, sf.frames
    except Exception as exc:  # a bad header, an unsupported codec, no libsndfile
        reason = str(exc).strip().splitlines()
        return f"libsndfile cannot open it ({reason[-1] if reason else type(exc).__name__})"
    if fmt not in formats:
        return f"its {fmt} files are read by the other backends"
    if not frames or not sample_rate:
        return "libsndfile finds no samples in it"
    if abs(frames / sample_rate - duration) > max(tolerance_s, tolerance * duration):
        return (f"its length ({frames / sample_rate:.3f} s) and the header's ({duration:.3f} s) "
                "disagree: one is a guess")
    return SndfileHeader(sample_rate, channels, frames)


class SndfileFrames:
    """Frames decoded by libsndfile, which seeks to the exact sample, as float32.

    Handles are kept open between uses (`_HANDLES`): mpg123 finds a far
    sample of an MP3 by walking the frame headers up to it once per handle
    (0.17 s to reach the end of an hour), then seeks in a fraction of a ms.
    """

    def __init__(self, path: Path):
        self.key, self.file = _HANDLES.borrow(path)
        self.sample_rate, self.channels, self.frames = self.file.samplerate, self.file.channels, self.file.frames

    def close(self) -> None:
        _HANDLES.give_back(self.key, self.file)

    def read(self, first: int, count: int) -> np.ndarray:
        """`count` frames from frame `first`, (count, channels) float32; zeros outside the file."""
        out = np.zeros((count, self.channels), dtype=np.float32)
        a, b = max(0, first), min(self.frames, first + count)
        if b > a:
            self.file.seek(a)
            self.file.buffer_read_into(out[a - first:b - first], dtype="float32")
        return out


class _HandlePool:
    """Idle open SoundFile handles by file (path, size, mtime), the most recently used kept."""

    def __init__(self, limit: int = 8):
        self.limit = limit
        self.idle: list[tuple[tuple, Any]] = []   # oldest first
        self.lock = threading.Lock()

    def borrow(self, path: Path):
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        with self.lock:
            for i in range(len(self.idle) - 1, -1, -1):
                if self.idle[i][0] == key:
                    return key, self.idle.pop(i)[1]
        import soundfile
        return key, soundfile.SoundFile(path)

    def give_back(self, key: tuple, handle) -> None:
        with self.lock:
            self.idle.append((key, handle))
            evicted = self.idle[: max(0, len(self.idle) - self.limit)]
            del self.idle[: len(evicted)]
        for _, old in evicted:
            old.close()


_HANDLES = _HandlePool()


# -- ffmpeg --------------------------------------------------------------------------
def widen_pipe(stream) -> None:
    """Ask Linux for a 1 MiB pipe (64 kB by default): fewer wake-ups per second of audio."""
    try:
        import fcntl
        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError, ValueError):
        pass  # not Linux, or a lower limit: the default pipe works too


@contextmanager
def ffmpeg_s16le(path: str | Path, *, channels: int, sample_rate: int, start: float | None = None,
                 length: float | None = None, channel: int | None = None,
                 error: type[Exception] = AudioReadError) -> Iterator[io.BufferedReader]:
    """ffmpeg decoding `path` (from `start`, for `length` seconds) to s16le at
    `sample_rate` with `channels` channels (or one `channel` of it); yields
    its unbuffered output. A failed decode raises `error` naming the file.
    The one ffmpeg command of the package."""
    path = Path(path)
    cmd = ["ffmpeg", "-nostdin", "-v", "error"]
    if start is not None:
        cmd += ["-ss", f"{start:.6f}"]
    cmd += ["-i", str(path)]
    if length is not None:
        cmd += ["-t", f"{length:.6f}"]
    cmd += ["-map", "0:a:0", "-vn", "-sn", "-dn"]
    if channel is not None:
        cmd += ["-af", f"pan=mono|c0=c{int(channel)}"]
    cmd += ["-f", "s16le", "-acodec", "pcm_s16le", "-ac", str(channels), "-ar", str(sample_rate), "pipe:1"]
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    except FileNotFoundError as exc:
        raise error("ffmpeg is not installed") from exc
    widen_pipe(proc.stdout)
    stderr: list[bytes] = []
    err_reader = threading.Thread(target=lambda: stderr.append(proc.stderr.read()))  # type: ignore[union-attr]
    err_reader.start()
    assert proc.stdout is not None
    try:
        yield cast(io.BufferedReader, proc.stdout)
    except BaseException:
        proc.kill()   # never leave ffmpeg blocked on a full pipe
        raise
    finally:
        code = proc.wait()
        err_reader.join()
    if code != 0:
        message = b"".join(stderr).decode("utf-8", "replace").strip().splitlines()
        raise error(f"ffmpeg could not decode {path.name}: {message[-1] if message else code}")


class FfmpegBackend:
    name = "ffmpeg"

    def refusal(self, path: Path, info: AudioInfo, request: Request) -> str | None:
        return None if shutil.which("ffmpeg") else "ffmpeg is not installed"

    def read(self, path: Path, info: AudioInfo, request: Request) -> Audio:
        rate = request.sample_rate or info.sample_rate
        channels = request.output_channels(info.channels)
        first, last = _window(request, rate, None)
        length = None if request.end is None else (last - first) / rate
        try:
            with ffmpeg_s16le(path, channels=channels, sample_rate=rate, start=first / rate if first else None,
                              length=length, channel=request.channel, error=TryNext) as stream:
                data = stream.read()
        except OSError as exc:
            raise TryNext(f"ffmpeg failed: {exc}") from exc
        samples = np.frombuffer(data[: len(data) - len(data) % (2 * channels)], dtype="<i2").reshape(-1, channels)
        if request.end is not None:
            samples = samples[: last - first]   # -t may round up a frame
        return Audio(np.array(samples, dtype=np.int16), rate)
