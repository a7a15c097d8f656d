"""Spectrogram images: frequencies where they belong, cost independent of the
window's length, channels, refusals, and the route that serves them."""

from __future__ import annotations

import io
import subprocess
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from earmark.audio.backends import SndfileFrames, WavFrames
from earmark.audio import spectrogram as spec
from apprunner import fetch
from earmark.db.media import register_media
from earmark.audio.probe import probe
from earmark.audio.spectrogram import MAX_HEIGHT, MAX_WIDTH, SpectrogramError, spectrogram, spectrogram_png
from earmark.db.store import Store


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """16-bit PCM WAV of float samples in [-1, 1], shape (n,) or (n, channels)."""
    frames = samples if samples.ndim == 2 else samples[:, None]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(frames.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(frames, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def tone(freq: float, seconds: float, rate: int, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return level * np.sin(2 * np.pi * freq * t)


def ffmpeg(*args) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *map(str, args)], check=True)


def brightest_freq(levels: np.ndarray, max_freq: float, column: int | slice = slice(None)) -> float:
    """Frequency of the brightest row (of a column, or of the whole image's row sums)."""
    height = levels.shape[0]
    profile = levels[:, column].astype(float)
    if profile.ndim == 2:
        profile = profile.sum(axis=1)
    row = int(np.argmax(profile))
    return (height - row - 0.5) * max_freq / height


def differ(a: np.ndarray, b: np.ndarray) -> float:
    """Mean difference of two images where either is within about 40 dB of the top
    (below that, the recordings' own low-level noise differs from copy to copy)."""
    a, b = a.astype(int), b.astype(int)
    loud = np.maximum(a, b) > 100
    assert loud.mean() > 0.2
    return float(np.abs(a - b)[loud].mean())


def decode_png(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    return np.asarray(image)


# -- frequencies and times --------------------------------------------------------

@pytest.mark.parametrize("rate,freq", [(16000, 1000.0), (16000, 3150.0), (44100, 6000.0), (48000, 1500.0)])
def test_a_pure_tone_is_brightest_at_its_frequency(tmp_path, rate, freq):
    # (The pre-emphasis tilts a tone's 240 Hz wide peak upwards by up to 1000/f x 20 Hz:
    # within a row of 40 Hz from 1 kHz up.)
    path = write_wav(tmp_path / "tone.wav", tone(freq, 2.0, rate), rate)
    height = 200
    image = spectrogram(path, probe(path), 0.0, 2.0, 300, height, max_freq=8000)
    assert image.levels.shape == (height, 300) and image.max_freq == 8000
    row_hz = 8000 / height
    # every column, not just on average
    for column in (5, 150, 294):
        assert abs(brightest_freq(image.levels, 8000, column) - freq) <= row_hz, column
    # well above the floor far from the tone
    far = int(height - (freq + 2000 if freq < 5000 else freq - 3000) / row_hz)
    assert image.levels[:, 150].max() - image.levels[far, 150] > 100


def test_the_png_is_the_size_asked_for_with_low_frequencies_at_the_bottom(tmp_path):
    rate = 16000
    path = write_wav(tmp_path / "tone.wav", tone(500.0, 1.0, rate), rate)
    rgb = decode_png(spectrogram_png(path, probe(path), 0.0, 1.0, 64, 100, max_freq=8000))
    assert rgb.shape == (100, 64, 3)
    brightness = rgb.astype(int).sum(axis=2).sum(axis=1)
    assert int(np.argmax(brightness)) > 90      # 500 Hz of 8000: near the bottom row


def test_two_tones_one_after_the_other_move_the_bright_rows(tmp_path):
    rate = 16000
    path = write_wav(tmp_path / "two.wav", np.concatenate([tone(800, 1.0, rate), tone(4000, 1.0, rate)]), rate)
    image = spectrogram(path, probe(path), 0.0, 2.0, 200, 160, max_freq=8000)
    assert abs(brightest_freq(image.levels, 8000, slice(10, 90)) - 800) <= 50
    assert abs(brightest_freq(image.levels, 8000, slice(110, 190)) - 4000) <= 50
    # a window of the second second alone shows only the second tone
    later = spectrogram(path, probe(path), 1.2, 1.8, 50, 160, max_freq=8000)
    assert abs(brightest_freq(later.levels, 8000) - 4000) <= 50


def test_a_chirp_rises_across_the_image(tmp_path):
    rate = 16000
    t = np.arange(4 * rate) / rate
    f0, f1 = 300.0, 6000.0     # linear chirp over 4 s
    chirp = 0.5 * np.sin(2 * np.pi * (f0 * t + (f1 - f0) / (2 * 4) * t ** 2))
    path = write_wav(tmp_path / "chirp.wav", chirp, rate)
    image = spectrogram(path, probe(path), 0.0, 4.0, 80, 200, max_freq=8000)
    seen = [brightest_freq(image.levels, 8000, c) for c in range(2, 78, 8)]
    expected = [f0 + (f1 - f0) * (c + 0.5) / 80 for c in range(2, 78, 8)]
    assert all(b > a for a, b in zip(seen, seen[1:])), seen
    assert np.allclose(seen, expected, atol=150), (seen, expected)


def test_max_freq_is_capped_at_the_nyquist_frequency(tmp_path):
    rate = 8000
    path = write_wav(tmp_path / "t.wav", tone(3000, 1.0, rate), rate)
    image = spectrogram(path, probe(path), 0, 1, 40, 80, max_freq=20000)
    assert image.max_freq == 4000
    assert abs(brightest_freq(image.levels, 4000) - 3000) <= 50
    assert spectrogram(path, probe(path), 0, 1, 40, 80).max_freq == 4000  # None: up to Nyquist


def test_silence_is_dark_not_stretched(tmp_path):
    path = write_wav(tmp_path / "silence.wav", np.zeros(16000), 16000)
    image = spectrogram(path, probe(path), 0, 1, 40, 40)
    assert image.levels.max() == 0


def test_one_read_per_column_and_one_contiguous_read_draw_the_same_image(tmp_path, monkeypatch, corpus):
    path = corpus / "diarization" / "trn01.wav"   # 32-bit float
    info = probe(path)
    contiguous = spectrogram(path, info, 3.0, 13.0, 400, 120, max_freq=8000)
    monkeypatch.setattr(spec, "_CONTIGUOUS_MAX_FRAMES", 0)
    per_column = spectrogram(path, info, 3.0, 13.0, 400, 120, max_freq=8000)
    assert (np.abs(contiguous.levels.astype(int) - per_column.levels.astype(int)) <= 1).all()


@pytest.mark.parametrize("name", ["bobby_16bit_16khz.wav", "bobby_32bit_16khz.wav", "bobby_32bit_48khz.wav"])
def test_wav_encodings_draw_alike(corpus, name, tmp_path):
    reference = corpus / "formats" / "bobby_16bit_16khz.wav"
    path = corpus / "formats" / name
    if "48khz" in name:  # compare at the same rate: 24-bit from the 16-bit file instead
        path = tmp_path / "bobby24.wav"
        ffmpeg("-i", reference, "-c:a", "pcm_s24le", path)
        assert probe(path).wav_encoding == "int24"
    a = spectrogram(reference, probe(reference), 0.1, 1.0, 200, 100, max_freq=8000).levels
    b = spectrogram(path, probe(path), 0.1, 1.0, 200, 100, max_freq=8000).levels
    assert differ(a, b) < 1


# -- channels -------------------------------------------------------------------

def test_channel_selects_one_channel_and_none_mixes(tmp_path):
    rate = 16000
    stereo = np.stack([tone(1000, 1.0, rate), tone(5000, 1.0, rate)], axis=1)
    path = write_wav(tmp_path / "stereo.wav", stereo, rate)
    info = probe(path)
    left = spectrogram(path, info, 0, 1, 50, 160, channel=0, max_freq=8000).levels
    right = spectrogram(path, info, 0, 1, 50, 160, channel=1, max_freq=8000).levels
    mixed = spectrogram(path, info, 0, 1, 50, 160, max_freq=8000).levels
    assert abs(brightest_freq(left, 8000) - 1000) <= 50
    assert abs(brightest_freq(right, 8000) - 5000) <= 50
    row_1k, row_5k = 160 - 1000 // 50 - 1, 160 - 5000 // 50 - 1
    assert left[row_5k].mean() < 60 and right[row_1k].mean() < 60     # the other tone is absent
    assert mixed[row_1k].mean() > 200 and mixed[row_5k].mean() > 200  # both in the mix


def test_channels_of_the_stereo_corpus_file(corpus):
    path = corpus / "formats" / "bobby_16bit_16khz_2ch.wav"
    info = probe(path)
    assert info.channels == 2
    images = [spectrogram(path, info, 0.0, info.duration, 300, 100, channel=c, max_freq=8000).levels
              for c in (0, 1, None)]
    mono = corpus / "formats" / "bobby_16bit_16khz.wav"
    reference = spectrogram(mono, probe(mono), 0.0, info.duration, 300, 100, max_freq=8000).levels
    # its two channels hold the same speech as the mono file
    for image in images:
        assert differ(image, reference) < 1
    with pytest.raises(SpectrogramError, match="channel 2"):
        spectrogram(path, info, 0.0, 1.0, 10, 10, channel=2)


# -- other formats ------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["mp3", "flac", "ogg", "m4a", "webm"])
def test_compressed_formats_show_the_tone(tmp_path, suffix):
    rate = 44100
    source = write_wav(tmp_path / "tone.wav", np.stack([tone(2000, 3.0, rate), tone(6000, 3.0, rate)], axis=1), rate)
    path = tmp_path / f"tone.{suffix}"
    ffmpeg("-i", source, path)
    info = probe(path)
    for channel, freq in ((0, 2000), (1, 6000)):
        image = spectrogram(path, info, 0.5, 2.5, 100, 160, channel=channel, max_freq=8000)
        assert abs(brightest_freq(image.levels, 8000, slice(5, 95)) - freq) <= 100, (suffix, channel)


def test_a_long_window_through_ffmpeg_is_decoded_at_a_lower_rate(tmp_path, monkeypatch):
    rate = 48000
    source = write_wav(tmp_path / "tone.wav", tone(3000, 70.0, rate, 0.3), rate)
    path = tmp_path / "tone.m4a"
    ffmpeg("-i", source, "-b:a", "64k", path)
    rates = []
    real = spec.ffmpeg_s16le
    monkeypatch.setattr(spec, "ffmpeg_s16le", lambda *a, **k: rates.append(k["sample_rate"]) or real(*a, **k))
    info = probe(path)
    image = spectrogram(path, info, 0.0, 69.0, 200, 100, max_freq=8000)
    short = spectrogram(path, info, 10.0, 20.0, 200, 100, max_freq=8000)
    assert rates == [16000, 48000]
    assert abs(brightest_freq(image.levels, 8000, slice(5, 195)) - 3000) <= 80
    assert abs(brightest_freq(short.levels, 8000, slice(5, 195)) - 3000) <= 80


# -- cost independent of the window -------------------------------------------------

@pytest.fixture(scope="module")
def hour_files(corpus, tmp_path_factory):
    """A one-hour 16 kHz WAV and a one-hour 44.1 kHz stereo MP3 (joined without re-encoding), and 10-minute ones."""
    folder = tmp_path_factory.mktemp("hour")
    piece_list = folder / "piece.txt"
    piece_list.write_text("".join(f"file '{p}'\n" for p in sorted((corpus / "diarization").glob("tr*.wav"))))
    piece_wav, piece_mp3 = folder / "piece.wav", folder / "piece.mp3"   # 2 minutes
    ffmpeg("-f", "concat", "-safe", "0", "-i", piece_list, "-ar", 16000, "-ac", 1, "-c:a", "pcm_s16le", piece_wav)
    ffmpeg("-i", piece_wav, "-ar", 44100, "-ac", 2, "-b:a", "128k", piece_mp3)
    out = {}
    for minutes in (10, 60):
        wav = folder / f"{minutes}.wav"
        ffmpeg("-stream_loop", minutes // 2 - 1, "-i", piece_wav, "-c", "copy", wav)
        listing = folder / f"{minutes}.txt"
        listing.write_text(f"file '{piece_mp3}'\n" * (minutes // 2))
        mp3 = folder / f"{minutes}.mp3"
        ffmpeg("-f", "concat", "-safe", "0", "-i", listing, "-c", "copy", mp3)
        out[minutes] = (wav, mp3)
    return out


def count_reads(monkeypatch) -> list[int]:
    """Frames read through any source, one entry per read."""
    counts: list[int] = []
    for cls in (WavFrames, SndfileFrames):
        real = cls.read

        def counted(self, first, count, real=real):
            counts.append(count)
            return real(self, first, count)
        monkeypatch.setattr(cls, "read", counted)
    return counts


@pytest.mark.parametrize("kind", ["wav", "mp3"])
def test_a_fit_view_of_an_hour_reads_one_frame_per_column(hour_files, monkeypatch, kind):
    reads = count_reads(monkeypatch)
    timings, totals = {}, {}
    for minutes, files in hour_files.items():
        path = files[0] if kind == "wav" else files[1]
        info = probe(path)
        assert abs(info.duration - minutes * 60) < 2
        reads.clear()
        begin = time.perf_counter()
        png = spectrogram_png(path, info, 0.0, info.duration, 1200, 200, max_freq=8000)
        timings[minutes] = time.perf_counter() - begin
        totals[minutes] = sum(reads)
        assert decode_png(png).shape == (200, 1200, 3)
        win = spec.window_length(info.sample_rate)
        assert len(reads) == 1200 and set(reads) == {win}
    assert totals[10] == totals[60]              # the same work whatever the length
    assert timings[60] < 2.0, timings             # target 0.5 s (bench/bench_spectrogram.py); slack for CI


def test_a_short_window_of_an_hour_is_one_read(hour_files, monkeypatch):
    reads = count_reads(monkeypatch)
    for path in hour_files[60]:
        info = probe(path)
        reads.clear()
        begin = time.perf_counter()
        spectrogram_png(path, info, 1800.0, 1810.0, 1200, 200, max_freq=8000)
        assert time.perf_counter() - begin < 1.0
        assert len(reads) == 1 and reads[0] < 10.1 * info.sample_rate


# -- refusals -------------------------------------------------------------------

@pytest.mark.parametrize("start,end,width,height,kwargs,message", [
    (0, 1, 0, 100, {}, "1..4096"),
    (0, 1, MAX_WIDTH + 1, 100, {}, "1..4096"),
    (0, 1, 100, MAX_HEIGHT + 1, {}, "1..1024"),
    (0, 1, 100.5, 100, {}, "whole numbers"),
    (-1, 1, 100, 100, {}, "outside the file"),
    (3, 4, 100, 100, {}, "outside the file"),
    (1, 1, 100, 100, {}, "not after start"),
    (1, 0.5, 100, 100, {}, "not after start"),
    (0, 10, 100, 100, {}, "past the end"),
    (float("nan"), 1, 100, 100, {}, "finite"),
    (0, 1, 100, 100, {"channel": 1}, "channel 1"),
    (0, 1, 100, 100, {"max_freq": 0}, "max_freq"),
    (0, 1, 100, 100, {"max_freq": float("inf")}, "max_freq"),
])
def test_bad_requests_are_refused_with_a_reason(tmp_path, start, end, width, height, kwargs, message):
    path = write_wav(tmp_path / "t.wav", tone(1000, 2.0, 16000), 16000)
    with pytest.raises(SpectrogramError, match=message):
        spectrogram_png(path, probe(path), start, end, width, height, **kwargs)


# -- the route ----------------------------------------------------------------------

@pytest.fixture
def served(corpus, tmp_path, run_app):
    db = tmp_path / "route.duckdb"
    store = Store(db)
    stereo = register_media(store, corpus / "formats" / "bobby_16bit_16khz_2ch.wav")
    store.close()
    return run_app(db), stereo


def test_the_route_serves_a_cacheable_png_of_the_window(served):
    app, media = served
    base = f"{app.url}/api/media/{media.id}/spectrogram"
    status, headers, body = fetch(f"{base}?start=0.1&end=1.0&width=320&height=120&max_freq=20000&channel=1")
    assert status == 200, body
    assert headers["content-type"] == "image/png"
    assert "max-age" in headers["cache-control"] and "no-store" not in headers["cache-control"]
    assert headers["x-spectrogram-max-freq"] == "8000"        # capped at 16 kHz's Nyquist
    assert decode_png(body).shape == (120, 320, 3)
    status, _, body = fetch(f"{base}?start=0&end=1.19&width=100&height=50")
    assert status == 200 and decode_png(body).shape == (50, 100, 3)


BAD_QUERIES = [
    ("end=1&width=100&height=50", b"start is missing"),
    ("start=x&end=1&width=100&height=50", b"start must be a number"),
    ("start=0&end=1&width=1.5&height=50", b"width must be a whole number"),
    ("start=0&end=1&width=100000&height=50", b"4096"),
    ("start=0&end=1&width=100&height=50&channel=2", b"channel 2"),
    ("start=0.5&end=0.2&width=100&height=50", b"not after start"),
    ("start=50&end=60&width=100&height=50", b"outside the file"),
    ("start=0&end=1&width=100&height=50&max_freq=-5", b"max_freq"),
]


def test_the_route_answers_400_to_bad_parameters(served):
    app, media = served
    for query, reason in BAD_QUERIES:   # one server for all: each start costs a second
        status, headers, body = fetch(f"{app.url}/api/media/{media.id}/spectrogram?{query}")
        assert status == 400 and reason in body, (query, status, body)
        assert headers["content-type"].startswith("text/plain")


def test_the_route_refuses_anything_but_a_registered_id(served):
    app, _ = served
    query = "spectrogram?start=0&end=1&width=10&height=10"
    for path in ["/api/media/00000000000000000000000000000000/", "/api/media/" + "a" * 31 + "/",
                 "/api/media/..%2F..%2Fetc%2Fpasswd/", "/api/media/app.py/", "/api/media/%2Fetc%2Fpasswd/"]:
        status, _, body = fetch(app.url + path + query)
        assert status in (400, 404), (path, status)
        assert b"root:" not in body and b"PNG" not in body


def test_dotdot_in_the_raw_spectrogram_path_is_refused(served):
    import http.client
    app, media = served
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    conn.request("GET", f"/api/media/../../{media.id}/spectrogram?start=0&end=1&width=10&height=10")
    response = conn.getresponse()
    assert response.status in (400, 404) and b"PNG" not in response.read()


# -- what the Annotate page gives the component ------------------------------------

def test_a_task_gets_its_media_spectrogram_with_the_clip_offset_and_channel(store, corpus):
    from earmark.annotations import Task
    from earmark.web.task_audio import task_audio

    media = register_media(store, corpus / "formats" / "bobby_16bit_16khz_2ch.wav")
    whole = task_audio(store, Task(1, "d", media.id, {"file": "bobby.wav"}))
    assert whole.spectrogram_url == f"/api/media/{media.id}/spectrogram" and whole.offset == 0
    segment = task_audio(store, Task(2, "d", media.id, {"segment": {"start": 0.5, "end": 0.9},
                                                        "meta": {"channel": 1}}), context=0.2)
    assert segment.spectrogram_url == f"/api/media/{media.id}/spectrogram?channel=1"
    assert segment.offset == pytest.approx(0.3)          # the clip's 0 is 0.3 s into the file
    assert task_audio(store, Task(3, "d", None, {"audio": "https://example.org/a.wav"})).spectrogram_url is None
