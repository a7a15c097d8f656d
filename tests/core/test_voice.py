"""resemblyzer's voice encoder run in numpy (earmark/models/voice.py).

torch is not installed here, so the network cannot be compared with torch's
run of it; these tests pin what can be known without it: the weights' names
and shapes, the mel filterbank against Slaney's formula worked by hand,
resemblyzer's window placement, unit-norm deterministic embeddings, and that
the embeddings tell the corpus's speakers apart.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from earmark.models import voice

STEMS = ["trñ00", "trn01", "trn03"]


@pytest.fixture(scope="module")
def corpus_turns(corpus):
    """(speaker, embedding) of every reference turn of 1 s or more that no other turn overlaps."""
    from earmark.audio.reader import read_mono_16k
    from earmark.evaluation import read_rttm
    reference = read_rttm(corpus / "diarization" / "reference.rttm")
    found = []
    for stem in STEMS:
        samples = read_mono_16k(corpus / "diarization" / f"{stem}.wav")
        for start, end, speaker in reference[stem]:
            if end - start < 1.0:
                continue
            clear_start = max([start, *(e for s, e, who in reference[stem] if who != speaker and s <= start < e)])
            clear_end = min([end, *(s for s, e, who in reference[stem] if who != speaker and start < s < end)])
            if clear_end - clear_start >= 1.0:
                found.append((speaker, voice.embed(samples[int(clear_start * 16000):int(clear_end * 16000)])))
    return found


def test_the_weights_load_with_resemblyzers_shapes():
    state = voice._read_checkpoint(voice.weights_path())
    expected = {"lstm.weight_ih_l0": (1024, 40), "linear.weight": (256, 256), "linear.bias": (256,)}
    for n in range(3):
        expected[f"lstm.weight_hh_l{n}"] = (1024, 256)
        expected[f"lstm.bias_ih_l{n}"] = expected[f"lstm.bias_hh_l{n}"] = (1024,)
        if n:
            expected[f"lstm.weight_ih_l{n}"] = (1024, 256)
    assert {k: state[k].shape for k in expected} == expected
    assert all(state[k].dtype == np.float32 and np.isfinite(state[k]).all() for k in expected)
    # the three layers are views into one flat storage: each must be its own slice of it
    assert not np.allclose(state["lstm.weight_hh_l0"], state["lstm.weight_hh_l1"])
    assert 0.01 < float(np.abs(state["lstm.weight_hh_l2"]).mean()) < 1


def test_the_mel_scale_is_slaneys():
    # below 1 kHz linear (200/3 Hz a mel), above logarithmic (27 mels per factor 6.4)
    assert voice.hz_to_mel(1000.0) == pytest.approx(15.0)
    assert voice.hz_to_mel(500.0) == pytest.approx(7.5)
    assert voice.hz_to_mel(6400.0) == pytest.approx(42.0)
    assert voice.mel_to_hz(voice.hz_to_mel(np.array([0.0, 300.0, 2500.0, 8000.0]))) == \
        pytest.approx([0.0, 300.0, 2500.0, 8000.0])


def test_the_mel_filterbank_peaks_and_areas_follow_the_formula():
    filters = voice.mel_filterbank()
    assert filters.shape == (40, 201)
    # 8 kHz is 15 + 27 ln(8) / ln(6.4) = 45.2456 mels; 42 edges evenly spaced in mel,
    # so band 0 peaks at 45.2456 / 41 = 1.1035 mels = 73.57 Hz and band 39 at
    # 40 * 45.2456 / 41 = 44.1421 mels = 1000 * 6.4 ** (29.1421 / 27) = 7415.6 Hz
    freqs = np.linspace(0, 8000, 201)   # 40 Hz a bin
    peaks = freqs[filters.argmax(axis=1)]
    assert abs(peaks[0] - 73.57) <= 20 and abs(peaks[39] - 7415.6) <= 20    # half a bin
    centres = voice.mel_to_hz(np.arange(1, 41) * 45.2456 / 41)
    assert centres[0] == pytest.approx(73.57, abs=0.05) and centres[39] == pytest.approx(7415.6, abs=0.5)
    assert np.all(np.abs(peaks - centres) <= 20)
    # Slaney's norm: each triangle has area 1 in Hz; sampled every 40 Hz, the wide
    # bands (above 1 kHz: 6 bins or more) sum to 1/40 within 5 % (measured: 3.5 % at most)
    wide = centres > 1000
    assert filters[wide].sum(axis=1) * 40 == pytest.approx(np.ones(wide.sum()), rel=0.05)
    assert (filters >= 0).all() and (filters.sum(axis=0)[1:-1] > 0).all()


def test_a_tone_lands_in_the_band_around_its_frequency():
    t = np.arange(16000) / 16000
    mel = voice.mel_spectrogram((0.1 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32))
    assert mel.shape == (101, 40)                     # 1 + 16000 // 160 centred frames
    centres = voice.mel_to_hz(np.arange(1, 41) * 45.2456 / 41)
    assert abs(centres[mel[50].argmax()] - 1000) < 60
    # frame 50 is centred on sample 8000: its power spectrum under a periodic Hann
    # window, through the filters, computed here without the module's framing
    frame = (0.1 * np.sin(2 * np.pi * 1000 * t))[8000 - 200:8000 + 200] * np.hanning(401)[:-1]
    assert mel[50] == pytest.approx(voice.mel_filterbank() @ np.abs(np.fft.rfft(frame)) ** 2, rel=1e-3, abs=1e-6)
    # frame 0 is centred on sample 0, the samples before it zeros
    first = np.concatenate([np.zeros(200), (0.1 * np.sin(2 * np.pi * 1000 * t))[:200]]) * np.hanning(401)[:-1]
    assert mel[0] == pytest.approx(voice.mel_filterbank() @ np.abs(np.fft.rfft(first)) ** 2, rel=1e-3, abs=1e-6)


def test_the_volume_is_raised_to_minus_30_dbfs_never_lowered():
    quiet = (0.001 * np.sin(np.arange(16000) / 5)).astype(np.float32)
    louder = voice.normalize_volume(quiet)
    rms = np.sqrt(np.mean((louder.astype(np.float64) * 32767) ** 2))
    assert 20 * np.log10(rms / 32767) == pytest.approx(-30, abs=0.01)
    loud = (0.5 * np.sin(np.arange(16000) / 5)).astype(np.float32)
    assert voice.normalize_volume(loud) is loud
    assert not voice.normalize_volume(np.zeros(100, np.float32)).any()


def test_partial_windows_are_placed_as_resemblyzer_places_them():
    # 3 s: ceil(48001 / 160) = 301 frames, a step of round(16000 / 1.3 / 160) = 77 frames;
    # the window at 154 covers (48000 - 24640) / 25600 = 91 % of its frames: kept
    assert voice.partial_slices(48000) == [0, 77, 154]
    # 2 s: 201 frames, windows at 0 and 77; the one at 77 covers (32000 - 12320) / 25600 = 77 %: kept
    assert voice.partial_slices(32000) == [0, 77]
    # 2.36 s: 237 frames, windows at 0, 77 and 154; the one at 154 covers
    # (37760 - 24640) / 25600 = 51 %: dropped
    assert voice.partial_slices(37760) == [0, 77]
    assert voice.partial_slices(16000) == [0]          # shorter than one window: one, padded


def test_embeddings_are_unit_vectors_deterministic_and_alike_for_int16_and_float(corpus):
    from earmark.audio.reader import read_mono_16k
    samples = read_mono_16k(corpus / "diarization" / "trn03.wav")[16000 * 10:16000 * 14]
    vector = voice.embed(samples)
    assert vector.shape == (256,) and vector.dtype == np.float32
    assert float(np.linalg.norm(vector)) == pytest.approx(1, abs=1e-5)
    assert (vector >= 0).all()                                   # after a ReLU
    assert np.array_equal(vector, voice.embed(samples))
    assert np.allclose(vector, voice.embed(samples.astype(np.float32) / 32768), atol=1e-6)
    short = voice.embed(samples[:8000])                          # 0.5 s, padded to one window
    assert short.shape == (256,) and float(np.linalg.norm(short)) == pytest.approx(1, abs=1e-5)
    starts, vectors = voice.embed_windows(samples, step=0.5)
    assert starts.tolist() == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])   # 1.6 s windows that fit in 4 s
    assert vectors.shape == (5, 256)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(5), abs=1e-5)


def test_the_same_speaker_is_closer_than_another(corpus_turns):
    same, other = [], []
    for i, (who, a) in enumerate(corpus_turns):
        for who_b, b in corpus_turns[i + 1:]:
            (same if who == who_b else other).append(float(a @ b))
    # measured 0.741 within a speaker (6 pairs), 0.600 across speakers (15 pairs): turns of 1 s or
    # more without overlap (the field notes, 0.75 vs 0.66, took every turn)
    print(f"same speaker {np.mean(same):.3f} ({len(same)} pairs), others {np.mean(other):.3f} ({len(other)})")
    assert len(same) >= 5 and len(other) >= 10
    assert np.mean(same) > 0.70 and np.mean(other) < 0.68
    assert np.mean(same) > np.mean(other) + 0.05


def test_the_weights_are_read_once_and_shared_by_threads(corpus):
    from earmark.audio.reader import read_mono_16k
    samples = read_mono_16k(corpus / "diarization" / "trñ00.wav")[16000 * 11:16000 * 14]
    voice.encoder()
    loads = voice.loads
    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(voice.embed(samples))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert voice.loads == loads == 1
    assert len(results) == 2 and np.array_equal(results[0], results[1])


def test_the_mel_spectrogram_is_the_same_computed_in_blocks(monkeypatch):
    wav = np.random.default_rng(3).standard_normal(16000).astype(np.float32) * 0.1
    whole = voice.mel_spectrogram(wav)
    monkeypatch.setattr(voice, "_MEL_BLOCK", 7)      # 101 frames in blocks of 7, the last one short
    assert np.allclose(voice.mel_spectrogram(wav), whole, rtol=1e-5, atol=1e-7)
