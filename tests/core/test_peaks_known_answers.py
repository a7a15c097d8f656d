"""Peaks with known answers, piece by piece: the reducer fed in odd splits, each
WAV sample format read in several chunks, the libsndfile and ffmpeg decoders
each in halves (the halves made small by lowering the threshold), ffmpeg's
pipe read in odd pieces, and the cache in the database.

Every expected value is worked out here from the samples written, one frame at
a time: bucket b holds frames floor(b * rate / 100) up to the next bucket's first.
"""

from __future__ import annotations

import io
import struct
from contextlib import contextmanager

import numpy as np
import pytest
import soundfile

from earmark.audio import peaks as peaks_module
from earmark.db.media import MediaInfo, register_media
from earmark.audio.peaks import (Peaks, PeaksError, _decode_range, _ffmpeg_peaks, _in_two_threads,
                           _Reducer, _sndfile_peaks, compute_peaks, get_peaks, store_peaks)
from earmark.audio.probe import AudioInfo, probe

from .crafted import wav_bytes


# -- hand computation -------------------------------------------------------------
def first_frame(bucket: int, sample_rate: int) -> int:
    return bucket * sample_rate // 100


def hand_peaks(frames: np.ndarray, sample_rate: int, start_bucket: int = 0) -> list:
    """[channel][bucket] -> [min, max] of a stream that begins at `start_bucket`'s first frame."""
    offset = first_frame(start_bucket, sample_rate)
    per_bucket: dict[int, list] = {}
    bucket = start_bucket
    for i, frame in enumerate(frames.tolist()):
        while first_frame(bucket + 1, sample_rate) <= offset + i:
            bucket += 1
        per_bucket.setdefault(bucket, []).append(frame)
    channels = frames.shape[1]
    return [[[min(f[c] for f in per_bucket[b]), max(f[c] for f in per_bucket[b])]
             for b in sorted(per_bucket)] for c in range(channels)]


def noise(frames: int, channels: int, seed: int) -> np.ndarray:
    """int16 frames; the channels differ, and both extremes of int16 occur."""
    rng = np.random.default_rng(seed)
    out = rng.integers(-30000, 30000, size=(frames, channels)).astype(np.int16)
    out[frames // 3, 0] = -32768
    out[frames // 2, channels - 1] = 32767
    return out


def pcm_wav(path, frames: np.ndarray, sample_rate: int, bits: int = 16, tail: bytes = b"") -> None:
    """A PCM WAV of the int16 `frames`: 16-bit, or 24-bit with a low byte that the
    peaks ignore, or 32-bit float (value / 32768). `tail`: a chunk after the data."""
    channels = frames.shape[1]
    if bits == 16:
        data, tag = frames.astype("<i2").tobytes(), 1
    elif bits == 24:
        wide = frames.astype(np.int32) * 256 + 0x5A        # low byte: noise below 16 bits
        b = wide.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3]
        data, tag = b.tobytes(), 1
    else:
        data, tag = (frames.astype(np.float64) / 32768).astype("<f4").tobytes(), 3
    body = wav_bytes(rate=sample_rate, channels=channels, bits=bits, tag=tag,
                     frames=len(frames), data=data)
    if tail:
        body = body[:4] + struct.pack("<I", len(body) - 8 + len(tail)) + body[8:] + tail
    path.write_bytes(body)


def flac(path, frames: np.ndarray, sample_rate: int) -> None:
    soundfile.write(str(path), frames, sample_rate, subtype="PCM_16", format="FLAC")


def lists(peaks: Peaks) -> list:
    return peaks.minmax.tolist()


# -- the reducer --------------------------------------------------------------------
@pytest.mark.parametrize("sample_rate", [16000, 22050])
@pytest.mark.parametrize("splits", [[3000], [1, 0, 159, 160, 1, 219, 2, 441, 1000],
                                    [221, 220, 221, 7, 500, 13, 1, 1, 1]])
def test_the_reducer_gives_the_same_buckets_however_the_stream_is_cut(sample_rate, splits):
    frames = noise(sum(splits) if sum(splits) else 1, 2, seed=len(splits))
    reducer = _Reducer(sample_rate, 2, 100)
    at = 0
    for n in splits:
        reducer.feed(frames[at:at + n])
        at += n
    peaks = reducer.finish()
    assert lists(peaks) == hand_peaks(frames[:at], sample_rate)
    assert peaks.minmax.dtype == np.int16 and peaks.rate == 100
    assert peaks.duration == at / sample_rate


@pytest.mark.parametrize("sample_rate", [16000, 22050])
def test_a_stream_that_ends_on_a_bucket_edge_has_no_empty_bucket(sample_rate):
    frames = noise(first_frame(9, sample_rate), 1, seed=3)      # exactly nine buckets
    reducer = _Reducer(sample_rate, 1, 100)
    reducer.feed(frames[:100])
    reducer.feed(frames[100:])
    peaks = reducer.finish()
    assert len(peaks.minmax[0]) == 9
    assert lists(peaks) == hand_peaks(frames, sample_rate)


def test_a_stream_that_begins_at_a_later_bucket_is_cut_at_that_buckets_edges():
    sample_rate, start = 22050, 7                                # begins at frame 1543
    frames = noise(1500, 2, seed=4)
    reducer = _Reducer(sample_rate, 2, 100, start_bucket=start)
    for a in range(0, 1500, 333):
        reducer.feed(frames[a:a + 333])
    peaks = reducer.finish()
    expected = hand_peaks(frames, sample_rate, start_bucket=start)
    assert lists(peaks) == expected
    # bucket 7 is frames 1543..1763 (221 of them): the stream's first 221 frames
    assert expected[0][0] == [int(frames[:221, 0].min()), int(frames[:221, 0].max())]
    assert peaks.duration == 1500 / sample_rate


def test_a_reducer_fed_nothing_gives_no_buckets():
    for dtype in (np.int16, np.float32):
        peaks = _Reducer(16000, 3, 100, dtype).finish()
        assert peaks.minmax.shape == (3, 0, 2) and peaks.minmax.dtype == np.int16
        assert peaks.duration == 0


def test_float_frames_become_int16_as_ffmpeg_converts_them():
    """x 32768, rounded to nearest (half to even), clipped to [-32768, 32767]."""
    values = [30000 / 32768, -1.5, 1.0, 1.5 / 32768, 2.5 / 32768, -12345 / 32768, 0.0]
    # one value per bucket at 100 Hz: 1 frame per 10 ms
    block = np.array([[v, -v] for v in values], dtype=np.float32)
    reducer = _Reducer(100, 2, 100, np.float32)
    reducer.feed(block[:3])
    reducer.feed(block[3:])
    peaks = reducer.finish()
    left = [30000, -32768, 32767, 2, 2, -12345, 0]
    right = [-30000, 32767, -32768, -2, -2, 12345, 0]
    assert lists(peaks) == [[[v, v] for v in left], [[v, v] for v in right]]
    assert peaks.minmax.dtype == np.int16


@pytest.mark.parametrize("sample_rate", [1001, 22050])
def test_every_length_of_stream_ends_with_its_partial_bucket(sample_rate):
    """At 1001 Hz a bucket is 10.01 frames, and (n * 100) % 1001 takes every value:
    for each length n the buckets are those whose first frame is < n, the last one
    ending at frame n - 1. Frame i holds the value i, so a bucket's peaks are its
    first and last frame."""
    frames = np.arange(1100, dtype=np.int16).reshape(-1, 1)
    for n in range(1, 1100):
        reducer = _Reducer(sample_rate, 1, 100)
        reducer.feed(frames[:n // 2])
        reducer.feed(frames[n // 2:n])
        got = reducer.finish().minmax[0].tolist()
        expected = []
        b = 0
        while first_frame(b, sample_rate) < n:
            expected.append([first_frame(b, sample_rate), min(first_frame(b + 1, sample_rate), n) - 1])
            b += 1
        assert got == expected, n


# -- WAV, read in chunks ------------------------------------------------------------
@pytest.mark.parametrize("bits", [16, 24, 32])
@pytest.mark.parametrize("channels", [1, 2])
def test_wav_peaks_of_each_sample_format_read_in_several_chunks(tmp_path, monkeypatch, bits, channels):
    """At 3 buckets a chunk (480 frames at 16 kHz) a 1234-frame file is read as
    480 + 480 + 274 frames; the peaks are those of the samples, whatever the chunks."""
    sample_rate = 16000
    frames = noise(1234, channels, seed=bits + channels)
    path = tmp_path / "k.wav"
    pcm_wav(path, frames, sample_rate, bits, tail=b"LIST\x04\x00\x00\x00abcd")
    if bits == 32:   # float: x 32767, truncated toward zero (pcm.to_int16)
        expected_frames = np.trunc(frames.astype(np.float64) / 32768 * 32767).astype(np.int64)
    else:            # 24 bits: the top two bytes are the int16 value
        expected_frames = frames
    monkeypatch.setattr(peaks_module, "_CHUNK_BUCKETS", 3)
    blocks = []
    real_feed = _Reducer.feed

    def feed(self, block, final=False):
        blocks.append(len(block))
        return real_feed(self, block, final)

    monkeypatch.setattr(_Reducer, "feed", feed)
    peaks = compute_peaks(path)
    assert blocks[:3] == [480, 480, 274]
    assert lists(peaks) == hand_peaks(expected_frames, sample_rate)
    assert peaks.duration == 1234 / sample_rate and peaks.rate == 100


def test_wav_peaks_at_another_rate_of_buckets(tmp_path):
    frames = noise(900, 1, seed=9)
    path = tmp_path / "r.wav"
    pcm_wav(path, frames, 8000)
    peaks = compute_peaks(path, rate=50)           # 160 frames a bucket
    assert peaks.rate == 50
    assert lists(peaks) == [[[int(frames[a:a + 160, 0].min()), int(frames[a:a + 160, 0].max())]
                             for a in range(0, 900, 160)]]


def test_a_wav_cut_short_after_it_was_probed_is_named(tmp_path):
    path = tmp_path / "short.wav"
    pcm_wav(path, noise(1600, 2, seed=1), 16000)
    info = probe(path)
    path.write_bytes(path.read_bytes()[:-400])
    with pytest.raises(PeaksError) as caught:
        compute_peaks(path, info)
    assert str(caught.value) == "short.wav ends before its header says it should"


def test_the_header_given_is_used_and_the_file_not_probed_again(tmp_path, monkeypatch):
    frames = noise(1600, 1, seed=2)
    path = tmp_path / "given.wav"
    pcm_wav(path, frames, 16000)
    info = probe(path)
    half = AudioInfo(**{**info.__dict__, "data_size": 800 * 2, "duration": 0.05})

    def no_probe(_path):
        raise AssertionError("probed again")

    monkeypatch.setattr(peaks_module, "probe", no_probe)
    peaks = compute_peaks(path, half)
    assert lists(peaks) == hand_peaks(frames[:800], 16000)
    assert peaks.duration == 0.05


def test_a_file_that_is_not_audio_raises_the_probes_reason(tmp_path):
    path = tmp_path / "empty.flac"
    path.write_bytes(b"")
    with pytest.raises(PeaksError) as caught:
        compute_peaks(path)
    assert str(caught.value) == "empty file (0 bytes)"


def test_an_unexpected_failure_is_a_peaks_error_that_names_its_kind(tmp_path):
    path = tmp_path / "zero.wav"
    pcm_wav(path, noise(160, 1, seed=0), 16000)
    lying = AudioInfo(**{**probe(path).__dict__, "channels": 0})
    with pytest.raises(PeaksError) as caught:
        compute_peaks(path, lying)
    assert str(caught.value) == "ZeroDivisionError: integer division or modulo by zero"


# -- FLAC through libsndfile -----------------------------------------------------------
class Recording(_Reducer):
    starts: list[int] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        Recording.starts.append(self.next_bucket)


@pytest.fixture
def recorded(monkeypatch):
    Recording.starts = []
    monkeypatch.setattr(peaks_module, "_Reducer", Recording)
    return Recording.starts


def test_flac_peaks_by_libsndfile_in_one_decode(tmp_path, recorded):
    frames = noise(2000, 2, seed=5)
    path = tmp_path / "one.flac"
    flac(path, frames, 22050)
    peaks = compute_peaks(path)
    assert lists(peaks) == hand_peaks(frames, 22050)
    assert peaks.duration == 2000 / 22050 and peaks.rate == 100
    assert recorded == [0]                 # libsndfile, not ffmpeg (whose reducer is an int16 one)


@pytest.mark.parametrize("block_frames", [1 << 18, 1000])
def test_flac_peaks_by_libsndfile_in_two_halves(tmp_path, monkeypatch, recorded, block_frames):
    """11025 frames at 22.05 kHz: the middle is bucket 11025*100 // 44100 = 25, whose
    first frame is 5512 (not 5512.5): halves [0, 5512) and [5512, end)."""
    frames = noise(11025, 2, seed=6)
    path = tmp_path / "two.flac"
    flac(path, frames, 22050)
    monkeypatch.setattr(peaks_module, "_PARALLEL_MIN_SECONDS", 0.3)
    monkeypatch.setattr(peaks_module, "_SNDFILE_BLOCK_FRAMES", block_frames)
    peaks = _sndfile_peaks(path, probe(path), 100)
    assert sorted(recorded) == [0, 25]
    assert lists(peaks) == hand_peaks(frames, 22050)
    assert peaks.rate == 100 and peaks.minmax.dtype == np.int16
    assert peaks.duration == pytest.approx(5512 / 22050 + 5513 / 22050, abs=1e-12)


def test_a_file_just_at_the_threshold_is_decoded_in_halves(tmp_path, monkeypatch, recorded):
    frames = noise(1600, 1, seed=7)
    path = tmp_path / "edge.flac"
    flac(path, frames, 16000)
    monkeypatch.setattr(peaks_module, "_PARALLEL_MIN_SECONDS", 0.1)   # 1600 frames exactly
    peaks = _sndfile_peaks(path, probe(path), 100)
    assert sorted(recorded) == [0, 5]
    assert lists(peaks) == hand_peaks(frames, 16000)
    monkeypatch.setattr(peaks_module, "_PARALLEL_MIN_SECONDS", 0.1001)
    recorded.clear()
    _sndfile_peaks(path, probe(path), 100)
    assert recorded == [0]


def test_a_flac_whose_header_disagrees_goes_to_ffmpeg(tmp_path, recorded):
    """libsndfile only decodes a file whose length it agrees on; this one's given
    header says five times as long (as a guessed MP3 length would), so ffmpeg decodes it."""
    frames = noise(1600, 2, seed=8)
    path = tmp_path / "guess.flac"
    flac(path, frames, 16000)
    info = AudioInfo(**{**probe(path).__dict__, "duration": 0.5})
    with pytest.raises(peaks_module._NotForSndfile):
        _sndfile_peaks(path, info, 100)
    peaks = compute_peaks(path, info)
    assert lists(peaks) == hand_peaks(frames, 16000)
    assert peaks.duration == 0.1


# -- ffmpeg ------------------------------------------------------------------------
def test_ffmpeg_peaks_in_two_halves(tmp_path, monkeypatch):
    """0.3 s at 16 kHz: cut at 0.15 s (bucket 15, frame 2400)."""
    frames = noise(4800, 2, seed=10)
    path = tmp_path / "halves.wav"
    pcm_wav(path, frames, 16000)
    monkeypatch.setattr(peaks_module, "_PARALLEL_MIN_SECONDS", 0.3)
    calls = []
    real = peaks_module._decode_range

    def recording(path, info, rate, start, length):
        calls.append((start, length))
        return real(path, info, rate, start, length)

    monkeypatch.setattr(peaks_module, "_decode_range", recording)
    peaks = _ffmpeg_peaks(path, probe(path), 100)
    assert sorted(calls, key=str) == [(0.15, None), (None, 0.15)]
    assert lists(peaks) == hand_peaks(frames, 16000)
    assert peaks.rate == 100 and peaks.duration == pytest.approx(0.3, abs=1e-12)
    monkeypatch.setattr(peaks_module, "_PARALLEL_MIN_SECONDS", 0.30001)
    calls.clear()
    assert lists(_ffmpeg_peaks(path, probe(path), 100)) == hand_peaks(frames, 16000)
    assert calls == [(None, None)]


def test_ffmpeg_decodes_one_range_at_the_files_rate_and_channels(tmp_path):
    frames = noise(3200, 2, seed=11)
    path = tmp_path / "range.wav"
    pcm_wav(path, frames, 16000)
    peaks = _decode_range(path, probe(path), 100, 0.05, 0.1)    # frames 800..2400
    assert lists(peaks) == hand_peaks(frames[800:2400], 16000)
    assert peaks.duration == 0.1


def test_a_file_ffmpeg_cannot_decode_is_a_peaks_error(tmp_path):
    path = tmp_path / "junk.m4a"
    path.write_bytes(b"\x00" * 4000)
    info = AudioInfo(format="mp4", duration=1.0, sample_rate=16000, channels=1)
    with pytest.raises(PeaksError, match="ffmpeg could not decode junk.m4a"):
        _decode_range(path, info, 100, None, None)


class Trickle(io.RawIOBase):
    """A pipe that hands over its bytes in odd pieces, cutting frames in two."""

    def __init__(self, data: bytes, pieces: list[int]):
        self.data, self.pieces, self.at = data, pieces, 0

    def readinto(self, view) -> int:
        piece = self.pieces.pop(0) if self.pieces else 4096
        n = min(len(view), piece, len(self.data) - self.at)
        view[:n] = self.data[self.at:self.at + n]
        self.at += n
        return n


@pytest.mark.parametrize("buffer_bytes", [64 << 20, 50])
def test_ffmpeg_output_cut_mid_frame_is_joined_again(tmp_path, monkeypatch, buffer_bytes):
    frames = noise(700, 3, seed=12)
    data = frames.astype("<i2").tobytes()
    seen = {}

    @contextmanager
    def fake_ffmpeg(path, **kwargs):
        seen.update(kwargs, path=path)
        yield Trickle(data, [5, 1, 7, 6, 13, 2, 600, 3, 1])

    monkeypatch.setattr(peaks_module, "ffmpeg_s16le", fake_ffmpeg)
    monkeypatch.setattr(peaks_module, "_MAX_BUFFER_BYTES", buffer_bytes)
    info = AudioInfo(format="mp4", duration=700 / 8000, sample_rate=8000, channels=3)
    path = tmp_path / "x.m4a"
    peaks = _decode_range(path, info, 100, 1.5, 2.5)
    assert seen == {"path": path, "channels": 3, "sample_rate": 8000, "start": 1.5, "length": 2.5,
                    "error": PeaksError}
    assert lists(peaks) == hand_peaks(frames, 8000)
    assert peaks.duration == 700 / 8000


def test_a_failing_half_raises_its_own_error():
    def good():
        return Peaks(rate=100, minmax=np.zeros((1, 1, 2), np.int16), duration=0.01)

    def bad():
        raise ValueError("second half failed")

    with pytest.raises(ValueError, match="second half failed"):
        _in_two_threads(good, bad)
    with pytest.raises(ValueError, match="second half failed"):
        _in_two_threads(bad, good)
    a, b = _in_two_threads(good, lambda: Peaks(rate=50, minmax=np.zeros((1, 2, 2), np.int16), duration=1.0))
    assert (a.rate, b.rate, b.duration) == (100, 50, 1.0)


# -- the cache ---------------------------------------------------------------------
def test_peaks_are_stored_once_and_read_back_from_the_database(store, tmp_path, monkeypatch):
    frames = noise(1700, 2, seed=13)
    path = tmp_path / "cached.wav"
    pcm_wav(path, frames, 16000)
    media = register_media(store, path)
    expected = hand_peaks(frames, 16000)
    first = get_peaks(store, media.id)
    assert lists(first) == expected
    row = store.query_one("SELECT media_id, rate, channels, buckets, duration, data FROM peaks")
    assert row[:5] == (media.id, 100, 2, 11, 1700 / 16000)
    assert bytes(row[5]) == np.array(expected, dtype="<i2").tobytes()

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(peaks_module, "compute_peaks", no_decoding)
    again = get_peaks(store, media.id)
    assert lists(again) == expected and again.minmax.shape == (2, 11, 2)
    assert (again.rate, again.channels, again.buckets, again.duration) == (100, 2, 11, 1700 / 16000)
    with pytest.raises(KeyError) as caught:
        get_peaks(store, "nope")
    assert caught.value.args == ("unknown media id 'nope'",)


def test_storing_corrects_a_media_duration_only_when_decoding_found_another(store, tmp_path):
    """The row keeps its header's duration within 50 ms of the decoded one."""
    media = []
    for i in range(5):
        path = tmp_path / f"m{i}.wav"
        pcm_wav(path, noise(1600, 1, seed=20 + i), 16000)         # 0.1 s by its header
        media.append(register_media(store, path))

    def peaks(duration: float) -> Peaks:
        return Peaks(rate=100, minmax=np.full((1, 2, 2), 7, np.int16), duration=duration)

    def as_given(m: MediaInfo, duration: float | None) -> MediaInfo:
        return MediaInfo(**{**m.__dict__, "duration": duration})

    computed = [
        (as_given(media[0], 0.1), peaks(0.14)),       # within 50 ms: kept
        (as_given(media[1], 0.1), peaks(0.6)),        # half a second off: corrected
        (as_given(media[2], None), peaks(0.11)),      # no duration known: set
        (as_given(media[3], 0.1125), peaks(0.0625)),  # exactly 50 ms: kept
        (as_given(media[4], 0.1), peaks(0.16)),       # 60 ms: corrected
    ]

    def store_and_look(cur):
        store_peaks(cur, computed)
        # the frame handed to DuckDB is not left registered (it holds every peak)
        assert cur.execute("SELECT view_name FROM duckdb_views() WHERE view_name ILIKE '%new_peaks%'"
                           ).fetchall() == []

    store.write(store_and_look)
    durations = dict(store.query("SELECT id, duration FROM media"))
    assert [durations[m.id] for m in media] == [0.1, 0.6, 0.11, 0.1, 0.16]
    rows = store.query("SELECT media_id, rate, channels, buckets, duration, data FROM peaks")
    assert sorted(rows) == sorted((m.id, 100, 1, 2, p.duration, b"\x07\x00" * 4) for m, p in computed)
    store.write(lambda cur: store_peaks(cur, [(media[0], peaks(5.0))]))     # already there: kept
    assert store.query_one("SELECT duration FROM peaks WHERE media_id = ?", [media[0].id]) == (0.14,)
    store.write(lambda cur: store_peaks(cur, []))
