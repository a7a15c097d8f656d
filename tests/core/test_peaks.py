"""Peaks: short WAVs built here whose peaks are worked out by hand (and the FLAC
and MP3 made from them), then long compressed files: the two decoders
(libsndfile in-process, ffmpeg on a pipe), each in halves, must give the peaks
of the whole file."""

from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest

from earmark.audio import peaks as peaks_module
from earmark.audio.peaks import _PARALLEL_MIN_SECONDS, _ffmpeg_peaks, _sndfile_peaks, compute_peaks
from earmark.audio.probe import probe


def ffmpeg(*args) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *map(str, args)], check=True)


@pytest.fixture(scope="module")
def listing(corpus, tmp_path_factory):
    """Four minutes of the diarization recordings, joined (8 x 30 s)."""
    path = tmp_path_factory.mktemp("long") / "list.txt"
    files = sorted((corpus / "diarization").glob("tr*.wav")) * 2
    path.write_text("".join(f"file '{f}'\n" for f in files))
    return path


def decoded_frames(path, rate) -> int:
    out = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "s16le",
                          "-ac", "1", "-ar", str(rate), "-"], capture_output=True, check=True).stdout
    return len(out) // 2


@pytest.mark.parametrize("decoder", ["sndfile", "ffmpeg"])
@pytest.mark.parametrize("rate", [44100, 22050])
def test_long_flac_peaks_in_halves_equal_the_wav_peaks(listing, tmp_path, decoder, rate):
    """FLAC is lossless, so the peaks decoded in two halves must be exactly
    those read from the WAV: at 44.1 kHz, whose buckets are whole numbers of
    frames, and at 22.05 kHz, whose are not."""
    wav, flac = tmp_path / "long.wav", tmp_path / "long.flac"
    ffmpeg("-f", "concat", "-safe", "0", "-i", listing, "-ar", rate, "-ac", 2, "-c:a", "pcm_s16le", wav)
    ffmpeg("-i", wav, flac)
    from_wav = compute_peaks(wav)
    assert from_wav.duration > _PARALLEL_MIN_SECONDS
    decode = _sndfile_peaks if decoder == "sndfile" else _ffmpeg_peaks
    from_flac = decode(flac, probe(flac), 100)
    assert from_flac.minmax.shape == from_wav.minmax.shape
    assert (from_flac.minmax == from_wav.minmax).all()
    assert from_flac.duration == pytest.approx(from_wav.duration, abs=1e-9)


def test_long_mp3_halves_join_without_a_seam_and_agree_with_ffmpeg(listing, tmp_path, monkeypatch):
    mp3 = tmp_path / "long.mp3"
    ffmpeg("-f", "concat", "-safe", "0", "-i", listing, "-ar", 44100, "-ac", 2, "-b:a", "128k", mp3)
    info = probe(mp3)
    halves = _sndfile_peaks(mp3, info, 100)
    monkeypatch.setattr(peaks_module, "_PARALLEL_MIN_SECONDS", 1e9)
    whole = _sndfile_peaks(mp3, info, 100)
    # libsndfile seeks to the exact sample: two halves are the whole, bit for bit.
    assert (halves.minmax == whole.minmax).all()
    assert halves.duration == pytest.approx(decoded_frames(mp3, 44100) / 44100, abs=1e-9)
    # mpg123 and ffmpeg decode MP3 in float with different rounding: a few
    # units out of 32768, never more.
    by_ffmpeg = _ffmpeg_peaks(mp3, info, 100)
    assert by_ffmpeg.minmax.shape == halves.minmax.shape
    difference = np.abs(by_ffmpeg.minmax.astype(np.int32) - halves.minmax)
    assert difference.max() <= 64 and np.median(difference) == 0
    assert halves.minmax.max() > 3000   # speech, not silence


def test_vbr_mp3_without_a_length_header_is_read_to_its_end(listing, tmp_path):
    """mpg123 guesses such a file's length from its first frame and libsndfile
    stops there (a quarter of this file); the peaks must cover all of it."""
    mp3 = tmp_path / "vbr.mp3"
    ffmpeg("-f", "concat", "-safe", "0", "-i", listing, "-t", 90, "-ar", 44100, "-ac", 2,
           "-q:a", 5, "-write_xing", 0, mp3)
    peaks = compute_peaks(mp3)
    assert peaks.duration == pytest.approx(decoded_frames(mp3, 44100) / 44100, abs=0.01)
    assert peaks.duration > 89


def test_formats_libsndfile_does_not_read_go_to_ffmpeg(corpus, tmp_path):
    m4a = tmp_path / "bobby.m4a"
    ffmpeg("-i", corpus / "formats" / "bobby_16bit_16khz_2ch.wav", m4a)
    with pytest.raises(peaks_module._NotForSndfile):
        _sndfile_peaks(m4a, probe(m4a), 100)
    peaks = compute_peaks(m4a)
    assert peaks.channels == 2 and peaks.minmax.max() > 5000


# -- known answers: WAVs built here, peaks worked out by hand ---------------------
# A peak bucket is 10 ms and holds the min and max of its frames, per channel.
# Bucket b begins at frame floor(b * rate / 100): at 22.05 kHz a bucket is 220.5
# frames, the buckets alternate between 220 and 221 frames, and the frame that
# straddles an edge (frame 220 covers 9.98-10.02 ms) opens the later bucket.


def bucket_of(frame: int, rate: int) -> int:
    b = frame * 100 // rate
    while (b + 1) * rate // 100 <= frame:
        b += 1
    return b

def ramp_and_spikes(frames: int) -> list[tuple[int, int]]:
    """Left: a ramp up by 4 per frame from -16000. Right: silence with four spikes,
    one on the first frame of bucket 1, one full-scale negative, one on the very last frame."""
    spikes = {160: -32768, 1234: 20000, 5000: -25000, frames - 1: 32767}
    return [(-16000 + 4 * i, spikes.get(i, 0)) for i in range(frames)]


def hand_peaks(frames: list[tuple[int, ...]], rate: int) -> list[list[tuple[int, int]]]:
    """[channel][bucket] -> (min, max), one frame at a time."""
    channels = len(frames[0])
    buckets = bucket_of(len(frames) - 1, rate) + 1
    out = [[(None, None)] * buckets for _ in range(channels)]
    for i, frame in enumerate(frames):
        b = bucket_of(i, rate)
        for c, value in enumerate(frame):
            low, high = out[c][b]
            out[c][b] = (value if low is None else min(low, value), value if high is None else max(high, value))
    return out


def as_lists(peaks) -> list[list[tuple[int, int]]]:
    return [[(int(lo), int(hi)) for lo, hi in channel] for channel in peaks.minmax]


def write_wav(path, frames: list[tuple], rate: int, sample_format: str) -> None:
    from .crafted import wav_bytes
    channels = len(frames[0])
    if sample_format == "int16":
        data = np.array(frames, dtype="<i2").tobytes()
        path.write_bytes(wav_bytes(rate=rate, channels=channels, frames=len(frames), data=data))
    else:  # float32 in [-1, 1): the int16 values over 32768
        data = (np.array(frames, dtype=np.float64) / 32768).astype("<f4").tobytes()
        path.write_bytes(wav_bytes(rate=rate, channels=channels, bits=32, tag=3, frames=len(frames), data=data))


@pytest.mark.parametrize("rate", [16000, 22050])
@pytest.mark.parametrize("layout", ["mono", "stereo"])
def test_int16_wav_and_its_flac_give_the_hand_computed_peaks(tmp_path, rate, layout):
    frames = ramp_and_spikes(rate // 2 + 50)          # half a second and a partial bucket
    if layout == "mono":
        frames = [(left,) for left, _ in frames]
    wav, flac = tmp_path / "known.wav", tmp_path / "known.flac"
    write_wav(wav, frames, rate, "int16")
    ffmpeg("-i", wav, "-c:a", "flac", flac)
    expected = hand_peaks(frames, rate)
    assert len(expected[0]) == 51                      # 50 whole buckets and the partial one
    if layout == "stereo":
        # the spikes, in the buckets worked out from their frames (at 16 kHz: 1, 7, 31, 50)
        assert [b for b, (lo, hi) in enumerate(expected[1]) if (lo, hi) != (0, 0)] == \
            sorted({bucket_of(f, rate) for f in (160, 1234, 5000, len(frames) - 1)})
    for label, peaks in [("wav", compute_peaks(wav)), ("flac", compute_peaks(flac)),
                         ("flac by ffmpeg", _ffmpeg_peaks(flac, probe(flac), 100))]:
        assert as_lists(peaks) == expected, label
        assert peaks.duration == len(frames) / rate, label


def test_float32_wav_peaks_are_its_samples_scaled_to_16_bits(tmp_path):
    """A float WAV's samples are read as int16 by x 32767, truncated toward zero (pcm.to_int16)."""
    rate = 16000
    frames = ramp_and_spikes(rate // 2 + 50)
    wav = tmp_path / "float.wav"
    write_wav(wav, frames, rate, "float32")
    scaled = [tuple(int(v / 32768 * 32767) for v in frame) for frame in frames]
    assert scaled[160][1] == -32767 and scaled[1234][1] == 19999   # e.g. the spikes
    peaks = compute_peaks(wav)
    assert as_lists(peaks) == hand_peaks(scaled, rate)
    assert peaks.duration == len(frames) / rate


def tones(rate: int, seconds: float) -> list[tuple[int, int]]:
    """Left: 440 Hz at amplitude 16000 in [0.1, 0.3) s; right: 1 kHz at 8000 in [0.25, 0.45) s."""
    out = []
    for i in range(int(rate * seconds)):
        t = i / rate
        left = round(16000 * math.sin(2 * math.pi * 440 * t)) if 0.1 <= t < 0.3 else 0
        right = round(8000 * math.sin(2 * math.pi * 1000 * t)) if 0.25 <= t < 0.45 else 0
        out.append((left, right))
    return out


def test_mp3_of_two_different_channels_gives_the_hand_peaks_within_its_loss(tmp_path):
    """MP3 is lossy: in each bucket well inside a tone the peaks are the tone's
    amplitude within 5 % (LAME here gives 3 % less), and in silence well away from one they are within 1 %
    of full scale of zero; each channel keeps its own tone (none leaks into the other)."""
    rate = 44100
    frames = tones(rate, 0.6)
    wav, mp3 = tmp_path / "tones.wav", tmp_path / "tones.mp3"
    write_wav(wav, frames, rate, "int16")
    ffmpeg("-i", wav, "-b:a", "192k", mp3)
    expected = hand_peaks(frames, rate)
    assert as_lists(compute_peaks(wav)) == expected          # the WAV itself: exact
    got = as_lists(compute_peaks(mp3))
    assert len(got[0]) == len(expected[0]) == 60
    # buckets (10 ms) at least 30 ms inside a tone, or 30 ms away from any edge of one
    inside = {0: range(13, 27), 1: range(28, 42)}
    silent = {0: [*range(0, 7), *range(33, 60)], 1: [*range(0, 22), *range(48, 60)]}
    amplitude = {0: 16000, 1: 8000}
    for channel in (0, 1):
        for b in inside[channel]:
            low, high = expected[channel][b]
            assert abs(low + amplitude[channel]) < 20 and abs(high - amplitude[channel]) < 20  # sampled sine
            mp3_low, mp3_high = got[channel][b]
            assert abs(mp3_low - low) <= 0.05 * amplitude[channel], (channel, b, got[channel][b])
            assert abs(mp3_high - high) <= 0.05 * amplitude[channel], (channel, b, got[channel][b])
        for b in silent[channel]:
            assert expected[channel][b] == (0, 0)
            assert max(map(abs, got[channel][b])) <= 328, (channel, b, got[channel][b])
