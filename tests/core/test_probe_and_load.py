"""Loading real recordings: what is probed must agree with ffprobe."""

from __future__ import annotations

import json
import subprocess

from earmark.loading.loader import load_sources
from earmark.db.media import content_hash, get_media
from earmark.audio.peaks import get_peaks
from earmark.audio.probe import probe

from .wavheader import wav_header


def ffprobe(path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-print_format", "json",
         "-show_entries", "stream=sample_rate,channels,duration", str(path)],
        capture_output=True, check=True).stdout
    stream = json.loads(out)["streams"][0]
    return {"rate": int(stream["sample_rate"]), "channels": int(stream["channels"]),
            "duration": float(stream["duration"])}


def corpus_files(corpus):
    return sorted(corpus.rglob("*.wav"))


def test_corpus_has_the_tricky_files(corpus):
    names = {p.name for p in corpus_files(corpus)}
    assert {"trñ00.wav", "empty.wav", "bobby_16bit_16khz_2ch.wav", "bobby_32bit_48khz.wav"} <= names


def test_every_corpus_file_loads_with_ffprobes_header_values(corpus, store):
    files = corpus_files(corpus)
    report = load_sources(store, "corpus", [corpus])
    assert report.failures == []
    # bobby.wav and formats/bobby_16bit_48khz.wav are the same bytes: one task.
    assert report.added + report.skipped == len(files)
    assert report.skipped == 1
    task_media = {m for (m,) in store.query("SELECT media_id FROM tasks WHERE dataset = 'corpus'")}
    for path in files:
        expected = ffprobe(path)
        header = wav_header(path)          # the exact length: data bytes / block align / rate
        assert (header.rate, header.channels) == (expected["rate"], expected["channels"]), path.name
        got = probe(path)
        assert (got.sample_rate, got.channels) == (header.rate, header.channels), path.name
        assert abs(got.duration - header.duration) < 0.5 / header.rate, path.name   # to the sample
        # Every file is registered, the duplicate under its twin's id (the same bytes).
        media = get_media(store, content_hash(path))
        assert media is not None and media.id in task_media, path.name
        assert (media.sample_rate, media.channels) == (header.rate, header.channels), path.name
        assert abs(media.duration - header.duration) < 0.5 / header.rate, path.name


def test_task_meta_and_non_ascii_name(corpus, store):
    load_sources(store, "d", [corpus / "diarization"])
    tasks = [json.loads(t) for (t,) in store.query("SELECT task FROM tasks")]
    names = {t["file"] for t in tasks}
    assert "trñ00.wav" in names
    t = next(t for t in tasks if t["file"] == "trñ00.wav")
    assert t["meta"] == {"file": "trñ00.wav", "duration": 30.0, "channels": 1, "sample_rate": 16000}
    assert isinstance(t["_input_hash"], int) and isinstance(t["_task_hash"], int)
    assert abs(t["_input_hash"]) < 2**53


def test_peaks_for_stereo_and_float_wav_match_the_samples(corpus, store):
    import numpy as np
    report = load_sources(store, "d", [corpus / "formats" / "bobby_16bit_16khz_2ch.wav",
                                       corpus / "diarization" / "trn01.wav"])
    assert report.added == 2
    media_ids = [m for (m,) in store.query("SELECT media_id FROM tasks ORDER BY id")]
    stereo = get_peaks(store, media_ids[0])
    assert stereo.channels == 2 and stereo.rate == 100
    assert stereo.buckets == 120  # 1.194625 s at 100 buckets/s, last one partial
    raw = np.fromfile(corpus / "formats" / "bobby_16bit_16khz_2ch.wav", dtype="<i2", offset=44).reshape(-1, 2)
    for ch in (0, 1):
        bucket = raw[50 * 160:51 * 160, ch]
        assert stereo.minmax[ch, 50].tolist() == [bucket.min(), bucket.max()]
    floats = get_peaks(store, media_ids[1])
    samples = np.fromfile(corpus / "diarization" / "trn01.wav", dtype="<f4", offset=58)
    loudest = int(np.argmax(np.abs(samples)))
    bucket = loudest // 160
    assert abs(floats.minmax[0, bucket]).max() == int(abs(samples[loudest]) * 32767)
    # cached: a second call reads the row instead of decoding
    assert store.query_one("SELECT count(*) FROM peaks")[0] == 2
    assert (get_peaks(store, media_ids[1]).minmax == floats.minmax).all()


def test_compressed_formats_load_with_peaks(corpus, store, tmp_path):
    src = corpus / "formats" / "bobby_16bit_16khz_2ch.wav"
    made = []
    for ext in ("mp3", "flac", "ogg", "opus", "m4a", "webm"):
        out = tmp_path / f"bobby.{ext}"
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(src), str(out)], check=True)
        made.append(out)
    source = wav_header(src)               # 19114 frames at 16 kHz: 1.194625 s
    report = load_sources(store, "c", [tmp_path])
    assert report.failures == [] and report.added == len(made)
    formats = {}
    for (media_id,) in store.query("SELECT media_id FROM tasks"):
        media = get_media(store, media_id)
        formats[media.path.rsplit(".", 1)[1]] = media, get_peaks(store, media_id)
    assert sorted(formats) == sorted(["mp3", "flac", "ogg", "opus", "m4a", "webm"])
    for ext, (media, peaks) in formats.items():
        rate = 48000 if ext in ("opus", "webm") else source.rate      # Opus is always 48 kHz
        assert (media.sample_rate, media.channels, peaks.channels) == (rate, 2, 2), ext
        assert peaks.minmax.max() > 5000, ext
        if ext == "m4a":
            # AAC decodes whole frames of 1024 samples (the encoder's end padding stays);
            # the MP4 container's duration is counted in milliseconds.
            assert peaks.duration == -(-source.frames // 1024) * 1024 / source.rate
            assert abs(media.duration - source.duration) <= 0.0005
            continue
        # The decoded length is the source's to the sample (the MP3 header's guess,
        # 1.296 s here, is corrected from it at load).
        assert abs(peaks.duration - source.duration) < 0.5 / rate, ext
        if ext == "webm":
            # Matroska declares the length in milliseconds and counts the last Opus
            # frame whole (1.202 s here); the row keeps that figure, at most one
            # 20 ms frame long, since it is within 50 ms of the decoded length.
            assert 0 <= media.duration - source.duration < 0.02, media.duration
            continue
        assert abs(media.duration - source.duration) < 0.5 / rate, ext


def test_peaks_are_computed_once_per_file_with_the_registered_header(corpus, store, monkeypatch):
    from earmark.loading import loader
    calls = []
    real = loader.compute_peaks

    def counting(path, info=None, *args, **kwargs):
        calls.append((path, info))
        return real(path, info, *args, **kwargs)

    monkeypatch.setattr(loader, "compute_peaks", counting)
    load_sources(store, "a", [corpus / "formats"])
    assert len(calls) == 5 and all(info is not None for _, info in calls)
    load_sources(store, "a", [corpus / "formats"])          # a reload: all duplicates
    load_sources(store, "b", [corpus / "formats"])          # the same files in another dataset
    assert len(calls) == 5
