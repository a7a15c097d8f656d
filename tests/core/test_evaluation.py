"""The diarization error rate (earmark/evaluation.py) on cases worked out by hand."""

from __future__ import annotations

import pytest

from earmark.evaluation import activity, der, diarization_error, one_speaker, read_rttm


def test_a_perfect_hypothesis_scores_zero():
    ref = [(0.0, 1.0, "A"), (1.0, 3.0, "B"), (4.0, 5.5, "A")]
    assert der(ref, ref) == 0


def test_swapped_labels_score_zero_through_the_mapping():
    ref = [(0.0, 1.0, "A"), (1.0, 3.0, "B")]
    hyp = [(0.0, 1.0, "SPEAKER_01"), (1.0, 3.0, "SPEAKER_00")]
    error = diarization_error(ref, hyp)
    assert error.rate == 0
    assert error.mapping == {"SPEAKER_01": "A", "SPEAKER_00": "B"}
    # the mapping is the one with the most time in common, not the order of appearance:
    # X speaks first (0.2 s over A) but is B's 3 s; Y is A's 0.8 s; 0.2 s confused of 4
    ref = [(0.0, 1.0, "A"), (1.0, 4.0, "B")]
    hyp = [(0.0, 0.2, "X"), (0.2, 1.0, "Y"), (1.0, 4.0, "X")]
    error = diarization_error(ref, hyp)
    assert error.mapping == {"X": "B", "Y": "A"}
    assert error.confusion == pytest.approx(0.2) and error.rate == pytest.approx(0.05)


def test_one_speaker_for_two_is_the_shorter_speakers_time_of_confusion():
    # A speaks 2 s, B 1 s: the one proposed speaker maps to A, B's second is confused: 1/3
    ref = [(0.0, 2.0, "A"), (2.0, 3.0, "B")]
    error = diarization_error(ref, [(0.0, 3.0, "S")])
    assert (error.missed, error.false_alarm, error.confusion, error.total) == pytest.approx((0, 0, 1, 3))
    assert error.rate == pytest.approx(1 / 3)
    assert error.mapping == {"S": "A"}


def test_overlapped_reference_speech_counts_twice():
    # A 0-2 s, B 1-3 s: 4 s of reference speaker time. One speaker over 0-3 s:
    # 1 s missed (the overlap has two speakers, one proposed), and 1 s confused
    # (the second the unmapped speaker speaks alone): (1 + 1) / 4
    ref = [(0.0, 2.0, "A"), (1.0, 3.0, "B")]
    error = diarization_error(ref, one_speaker(ref))
    assert error.total == pytest.approx(4)
    assert (error.missed, error.false_alarm, error.confusion) == pytest.approx((1, 0, 1))
    assert error.rate == pytest.approx(0.5)
    # the overlap proposed as overlap: no error
    assert der(ref, [(0.0, 2.0, "x"), (1.0, 3.0, "y")]) == 0
    # two speakers proposed where one speaks: a false alarm of 1 s over 1 s
    assert diarization_error([(0.0, 1.0, "A")], [(0.0, 1.0, "x"), (0.0, 1.0, "y")]).false_alarm \
        == pytest.approx(1)


def test_missed_speech_false_alarm_and_an_extra_speaker():
    ref = [(0.0, 2.0, "A")]
    assert der(ref, []) == 1                                  # all missed
    error = diarization_error(ref, [(0.0, 4.0, "X")])
    assert (error.false_alarm, error.rate) == pytest.approx((2, 1))   # 2 s too many over 2 s
    error = diarization_error(ref, [(0.0, 1.5, "X"), (1.5, 2.0, "Y")])
    assert error.confusion == pytest.approx(0.5) and error.rate == pytest.approx(0.25)
    assert der([], []) == 0 and der([], [(0.0, 1.0, "X")]) == float("inf")


def test_turns_are_cut_into_10_ms_frames_by_rounding():
    labels, active = activity([(0.004, 0.996, "A"), (0.5, 0.7, "B")])
    assert labels == ["A", "B"]
    assert active.shape == (100, 2) and active[:, 0].all() and active[:, 1].sum() == 20
    # a boundary 4 ms off is no error at 10 ms frames; 6 ms off is one frame
    assert der([(0.0, 1.0, "A")], [(0.004, 1.0, "x")]) == 0
    assert der([(0.0, 1.0, "A")], [(0.006, 1.0, "x")]) == pytest.approx(0.01)


def test_one_speaker_merges_overlapping_turns():
    assert one_speaker([(1.0, 2.0, "A"), (0.0, 1.5, "B"), (3.0, 4.0, "A")]) == [
        (0.0, 2.0, "speech"), (3.0, 4.0, "speech")]


def test_rttm_files_are_read_with_the_formats_reader(tmp_path):
    path = tmp_path / "ref.rttm"
    path.write_text("SPEAKER a 1 0.500 1.250 <NA> <NA> Ann <NA> <NA>\n"
                    "SPEAKER a 1 1.000 1.000 <NA> <NA> Bob <NA> <NA>\n"
                    "SPEAKER b 1 2.000 0.500 <NA> <NA> Ann <NA> <NA>\n", encoding="utf-8")
    assert read_rttm(path) == {"a": [(0.5, 1.75, "Ann"), (1.0, 2.0, "Bob")], "b": [(2.0, 2.5, "Ann")]}
    path.write_text("SPEAKER a 1 zero 1.0 <NA> <NA> Ann <NA> <NA>\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a number"):
        read_rttm(path)
