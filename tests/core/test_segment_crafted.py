"""Segmentation on crafted audio whose answer is known to the sample: constant
(DC) blocks and digital silence, so every window's energy is an integer worked
out by hand, and each boundary, padding, merge and cut lands where the rules
of earmark/loading/segment.py say, not a millisecond off."""

from __future__ import annotations

import math
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from earmark.audio.probe import probe
from earmark.audio.reader import _trim
from earmark.loading.segment import (SegmentError, _cut_long, _merge_short, _ms_energy, _MsBounds, _padded,
                             _to_seconds, parse_segment_spec, read_mono_16k, silence_segments,
                             window_segments)

RATE = 16000


def dc(ms: float, value: int = 1000) -> np.ndarray:
    """`ms` milliseconds of the constant `value` (energy 16 * value**2 a millisecond)."""
    return np.full(int(round(ms * RATE / 1000)), value, dtype=np.int16)


def zeros(ms: float) -> np.ndarray:
    return np.zeros(int(round(ms * RATE / 1000)), dtype=np.int16)


def db_for_floor(level: int) -> float:
    """A dBFS threshold whose amplitude lies in [level, level + 1): floor(threshold) == level."""
    return 20 * math.log10((level + 0.5) / 32768)


def write_wav(path: Path, frames: np.ndarray, rate: int = RATE, channels: int = 1, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(np.ascontiguousarray(frames).tobytes())
    return path


# -- the silence threshold, to the millisecond ----------------------------------
def test_a_silent_window_may_hold_a_few_loud_milliseconds():
    # Loud DC 1000 | 1 s of zeros | loud. Threshold amplitude in [99, 100): a
    # 500 ms window is silent when int(rms) <= 99, i.e. its mean square is below
    # 100**2: k loud ms give k * 1000**2 / 500 < 10**4, so k <= 4. The silence
    # reaches 4 ms into the sound on each side.
    x = np.concatenate([dc(1000), zeros(1000), dc(1000)])
    params = dict(silence_thresh_db=db_for_floor(99), min_silence_len=0.5, keep_silence=0.0,
                  min_segment=0.0, max_segment=None)
    assert silence_segments(x, **params) == [(0.0, 0.996), (2.004, 3.0)]
    # One level lower (floor 49: mean square below 50**2, k * 2000 < 2500): k <= 1.
    assert silence_segments(x, **{**params, "silence_thresh_db": db_for_floor(49)}) == [
        (0.0, 0.999), (2.001, 3.0)]
    # A 200 ms window: k * 1000**2 / 200 < 10**4 gives k <= 1.
    assert silence_segments(x, **{**params, "min_silence_len": 0.2}) == [(0.0, 0.999), (2.001, 3.0)]


def test_the_relative_threshold_follows_the_files_own_level():
    # 2 s of DC 1000 in 3 s: mean square 666666 (integer division), rms 816
    # (isqrt), 816 * 10**(-16/20) = 129.3: floor 129, so mean square < 130**2.
    # k * 10**6 / 500 < 16900 gives k <= 8.
    x = np.concatenate([dc(1000), zeros(1000), dc(1000)])
    assert math.isqrt(2 * 10 ** 6 // 3) == 816
    assert math.floor(816 * 10 ** (-16 / 20)) == 129
    params = dict(min_silence_len=0.5, keep_silence=0.0, min_segment=0.0, max_segment=None)
    assert silence_segments(x, **params) == [(0.0, 0.992), (2.008, 3.0)]
    # rel=-6: 816 * 10**(-6/20) = 408.97, floor 408: k * 2000 < 409**2 = 167281 gives k <= 83.
    assert silence_segments(x, silence_rel_db=-6.0, **params) == [(0.0, 0.917), (2.083, 3.0)]


def test_digital_silence_with_minus_infinity_and_a_silent_file():
    x = np.concatenate([dc(1000, 1), zeros(1000), dc(1000, 1)])
    params = dict(min_silence_len=0.5, keep_silence=0.0, min_segment=0.0, max_segment=None)
    # -inf dBFS: a window is silent when its mean square is below 1, so when
    # it holds a single ms of zeros: the window at 501 ms (ms 1000 is zero) is
    # the first, the one at 2000 - 1 the last.
    assert silence_segments(x, silence_thresh_db=-math.inf, **params) == [(0.0, 0.501), (2.499, 3.0)]
    # A file of zeros has dBFS -inf: everything is silence, whatever rel is.
    assert silence_segments(zeros(3000), **params) == []
    assert silence_segments(zeros(3000), silence_rel_db=50.0, **params) == []


def test_a_window_at_exactly_the_threshold_is_not_silent():
    # Threshold amplitude in [0, 1): silent only when the mean square is below 1,
    # i.e. the window's energy below its sample count (8000 for 500 ms).
    # Sound to 1 s, then a tail whose energy in the window [1.0, 1.5) s is 8000.
    tail = zeros(2000)
    tail[100:107] = [89, 6, 6, 2, 1, 1, 1]                     # 7921+36+36+4+1+1+1 = 8000
    x = np.concatenate([dc(1000), tail])
    params = dict(silence_thresh_db=db_for_floor(0), min_silence_len=0.5, keep_silence=0.0,
                  min_segment=0.0, max_segment=None)
    # Every window holding the 7 samples (samples 16100..16106: ms 1006) has
    # energy 8000: not silent. The first silent window starts at ms 1007.
    assert silence_segments(x, **params) == [(0.0, 1.007)]
    tail[106] = 0                                              # 7999: silent
    assert silence_segments(np.concatenate([dc(1000), tail]), **params) == [(0.0, 1.0)]


def test_the_last_window_holds_only_the_samples_there_are():
    # 3 s and 9 samples: pydub's length is round(3000.5625) = 3001 ms, so the
    # last window is ms 2501..3001, 7993 samples (the last ms has 9).
    params = dict(silence_thresh_db=db_for_floor(0), min_silence_len=0.5, keep_silence=0.0,
                  min_segment=1.0, max_segment=None)

    def file(tail_values):
        x = np.concatenate([dc(1500), zeros(1500), np.zeros(9, np.int16)])
        x[-len(tail_values):] = tail_values
        return x

    # Energy 7993 in the last 9 samples: mean square exactly 1 over 7993, not
    # silent. The partial last ms is sound, too short alone: it merges with the
    # segment before, which then runs to the end.
    assert silence_segments(file([89, 6, 6]), **params) == [(0.0, 3.0)]   # 7921+36+36
    # Energy 7992: silent, the file ends in silence.
    assert silence_segments(file([89, 6, 5, 3, 1]), **params) == [(0.0, 1.5)]  # 7921+36+25+9+1
    # Counted as a full 8000-sample window, 7993 would pass for silence.
    assert 7993 < 8000


def test_a_last_window_short_of_the_partial_millisecond_is_a_full_window():
    # 3 s and 8 samples: round(3000.5) = 3000 ms (to even), so the last window is
    # ms 2500..3000 with its full 8000 samples; the 8 samples after it are in no
    # window and stay sound (too short to show: cut to the file's last whole ms).
    x = np.concatenate([dc(1500), zeros(1500), np.zeros(8, np.int16)])
    x[47999] = 89
    x[47998] = 6
    x[47997] = 6                                  # 7993 in ms 2999, only in the last window
    got = silence_segments(x, silence_thresh_db=db_for_floor(0), min_silence_len=0.5,
                           keep_silence=0.0, min_segment=0.0, max_segment=None)
    assert got == [(0.0, 1.5)]


def test_a_coarse_seek_step_also_tries_the_last_window():
    # 3003 ms, sound to 2503 ms then zeros. With windows every 10 ms the regular
    # starts stop at 2500, which holds sound; only the extra window at the last
    # possible start (2503) finds the silence.
    tail = zeros(500)
    tail[1600] = 1                                 # energy 1 < 8000: still silent
    x = np.concatenate([dc(2503), tail])
    params = dict(silence_thresh_db=db_for_floor(0), min_silence_len=0.5, keep_silence=0.0,
                  min_segment=0.0, max_segment=None)
    assert silence_segments(x, seek_step=0.01, **params) == [(0.0, 2.503)]
    assert silence_segments(x, seek_step=0.001, **params) == [(0.0, 2.503)]
    # The same window with energy exactly 8000 is not silent.
    y = np.concatenate([dc(2503), zeros(500)])
    y[40048:40055] = [89, 6, 6, 2, 1, 1, 1]
    assert silence_segments(y, seek_step=0.01, **params) == [(0.0, 3.003)]


def test_the_extra_last_window_ends_before_a_partial_millisecond():
    # 3003 ms and 7 samples (pydub: 3003 ms): the extra window 2503..3003 covers
    # the whole ms but not the 7 samples after them, which are sound: alone they
    # are too short and merge with the segment before, up to the end.
    x = np.concatenate([dc(2503), zeros(500), np.zeros(7, np.int16)])
    got = silence_segments(x, silence_thresh_db=db_for_floor(0), min_silence_len=0.5,
                           keep_silence=0.0, min_segment=1.0, max_segment=None, seek_step=0.01)
    assert got == [(0.0, 3.003)]


def test_seek_step_places_the_silence_on_its_grid():
    # Sound to 1003 ms, 1 s of zeros, sound: with windows every 10 ms the first
    # silent one starts at 1010 and the last one at 1500 (it ends at 2000; the
    # one at 1510 would hold sound).
    x = np.concatenate([dc(1003), zeros(997), dc(1000)])
    got = silence_segments(x, silence_thresh_db=db_for_floor(0), min_silence_len=0.5,
                           keep_silence=0.0, min_segment=0.0, max_segment=None, seek_step=0.01)
    assert got == [(0.0, 1.01), (2.0, 3.0)]


def test_the_defaults_read_the_file_as_described():
    # DC 1000: 40 s | 1 s zeros | 1.5 s | 3 s zeros | 5 s; 50.5 s in all.
    x = np.concatenate([dc(40000), zeros(1000), dc(1500), zeros(3000), dc(5000)])
    # The file's rms: isqrt(46.5/50.5 * 10**6) = 959; -16 dB: 151.99, floor 151:
    # a 500 ms window is silent when k * 2000 < 152**2 = 23104, k <= 11 loud ms.
    assert math.isqrt(int(46.5 * RATE) * 10 ** 6 // len(x)) == 959
    assert math.floor(959 * 10 ** (-16 / 20)) == 151
    # Sound: [0, 39.989], [41.011, 42.489], [45.511, 50.5]; padded by 0.1 s; the
    # middle one is 1.678 s long, not short. The first is 40.089 s, longer than
    # 30: every point between 15 and 30 s is as quiet as another (constant
    # sound), so the cut is in the middle of them, at 22.5 s.
    assert silence_segments(x) == [(0.0, 22.5), (22.5, 40.089), (40.911, 42.589), (45.411, 50.5)]


# -- arguments -------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    (dict(sample_rate=999), "sample_rate must be an integer of at least 1000 Hz, got 999"),
    (dict(sample_rate=16000.0), "sample_rate must be an integer of at least 1000 Hz, got 16000.0"),
    (dict(sample_rate=True), "sample_rate must be an integer of at least 1000 Hz, got True"),
    (dict(min_silence_len=0.0009), "min_silence_len must be at least 0.001, got 0.0009"),
    (dict(min_silence_len="1"), "min_silence_len must be a number, got '1'"),
    (dict(keep_silence=-0.001), "keep_silence must be at least 0, got -0.001"),
    (dict(keep_silence=None), "keep_silence must be a number, got None"),
    (dict(min_segment=-0.5, max_segment=None), "min_segment must be at least 0, got -0.5"),
    (dict(min_segment=None), "min_segment must be a number, got None"),
    (dict(seek_step=0.0005), "seek_step must be at least 0.001, got 0.0005"),
    (dict(seek_step=math.nan), "seek_step must be a finite number, got nan"),
    (dict(max_segment=0.0), "max_segment must be greater than 0, got 0.0"),
    (dict(max_segment=-1.0), "max_segment must be greater than 0, got -1.0"),
    (dict(max_segment="30"), "max_segment must be a number, got '30'"),
    (dict(max_segment=-math.inf), "max_segment must be a finite number, got -inf"),
    (dict(min_segment=1.0, max_segment=1.999), "max_segment (1.999 s) must be at least twice min_segment "
                                               "(1 s): a long segment is cut into pieces of "
                                               "max_segment/2 to max_segment"),
    (dict(silence_rel_db=math.inf), "silence_rel_db must be a finite number, got inf"),
    (dict(silence_rel_db=None), "silence_rel_db must be a number, got None"),
    (dict(silence_thresh_db=math.inf), "silence_thresh_db must be a finite number, got inf"),
    (dict(silence_thresh_db="-40"), "silence_thresh_db must be a number, got '-40'"),
])
def test_each_bad_argument_is_named_with_its_value(kwargs, message):
    with pytest.raises(ValueError) as err:
        silence_segments(dc(1000), **kwargs)
    assert str(err.value) == message


def test_limits_that_are_allowed():
    x = np.concatenate([dc(1000), zeros(1000), dc(1000)])
    base = dict(silence_thresh_db=db_for_floor(99), keep_silence=0.0, min_segment=0.0)
    # The smallest values of each limit are accepted.
    assert silence_segments(x, min_silence_len=0.001, seek_step=0.001, max_segment=None, **base) == [
        (0.0, 1.0), (2.0, 3.0)]
    # max_segment exactly twice min_segment is fine; so is infinity (no limit), and 0.5 s.
    # Cuts of [0, 996] ms: between 250 and min(500, 996 - 250) ms, all equal
    # (constant sound): 375; then between 625 and 746: 685.
    assert silence_segments(x, **{**base, "min_segment": 0.25}, max_segment=0.5) == [
        (0.0, 0.375), (0.375, 0.685), (0.685, 0.996), (2.004, 2.379), (2.379, 2.689), (2.689, 3.0)]
    assert silence_segments(x, max_segment=math.inf, **base) == [(0.0, 0.996), (2.004, 3.0)]
    assert silence_segments(np.zeros(0, np.int16), sample_rate=1000) == []
    assert silence_segments(dc(1000), sample_rate=np.int64(16000), max_segment=None) == [(0.0, 1.0)]


def test_samples_must_be_one_dimensional_int16():
    with pytest.raises(TypeError) as err:
        silence_segments(np.zeros((2, 100), dtype=np.int16))
    assert str(err.value) == ("samples must be a 1-D int16 array (got int16, 2-D); "
                              "read_mono_16k(path) gives one")
    with pytest.raises(TypeError) as err:
        silence_segments(np.zeros(100, dtype=np.int32))
    assert str(err.value) == ("samples must be a 1-D int16 array (got int32, 1-D); "
                              "read_mono_16k(path) gives one")
    with pytest.raises(TypeError):
        silence_segments([1000] * 16000)                                 # a list of ints is int64


# -- merging short segments --------------------------------------------------------
def arr(*values):
    return np.asarray(values, dtype=np.int64)


def merged(starts, ends, n, pad, shortest, longest):
    s, e = _merge_short(arr(*starts), arr(*ends), n, pad, shortest, longest)
    return s.tolist(), e.tolist()


def test_a_short_segment_joins_the_neighbour_across_the_shorter_silence():
    # Padded lengths: [0, 850] 850, [950, 1150] 200 (short), [1450, 1750] 300
    # (exactly the shortest: not short), [4950, 6050] 1100. Silences: 200 before
    # the short one, 400 after: it joins the one before.
    starts, ends = (0, 1000, 1500, 5000), (800, 1100, 1700, 6000)
    assert merged(starts, ends, 7000, 50, 300, None) == ([0, 1500, 5000], [1100, 1700, 6000])
    # Joined before it would be 1150 long; with at most 800 it joins the one
    # after instead (1750 - 950 = 800, exactly the limit).
    assert merged(starts, ends, 7000, 50, 300, 800) == ([0, 1000, 5000], [800, 1700, 6000])
    # At most 799: neither can take it; it stays.
    assert merged(starts, ends, 7000, 50, 300, 799) == ([0, 1000, 1500, 5000], [800, 1100, 1700, 6000])
    # Off (0), or a single segment: nothing changes.
    assert merged(starts, ends, 7000, 50, 0, None) == ([0, 1000, 1500, 5000], [800, 1100, 1700, 6000])
    assert merged((1000,), (1100,), 7000, 50, 300, None) == ([1000], [1100])


def test_a_short_segment_joins_the_one_after_when_that_silence_is_shorter():
    # [0, 800] | 300 | [1100, 1200] short | 200 | [1400, 3000]
    assert merged((0, 1100, 1400), (800, 1200, 3000), 4000, 50, 300, None) == ([0, 1100], [800, 3000])
    # Equal silences (250 each): the one before (the earlier pair sorts first).
    assert merged((0, 1050, 1400), (800, 1150, 3000), 4000, 50, 300, None) == ([0, 1400], [1150, 3000])


def test_paddings_that_meet_count_to_the_middle_of_the_silence():
    # pad 150 and a 200 silence: the paddings meet at its middle. The short one
    # [1000, 1100] then spans [900, 1250] = 350 with a 300 silence after: not
    # short (>= 300). With pad 140 (no overlap after: 1100+140 < 1400-140) it is
    # [900, 1240] = 340 for shortest 341: short, it joins the nearer one (200 before).
    starts, ends = (0, 1000, 1400), (800, 1100, 3000)
    assert merged(starts, ends, 4000, 150, 350, None) == ([0, 1000, 1400], [800, 1100, 3000])
    assert merged(starts, ends, 4000, 150, 351, None) == ([0, 1400], [1100, 3000])
    assert merged(starts, ends, 4000, 140, 341, None) == ([0, 1400], [1100, 3000])
    assert merged(starts, ends, 4000, 140, 340, None) == ([0, 1000, 1400], [800, 1100, 3000])
    # The padding stops at the file's edges: [0, 100] in a 4000 file padded by
    # 150 is [0, 250], 250 long; [3900, 4000] likewise.
    assert merged((0, 2000, 3900), (100, 2900, 4000), 4000, 150, 250, None) == (
        [0, 2000, 3900], [100, 2900, 4000])
    assert merged((0, 2000, 3900), (100, 2900, 4000), 4000, 150, 251, None) == ([0], [4000])


def test_merges_go_shortest_first_and_a_merged_segment_may_merge_again():
    # Three blips of 10 (padded 30) between long segments; the middle one is
    # shortest. Silences: 0-[0,1000] 100 [1100,1110] 50 [1160,1165] 60 [1225,1235] 200 [1435,3000]
    starts = (0, 1100, 1160, 1225, 1435)
    ends = (1000, 1110, 1165, 1235, 3000)
    # pad 10, shortest 100: [1160,1165] (25) goes first, into [1100,1110] (silence 50 < 60):
    # [1100,1165] is 85, still short, queued again; [1225,1235] (30) goes next,
    # into [1100,1165] (60 < 200): [1100,1235] is 155, long enough.
    assert merged(starts, ends, 3000, 10, 100, None) == ([0, 1100, 1435], [1000, 1235, 3000])
    # With shortest 200 the grown one (155) merges on, into [0,1000] (100 < 200).
    assert merged(starts, ends, 3000, 10, 200, None) == ([0, 1435], [1235, 3000])


def test_a_segment_that_cannot_merge_stays_until_a_neighbour_joins_it():
    # [0,500] 1000 [1500,1520] 10 [1530,1540] 2000 [3540,4540]
    # pad 0, shortest 100, longest 500: [1500,1520] (20) cannot join [0,500]
    # (1520 > 500) but joins [1530,1540] (40 <= 500); [1530,1540] is gone.
    starts, ends = (0, 1500, 1530, 3540), (500, 1520, 1540, 4540)
    assert merged(starts, ends, 5000, 0, 100, 500) == ([0, 1500, 3540], [500, 1540, 4540])


# -- padding ---------------------------------------------------------------------
def test_padding_stops_at_the_edges_and_meets_in_the_middle():
    lo, hi = _padded(arr(50, 1000, 1300), arr(900, 1200, 1980), 2000, 100)
    # [50,900] -> [0, 1000]; [1000,1200] meets [900] at 950 and [1300] at 1250;
    # [1300,1980] -> [1250, 2000].
    assert lo.tolist() == [0, 950, 1250] and hi.tolist() == [950, 1250, 2000]
    # Exactly two paddings of silence: they touch without meeting.
    lo, hi = _padded(arr(0, 400), arr(200, 600), 1000, 100)
    assert lo.tolist() == [0, 300] and hi.tolist() == [300, 700]
    lo, hi = _padded(arr(0, 401), arr(200, 600), 1000, 100)
    assert lo.tolist() == [0, 301] and hi.tolist() == [300, 700]
    lo, hi = _padded(arr(0, 399), arr(200, 600), 1000, 100)
    assert lo.tolist() == [0, 299] and hi.tolist() == [299, 700]
    lo, hi = _padded(arr(100,), arr(200,), 1000, 100)
    assert lo.tolist() == [0] and hi.tolist() == [300]


# -- seconds -----------------------------------------------------------------------
def test_seconds_are_rounded_to_the_ms_and_stay_in_the_file():
    # 16 kHz, 1 s and 24 samples: the last whole ms is 1.001.
    got = _to_seconds(arr(0, 8, 16016, 16020), arr(7, 16008, 16024, 16024), 16024, RATE)
    # 7 samples = 0.4375 ms -> 0.0 (empty, dropped); 8..16008 -> 0.001..1.0005 -> (0.001, 1.0);
    # 16016..16024 -> 1.001..1.0015, both clipped to 1.001: empty.
    assert got == [(0.001, 1.0)]
    assert _to_seconds(arr(0,), arr(44100,), 44100, 44100) == [(0.0, 1.0)]
    assert _to_seconds(arr(22050,), arr(44100 + 22,), 44100 + 22, 44100) == [(0.5, 1.0)]


# -- cutting long segments -----------------------------------------------------------
def energies(x: np.ndarray, rate: int = RATE) -> tuple[np.ndarray, _MsBounds]:
    bounds = _MsBounds(len(x), rate)
    cum = np.zeros(bounds.count + 1, dtype=np.int64)
    _ms_energy(x, bounds, cum[1:])
    np.cumsum(cum[1:], out=cum[1:])
    return cum, bounds


def test_a_long_segment_is_cut_at_its_quietest_100_ms():
    # 10 s of DC 1000 with a dip to DC 10 over [6.0, 6.3) s. Cut points are
    # searched between 2.5 and 5 s after the start (max 5 s), leaving 1 s:
    # the dip is out of reach of the first cut, all points are equal: the
    # middle of [2.5, 5.0], 3.75. From 3.75 the search covers [6.25, 8.75]:
    # the 100 ms around m is all dip for m in [6.05, 6.25]: the first
    # candidate, 6.25, is in the tied run 6.25 only... see the numbers below.
    x = dc(10000)
    x[6000 * 16:6300 * 16] = 10
    cum, bounds = energies(x)
    lo, hi = _cut_long(arr(0), arr(len(x)), cum, bounds, RATE, RATE, 5 * RATE)
    # cut 1: 3.75 s (middle of the equal points 2500..5000 ms).
    # cut 2: from 3.75, candidates 6250..8750 ms; the quietest window around m
    # (m-50, m+50) is the one most inside the dip: m = 6250 is [6200, 6300) all
    # dip, the only one: 6.25 s. From 6.25 the rest (3.75 s) is short enough.
    assert lo.tolist() == [0, 60000, 100000]
    assert hi.tolist() == [60000, 100000, 160000]


def test_the_cut_leaves_at_least_the_shortest_segment_after_it():
    # 7 s of DC: candidates 2500..min(5000, 7000-2500)=4500 ms; all equal: 3.5 s.
    x = dc(7000)
    cum, bounds = energies(x)
    lo, hi = _cut_long(arr(0), arr(len(x)), cum, bounds, RATE, 40000, 80000)
    assert lo.tolist() == [0, 56000] and hi.tolist() == [56000, 112000]
    # Exactly max: not cut. One sample more: cut.
    x = dc(5000)
    cum, bounds = energies(x)
    lo, hi = _cut_long(arr(0), arr(80000), cum, bounds, RATE, 16000, 80000)
    assert lo.tolist() == [0] and hi.tolist() == [80000]


def test_equally_quiet_points_cut_in_the_middle_of_the_first_run():
    # 10 s of DC with two digital silences of 0.4 s at [3.0, 3.4) and [4.0, 4.4).
    # max 5 s, min 1 s: candidates 2500..5000 ms. The 100 ms around m is all
    # zeros for m in [3050, 3350] and [4050, 4350]: the first run's middle, 3.2 s.
    x = dc(10000)
    x[3000 * 16:3400 * 16] = 0
    x[4000 * 16:4400 * 16] = 0
    cum, bounds = energies(x)
    lo, hi = _cut_long(arr(0), arr(len(x)), cum, bounds, RATE, RATE, 5 * RATE)
    assert hi.tolist()[0] == 3200 * 16
    # The next search starts at 3.2 s: [5.7, 8.2] s, all equal: 6.95 s; then 10 - 6.95 < 5.
    assert lo.tolist() == [0, 3200 * 16, 6950 * 16] and hi.tolist() == [3200 * 16, 6950 * 16, 160000]


def test_cut_points_near_the_start_of_the_file_weigh_only_what_is_there():
    # A 200 ms segment with max 40 ms (shortest 0): the first candidates are
    # 20..40 ms and their 100 ms windows are clipped to [0, m + 50). Loud DC
    # over [0, 40) ms, zeros after: the first window's energy is the same
    # 40 ms for every m, over m + 50 ms: least for m = 40.
    x = np.concatenate([dc(40), zeros(160)])
    cum, bounds = energies(x)
    lo, hi = _cut_long(arr(0), arr(len(x)), cum, bounds, RATE, 0, 640)
    # From 40 ms: 60..80, window [m-50, m+50) holds 90 - m loud ms: 80.
    # From 80: 100..120, all zeros: the middle, 110. From 110: 130..150 -> 140;
    # from 140: 160..180 (windows clipped at the end, 200 ms) -> 170; 30 ms left.
    assert hi.tolist() == [640, 1280, 1760, 2240, 2720, 3200]
    assert lo.tolist() == [0, 640, 1280, 1760, 2240, 2720]
    # With max 100 ms: candidates 50..100, window [m-50, m+50): 90 - m loud ms
    # down to m = 90, then none: the tied run 90..100, its middle 95 ms; then
    # 145..195, all zeros: 170 ms.
    lo, hi = _cut_long(arr(0), arr(len(x)), cum, bounds, RATE, 0, 1600)
    assert hi.tolist() == [1520, 2720, 3200]


def test_cut_at_another_sample_rate():
    # 22.05 kHz: millisecond m starts at floor(m * 22050 / 1000). 4 s of DC,
    # max 2 s, min 0.5 s: candidates 1000..min(2000, 3500) ms, all equal: 1500 ms
    # = sample 33075; then 2.5 s left: candidates 2500..3500 -> 3000 ms = 66150.
    x = np.full(4 * 22050, 1000, dtype=np.int16)
    cum, bounds = energies(x, 22050)
    lo, hi = _cut_long(arr(0), arr(len(x)), cum, bounds, 22050, 11025, 44100)
    assert lo.tolist() == [0, 33075, 66150] and hi.tolist() == [33075, 66150, 88200]


# -- energies ----------------------------------------------------------------------
def test_energy_of_every_millisecond():
    # 16 kHz: 16 samples a ms; the last ms is partial (5 samples).
    x = np.concatenate([dc(1, 1), dc(1, 2), dc(1, 0), np.full(5, 3, np.int16)])
    bounds = _MsBounds(len(x), RATE)
    out = np.full(bounds.count, -1, dtype=np.int64)
    _ms_energy(x, bounds, out)
    assert out.tolist() == [16, 64, 0, 45]
    # Whole ms only.
    out = np.full(3, -1, dtype=np.int64)
    _ms_energy(x[:48], _MsBounds(48, RATE), out)
    assert out.tolist() == [16, 64, 0]
    # 22.05 kHz: ms m covers samples [floor(22.05 m), floor(22.05 (m+1))): 22, 22, 22, 22, 22, 23 ...
    y = np.arange(1, 70, dtype=np.int16)       # 69 samples: ms 0..3 (the last partial: 66..69)
    b = _MsBounds(len(y), 22050)
    assert b.count == 4 and b[0:5].tolist() == [0, 22, 44, 66, 69]
    out = np.full(4, -1, dtype=np.int64)
    _ms_energy(y, b, out)
    v = np.arange(1, 70) ** 2
    assert out.tolist() == [v[0:22].sum(), v[22:44].sum(), v[44:66].sum(), v[66:69].sum()]


def test_energy_in_chunks_of_a_minute(monkeypatch):
    import earmark.loading.segment as seg
    monkeypatch.setattr(seg, "_ENERGY_CHUNK_MS", 3)
    x = np.concatenate([dc(1, v) for v in (1, 2, 3, 4, 5, 6, 7)] + [np.full(2, 9, np.int16)])
    bounds = _MsBounds(len(x), RATE)
    out = np.full(bounds.count, -1, dtype=np.int64)
    seg._ms_energy(x, bounds, out)
    assert out.tolist() == [16 * v * v for v in range(1, 8)] + [162]
    y = np.arange(1, 160, dtype=np.int16)        # 22.05 kHz: 8 ms (7 whole, a partial)
    b = _MsBounds(len(y), 22050)
    out = np.full(b.count, -1, dtype=np.int64)
    seg._ms_energy(y, b, out)
    edges = [int(m * 22050 // 1000) for m in range(b.count)] + [len(y)]
    v = np.arange(1, 160, dtype=np.int64) ** 2
    assert out.tolist() == [int(v[a:c].sum()) for a, c in zip(edges, edges[1:])]


# -- windows -----------------------------------------------------------------------
def test_windows_by_hand():
    assert window_segments(10.0, 4.0) == [(0.0, 4.0), (4.0, 8.0), (8.0, 10.0)]
    assert window_segments(8.0, 4.0) == [(0.0, 4.0), (4.0, 8.0)]
    assert window_segments(4.0, 4.0) == [(0.0, 4.0)]
    assert window_segments(3.0, 4.0) == [(0.0, 3.0)]
    assert window_segments(8.001, 4.0) == [(0.0, 4.0), (4.0, 8.0), (8.0, 8.001)]
    assert window_segments(10.0, 4.0, 1.0) == [(0.0, 4.0), (3.0, 7.0), (6.0, 10.0)]
    assert window_segments(10.5, 4.0, 1.0) == [(0.0, 4.0), (3.0, 7.0), (6.0, 10.0), (9.0, 10.5)]
    assert window_segments(0.0105, 0.004, 0.001) == [(0.0, 0.004), (0.003, 0.007), (0.006, 0.01)]
    assert window_segments(0.011, 0.004, 0.001) == [(0.0, 0.004), (0.003, 0.007), (0.006, 0.01),
                                                    (0.009, 0.011)]
    # The duration is cut to the ms below (with a margin for binary fractions).
    assert window_segments(0.0079999999, 0.004) == [(0.0, 0.004), (0.004, 0.008)]
    assert window_segments(0.0075, 0.004) == [(0.0, 0.004), (0.004, 0.007)]
    assert window_segments(5, 2, 0) == [(0.0, 2.0), (2.0, 4.0), (4.0, 5.0)]
    assert window_segments(0.001, 0.001) == [(0.0, 0.001)]


@pytest.mark.parametrize("args, message", [
    ((0.0, 4.0), "duration must be greater than 0, got 0.0"),
    ((-1.0, 4.0), "duration must be greater than 0, got -1.0"),
    ((math.inf, 4.0), "duration must be a finite number, got inf"),
    (("10", 4.0), "duration must be a number, got '10'"),
    ((10.0, 0.0), "window length must be greater than 0, got 0.0"),
    ((10.0, True), "window length must be a number, got True"),
    ((10.0, 4.0, -0.5), "overlap must be at least 0, got -0.5"),
    ((10.0, 4.0, math.nan), "overlap must be a finite number, got nan"),
    ((10.0, 4.0, 4.0), "overlap (4.0 s) must be shorter than the window (4.0 s)"),
    ((10.0, 4.0, 5.0), "overlap (5.0 s) must be shorter than the window (4.0 s)"),
    ((10.0, 0.0004), "window length (0.0004 s) must be at least 1 ms"),
    ((10.0, 1.0, 0.9996), "window minus overlap (1.0 - 0.9996 s) must be at least 1 ms"),
    ((0.0004, 1.0), "duration (0.0004 s) is shorter than 1 ms"),
])
def test_window_arguments_by_name(args, message):
    with pytest.raises(ValueError) as err:
        window_segments(*args)
    assert str(err.value) == message


# -- reading -----------------------------------------------------------------------
def test_reading_16_bit_mono_and_one_channel_of_many(tmp_path):
    rng = np.random.default_rng(5)
    frames = rng.integers(-32768, 32767, size=(RATE // 2, 3), dtype=np.int16)
    path = write_wav(tmp_path / "three.wav", frames.astype("<i2"), channels=3)
    for c in range(3):
        assert np.array_equal(read_mono_16k(path, channel=c), frames[:, c])
    assert np.array_equal(read_mono_16k(path, channel=np.int64(2)), frames[:, 2])
    mono = write_wav(tmp_path / "mono.wav", frames[:, 1].astype("<i2"))
    got = read_mono_16k(mono)
    assert got.dtype == np.int16 and np.array_equal(got, frames[:, 1])
    assert np.array_equal(read_mono_16k(mono, probe(mono)), frames[:, 1])
    assert np.array_equal(read_mono_16k(str(mono), channel=0), frames[:, 1])


def test_a_channel_that_does_not_exist_is_named(tmp_path):
    stereo = write_wav(tmp_path / "two.wav", np.zeros((100, 2), "<i2"), channels=2)
    mono = write_wav(tmp_path / "one.wav", np.zeros(100, "<i2"))
    cases = [
        (stereo, 2, "channel 2 does not exist: two.wav has 2 channels (0-based)"),
        (stereo, -1, "channel -1 does not exist: two.wav has 2 channels (0-based)"),
        (mono, 1, "channel 1 does not exist: one.wav has 1 channel (0-based)"),
        (stereo, True, "channel must be an integer, got True"),
        (stereo, 1.0, "channel must be an integer, got 1.0"),
        (stereo, "1", "channel must be an integer, got '1'"),
    ]
    for path, channel, message in cases:
        with pytest.raises(ValueError) as err:
            read_mono_16k(path, channel=channel)
        assert str(err.value) == message


def test_reading_every_wav_encoding_directly(tmp_path):
    # Stereo frames whose channel 1 holds the known 16-bit values v.
    v = np.array([0, 1, -1, 256, -256, 32767, -32768, 12345], dtype=np.int16)
    other = np.full(len(v), 777, dtype=np.int16)
    # 24-bit: v in the top two bytes, 0x7F below (dropped).
    int24 = np.zeros((len(v), 2, 3), np.uint8)
    for ch, vals in ((0, other), (1, v)):
        b = vals.astype("<i2").view(np.uint8).reshape(-1, 2)
        int24[:, ch, 0] = 0x7F
        int24[:, ch, 1:] = b
    path = write_wav(tmp_path / "i24.wav", int24.reshape(-1), channels=2, width=3)
    assert np.array_equal(read_mono_16k(path, channel=1), v)
    assert np.array_equal(read_mono_16k(path, channel=0), other)
    # 24-bit mono.
    path = write_wav(tmp_path / "i24m.wav", int24[:, 1, :].reshape(-1), width=3)
    assert np.array_equal(read_mono_16k(path), v)
    # 32-bit: v << 16 plus low bits.
    i32 = np.column_stack([other.astype(np.int32) << 16, (v.astype(np.int32) << 16) + 0x1234]).astype("<i4")
    path = write_wav(tmp_path / "i32.wav", i32, channels=2, width=4)
    assert np.array_equal(read_mono_16k(path, channel=1), v)
    # 8-bit unsigned: (u - 128) << 8.
    u8 = np.column_stack([np.full(4, 128, np.uint8), np.array([0, 128, 129, 255], np.uint8)])
    path = write_wav(tmp_path / "u8.wav", u8, channels=2, width=1)
    assert read_mono_16k(path, channel=1).tolist() == [-32768, 0, 256, 32512]
    # 16-bit stereo, channel 0.
    i16 = np.column_stack([v, other]).astype("<i2")
    path = write_wav(tmp_path / "i16.wav", i16, channels=2)
    assert np.array_equal(read_mono_16k(path, channel=0), v)


def float_wav(path: Path, frames: np.ndarray, channels: int) -> Path:
    """A 16 kHz WAVE_FORMAT_IEEE_FLOAT file of float32 frames."""
    data = np.ascontiguousarray(frames, dtype="<f4").tobytes()
    fmt = (b"fmt " + (16).to_bytes(4, "little") + (3).to_bytes(2, "little") + channels.to_bytes(2, "little")
           + RATE.to_bytes(4, "little") + (RATE * 4 * channels).to_bytes(4, "little")
           + (4 * channels).to_bytes(2, "little") + (32).to_bytes(2, "little"))
    body = b"WAVE" + fmt + b"data" + len(data).to_bytes(4, "little") + data
    path.write_bytes(b"RIFF" + len(body).to_bytes(4, "little") + body)
    return path


def test_reading_float_wav_directly(tmp_path):
    f = np.array([[0.0, 0.5], [0.25, -0.5], [-1.0, 1.0], [2.0, -3.0]], dtype=np.float32)
    path = float_wav(tmp_path / "f32.wav", f, 2)
    assert probe(path).wav_encoding == "<f4"
    # Clipped to [-1, 1], times 32767, truncated to int16.
    assert read_mono_16k(path, channel=0).tolist() == [0, 8191, -32767, 32767]
    assert read_mono_16k(path, channel=1).tolist() == [16383, -16383, 32767, -32767]
    mono = float_wav(tmp_path / "m.wav", f[:, 0], 1)
    assert read_mono_16k(mono).tolist() == [0, 8191, -32767, 32767]


def test_reading_in_chunks(tmp_path, monkeypatch):
    import earmark.loading.segment as seg
    import earmark.audio.reader as reader
    monkeypatch.setattr(reader, "_READ_CHUNK_FRAMES", 3)
    frames = np.arange(20, dtype=np.int16).reshape(10, 2) * np.array([1, -1], np.int16)
    path = write_wav(tmp_path / "s.wav", frames.astype("<i2"), channels=2)
    assert seg.read_mono_16k(path, channel=1).tolist() == [-2 * i - 1 for i in range(10)]
    assert seg.read_mono_16k(path, channel=0).tolist() == [2 * i for i in range(10)]
    b24 = np.zeros((10, 2, 3), np.uint8)
    b24[:, :, 1:] = frames.astype("<i2").view(np.uint8).reshape(10, 2, 2)
    path = write_wav(tmp_path / "s24.wav", b24.reshape(-1), channels=2, width=3)
    assert seg.read_mono_16k(path, channel=1).tolist() == [-2 * i - 1 for i in range(10)]


def test_a_wav_shorter_than_its_header_is_refused(tmp_path):
    for name, frames, channels, channel in (("mono.wav", np.arange(100, dtype="<i2"), 1, None),
                                            ("stereo.wav", np.zeros((100, 2), "<i2"), 2, 1)):
        path = write_wav(tmp_path / name, frames, channels=channels)
        info = probe(path)
        # The file lost its last bytes after it was probed.
        data = path.read_bytes()
        path.write_bytes(data[:-3])
        with pytest.raises(SegmentError) as err:
            read_mono_16k(path, info, channel=channel)
        assert str(err.value) == f"{name} ends before its header says it should"
    # A mono file that lost a whole sample's worth, read with its older header.
    path = write_wav(tmp_path / "m2.wav", np.arange(100, dtype="<i2"))
    info = probe(path)
    path.write_bytes(path.read_bytes()[:-2])
    with pytest.raises(SegmentError):
        read_mono_16k(path, info)


# -- through ffmpeg -----------------------------------------------------------------
def test_other_rates_and_mixes_go_through_ffmpeg(tmp_path):
    # 8 kHz stereo: channel 1 all zeros, channel 0 DC 1000; resampled to 16 kHz.
    frames = np.column_stack([np.full(8000, 1000, np.int16), np.zeros(8000, np.int16)]).astype("<i2")
    path = write_wav(tmp_path / "s8k.wav", frames, rate=8000, channels=2)
    zero = read_mono_16k(path, channel=1)
    assert len(zero) == RATE and not zero.any()
    one = read_mono_16k(path, channel=0)
    assert len(one) == RATE and abs(int(one[RATE // 2]) - 1000) <= 2
    mix = read_mono_16k(path)
    assert len(mix) == RATE and abs(int(mix[RATE // 2]) - 500) <= 2
    # 16 kHz stereo mixed down: through ffmpeg too.
    st = write_wav(tmp_path / "s16k.wav", np.column_stack([np.full(1600, 1000, np.int16),
                                                           np.full(1600, 3000, np.int16)]).astype("<i2"),
                   channels=2)
    got = read_mono_16k(st)
    assert len(got) == 1600 and abs(int(got[800]) - 2000) <= 1


def test_a_long_file_is_decoded_in_two_halves_that_join(tmp_path):
    # 130 s of 8 kHz stereo: a different constant every 10 s (channel 1: the
    # negated level, 1000 lower), so a misplaced or missing half shows.
    levels = np.repeat(np.arange(1, 14, dtype=np.int16) * 1000, 80000)
    frames = np.column_stack([levels, 1000 - levels]).astype("<i2")
    path = write_wav(tmp_path / "long.wav", frames, rate=8000, channels=2)
    info = probe(path)
    assert info.duration == 130.0
    left = np.repeat(np.arange(1, 14) * 1000, 160000)

    def check(got, expect):
        assert len(got) == len(expect)
        # Away from the steps (the resampler rings there) every value is its level.
        far = np.ones(len(expect), bool)
        for k in range(14):
            far[max(k * 160000 - 200, 0):k * 160000 + 200] = False
        far[1040000 - 200:1040000 + 200] = False       # the seam at 65 s
        assert np.abs(got[far].astype(np.int32) - expect[far]).max() <= 8

    check(read_mono_16k(path), 500 + 0 * left)                    # the mix: (l + 1000 - l) / 2
    check(read_mono_16k(path, channel=1), 1000 - left)
    # The header says 200 s (too long): the array is given back at the right size.
    check(read_mono_16k(path, replace(info, duration=200.0), channel=0), left)
    # 125 s (too short): the second half grows.
    check(read_mono_16k(path, replace(info, duration=125.0), channel=0), left)
    # 300 s: the first half (to 150 s) holds the whole file, the second nothing.
    check(read_mono_16k(path, replace(info, duration=300.0), channel=0), left)


def test_a_long_file_that_cannot_be_decoded_is_named(tmp_path):
    good = write_wav(tmp_path / "good.wav", np.zeros(800, "<i2"), rate=8000)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF" + bytes(200))
    for duration in (10.0, 200.0):                # one ffmpeg, or two
        with pytest.raises(SegmentError) as err:
            read_mono_16k(bad, replace(probe(good), duration=duration))
        assert str(err.value).startswith("ffmpeg could not decode bad.wav: ")


def test_trim_gives_back_spare_room():
    out = np.arange(100000, dtype=np.int16)
    whole = _trim(out, 100000)
    assert len(whole) == 100000 and whole.base is out
    small = _trim(out, 50000)
    assert len(small) == 50000 and small.base is None and small[-1] == out[49999]
    # Spare of at most 1 s (16000) or 5 %: a view.
    view = _trim(out, 100000 - 16000)
    assert len(view) == 84000 and view.base is out
    assert _trim(out, 100000 - 16001).base is None
    big = np.zeros(1_000_000, np.int16)
    assert _trim(big, 952381).base is big        # spare 47619 = 952381 // 20: kept
    assert _trim(big, 952380).base is None       # spare 47620 > 952380 // 20 = 47619: copied
    assert _trim(big, 16000).base is None        # spare 984000 > 16000
    with pytest.raises(SegmentError) as err:
        _trim(out, 0)
    assert str(err.value) == "ffmpeg decoded no audio samples"


def test_the_files_level_counts_its_last_millisecond():
    # DC 1000 over [0, 100) ms and [1100, 1200) ms: energy 200 * 16 * 10**6 over
    # 19200 samples, rms isqrt(166666) = 408 (without the last ms: 407).
    # rel = 20 log10(0.4908): 408 * 0.4908 = 200.25, floor 200, so a window is
    # silent when k * 2000 < 201**2 = 40401: k <= 20 loud ms.
    x = np.concatenate([dc(100), zeros(1000), dc(100)])
    assert math.isqrt(200 * 16 * 10 ** 6 // 19200) == 408
    assert math.isqrt((199 * 16 * 10 ** 6) // 19200) == 407      # 407 * 0.4908 = 199.76
    got = silence_segments(x, silence_rel_db=20 * math.log10(0.4908), min_silence_len=0.5,
                           keep_silence=0.0, min_segment=0.0, max_segment=None)
    assert got == [(0.0, 0.08), (1.12, 1.2)]


def test_running_sums_stay_exact_past_two_to_the_53():
    # 2**23 full-scale samples (-32768: 2**30 each) make a running energy of
    # exactly 2**53; in floating point the odd 7999 after it would round to
    # 8000 and the silent window after the sound (mean square below 1) would
    # not be silent.
    x = np.zeros(2 ** 23 + 16 * 600, dtype=np.int16)
    x[:2 ** 23] = -32768
    x[2 ** 23:2 ** 23 + 6] = [89, 6, 6, 2, 1, 1]                 # 7921+36+36+4+1+1 = 7999
    got = silence_segments(x, silence_thresh_db=db_for_floor(0), min_silence_len=0.5,
                           keep_silence=0.0, min_segment=0.0, max_segment=None)
    assert got == [(0.0, 524.288)]


def test_a_file_whose_rms_is_one_has_a_level():
    # DC 2 over 2 s of 3: mean square 4 * 2/3, integer 2, rms isqrt(2) = 1:
    # -90.3 dBFS, not -inf. rel +3 dB: 1.41, floor 1, so a window is silent
    # when its mean square is below 4: any window not all sound (4k/500 < 4).
    x = np.concatenate([dc(1000, 2), zeros(1000), dc(1000, 2)])
    assert math.isqrt(4 * 32000 // 48000) == 1
    assert math.floor(10 ** (3 / 20)) == 1
    got = silence_segments(x, silence_rel_db=3.0, min_silence_len=0.5, keep_silence=0.0,
                           min_segment=0.0, max_segment=None)
    assert got == [(0.0, 0.501), (2.499, 3.0)]


def test_windows_of_a_second_every_600_ms():
    # Sound | 2.5 s of zeros | sound, 4.5 s. Windows of 1000 ms start at 0, 600,
    # ..., 3000 and at the last possible start, 3500 (sound). The silent ones
    # start at 1200, 1800 and 2400: the silence is [1.2, 3.4) s.
    x = np.concatenate([dc(1000), zeros(2500), dc(1000)])
    got = silence_segments(x, silence_thresh_db=db_for_floor(0), min_silence_len=1.0,
                           keep_silence=0.0, min_segment=0.0, max_segment=None, seek_step=0.6)
    assert got == [(0.0, 1.2), (3.4, 4.5)]


def test_two_segments_merge_too():
    # [0, 800] and [1000, 1100] (short): the short one joins the first.
    assert merged((0, 1000), (800, 1100), 2000, 50, 300, None) == ([0], [1100])
    assert merged((0, 1000), (100, 2000), 2000, 50, 300, None) == ([0], [2000])


def test_paddings_meet_at_the_middle_rounded_down():
    # Left: 800 and 1001 with pad 150 meet at (800 + 1001) // 2 = 900; the short
    # one's right padding ends at 1250 (1100 + 150, touching 1400 - 150 without
    # meeting): 350 long, exactly the shortest: it stays.
    assert merged((0, 1001, 1400), (800, 1100, 3000), 4000, 150, 350, None) == (
        [0, 1001, 1400], [800, 1100, 3000])
    # Right: 1150 and 1301 meet at (1150 + 1301) // 2 = 1225; 800 + 150 touches
    # 1100 - 150: the short one is [950, 1225], 275 long, exactly the shortest.
    assert merged((0, 1100, 1301), (800, 1150, 3000), 4000, 150, 275, None) == (
        [0, 1100, 1301], [800, 1150, 3000])
    # pad 100, shortest 300: [1000,1050] spans [900, 1125] (short); it joins
    # [1200,1500] (silence 150 < 200), whose end meets [1651..] at
    # (1500 + 1651) // 2 = 1575: 1575 - 900 = 675, exactly the longest allowed.
    starts, ends = (0, 1000, 1200, 1651), (800, 1050, 1500, 3000)
    assert merged(starts, ends, 4000, 100, 300, 675) == ([0, 1000, 1651], [800, 1500, 3000])
    assert merged(starts, ends, 4000, 100, 300, 674) == (list(starts), list(ends))


def test_a_merge_that_reaches_the_shortest_length_stops():
    # pad 0, shortest 300: [1000,1100] (100) joins [1150,1300] across 50 (not
    # across 200): [1000,1300] is 300, long enough; it does not join [0,800].
    assert merged((0, 1000, 1150, 2000), (800, 1100, 1300, 3000), 4000, 0, 300, None) == (
        [0, 1000, 2000], [800, 1300, 3000])


def test_cut_windows_at_the_end_of_the_file_hold_its_last_millisecond():
    # 200 ms: zeros, and DC 1000 in the last ms. A segment [120, 200) ms with
    # max 60 ms: candidates 150..180 ms, every window [m-50, m+50) clipped at
    # 200 ms holds the loud last ms: the widest (m = 150) is the quietest.
    x = np.concatenate([zeros(199), dc(1)])
    cum, bounds = energies(x)
    lo, hi = _cut_long(arr(1920), arr(3200), cum, bounds, RATE, 0, 960)
    assert lo.tolist() == [1920, 2400] and hi.tolist() == [2400, 3200]


def test_a_cut_with_no_millisecond_to_choose_falls_at_the_limit():
    # max 16 samples (1 ms) from sample 9: the candidates would start at
    # ms 2 (first at or after 9 + 8) and end at ms 1 (last at or before
    # 9 + 16): none, so each cut is at the limit, 16 samples on.
    cum, bounds = energies(zeros(10))
    lo, hi = _cut_long(arr(9), arr(100), cum, bounds, RATE, 0, 16)
    assert lo.tolist() == [9, 25, 41, 57, 73, 89] and hi.tolist() == [25, 41, 57, 73, 89, 100]
    # One sample over the limit: cut at the limit, a 1-sample piece after it.
    lo, hi = _cut_long(arr(9), arr(26), cum, bounds, RATE, 0, 16)
    assert lo.tolist() == [9, 25] and hi.tolist() == [25, 26]
    # From sample 4 with max 20: ms 1 is the one candidate (at or after 14,
    # at or before 24): the cut is there, at 16, not at the limit 24.
    lo, hi = _cut_long(arr(4), arr(30), cum, bounds, RATE, 0, 20)
    assert lo.tolist() == [4, 16] and hi.tolist() == [16, 30]


def test_cut_windows_at_the_start_of_the_file_hold_its_first_millisecond():
    # DC 1000 in ms 0 only. max 40 ms: candidates 20..40, windows clipped to
    # [0, m + 50): the same energy over a wider span for larger m: m = 40.
    x = np.concatenate([dc(1), zeros(199)])
    cum, bounds = energies(x)
    lo, hi = _cut_long(arr(0), arr(1600), cum, bounds, RATE, 0, 640)
    assert hi.tolist()[0] == 640


def test_a_single_louder_candidate_splits_the_run_of_quietest_points():
    # 10 s of DC 1000 (16 * 10**6 a ms), but ms 4990 at 1400 and ms 4991 at 200:
    # together they hold exactly two ms of DC 1000 (1400**2 + 200**2 = 2 * 1000**2).
    # Cut candidates 2500..5000 ms: the window [m-50, m+50) of m = 4941 holds
    # ms 4990 only (louder); every other window is as quiet as the rest. The
    # first run of the quietest is 2500..4940: the cut is at its middle, 3720.
    x = dc(10000)
    x[4990 * 16:4991 * 16] = 1400
    x[4991 * 16:4992 * 16] = 200
    cum, bounds = energies(x)
    lo, hi = _cut_long(arr(0), arr(len(x)), cum, bounds, RATE, RATE, 5 * RATE)
    # From 3720: candidates 6220..8720, all equal: 7470; then 2.53 s are left.
    assert lo.tolist() == [0, 3720 * 16, 7470 * 16] and hi.tolist() == [3720 * 16, 7470 * 16, 160000]


def test_a_spec_uses_the_info_it_is_given_without_probing_again(tmp_path):
    # Headerless PCM that probe cannot read, described by the info of a WAV
    # holding the same samples: sound 1 s | zeros 1 s | sound 1 s.
    x = np.concatenate([dc(1000), zeros(1000), dc(1000)])
    info = replace(probe(write_wav(tmp_path / "same.wav", x)), data_offset=0)
    raw = tmp_path / "raw.pcm"
    raw.write_bytes(x.astype("<i2").tobytes())
    spec = parse_segment_spec("silence:thresh=-60,min=0,pad=0")
    # -60 dBFS is 32.8: a 500 ms window is silent when k * 2000 < 33**2, k = 0.
    assert spec(raw, info=info) == [(0.0, 1.0), (2.0, 3.0)]
    assert parse_segment_spec("window:2")(raw, info=info) == [(0.0, 2.0), (2.0, 3.0)]


def test_an_option_splits_at_its_first_equals_sign():
    with pytest.raises(ValueError) as err:
        parse_segment_spec("silence:pad=1=2")
    assert str(err.value) == ("--segment 'silence:pad=1=2': pad='1=2' is not a time in seconds, "
                              "e.g. 0.5, 0.5s or 500ms")


def test_a_failure_in_either_half_reaches_the_caller(tmp_path, monkeypatch):
    import earmark.loading.segment as seg
    path = write_wav(tmp_path / "short.wav", np.full(8000, 1000, "<i2"), rate=8000)
    info = replace(probe(path), duration=130.0)        # two halves, from 0 and from 65 s
    import earmark.audio.reader as reader
    real = reader._ffmpeg_into
    calls = []

    def first_fails(path, out, pos, limit, start, length, channel):
        calls.append((pos, limit, start, length))
        if pos == 0:
            raise SegmentError("the first half failed")
        return real(path, out, pos, limit, start, length, channel)

    monkeypatch.setattr(reader, "_ffmpeg_into", first_fails)
    with pytest.raises(SegmentError) as err:
        seg.read_mono_16k(path, info)
    assert str(err.value) == "the first half failed"
    assert sorted(calls) == [(0, 65 * RATE, None, 65.0), (65 * RATE, None, 65.0, None)]

    def second_fails(path, out, pos, limit, start, length, channel):
        if pos > 0:
            raise SegmentError("the second half failed")
        return real(path, out, pos, limit, start, length, channel)

    monkeypatch.setattr(reader, "_ffmpeg_into", second_fails)
    with pytest.raises(SegmentError) as err:
        seg.read_mono_16k(path, info)
    assert str(err.value) == "the second half failed"


def test_a_bad_overlap_is_named_as_the_overlap():
    with pytest.raises(ValueError) as err:
        parse_segment_spec("window:30:5min")
    assert str(err.value) == ("--segment 'window:30:5min': overlap='5min' is not a time in seconds, "
                              "e.g. 0.5, 0.5s or 500ms")
    assert parse_segment_spec("window:30:500ms").options == {"seconds": 30.0, "overlap": 0.5}


def test_energy_at_a_rate_one_above_a_whole_number_of_samples_a_ms():
    # 1001 Hz: ms m starts at floor(1.001 m): one sample each up to ms 998,
    # two in ms 999 (samples 999 and 1000), and the last, partial ms 1000 holds sample 1001.
    y = np.arange(1, 1003, dtype=np.int16)
    b = _MsBounds(len(y), 1001)
    assert b.count == 1001
    out = np.full(b.count, -1, dtype=np.int64)
    _ms_energy(y, b, out)
    v = np.arange(1, 1003, dtype=np.int64) ** 2
    assert out[:999].tolist() == v[:999].tolist()
    assert out[999:].tolist() == [v[999] + v[1000], v[1001]]


def test_silence_to_the_sample_at_22050_hz():
    # 22.05 kHz: ms m starts at sample floor(22.05 m); a 500 ms window holds
    # 11025 samples. DC 1000 for 1 s | zeros 1 s | DC 1000 1 s, threshold in
    # [99, 100): silent when 10**6 * loud / 11025 < 100**2, at most 110 loud samples.
    # Windows from ms 996 (sample 21961: 89 loud) to those ending at ms 2005
    # (sample 44210: 110 loud) are silent; ms 995 starts at 21939 (111 loud).
    x = np.concatenate([np.full(22050, 1000, np.int16), np.zeros(22050, np.int16),
                        np.full(22050, 1000, np.int16)])
    got = silence_segments(x, 22050, silence_thresh_db=db_for_floor(99), min_silence_len=0.5,
                           keep_silence=0.0, min_segment=0.0, max_segment=None)
    assert got == [(0.0, round(21961 / 22050, 3)), (round(44210 / 22050, 3), 3.0)]
    assert got == [(0.0, 0.996), (2.005, 3.0)]


def test_a_silent_file_exactly_one_window_long_has_no_segment():
    assert silence_segments(zeros(500), min_silence_len=0.5) == []
    assert silence_segments(zeros(499), min_silence_len=0.5) == [(0.0, 0.499)]


def test_millisecond_bounds_by_hand():
    b = _MsBounds(100, RATE)                       # 100 samples: 7 ms, the last one partial
    assert b.count == 7
    assert b[0:8].tolist() == [0, 16, 32, 48, 64, 80, 96, 100]
    assert b.first_from(16) == 1 and b.first_from(17) == 2 and b.first_from(100) == 7
    assert b.last_until(31) == 1 and b.last_until(32) == 2 and b.last_until(200) == 7


def test_a_duration_far_below_one_overlapping_window_is_one_window():
    # 1 ms against windows of 4 s every 3 s: one window, clipped to 1 ms.
    assert window_segments(0.001, 4.0, 1.0) == [(0.0, 0.001)]


def test_one_decoder_stops_writing_at_its_limit_and_drains_the_rest(tmp_path):
    from earmark.audio.reader import _ffmpeg_into
    # 100 s of 8 kHz DC 1000: 3.2 MB of 16 kHz output, more than a pipe holds.
    path = write_wav(tmp_path / "long.wav", np.full(800000, 1000, "<i2"), rate=8000)
    out = np.zeros(2000, np.int16)
    got, n = _ffmpeg_into(path, out, 0, 1000, None, None, None)
    assert got is out and n == 1000
    assert np.abs(out[100:1000].astype(np.int32) - 1000).max() <= 8 and not out[1000:].any()
    # Without a limit a full array grows (by half, plus a second) until the end.
    small = np.zeros(100, np.int16)
    got, n = _ffmpeg_into(path, small, 0, None, None, None, None)
    assert n == 1600000 and len(got) >= n and np.abs(got[100:n].astype(np.int32) - 1000).max() <= 8


def test_channel_0_of_a_mono_file_at_another_rate(tmp_path):
    path = write_wav(tmp_path / "mono8k.wav", np.full(8000, 1000, "<i2"), rate=8000)
    got = read_mono_16k(path, channel=0)
    assert len(got) == RATE and abs(int(got[RATE // 2]) - 1000) <= 2
