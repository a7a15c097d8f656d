"""libsndfile (the soundfile package) as an in-process decoder, for the files it reads whole.

It decodes MP3 (mpg123), FLAC and Ogg faster than an ffmpeg process and seeks
to the exact sample, but it never reads past the length it believes, and for
an MP3 with no length header (VBR without a Xing frame) mpg123 guesses that
length from the first frame: 21 s of a 90 s file. The probe guessed
differently, so when the two lengths disagree the file is left to ffmpeg,
which reads to the end. Shared by the peaks and the spectrogram.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from earmark.audio.probe import AudioInfo

# libsndfile's major formats that it decodes faster than ffmpeg; the others go to ffmpeg.
FORMATS = frozenset({"MP3", "FLAC", "OGG"})
_LENGTH_TOLERANCE, _LENGTH_TOLERANCE_S = 0.005, 0.1


@dataclass(frozen=True)
class SndfileHeader:
    sample_rate: int
    channels: int
    frames: int


def readable_whole(path: Path, info: AudioInfo) -> SndfileHeader | None:
    """libsndfile's view of the file when it will decode all of it, else None."""
    try:
        import soundfile
        with soundfile.SoundFile(path) as sf:
            fmt, sample_rate, channels, frames = sf.format, sf.samplerate, sf.channels, sf.frames
    except Exception:  # a bad header, an unsupported codec, no libsndfile
        return None
    if fmt not in FORMATS or not frames or not sample_rate:
        return None
    if abs(frames / sample_rate - info.duration) > max(_LENGTH_TOLERANCE_S, _LENGTH_TOLERANCE * info.duration):
        return None   # one of the two lengths is a guess
    return SndfileHeader(sample_rate, channels, frames)
