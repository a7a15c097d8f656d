"""Read duration, channels and sample rate of an audio file from its header.

WAV headers are parsed here; MP3, FLAC, Ogg and M4A headers by tinytag, in
this process; anything else (or what tinytag cannot read) by ffprobe, which
reads headers and, for formats without a length field, a few packets. No file
is decoded whole. Durations from compressed headers can be estimates (VBR
MP3 without a length tag): the peaks computation corrects them.
"""

from __future__ import annotations

import json
import math
import stat
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

AUDIO_EXTENSIONS = (".wav", ".mp3", ".flac", ".ogg", ".opus", ".m4a", ".aac", ".webm")

# WAVE format tags we can memory-map (see earmark.audio.peaks).
WAVE_PCM = 1
WAVE_FLOAT = 3
WAVE_EXTENSIBLE = 0xFFFE

# Sample rates Earmark can show: below 1 kHz or above 768 kHz a header is
# corrupt or hostile (a 2 GHz claim made one spectrogram request take 3 GB).
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 1000, 768000


class ProbeError(ValueError):
    """The file is not audio we can read; the message says why."""


@dataclass(frozen=True)
class AudioInfo:
    format: str              # "wav", "mp3", ... (the container as detected)
    duration: float          # seconds
    sample_rate: int
    channels: int
    # For WAV only: where the samples are, so peaks can memory-map them.
    wav_encoding: str | None = None   # numpy dtype string, e.g. "<i2", "<f4", "int24"
    data_offset: int | None = None
    data_size: int | None = None


def probe(path: str | Path) -> AudioInfo:
    """Probe one file; raise `ProbeError` with a readable reason when it is not audio."""
    path = Path(path)
    try:
        status = path.stat()
    except OSError as exc:
        raise ProbeError(f"cannot read: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(status.st_mode):
        raise ProbeError("not a regular file (a pipe or device would never end)")
    size = status.st_size
    if size == 0:
        raise ProbeError("empty file (0 bytes)")
    with open(path, "rb") as fh:
        head = fh.read(12)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return _probe_wav(path, size)
    if path.suffix.lower() == ".wav" and head[:4] not in (b"RF64", b"RIFX"):
        raise ProbeError("named .wav but is not a WAV file (no RIFF/WAVE header)")
    return _probe_tags(path) or _probe_ffprobe(path)


def _probe_wav(path: Path, size: int) -> AudioInfo:
    with open(path, "rb") as fh:
        fh.seek(12)
        fmt = None
        while True:
            header = fh.read(8)
            if len(header) < 8:
                break
            chunk_id, chunk_size = struct.unpack("<4sI", header)
            start = fh.tell()
            if chunk_id == b"fmt ":
                fmt = fh.read(min(chunk_size, 40))
            elif chunk_id == b"data":
                if fmt is None:
                    raise ProbeError("WAV has its data chunk before the fmt chunk")
                return _wav_info(fmt, start, chunk_size, size)
            fh.seek(start + chunk_size + (chunk_size & 1))
    raise ProbeError("WAV header has no data chunk (truncated or corrupt)")


def _wav_info(fmt: bytes, data_offset: int, data_size: int, file_size: int) -> AudioInfo:
    if len(fmt) < 16:
        raise ProbeError("WAV fmt chunk is too short (corrupt header)")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == WAVE_EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack("<H", fmt[24:26])[0]  # first two bytes of the SubFormat GUID
    if channels == 0:
        raise ProbeError("WAV header is invalid: 0 channels")
    check_sample_rate(rate)
    if block_align == 0:
        raise ProbeError("WAV header is invalid: block align of 0 bytes per frame")
    if tag in (WAVE_PCM, WAVE_FLOAT) and bits == 0:
        raise ProbeError(f"WAV header is invalid: 0 bits per sample ({'PCM' if tag == WAVE_PCM else 'float'} audio)")
    available = file_size - data_offset
    if data_size == 0xFFFFFFFF or data_size == 0:
        data_size = available  # streamed WAV whose writer never filled the size in
    if data_size > available:
        raise ProbeError(
            f"truncated WAV: the header announces {data_size} bytes of audio, "
            f"the file holds {available}"
        )
    encoding = _wav_encoding(tag, bits)
    if encoding is not None and block_align != channels * ((bits + 7) // 8):
        # peaks read frames of channels x sample width: a header that says otherwise lies
        raise ProbeError(f"WAV header is invalid: block align {block_align} does not match "
                         f"{channels} channel{'s' if channels != 1 else ''} of {bits} bits")
    frames = data_size // block_align
    if frames == 0:
        raise ProbeError("WAV holds no audio samples")
    return AudioInfo(
        format="wav",
        duration=frames / rate,
        sample_rate=rate,
        channels=channels,
        wav_encoding=encoding,
        data_offset=data_offset,
        data_size=frames * block_align,
    )


def _wav_encoding(tag: int, bits: int) -> str | None:
    if tag == WAVE_PCM:
        return {8: "u1", 16: "<i2", 24: "int24", 32: "<i4"}.get(bits)
    if tag == WAVE_FLOAT:
        return {32: "<f4", 64: "<f8"}.get(bits)
    return None  # A-law, mu-law, ADPCM ...: decoded through ffmpeg


_TAG_FORMATS = {".mp3": "mp3", ".flac": "flac", ".ogg": "ogg", ".opus": "ogg", ".m4a": "mp4"}


def _probe_tags(path: Path) -> AudioInfo | None:
    """Header facts read by tinytag, in-process (an ffprobe process costs tens of
    milliseconds per file); None sends the file to ffprobe instead."""
    kind = _TAG_FORMATS.get(path.suffix.lower())
    if kind is None:
        return None
    try:
        from tinytag import TinyTag
        tag = TinyTag.get(str(path))
    except Exception:  # tinytag raises many kinds of errors on what it cannot parse
        return None
    duration, channels, rate = tag.duration or 0.0, tag.channels or 0, tag.samplerate or 0
    if not math.isfinite(duration) or duration <= 0 or channels <= 0 or rate <= 0:
        return None
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        return None   # tinytag may misread a damaged header: ffprobe has the last word
    return AudioInfo(format=kind, duration=float(duration), sample_rate=int(rate), channels=int(channels))


def _probe_ffprobe(path: Path) -> AudioInfo:
    cmd = [
        "ffprobe", "-v", "error", "-print_format", "json",
        "-show_entries", "format=format_name,duration:stream=codec_type,sample_rate,channels,duration",
        "-select_streams", "a:0", str(path),
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=60)
    except FileNotFoundError as exc:
        raise ProbeError("ffprobe is not installed (install ffmpeg)") from exc
    except subprocess.TimeoutExpired as exc:
        raise ProbeError("ffprobe took over 60 s to read the header") from exc
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = reason[-1] if reason else f"exit code {done.returncode}"
        detail = detail.replace(str(path) + ": ", "")
        raise ProbeError(f"not a readable audio file: {detail}")
    try:
        info = json.loads(done.stdout or b"{}")
    except ValueError as exc:
        raise ProbeError(f"ffprobe's answer could not be read: {exc}") from exc
    if not isinstance(info, dict):
        info = {}
    streams = info.get("streams") or []
    if not streams:
        raise ProbeError("no audio stream in the file")
    stream, fmt = streams[0], info.get("format") or {}
    duration = _float(stream.get("duration")) or _float(fmt.get("duration"))
    if not duration or not math.isfinite(duration) or duration <= 0:
        raise ProbeError("audio stream has no duration (empty or truncated)")
    rate, channels = _int(stream.get("sample_rate")), _int(stream.get("channels"))
    if rate <= 0 or channels <= 0:
        raise ProbeError("audio stream has no sample rate or channel count")
    check_sample_rate(rate)
    format_name = (fmt.get("format_name") or path.suffix.lstrip(".")).split(",")[0]
    return AudioInfo(format=format_name, duration=duration, sample_rate=rate, channels=channels)


def check_sample_rate(rate: int) -> None:
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise ProbeError(f"sample rate of {rate} Hz lies outside 1 kHz to 768 kHz: "
                         "not audio Earmark can show (corrupt header?)")


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
