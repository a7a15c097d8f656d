"""Segmentation at load: silence detection, windows, the --segment syntax, reading audio."""

from __future__ import annotations

import math
import subprocess
import wave
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from earmark.audio.probe import probe
from programs import require, unavailable
from earmark.loading.segment import (SegmentSpec, parse_segment_spec, read_mono_16k, silence_segments,
                             window_segments)

RATE = 16000
RECORDINGS = ["diarization/trn01.wav", "diarization/trn02.wav", "diarization/trn03.wav",
              "diarization/trñ00.wav", "diarization/empty.wav", "praat/bobby.wav"]
GAPS = [2.0, 2.5, 3.0, 3.5, 2.25, 2.75, 3.25]   # seconds of silence inserted before each recording
NOISE_VOL = 0.00005                              # sox whitenoise scale: about -90 dBFS
TARGET_SECONDS = 600.0
LOUD_DB = -60.0                                  # "sound": a 10 ms frame louder than this


# -- helpers -------------------------------------------------------------------
def need(tool: str) -> None:
    require(tool)


def corpus_files(corpus: Path) -> list[Path]:
    paths = [corpus / name for name in RECORDINGS]
    missing = [str(p.relative_to(corpus)) for p in paths if not p.exists()]
    if missing:
        unavailable(f"corpus recordings missing under {corpus}: {', '.join(missing)}")
    return paths


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, dtype="<i2").tobytes())
    return path


def db_to_amp(db: float) -> float:
    return 10 ** (db / 20) * 32768


def tone(seconds: float, db: float, freq: float = 220.0) -> np.ndarray:
    """A sine whose RMS is `db` dBFS."""
    t = np.arange(int(round(seconds * RATE))) / RATE
    return (np.sin(2 * np.pi * freq * t) * db_to_amp(db) * math.sqrt(2)).astype(np.int16)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * RATE)), dtype=np.int16)


def rms_db(x: np.ndarray) -> float:
    ms = float(np.mean(x.astype(np.float64) ** 2)) if len(x) else 0.0
    return 10 * math.log10(ms / 32768 ** 2) if ms > 0 else -math.inf


def longest_quiet_window(x: np.ndarray, thresh_db: float) -> float:
    """Longest window (to 10 ms) whose RMS is at or below `thresh_db`, by brute force."""
    c = np.concatenate(([0.0], np.cumsum(x.astype(np.float64) ** 2)))
    limit = db_to_amp(thresh_db) ** 2
    best = 0.0
    for k in range(160, len(x), 160):
        if not np.any((c[k:] - c[:-k]) / k <= limit):
            break
        best = k / RATE
    return best


def check_well_formed(segments, duration: float, max_segment: float | None = None) -> None:
    assert segments, "no segments"
    for start, end in segments:
        assert 0.0 <= start < end <= duration + 1e-9, (start, end, duration)
        assert round(start, 3) == start and round(end, 3) == end, "not rounded to the ms"
        if max_segment is not None:
            assert end - start <= max_segment + 1e-9, (start, end)
    for (_, end), (start, _) in zip(segments, segments[1:]):
        assert end <= start, f"overlap or disorder at {end} > {start}"


# -- the 10-minute file ----------------------------------------------------------
@dataclass
class LongFile:
    path: Path
    samples: np.ndarray
    silences: list[tuple[float, float]]                # inserted, in seconds
    recordings: list[tuple[str, float, float]]         # name, start, end

    @property
    def duration(self) -> float:
        return len(self.samples) / RATE

    def in_silence(self, t: float) -> bool:
        return any(a - 1e-9 <= t <= b + 1e-9 for a, b in self.silences)

    def at_edge(self, t: float) -> bool:
        return t <= 0.001 or t >= math.floor(self.duration * 1000) / 1000 - 0.001

    def sound(self, start: float, end: float, floor_db: float = LOUD_DB) -> tuple[float, float]:
        """First and last moment in [start, end] of a 10 ms frame louder than `floor_db`."""
        a, b = int(round(start * RATE)), int(round(end * RATE))
        frames = self.samples[a:a + (b - a) // 160 * 160].astype(np.float64).reshape(-1, 160)
        loud = np.flatnonzero((frames ** 2).mean(axis=1) > db_to_amp(floor_db) ** 2)
        return (a + loud[0] * 160) / RATE, (a + (loud[-1] + 1) * 160) / RATE

    def quiet_stretches(self) -> list[tuple[float, float]]:
        """Each inserted silence, widened into its neighbours up to their first sound."""
        spans = [self.sound(a, b) for _, a, b in self.recordings]
        out = []
        for i in range(len(self.silences)):
            lo = spans[i - 1][1] if i > 0 else 0.0
            hi = spans[i][0] if i < len(spans) else self.duration
            out.append((lo, hi))
        return out


@pytest.fixture(scope="module")
def long_file(corpus, tmp_path_factory) -> LongFile:
    """About 10 minutes: the corpus recordings, in turn, each after 2-3.5 s of
    digital silence or -90 dBFS white noise, joined by sox."""
    need("sox")
    sources = corpus_files(corpus)
    folder = tmp_path_factory.mktemp("long")
    converted = []
    for i, src in enumerate(sources):
        dst = folder / f"rec{i}.wav"
        subprocess.run(["sox", str(src), "-r", str(RATE), "-c", "1", "-b", "16", str(dst)], check=True)
        converted.append((src.name, dst, probe(dst).data_size // 2))
    pieces: list[Path] = []
    silences, recordings = [], []
    position = 0                                       # in samples
    i = 0
    while position < TARGET_SECONDS * RATE:
        gap = GAPS[i % len(GAPS)]
        silence = folder / f"gap{i}.wav"
        synth = ["synth", str(gap), "whitenoise", "vol", str(NOISE_VOL)] if i % 2 else ["trim", "0", str(gap)]
        subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(silence), *synth], check=True)
        n_gap = probe(silence).data_size // 2
        silences.append((position / RATE, (position + n_gap) / RATE))
        position += n_gap
        name, rec, n_rec = converted[i % len(converted)]
        recordings.append((name, position / RATE, (position + n_rec) / RATE))
        position += n_rec
        pieces += [silence, rec]
        i += 1
    tail = folder / "tail.wav"
    subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(tail), "trim", "0", "2"], check=True)
    silences.append((position / RATE, (position + 2 * RATE) / RATE))
    pieces.append(tail)
    path = folder / "long.wav"
    subprocess.run(["sox", *map(str, pieces), str(path)], check=True)
    samples = read_mono_16k(path)
    assert len(samples) == position + 2 * RATE
    return LongFile(path, samples, silences, recordings)


def test_the_long_file_is_what_the_tests_assume(long_file):
    assert 600 <= long_file.duration <= 700
    for a, b in long_file.silences:
        piece = long_file.samples[int(round(a * RATE)):int(round(b * RATE))]
        assert rms_db(piece) < -85, "inserted silence louder than -85 dBFS"
    names = {name for name, _, _ in long_file.recordings}
    assert len(names) == len(RECORDINGS)


def test_every_boundary_falls_in_an_inserted_silence(long_file):
    """Parameters that only the inserted silences meet: no recording holds
    1.5 s below -80 dBFS (checked by brute force below), every inserted
    silence is at least 2 s.

    A boundary lies in an inserted silence, or at worst in the quiet lead-in
    or tail of a recording (never past its first or last 10 ms louder than
    -60 dBFS): pydub's windows are silent while the sound they reach into is
    faint enough to keep their RMS under the threshold.
    """
    params = dict(silence_thresh_db=-80.0, min_silence_len=1.5, keep_silence=0.1,
                  min_segment=1.0, max_segment=40.0)
    for name, start, end in long_file.recordings[: len(RECORDINGS)]:
        piece = long_file.samples[int(round(start * RATE)):int(round(end * RATE))]
        assert longest_quiet_window(piece, -80.0) < 1.4, f"{name} holds a long pause below -80 dBFS"
    segments = silence_segments(long_file.samples, **params)
    check_well_formed(segments, long_file.duration, max_segment=40.0)
    stretches = long_file.quiet_stretches()
    boundaries = [t for seg in segments for t in seg]
    outside = [t for t in boundaries if not any(a <= t <= b for a, b in stretches)]
    assert outside == [], f"boundaries that cut into sound: {outside[:10]}"
    inserted = sum(long_file.in_silence(t) or long_file.at_edge(t) for t in boundaries)
    assert inserted >= 0.9 * len(boundaries), f"only {inserted} of {len(boundaries)} in inserted silences"
    # One segment per recording, covering its sound, its edges within 0.15 s of the recording's.
    assert len(segments) == len(long_file.recordings)
    for (name, start, end), (a, b) in zip(long_file.recordings, segments):
        first, last = long_file.sound(start, end)
        assert a <= first and b >= last, f"{name}: sound [{first:.3f}, {last:.3f}] outside [{a}, {b}]"
        assert abs(a - start) <= 0.15 and abs(b - end) <= 0.15, (name, start, end, a, b)


def test_default_parameters_on_the_long_file(long_file):
    """pydub-like defaults (relative threshold, 0.5 s): segments also split at
    pauses inside the recordings, but never run across an inserted silence,
    and every boundary is in a silence (an inserted one, or a stretch of at
    least 0.5 s under the threshold, checked by brute force) or a cut of an
    over-long segment at a quiet point."""
    x = long_file.samples
    segments = silence_segments(x, max_segment=3.0)
    check_well_formed(segments, long_file.duration, max_segment=3.0)
    for a, b in long_file.silences:
        inside = [(s, e) for s, e in segments if s < a and e > b]
        assert not inside, f"segment {inside} runs across the inserted silence [{a:.3f}, {b:.3f}]"

    thresh = rms_db(x) - 16
    c = np.concatenate(([0.0], np.cumsum(x.astype(np.float64) ** 2)))
    k = RATE // 2
    # Silent as audioop.rms judges it (an integer RMS, at or below the threshold).
    limit = (math.floor(db_to_amp(thresh)) + 1) ** 2
    silent_windows = np.flatnonzero((c[k:] - c[:-k]) / k < limit)
    covered = np.zeros(len(x) + 1, dtype=np.int64)
    np.add.at(covered, silent_windows, 1)
    np.add.at(covered, silent_windows + k, -1)
    silent = np.cumsum(covered[:-1]) > 0

    def in_measured_silence(t: float) -> bool:
        i = min(int(round(t * RATE)), len(x) - 1)
        return bool(silent[max(i - 16, 0): i + 16].any())   # within 1 ms

    cuts = {e: (a, b) for (a, e), (s, b) in zip(segments, segments[1:]) if e == s}
    margins = []
    for t in (t for seg in segments for t in seg):
        if long_file.at_edge(t) or long_file.in_silence(t) or in_measured_silence(t):
            continue
        assert t in cuts, f"boundary {t} is neither in a silence nor a cut of a long segment"
        # A cut lands in a pause: the 100 ms around it far quieter than the two pieces.
        i = int(round(t * RATE))
        a, b = (int(round(v * RATE)) for v in cuts[t])
        margins.append(rms_db(x[a:b]) - rms_db(x[i - 800:i + 800]))
    assert len(margins) >= 5, "max_segment=3 should have cut some long utterances"
    print(f"{len(margins)} cuts, each quieter than its two pieces by "
          f"{min(margins):.1f} to {max(margins):.1f} dB")
    assert min(margins) > 10, margins


def test_long_segments_are_cut_at_the_quietest_points():
    # 100 s of continuous tone with short dips (0.3 s, shorter than any silence).
    dips = [12.0, 27.0, 41.0, 58.0, 72.0, 88.0]
    x = tone(100.0, -20.0)
    for d in dips:
        x[int(d * RATE):int((d + 0.3) * RATE)] //= 100
    segments = silence_segments(x, min_silence_len=0.5, max_segment=20.0, min_segment=1.0)
    check_well_formed(segments, 100.0, max_segment=20.0)
    cuts = [e for _, e in segments[:-1]]
    assert cuts == [s for s, _ in segments[1:]], "the pieces of a cut segment touch"
    assert len(cuts) == len(dips)
    for cut, d in zip(cuts, dips):
        assert d + 0.05 <= cut <= d + 0.25, f"cut at {cut}, dip at {d}-{d + 0.3}"
    assert segments[0][0] == 0.0 and segments[-1][1] == 100.0
    # Without dips the cuts still respect both limits.
    flat = silence_segments(tone(100.0, -20.0), max_segment=20.0, min_segment=3.0)
    check_well_formed(flat, 100.0, max_segment=20.0)
    assert all(e - s >= 3.0 for s, e in flat)
    assert [s for s, _ in flat[1:]] == [e for _, e in flat[:-1]]


def test_cut_in_digital_silence_takes_the_middle():
    # A 0.4 s digital silence (below min_silence_len) inside 40 s of tone.
    x = np.concatenate([tone(18.0, -20.0), quiet(0.4), tone(21.6, -20.0)])
    segments = silence_segments(x, min_silence_len=0.5, max_segment=30.0)
    assert len(segments) == 2
    assert segments[0][1] == pytest.approx(18.2, abs=0.051)


def test_short_segments_merge_across_the_shorter_silence():
    # speech 5 s | 0.6 s silence | blip 0.2 s | 2 s silence | speech 5 s
    x = np.concatenate([tone(5, -20), quiet(0.6), tone(0.2, -20), quiet(2.0), tone(5, -20)])
    dur = len(x) / RATE
    merged = silence_segments(x, silence_thresh_db=-60, min_silence_len=0.5, keep_silence=0.1, min_segment=1.0)
    assert merged == [(0.0, 5.9), (7.7, dur)]
    # The blip goes right when going left would exceed max_segment; it stays
    # alone when neither side can take it.
    y = np.concatenate([tone(5, -20), quiet(0.6), tone(0.2, -20), quiet(2.0), tone(3, -20)])
    params = dict(silence_thresh_db=-60, min_silence_len=0.5, keep_silence=0.1, min_segment=1.0)
    assert silence_segments(y, max_segment=5.5, **params) == [(0.0, 5.1), (5.5, 10.8)]
    assert silence_segments(y, max_segment=5.2, **params) == [(0.0, 5.1), (5.5, 5.9), (7.7, 10.8)]
    # min_segment=0 keeps it alone, as pydub does.
    alone = silence_segments(x, silence_thresh_db=-60, min_silence_len=0.5, keep_silence=0.1, min_segment=0.0)
    assert alone == [(0.0, 5.1), (5.5, 5.9), (7.7, dur)]


def test_short_segment_merges_right_when_that_silence_is_shorter():
    x = np.concatenate([tone(5, -20), quiet(2.0), tone(0.2, -20), quiet(0.6), tone(5, -20)])
    got = silence_segments(x, silence_thresh_db=-60, min_silence_len=0.5, keep_silence=0.1, min_segment=1.0)
    assert got == [(0.0, 5.1), (6.9, round(len(x) / RATE, 3))]


def test_padding_meets_in_the_middle_and_stays_in_the_file():
    x = np.concatenate([tone(2, -20), quiet(0.15), tone(2, -20)])
    got = silence_segments(x, min_silence_len=0.1, keep_silence=0.1, min_segment=0)
    assert got == [(0.0, 2.075), (2.075, 4.15)]
    # Padding at the edges is clipped to [0, duration].
    y = np.concatenate([quiet(0.05), tone(2, -20), quiet(0.05)])
    assert silence_segments(y, min_silence_len=0.04, keep_silence=0.5, min_segment=0) == [(0.0, 2.1)]


def test_edge_cases_of_silence_detection():
    assert silence_segments(np.zeros(0, dtype=np.int16)) == []
    assert silence_segments(quiet(10)) == []                       # all silence
    assert silence_segments(tone(3, -20)) == [(0.0, 3.0)]          # no silence
    assert silence_segments(tone(0.3, -60), silence_thresh_db=-40) == [(0.0, 0.3)]  # shorter than the window
    with pytest.raises(TypeError, match="int16"):
        silence_segments(np.zeros(100, dtype=np.float32))
    with pytest.raises(ValueError, match="max_segment"):
        silence_segments(quiet(1), min_segment=10, max_segment=15)
    with pytest.raises(ValueError, match="min_silence_len"):
        silence_segments(quiet(1), min_silence_len=0)
    with pytest.raises(ValueError, match="keep_silence"):
        silence_segments(quiet(1), keep_silence=-1)


def test_absolute_and_relative_thresholds():
    # -30 dBFS speech, a 1 s pause at -50 dBFS, then -30 again.
    x = np.concatenate([tone(3, -30), tone(1, -50), tone(3, -30)])
    file_db = rms_db(x)
    assert len(silence_segments(x, silence_thresh_db=-45, min_segment=0)) == 2
    assert len(silence_segments(x, silence_thresh_db=-55, min_segment=0)) == 1
    assert len(silence_segments(x, silence_rel_db=-45 - file_db, min_segment=0)) == 2
    assert len(silence_segments(x, silence_rel_db=-55 - file_db, min_segment=0)) == 1
    # Louder by 20 dB: the relative threshold follows, the absolute does not.
    louder = (x.astype(np.int32) * 10).clip(-32768, 32767).astype(np.int16)
    assert len(silence_segments(louder, silence_rel_db=-45 - file_db, min_segment=0)) == 2
    assert len(silence_segments(louder, silence_thresh_db=-45, min_segment=0)) == 1


def test_other_sample_rates():
    x = np.concatenate([tone(2, -20), quiet(1), tone(2, -20)])
    at_22k = np.interp(np.arange(int(5 * 22050)) / 22050, np.arange(len(x)) / RATE, x).astype(np.int16)
    got = silence_segments(at_22k, 22050, silence_thresh_db=-60, min_segment=0)
    assert len(got) == 2
    assert [t for seg in got for t in seg] == pytest.approx([0.0, 2.1, 2.9, 5.0], abs=0.002)


# -- equivalence with pydub ------------------------------------------------------
@pytest.mark.parametrize("min_silence_ms, rel_db, seek_step", [
    (500, -16, 1), (300, -10, 1), (1000, -20, 1), (200, -16, 10), (700, -25, 10), (400, -12, 7),
])
def test_same_boundaries_as_pydub(corpus, min_silence_ms, rel_db, seek_step):
    import pydub
    from pydub.silence import detect_nonsilent
    for name in ("diarization/trn01.wav", "diarization/trn02.wav", "diarization/trn03.wav"):
        x = read_mono_16k(corpus / name)
        audio = pydub.AudioSegment(x.tobytes(), frame_rate=RATE, sample_width=2, channels=1)
        expected = [(a / 1000, b / 1000) for a, b in
                    detect_nonsilent(audio, min_silence_ms, audio.dBFS + rel_db, seek_step)]
        got = silence_segments(x, silence_rel_db=rel_db, min_silence_len=min_silence_ms / 1000,
                               keep_silence=0, min_segment=0, max_segment=None,
                               seek_step=seek_step / 1000)
        assert len(got) == len(expected), (name, got, expected)
        worst = max(max(abs(a - c), abs(b - d)) for (a, b), (c, d) in zip(got, expected))
        assert worst <= 0.020, (name, worst)
        assert worst <= 0.001, f"{name}: {worst * 1000:.0f} ms from pydub (expected the same ms)"


def test_padding_as_pydub_split_on_silence(corpus):
    import pydub
    from pydub.silence import split_on_silence
    x = read_mono_16k(corpus / "diarization" / "trñ00.wav")
    audio = pydub.AudioSegment(x.tobytes(), frame_rate=RATE, sample_width=2, channels=1)
    for keep_ms in (100, 300):
        chunks = split_on_silence(audio, 300, audio.dBFS - 16, keep_silence=keep_ms)
        got = silence_segments(x, min_silence_len=0.3, keep_silence=keep_ms / 1000,
                               min_segment=0, max_segment=None)
        assert len(chunks) == len(got)
        # pydub floors the middle of a silence to the ms where paddings meet; we round.
        assert max(abs(len(c) - round((b - a) * 1000)) for c, (a, b) in zip(chunks, got)) <= 1


# -- windows -------------------------------------------------------------------
def test_window_segments():
    assert window_segments(65, 30) == [(0.0, 30.0), (30.0, 60.0), (60.0, 65.0)]
    assert window_segments(60, 30) == [(0.0, 30.0), (30.0, 60.0)]
    assert window_segments(65, 30, 5) == [(0.0, 30.0), (25.0, 55.0), (50.0, 65.0)]
    assert window_segments(12.5, 30) == [(0.0, 12.5)]
    assert window_segments(60.0004, 30) == [(0.0, 30.0), (30.0, 60.0)]   # nothing under 1 ms
    assert window_segments(60.0016, 30) == [(0.0, 30.0), (30.0, 60.0), (60.0, 60.001)]
    assert window_segments(1, 0.25, 0.125)[-1] == (0.75, 1.0)
    many = window_segments(3600.123, 7, 2)
    assert many[0] == (0.0, 7.0) and many[-1][1] == 3600.123
    assert all(b - a <= 7 and round(a, 3) == a for a, b in many)
    assert all(s2 - s1 == pytest.approx(5) for (s1, _), (s2, _) in zip(many, many[1:]))


@pytest.mark.parametrize("args, message", [
    ((60, 0), "window length"), ((60, -5), "window length"), ((60, 30, 30), "overlap"),
    ((60, 30, 31), "overlap"), ((60, 30, -1), "overlap"), ((0, 30), "duration"),
    ((float("nan"), 30), "duration"), ((60, float("inf")), "window length"),
    ((60, 0.0004), "1 ms"), ((60, 1, 0.9996), "1 ms"),
])
def test_window_segments_errors(args, message):
    with pytest.raises(ValueError, match=message):
        window_segments(*args)


# -- the --segment syntax ------------------------------------------------------
def test_parse_segment_spec():
    assert parse_segment_spec("silence") == SegmentSpec("silence", {}, "silence")
    spec = parse_segment_spec(" silence:min_silence=300ms,thresh=-40dB,pad=0.2s,min=0.5,max=none ")
    assert parse_segment_spec("silence:max=0s").options == {"max_segment": None}
    assert spec.kind == "silence" and spec.needs_samples
    assert spec.options == {"min_silence_len": 0.3, "silence_thresh_db": -40.0, "keep_silence": 0.2,
                            "min_segment": 0.5, "max_segment": None}
    assert parse_segment_spec("silence:rel=-20,step=10ms").options == {"silence_rel_db": -20.0,
                                                                      "seek_step": 0.01}
    assert parse_segment_spec("silence:min_silence_len=1,max_segment=20").options == {
        "min_silence_len": 1.0, "max_segment": 20.0}
    assert parse_segment_spec("window:30").options == {"seconds": 30.0, "overlap": 0.0}
    win = parse_segment_spec("window:30:5")
    assert (win.kind, win.options, win.needs_samples) == ("window", {"seconds": 30.0, "overlap": 5.0}, False)
    assert parse_segment_spec("window:1500ms:0.5s").options == {"seconds": 1.5, "overlap": 0.5}


@pytest.mark.parametrize("spec, fragment", [
    ("", "empty"),
    ("silences", "'silences'"),
    ("sound:min=1", "'sound'"),
    ("silence:", "nothing after"),
    ("silence:foo=1", "'foo'"),
    ("silence:min_silence", "'min_silence' has no value"),
    ("silence:min_silence=", "has no value"),
    ("silence:min_silence=abc", "'abc'"),
    ("silence:thresh=loud", "'loud'"),
    ("silence:min_silence=0.3,,pad=0.1", "empty option"),
    ("silence:thresh=-40,rel=-10", "not both"),
    ("silence:min_silence=1,min_silence_len=2", "repeats"),
    ("silence:min=20,max=30", "at least twice"),
    ("silence:min_silence=0", "min_silence"),
    ("silence:pad=-1", "pad"),
    ("window", "window length is missing"),
    ("window:", "window length is missing"),
    ("window:abc", "'abc'"),
    ("window:30:x", "'x'"),
    ("window:30:30", "overlap (30) must be shorter"),
    ("window:30:5:1", "too many parts"),
    ("window:0", "must be positive"),
    ("window:-5", "must be positive"),
    ("window:30:-1", "must not be negative"),
])
def test_parse_segment_spec_errors(spec, fragment):
    with pytest.raises(ValueError) as err:
        parse_segment_spec(spec)
    assert fragment in str(err.value), str(err.value)


def test_a_spec_segments_a_file(tmp_path):
    x = np.concatenate([tone(2, -20), quiet(1), tone(2, -20)])
    path = write_wav(tmp_path / "a.wav", x)
    assert parse_segment_spec("silence:min=0,thresh=-60")(path) == [(0.0, 2.1), (2.9, 5.0)]
    assert parse_segment_spec("silence:min=0,thresh=-60")(samples=x) == [(0.0, 2.1), (2.9, 5.0)]
    assert parse_segment_spec("window:2:0.5")(path) == [(0.0, 2.0), (1.5, 3.5), (3.0, 5.0)]
    assert parse_segment_spec("window:2")(duration=3) == [(0.0, 2.0), (2.0, 3.0)]
    with pytest.raises(ValueError, match="needs a path"):
        parse_segment_spec("window:2")()


# -- reading -------------------------------------------------------------------
def test_read_mono_16k_reads_16_bit_wav_exactly(tmp_path):
    x = (np.random.default_rng(1).normal(0, 3000, RATE * 3)).astype(np.int16)
    got = read_mono_16k(write_wav(tmp_path / "x.wav", x))
    assert got.dtype == np.int16 and np.array_equal(got, x)


def test_read_mono_16k_agrees_with_ffmpeg(corpus, tmp_path):
    need("ffmpeg")

    def ffmpeg(path: Path) -> np.ndarray:
        out = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ac", "1",
                              "-ar", "16000", "-f", "s16le", "-"], capture_output=True, check=True).stdout
        return np.frombuffer(out, dtype="<i2")

    # 32-bit float WAV at 16 kHz: read directly, converted like ffmpeg to within rounding.
    trn = corpus / "diarization" / "trn01.wav"
    direct, decoded = read_mono_16k(trn), ffmpeg(trn)
    assert len(direct) == len(decoded) == 480001
    assert np.abs(direct.astype(np.int32) - decoded).max() <= 1
    # 48 kHz and stereo go through ffmpeg.
    for name in ("praat/bobby.wav", "formats/bobby_16bit_16khz_2ch.wav"):
        path = corpus / name
        if not path.exists():
            continue
        got = read_mono_16k(path)
        assert np.array_equal(got, ffmpeg(path)), name
        assert abs(len(got) / RATE - probe(path).duration) < 0.002


def test_read_mono_16k_long_compressed_file_in_two_halves(corpus, tmp_path):
    """A file over two minutes is decoded by two ffmpeg processes; the halves
    join at the right sample, also when the header's duration is wrong."""
    need("ffmpeg")
    listing = tmp_path / "list.txt"
    wavs = sorted((corpus / "diarization").glob("trn*.wav"))
    listing.write_text("".join(f"file '{p}'\n" for p in wavs + wavs[:1]), encoding="utf-8")
    mp3 = tmp_path / "long.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-ar", "44100", "-ac", "2", "-b:a", "96k", str(mp3)], check=True)
    whole = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(mp3), "-ac", "1", "-ar", "16000",
                            "-f", "s16le", "-"], capture_output=True, check=True).stdout
    reference = np.frombuffer(whole, dtype="<i2")
    info = probe(mp3)
    assert info.duration > 120
    for duration in (info.duration, 100.0, 130.0, 400.0):   # right, short (one process), long, far too long
        got = read_mono_16k(mp3, replace(info, duration=duration))
        assert len(got) == len(reference), duration
        diff = np.abs(got.astype(np.int32) - reference)
        # Only a few samples at the seam may differ (the decoder starting mid-stream).
        assert np.count_nonzero(diff > 64) < 200, duration
        assert rms_db(got - reference) < rms_db(reference) - 40


def test_read_mono_16k_one_channel(tmp_path):
    need("ffmpeg")
    rng = np.random.default_rng(2)
    left, right = tone(2, -20), rng.normal(0, 2000, 2 * RATE).astype(np.int16)
    stereo = np.column_stack([left, right]).reshape(-1)
    wav = write_wav(tmp_path / "stereo.wav", stereo, channels=2)
    assert np.array_equal(read_mono_16k(wav, channel=0), left)        # read directly
    assert np.array_equal(read_mono_16k(wav, channel=1), right)
    mixed = read_mono_16k(wav)                                         # ffmpeg's mix-down
    assert np.abs(mixed.astype(np.int32) - (left.astype(np.int32) + right) // 2).max() <= 1
    # Not 16 kHz: through ffmpeg, still the one channel.
    wav48 = write_wav(tmp_path / "stereo48.wav",
                      np.column_stack([np.repeat(left, 3), np.zeros(6 * RATE, np.int16)]).reshape(-1),
                      rate=48000, channels=2)
    assert rms_db(read_mono_16k(wav48, channel=1)) == -math.inf
    assert abs(rms_db(read_mono_16k(wav48, channel=0)) - rms_db(left)) < 0.5
    with pytest.raises(ValueError, match="channel 2 does not exist"):
        read_mono_16k(wav, channel=2)
    mono = write_wav(tmp_path / "mono.wav", left)
    assert np.array_equal(read_mono_16k(mono, channel=0), left)


def test_read_mono_16k_errors(tmp_path):
    from earmark.audio.probe import ProbeError
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    with pytest.raises(ProbeError):
        read_mono_16k(bad)
