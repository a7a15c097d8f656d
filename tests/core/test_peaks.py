"""Peaks of long compressed files: the two decoders (libsndfile in-process,
ffmpeg on a pipe), each in halves, must give the peaks of the whole file."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from earmark import peaks as peaks_module
from earmark.peaks import _PARALLEL_MIN_SECONDS, _ffmpeg_peaks, _sndfile_peaks, compute_peaks
from earmark.probe import probe


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
