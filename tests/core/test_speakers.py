"""The built-in model `speakers` (earmark/models/speakers.py) against the corpus's reference RTTM."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from earmark.evaluation import activity, der, diarization_error, one_speaker, read_rttm, turns_of
from earmark.models import registry, voice
from earmark.models.speakers import SpeakerSettings, diarize, speaker_regions, speech_windows

# DER (10 ms frames, no collar) measured with the defaults, and the floor asserted.
# The one-speaker baseline labels all *reference* speech as one speaker; `speakers`
# also pays for the detector's misses and false alarms (all detected speech as one
# speaker: 0.557 on trñ00, 0.830 on trn01). trñ00 measured 0.439 before windows were
# reassigned to the nearest speaker mean after clustering (resegment).
MEASURED = {"trñ00": 0.419, "trn01": 0.830, "trn02": 0.362, "trn03": 0.068}
FLOOR = {"trñ00": 0.43, "trn01": 0.86, "trn02": 0.40, "trn03": 0.10}
BASELINE = {"trñ00": 0.48, "trn01": 0.69}      # design.md's figures


@pytest.fixture(scope="module")
def reference(corpus):
    return read_rttm(corpus / "diarization" / "reference.rttm")


@pytest.fixture(scope="module")
def audio(corpus):
    from earmark.audio.reader import read_mono_16k
    cache: dict[str, np.ndarray] = {}

    def read(stem: str) -> np.ndarray:
        if stem not in cache:
            cache[stem] = read_mono_16k(corpus / "diarization" / f"{stem}.wav")
        return cache[stem]
    return read


@pytest.fixture(scope="module")
def windows(audio):
    """The speech windows and embeddings of each corpus file, made once for the module (2 cores)."""
    return {stem: speech_windows(audio(stem)) for stem in MEASURED}


@pytest.fixture(scope="module")
def proposed(windows):
    """The default diarization of each corpus file."""
    return {stem: speaker_regions(w) for stem, w in windows.items()}


def test_the_one_speaker_baseline_is_the_field_notes(reference):
    for stem, value in BASELINE.items():
        assert der(reference[stem], one_speaker(reference[stem])) == pytest.approx(value, abs=0.01)


@pytest.mark.parametrize("stem", list(MEASURED))
def test_diarization_error_stays_under_its_floor(stem, reference, proposed):
    error = diarization_error(reference[stem], turns_of(proposed[stem]))
    baseline = der(reference[stem], one_speaker(reference[stem]))
    print(f"{stem}: DER {error.rate:.3f} (missed {error.missed:.2f} s, false alarm {error.false_alarm:.2f} s, "
          f"confusion {error.confusion:.2f} s of {error.total:.2f} s); one speaker {baseline:.3f}")
    assert error.rate <= FLOOR[stem]
    if stem == "trñ00":
        # two speakers found where three talk (the third mostly over the others): below the
        # baseline that knows where the speech is, and far below one speaker on the detector's speech
        assert error.rate < baseline - 0.03
        assert {r["label"] for r in proposed[stem]} == {"SPEAKER_00", "SPEAKER_01"}


def test_regions_carry_labels_scores_and_embeddings_in_order(proposed):
    regions = proposed["trñ00"]
    assert regions == sorted(regions, key=lambda r: (r["start"], r["end"]))
    assert regions[0]["label"] == "SPEAKER_00"          # numbered by first appearance
    for region in regions:
        assert 0 <= region["start"] < region["end"] <= 30.0
        assert 0 < region["score"] <= 1
        vector = np.asarray(region["_embedding"])
        assert vector.shape == (256,) and float(np.linalg.norm(vector)) == pytest.approx(1, abs=1e-4)
    # the two speakers' embeddings differ more than two regions of one speaker
    by_label: dict[str, list[np.ndarray]] = {}
    for region in regions:
        by_label.setdefault(region["label"], []).append(np.asarray(region["_embedding"]))
    a, b = (np.mean(v, axis=0) for v in by_label.values())
    assert float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) < 0.95


def test_the_number_of_speakers_is_estimated_or_given(windows, proposed):
    # estimated: two on trñ00 (its third speaker talks over the others), one on trn03
    # (MEE067 speaks 1.2 s of 30) and on trn02
    assert len({r["label"] for r in proposed["trn03"]}) == 1
    assert len({r["label"] for r in proposed["trn02"]}) == 1
    three = speaker_regions(windows["trñ00"], SpeakerSettings(num_speakers=3))
    assert {r["label"] for r in three} == {"SPEAKER_00", "SPEAKER_01", "SPEAKER_02"}
    assert len({r["label"] for r in speaker_regions(windows["trn03"], SpeakerSettings(num_speakers=2))}) == 2


def test_the_overlap_option_adds_a_second_speaker_where_windows_disagree(windows, reference, proposed):
    overlapped = speaker_regions(windows["trñ00"], SpeakerSettings(overlap=0.3))

    def overlap_seconds(regions):
        _, active = activity(turns_of(regions), 3000)
        return float((active.sum(axis=1) > 1).sum() * 0.01)
    assert overlap_seconds(proposed["trñ00"]) == 0
    assert overlap_seconds(overlapped) > 0.2          # measured 1.34 s, where the speaker changes
    # measured 0.466 against 0.419 without (false alarm only): the option stays off by default
    assert der(reference["trñ00"], turns_of(overlapped)) <= 0.48


def test_noise_and_silence_give_no_regions(corpus):
    # empty.wav is full-scale binary noise, which the speech detector takes for speech
    task = {"path": str(corpus / "diarization" / "empty.wav"), "meta": {}}
    assert registry.registered_models()["speakers"].bind()(task) == []
    assert diarize(np.zeros(16000 * 2, dtype=np.int16)) == []


def test_a_segment_is_diarized_in_file_time(corpus, audio):
    path = corpus / "diarization" / "trñ00.wav"
    task = {"path": str(path), "meta": {}, "segment": {"start": 10.0, "end": 20.0}}
    regions = registry.registered_models()["speakers"].bind({"num_speakers": "2"})(task)
    assert regions and all(10.0 <= r["start"] < r["end"] <= 20.0 for r in regions)
    alone = diarize(audio("trñ00")[16000 * 10:16000 * 20], SpeakerSettings(num_speakers=2))
    assert [(r["start"], r["end"], r["label"]) for r in regions] == \
        [(round(r["start"] + 10, 3), round(r["end"] + 10, 3), r["label"]) for r in alone]
    proposal = registry.propose(registry.registered_models()["speakers"].bind(), task, 30.0)
    assert set(proposal.embeddings) == {r["id"] for r in proposal.regions}
    assert all("_embedding" not in r for r in proposal.regions)


def test_a_channel_of_a_split_recording(stereo_speech_left):
    model = registry.registered_models()["speakers"].bind()
    left = model({"path": str(stereo_speech_left), "meta": {"channel": 0}})
    assert left and {r["channel"] for r in left} == {0} and {r["label"] for r in left} == {"SPEAKER_00"}
    assert model({"path": str(stereo_speech_left), "meta": {"channel": 1}}) == []


def test_the_model_is_loaded_once_and_shared_by_two_threads(corpus):
    model = registry.resolve_model("speakers:num_speakers=2")
    task = {"path": str(corpus / "diarization" / "trñ00.wav"), "meta": {}, "segment": {"start": 16.0, "end": 26.0}}
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(model(task))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results[0] == results[1] and results[0]
    assert registry.resolve_model("speakers").model is model.model
    assert model.model._annotate is not None and voice.loads == 1


def test_many_windows_are_clustered_through_a_sample_of_them():
    # two made-up voices, 1,000 windows each in turns of 100 (over MAX_CLUSTERED): the
    # sampled windows are clustered, the rest take the nearest speaker's mean
    from earmark.models.speakers import MAX_CLUSTERED, cluster
    rng = np.random.default_rng(1)
    voices = np.abs(rng.standard_normal((2, 256)))
    who = np.repeat(np.arange(20) % 2, 100)
    vectors = np.abs(voices[who] + 0.8 * rng.standard_normal((len(who), 256)))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert len(vectors) > MAX_CLUSTERED
    labels = cluster(vectors)
    agree = max(np.mean(labels == who), np.mean(labels == 1 - who))
    assert set(labels.tolist()) == {0, 1} and agree > 0.99


def test_the_num_speakers_setting_reaches_the_model_unless_the_spec_gives_it():
    from earmark.models.speakers import MODEL
    assert MODEL.parameters()["num_speakers"] == 0
    assert MODEL.parameters(settings={"num_speakers": 3.0})["num_speakers"] == 3
    assert MODEL.parameters({"num_speakers": "2"}, settings={"num_speakers": 3})["num_speakers"] == 2


def test_a_window_clustered_with_the_wrong_speaker_moves_to_the_nearest_mean():
    from earmark.models.speakers import resegment
    rng = np.random.default_rng(2)
    voices = np.abs(rng.standard_normal((2, 256)))
    who = np.repeat([0, 1], 20)
    vectors = np.abs(voices[who] + 0.3 * rng.standard_normal((40, 256)))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    clustered = who.copy()
    clustered[[3, 25]] = 1 - clustered[[3, 25]]        # two windows the clustering got wrong
    assert resegment(vectors, clustered).tolist() == who.tolist()
    assert resegment(vectors, np.zeros(40, dtype=np.int64)).tolist() == [0] * 40   # one speaker stays one
    assert resegment(vectors[:0], np.zeros(0, dtype=np.int64)).tolist() == []


def test_diarizing_reports_how_far_it_is():
    from earmark.models.registry import progress_to
    from earmark.models.speakers import diarize
    seen: list[float] = []
    with progress_to(seen.append):
        diarize(np.zeros(16000, dtype=np.int16))
    assert seen == [0.0, 2 / 3, 1.0]


def test_a_two_way_split_is_two_voices_only_when_its_halves_are_far_apart_and_not_a_stray_window():
    from earmark.models.speakers import MIN_SPLIT, SPLIT_COSINE, two_voices
    rng = np.random.default_rng(3)

    def unit(v: np.ndarray) -> np.ndarray:
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    def part(direction: np.ndarray, n: int) -> np.ndarray:
        return unit(np.abs(direction + 0.003 * rng.standard_normal((n, 256))))

    a = unit(np.r_[np.ones(128), np.zeros(128)])
    for mix, expected in ((0.5, True), (3.0, False)):     # far apart (cosine 0.45); nearly one voice (0.95)
        b = unit(np.r_[mix * np.ones(128), np.ones(128)])
        assert (float(a @ b) < SPLIT_COSINE) == expected
        vectors = np.concatenate([part(a, 10), part(b, 8)])
        assert two_voices(vectors, np.array([0] * 10 + [1] * 8)) is expected
    # far apart, but one part is a stray window or two: no second voice
    b = unit(np.r_[0.5 * np.ones(128), np.ones(128)])
    vectors = np.concatenate([part(a, 10), part(b, MIN_SPLIT - 1)])
    assert two_voices(vectors, np.array([0] * 10 + [1] * (MIN_SPLIT - 1))) is False
