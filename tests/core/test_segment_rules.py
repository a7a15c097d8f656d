"""The --segment option and the segmenters' argument checks: each message a user
reads, in full, and the values parsed, written out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from earmark.loading.segment import SegmentSpec, parse_segment_spec, silence_segments, window_segments

HELP = "expected 'silence', 'silence:KEY=VALUE,...', 'window:SECONDS[:OVERLAP]' or 'asr[:KEY=VALUE,...]'"
KNOWN = "thresh, rel, min_silence, pad, min, max, step"


@pytest.mark.parametrize("spec, message", [
    ("  ", f"empty --segment value ({HELP})"),
    ("Sound:min=1", f"--segment 'Sound:min=1': unknown method 'sound' ({HELP})"),
    ("silence:  ", "--segment 'silence:': nothing after 'silence:' "
                   "(write 'silence' for the defaults, or KEY=VALUE options)"),
    ("silence:min=1,", "--segment 'silence:min=1,': empty option (two commas, or a comma at the end)"),
    ("silence:pad", "--segment 'silence:pad': option 'pad' has no value (write KEY=VALUE)"),
    ("silence:pad= ", "--segment 'silence:pad=': option 'pad=' has no value (write KEY=VALUE)"),
    ("silence:Loud=1", f"--segment 'silence:Loud=1': unknown option 'loud' (known: {KNOWN})"),
    ("silence:pad=0.1,keep_silence=0.2", "--segment 'silence:pad=0.1,keep_silence=0.2': "
                                         "'keep_silence' repeats 'pad'"),
    ("silence:thresh=-40,rel=-10", "--segment 'silence:thresh=-40,rel=-10': give either 'thresh' "
                                   "(absolute dBFS) or 'rel' (relative to the file's dBFS), not both"),
    ("silence:thresh=loud", "--segment 'silence:thresh=loud': thresh='loud' is not "
                            "a level in dB, e.g. -40 or -40dB"),
    ("silence:pad=1min", "--segment 'silence:pad=1min': pad='1min' is not "
                         "a time in seconds, e.g. 0.5, 0.5s or 500ms"),
    ("silence:pad=1e999", "--segment 'silence:pad=1e999': pad='1e999' is not a finite number"),
    ("silence:min=20,max=30", "--segment 'silence:min=20,max=30': max (30 s) must be at least twice "
                              "min (20 s): a long segment is cut into pieces of max/2 to max"),
    ("silence:min_silence=0", "--segment 'silence:min_silence=0': min_silence must be at least 0.001, got 0.0"),
    ("silence:pad=-1", "--segment 'silence:pad=-1': pad must be at least 0, got -1.0"),
    ("window", "--segment 'window': the window length is missing (write window:SECONDS[:OVERLAP], "
               "e.g. window:30 or window:30:5)"),
    ("window: ", "--segment 'window:': the window length is missing (write window:SECONDS[:OVERLAP], "
                 "e.g. window:30 or window:30:5)"),
    ("window:30:5:1", "--segment 'window:30:5:1': too many parts after 'window:' "
                      "(write window:SECONDS[:OVERLAP])"),
    ("window:0s", "--segment 'window:0s': the window length must be positive, got '0s'"),
    ("window:30:-1", "--segment 'window:30:-1': the overlap must not be negative, got '-1'"),
    ("window:30: 30s", "--segment 'window:30: 30s': the overlap (30s) must be shorter than the window (30)"),
    ("window:0.0004", "--segment 'window:0.0004': window length (0.0004 s) must be at least 1 ms"),
    ("window:1:0.9996", "--segment 'window:1:0.9996': window minus overlap (1.0 - 0.9996 s) must be at least 1 ms"),
    ("window:x", "--segment 'window:x': window length='x' is not a time in seconds, e.g. 0.5, 0.5s or 500ms"),
])
def test_every_bad_segment_value_is_named_in_full(spec, message):
    with pytest.raises(ValueError) as err:
        parse_segment_spec(spec)
    assert str(err.value) == message


def test_values_take_their_units_and_keys_any_case():
    assert parse_segment_spec("SILENCE:Thresh=-40 dBFS,PAD=250 ms,step=.01,max=OFF").options == {
        "silence_thresh_db": -40.0, "keep_silence": 0.25, "seek_step": 0.01, "max_segment": None}
    assert parse_segment_spec("silence:rel=+3db,min=1.5e0s,max=off").options == {
        "silence_rel_db": 3.0, "min_segment": 1.5, "max_segment": None}
    assert parse_segment_spec("silence:max=0").options == {"max_segment": None}
    assert parse_segment_spec("silence:max=45").options == {"max_segment": 45.0}
    assert parse_segment_spec("silence:min=0").options == {"min_segment": 0.0}
    assert parse_segment_spec(" Window:90s : 10 ") == SegmentSpec("window", {"seconds": 90.0, "overlap": 10.0},
                                                                 "Window:90s : 10")
    assert parse_segment_spec("window:500ms").options == {"seconds": 0.5, "overlap": 0.0}


def test_a_window_spec_reads_the_duration_from_what_it_is_given(tmp_path):
    spec = parse_segment_spec("window:2")
    # 3.5 s of samples at 16 kHz
    assert spec(samples=np.zeros(56000, dtype=np.int16)) == [(0.0, 2.0), (2.0, 3.5)]
    with pytest.raises(ValueError) as err:
        spec()
    assert str(err.value) == "window segmentation needs a path or a duration"
    with pytest.raises(ValueError) as err:
        parse_segment_spec("silence")()
    assert str(err.value) == "silence segmentation needs a path or the samples"


@pytest.mark.parametrize("args, message", [
    ((60, True), "window length must be a number, got True"),
    ((60, "30"), "window length must be a number, got '30'"),
    ((math.inf, 30), "duration must be a finite number, got inf"),
    ((60, -math.inf), "window length must be a finite number, got -inf"),
    ((0.0, 30), "duration must be greater than 0, got 0.0"),
    ((60, 30, -0.5), "overlap must be at least 0, got -0.5"),
    ((60, 30, 30), "overlap (30 s) must be shorter than the window (30 s)"),
    ((0.0004, 30), "duration (0.0004 s) is shorter than 1 ms"),
])
def test_window_arguments_are_checked_by_name(args, message):
    with pytest.raises(ValueError) as err:
        window_segments(*args)
    assert str(err.value) == message


def test_window_edges_by_hand():
    # 30 s windows every 20 s over 70 s: starts 0, 20, 40; the third reaches 70 exactly
    assert window_segments(70, 30, 10) == [(0.0, 30.0), (20.0, 50.0), (40.0, 70.0)]
    # one more millisecond needs a fourth window
    assert window_segments(70.001, 30, 10) == [(0.0, 30.0), (20.0, 50.0), (40.0, 70.0), (60.0, 70.001)]
    assert window_segments(30, 30) == [(0.0, 30.0)]
    assert window_segments(0.001, 30) == [(0.0, 0.001)]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"sample_rate": 999}, ValueError, "sample_rate must be an integer of at least 1000 Hz, got 999"),
    ({"sample_rate": True}, ValueError, "sample_rate must be an integer of at least 1000 Hz, got True"),
    ({"sample_rate": 16000.0}, ValueError, "sample_rate must be an integer of at least 1000 Hz, got 16000.0"),
    ({"min_silence_len": 0.0009}, ValueError, "min_silence_len must be at least 0.001, got 0.0009"),
    ({"keep_silence": -0.1}, ValueError, "keep_silence must be at least 0, got -0.1"),
    ({"min_segment": -1}, ValueError, "min_segment must be at least 0, got -1"),
    ({"seek_step": 0}, ValueError, "seek_step must be at least 0.001, got 0"),
    ({"max_segment": 0}, ValueError, "max_segment must be greater than 0, got 0"),
    ({"max_segment": 1.5}, ValueError, "max_segment (1.5 s) must be at least twice min_segment (1 s): "
                                       "a long segment is cut into pieces of max_segment/2 to max_segment"),
    ({"silence_rel_db": math.nan}, ValueError, "silence_rel_db must be a finite number, got nan"),
])
def test_silence_arguments_are_checked_by_name(kwargs, error, message):
    with pytest.raises(error) as err:
        silence_segments(np.zeros(16000, dtype=np.int16), **kwargs)
    assert str(err.value) == message


def test_samples_of_another_kind_are_refused_with_the_way_to_read_them():
    with pytest.raises(TypeError) as err:
        silence_segments(np.zeros(10, dtype=np.float32))
    assert str(err.value) == ("samples must be a 1-D int16 array (got float32, 1-D); "
                              "read_mono_16k(path) gives one")
    with pytest.raises(TypeError) as err:
        silence_segments(np.zeros((2, 10), dtype=np.int16))
    assert str(err.value) == ("samples must be a 1-D int16 array (got int16, 2-D); "
                              "read_mono_16k(path) gives one")


def test_a_max_segment_of_infinity_means_no_limit():
    # 3 s of a full-scale square wave, no silence: one segment however long
    x = np.where(np.arange(48000) % 32 < 16, 16000, -16000).astype(np.int16)
    assert silence_segments(x, max_segment=math.inf) == [(0.0, 3.0)]
    assert silence_segments(x, max_segment=None) == [(0.0, 3.0)]
