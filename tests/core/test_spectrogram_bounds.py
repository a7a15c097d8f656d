"""The spectrogram and clip routes bound their work by what they answer, whatever a
file's header claims: a WAV of 2,080,390,784 Hz, hundreds of channels, NaN windows."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest
from starlette.requests import Request

from earmark.audio.backends import SndfileBackend, WavFrames
from earmark.audio import spectrogram as spec
from earmark.audio.clips import MAX_CLIP_BYTES, ClipError, clip_wav
from earmark.db.media import MediaInfo, content_hash, insert_media
from earmark.audio.probe import AudioInfo, ProbeError, probe
from earmark.audio.spectrogram import MAX_HEIGHT, MAX_WIDTH, MAX_WINDOW_SAMPLES, SpectrogramError, spectrogram

HUGE_RATE = 2_080_390_784          # the fuzzed header of the report
MEMORY_BUDGET = 200 * 10**6
# Unbounded, this request took 24.5 s; bounded, 0.05 s on an idle machine. The
# bound leaves room for a loaded CI machine under tracemalloc (bench/ has figures).
TIME_BOUND = 5.0


def crafted_wav(path: Path, rate: int, frames: int, channels: int = 1) -> Path:
    """A 16-bit PCM WAV whose header claims `rate` (no library writes such a header)."""
    data = (np.arange(frames * channels, dtype=np.int64) % 2000 - 1000).astype("<i2").tobytes()
    block = 2 * channels
    fmt = struct.pack("<HHIIHH", 1, channels, rate, (rate * block) & 0xFFFFFFFF, block, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def measured(work):
    """(result, seconds, peak bytes allocated) of `work()`."""
    tracemalloc.start()
    begin = time.perf_counter()
    try:
        result = work()
        return result, time.perf_counter() - begin, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(autouse=True)
def headers_of_any_rate(monkeypatch):
    """Loads refuse such rates now, but a database from before (or a file rewritten
    after its load) can hold one, so the drawing must stay bounded on its own: the
    probe's bound is lifted here."""
    monkeypatch.setattr("earmark.audio.probe.MAX_SAMPLE_RATE", 2**32 - 1)


@pytest.fixture
def huge_rate_wav(tmp_path) -> Path:
    return crafted_wav(tmp_path / "fuzzed.wav", HUGE_RATE, 16000)


# -- the drawing ----------------------------------------------------------------------

def test_a_frame_never_holds_more_samples_than_the_bound():
    assert spec.window_length(HUGE_RATE) == MAX_WINDOW_SAMPLES
    assert spec.window_length(48000) == 288          # the ordinary rates keep their 6 ms
    assert spec.window_length(192000) == 1152


def test_four_microseconds_of_a_two_gigahertz_header_draw_fast_in_bounded_memory(huge_rate_wav):
    info = probe(huge_rate_wav)
    assert info.sample_rate == HUGE_RATE            # probe may refuse it at load; the drawing must not care
    image, seconds, peak = measured(lambda: spectrogram(huge_rate_wav, info, 0.0, 4e-6, 300, 200))
    assert image.levels.shape == (200, 300)
    assert seconds < TIME_BOUND and peak < MEMORY_BUDGET, (seconds, peak)


def test_the_largest_image_of_any_rate_stays_in_the_budget(tmp_path):
    for rate, channels in ((HUGE_RATE, 8), (768000, 2)):
        path = crafted_wav(tmp_path / f"{rate}.wav", rate, 200_000, channels)
        info = probe(path)
        for end in (4e-6, info.duration):
            image, seconds, peak = measured(
                lambda path=path, info=info, end=end: spectrogram(path, info, 0.0, end, MAX_WIDTH, MAX_HEIGHT))
            assert image.levels.shape == (MAX_HEIGHT, MAX_WIDTH)
            assert peak < MEMORY_BUDGET, (rate, end, peak)


def test_reads_are_one_bounded_frame_per_column(tmp_path, monkeypatch):
    path = crafted_wav(tmp_path / "long.wav", HUGE_RATE, 4_000_000)   # 1.9 ms at 2 GHz
    info = probe(path)
    reads: list[int] = []
    real = WavFrames.read
    monkeypatch.setattr(WavFrames, "read", lambda self, first, count: reads.append(count) or real(self, first, count))
    spectrogram(path, info, 0.0, info.duration, 500, 100)
    assert len(reads) == 500 and set(reads) == {MAX_WINDOW_SAMPLES}


def test_a_file_of_too_many_channels_is_refused(tmp_path):
    path = crafted_wav(tmp_path / "array.wav", 16000, 100, spec.MAX_CHANNELS + 1)
    with pytest.raises(SpectrogramError, match=f"at most {spec.MAX_CHANNELS}"):
        spectrogram(path, probe(path), 0.0, 0.005, 10, 10)


def test_ffmpeg_decodes_at_most_at_its_cap_and_the_top_follows(tmp_path, monkeypatch):
    rate = 384000
    t = np.arange(rate // 2) / rate
    path = tmp_path / "bat.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes((0.5 * np.sin(2 * np.pi * 40000 * t) * 32767).astype("<i2").tobytes())
    info = AudioInfo(format="wav", duration=0.5, sample_rate=rate, channels=1)   # as for a compressed file
    monkeypatch.setattr(SndfileBackend, "refusal", lambda *a: "declined")
    rates = []
    real = spec.ffmpeg_s16le
    monkeypatch.setattr(spec, "ffmpeg_s16le", lambda *a, **k: rates.append(k["sample_rate"]) or real(*a, **k))
    image = spectrogram(path, info, 0.0, 0.5, 100, 96)
    assert rates == [spec._FFMPEG_MAX_RATE] and image.max_freq == spec._FFMPEG_MAX_RATE / 2
    row = int(np.argmax(image.levels[:, 10:90].astype(float).sum(axis=1)))
    assert abs((96 - row - 0.5) * 1000 - 40000) <= 1500


# -- the routes, in this process (so that time and memory can be measured) -----------

@pytest.fixture
def registered(tmp_path, monkeypatch):
    """Register files straight into a database the routes read (no probe at load:
    a row as a database written before the load checks would hold it)."""
    from earmark.db import store as store_module
    db = tmp_path / "routes.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    store = store_module.open_store(db)

    def register(path: Path, **claims) -> MediaInfo:
        info = probe(path)
        media = MediaInfo(id=content_hash(path), path=str(path), format="wav", size=path.stat().st_size,
                          duration=claims.get("duration", info.duration),
                          sample_rate=claims.get("sample_rate", info.sample_rate),
                          channels=claims.get("channels", info.channels))
        store.write(lambda cur: insert_media(cur, [media]))
        return media

    yield register
    store.close()
    store_module._stores.pop(db.resolve(), None)


def get(handler, media_id: str, kind: str, query: str):
    scope = {"type": "http", "method": "GET", "path": f"/api/media/{media_id}/{kind}",
             "path_params": {"media_id": media_id}, "query_string": query.encode(), "headers": []}
    return handler(Request(scope))


def test_the_spectrogram_route_answers_the_fuzzed_header_fast_and_never_500(registered, huge_rate_wav):
    from earmark.web.spectrogram_route import serve_spectrogram
    media = registered(huge_rate_wav)
    response, seconds, peak = measured(lambda: get(
        serve_spectrogram, media.id, "spectrogram", "start=0&end=0.000004&width=300&height=200"))
    assert response.status_code == 200 or 400 <= response.status_code < 500, response.body
    assert seconds < TIME_BOUND and peak < MEMORY_BUDGET, (seconds, peak)


def test_a_file_the_probe_refuses_is_a_4xx_with_its_reason(registered, huge_rate_wav, monkeypatch):
    from earmark.web import spectrogram_route
    media = registered(huge_rate_wav)

    def refuse(path):
        raise ProbeError("a sample rate of 2080390784 Hz is not audio Earmark can show")
    monkeypatch.setattr(spectrogram_route, "probe", refuse)
    response = get(spectrogram_route.serve_spectrogram, media.id, "spectrogram",
                   "start=0&end=0.000004&width=300&height=200")
    assert response.status_code == 422 and b"2080390784 Hz" in response.body


@pytest.mark.parametrize("query,reason", [
    ("start=nan&end=1&width=10&height=10", b"finite"),
    ("start=0&end=inf&width=10&height=10", b"finite"),
    ("start=0&end=1e999&width=10&height=10", b"finite"),
    ("start=0&end=1&width=0&height=10", b"1..4096"),
    ("start=0&end=1&width=4097&height=10", b"1..4096"),
    ("start=0&end=1&width=10&height=100000", b"1..1024"),
    ("start=0&end=1&width=" + "9" * 5000 + "&height=10", b"width must be a whole number"),
    ("start=0.5&end=0.5&width=10&height=10", b"not after start"),
    ("start=0&end=1&width=10&height=10&max_freq=nan", b"max_freq"),
])
def test_the_spectrogram_route_refuses_bad_windows_and_sizes(registered, tmp_path, query, reason):
    from earmark.web.spectrogram_route import serve_spectrogram
    media = registered(crafted_wav(tmp_path / "a.wav", 16000, 32000))
    response = get(serve_spectrogram, media.id, "spectrogram", query)
    assert response.status_code == 400 and reason in response.body, response.body


@pytest.mark.parametrize("query", ["start=nan&end=1", "start=0&end=nan", "start=-inf&end=inf",
                                   "start=0&end=1e999"])
def test_the_clip_route_refuses_windows_that_are_not_finite(registered, tmp_path, query):
    from earmark.web.routes import serve_clip
    media = registered(crafted_wav(tmp_path / "a.wav", 16000, 32000))
    response = get(serve_clip, media.id, "clip", query)
    assert response.status_code == 400 and b"finite" in response.body, response.body


def test_clips_of_the_fuzzed_header_are_small_or_refused_never_a_crash(registered, huge_rate_wav, tmp_path):
    from earmark.web.routes import serve_clip
    mono = registered(huge_rate_wav)
    response, seconds, peak = measured(lambda: get(serve_clip, mono.id, "clip", "start=0&end=0.000004"))
    assert response.status_code == 200 and seconds < TIME_BOUND and peak < MEMORY_BUDGET
    with wave.open(io.BytesIO(response.body)) as w:
        assert w.getframerate() == HUGE_RATE and abs(w.getnframes() - 4e-6 * HUGE_RATE) <= 1
    # two channels at that rate: a byte rate no WAV header can hold
    stereo = registered(crafted_wav(tmp_path / "fuzzed2.wav", HUGE_RATE, 8000, channels=2))
    response = get(serve_clip, stereo.id, "clip", "start=0&end=0.000002")
    assert response.status_code == 400 and b"2080390784 Hz" in response.body, response.body


def test_a_clip_larger_than_the_bound_is_refused_before_anything_is_read(tmp_path, monkeypatch):
    path = crafted_wav(tmp_path / "claims.wav", 16000, 100)
    media = MediaInfo(id="f" * 32, path=str(path), format="wav", duration=600.0, sample_rate=768000,
                      channels=64, size=path.stat().st_size)
    monkeypatch.setattr("earmark.audio.clips.read", lambda *a, **k: pytest.fail("read a window over the bound"))
    with pytest.raises(ClipError, match=f"at most {MAX_CLIP_BYTES >> 20} MiB"):
        clip_wav(media, 0.0, 60.0)


def test_clips_in_blocks_are_the_samples_of_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr("earmark.audio.backends._WAV_BLOCK_FRAMES", 1000)    # many blocks, one partial
    samples = (np.random.default_rng(3).uniform(-1, 1, (20_500, 2))).astype("<f4")
    path = tmp_path / "float.wav"
    fmt = struct.pack("<HHIIHH", 3, 2, 8000, 8000 * 8, 8, 32)
    data = samples.tobytes()
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    media = MediaInfo(id="e" * 32, path=str(path), format="wav", duration=20_500 / 8000, sample_rate=8000,
                      channels=2, size=path.stat().st_size)
    with wave.open(io.BytesIO(clip_wav(media, 0.25, 2.5, channel=1))) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
        got = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    expected = (np.clip(samples[2000:20000, 1], -1, 1) * 32767).astype("<i2")
    assert (got == expected).all()
