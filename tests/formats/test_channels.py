"""Channels through every format: RTTM, CSV and metadata.csv count them from 1 (as
people do), regions and JSONL from 0 (the task format); channel 0 is a channel
(never "no channel"); a clip of a channel holds that channel's samples.

The two-channel fixture (`stereo_speech_left`, tests/conftest.py) has speech on
the left and digital silence on the right, so a clip or a line of the wrong
channel shows: the same speech on both channels would hide it.
"""

from __future__ import annotations

import csv
import io
import json
import wave
from pathlib import Path

import numpy as np
import pytest

from earmark.annotations import get_task, save_annotation
from earmark.audio.clips import clip_wav
from earmark.formats.jsonl_csv import ExportFilter, export
from earmark.formats import rttm
from earmark.formats.export import export_archive, export_clips, export_rttm
from earmark.loading.loader import load_sources
from earmark.db.media import inspect_file

RATE = 16000   # the fixture's sample rate: 1 ms is exactly 16 frames


def samples(data: bytes | Path) -> tuple[int, np.ndarray]:
    """(channels, frames as an int16 array of shape (n, channels)) of a 16-bit WAV."""
    with wave.open(io.BytesIO(data) if isinstance(data, bytes) else str(data), "rb") as w:
        assert w.getsampwidth() == 2 and w.getframerate() == RATE, w.getparams()
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, w.getnchannels())
        return w.getnchannels(), frames


def dbfs(frames: np.ndarray) -> float:
    """RMS level in dBFS (digital silence: -inf)."""
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2))
    return -np.inf if rms == 0 else 20 * np.log10(rms / 32768)


@pytest.fixture(scope="module")
def left(stereo_speech_left) -> np.ndarray:
    """The fixture's left channel, as the speech a channel-0 clip must hold."""
    channels, frames = samples(stereo_speech_left)
    assert channels == 2
    assert dbfs(frames[:, 0]) > -40 and not frames[:, 1].any()   # speech left, silence right
    return frames[:, 0]


# -- RTTM: the channel field counts from 1 ---------------------------------------------------

def test_rttm_reader_makes_channels_0_based(tmp_path):
    source = tmp_path / "turns.rttm"
    source.write_text("SPEAKER talk 1 0.100 0.400 <NA> <NA> LEFT <NA> <NA>\n"
                      "SPEAKER talk 2 0.500 0.300 <NA> <NA> RIGHT <NA> <NA>\n"
                      "SPEAKER talk 3 0.900 0.100 <NA> <NA> THIRD <NA> <NA>\n"
                      "SPEAKER talk <NA> 1.000 0.050 <NA> <NA> ANY <NA> <NA>\n", encoding="utf-8")
    read = rttm.read(source)
    assert read.problems == []
    got = [{k: v for k, v in s.items() if k != "id"} for s in read.spans["talk"]]
    # with turns on channels 2 and 3, the channel fields name channels: 1 is the
    # first channel, 0-based 0; 2 the second, 0-based 1; 3 the third, 0-based 2
    assert got == [{"start": 0.1, "end": 0.5, "label": "LEFT", "channel": 0},
                   {"start": 0.5, "end": 0.8, "label": "RIGHT", "channel": 1},
                   {"start": 0.9, "end": 1.0, "label": "THIRD", "channel": 2},
                   {"start": 1.0, "end": 1.05, "label": "ANY"}]


def test_rttm_channel_1_alone_is_the_whole_file(tmp_path):
    """What diarization tools write for any recording: every turn on channel 1."""
    source = tmp_path / "turns.rttm"
    source.write_text("SPEAKER talk 1 0.100 0.400 <NA> <NA> A <NA> <NA>\n"
                      "SPEAKER talk 1 0.500 0.300 <NA> <NA> B <NA> <NA>\n"
                      "SPEAKER other 2 0.000 0.100 <NA> <NA> C <NA> <NA>\n", encoding="utf-8")
    read = rttm.read(source)
    assert [s.get("channel", "all") for s in read.spans["talk"]] == ["all", "all"]
    assert [s.get("channel", "all") for s in read.spans["other"]] == [1]


def test_an_rttm_export_of_both_channels_reads_back_channel_for_channel(tmp_path):
    regions = [{"id": "a", "start": 0.1, "end": 0.5, "label": "LEFT", "channel": 0},
               {"id": "b", "start": 0.5, "end": 0.8, "label": "RIGHT", "channel": 1}]
    text = rttm.write("talk", regions)
    assert text == ("SPEAKER talk 1 0.100 0.400 <NA> <NA> LEFT <NA> <NA>\n"
                    "SPEAKER talk 2 0.500 0.300 <NA> <NA> RIGHT <NA> <NA>\n")
    (tmp_path / "talk.rttm").write_text(text, encoding="utf-8")
    back = rttm.read(tmp_path / "talk.rttm").spans["talk"]
    assert [(s["label"], s["channel"]) for s in back] == [("LEFT", 0), ("RIGHT", 1)]


@pytest.mark.parametrize("field", ["0", "-1", "x", "1.5", "65537"])
def test_rttm_channel_fields_that_are_not_1_based_channels_are_named(tmp_path, field):
    source = tmp_path / "bad.rttm"
    source.write_text(f"SPEAKER talk {field} 0.1 0.2 <NA> <NA> A <NA> <NA>\n", encoding="utf-8")
    read = rttm.read(source)
    assert read.spans == {}
    assert [str(p) for p in read.problems] == [
        f"{source}:1: channel {field!r} is not a channel number (1 to 65535)"]


def test_rttm_writer_makes_channels_1_based():
    spans = [{"id": "c", "start": 1.0, "end": 1.25, "label": "ANY"},
             {"id": "b", "start": 0.5, "end": 0.8, "label": "RIGHT", "channel": 1},
             {"id": "a", "start": 0.1, "end": 0.5, "label": "LEFT", "channel": 0},
             {"id": "m", "start": 0.7, "end": 0.7, "label": "MARKER", "channel": 0}]   # no duration: no turn
    assert rttm.write("talk", spans) == (
        "SPEAKER talk 1 0.100 0.400 <NA> <NA> LEFT <NA> <NA>\n"
        "SPEAKER talk 2 0.500 0.300 <NA> <NA> RIGHT <NA> <NA>\n"
        "SPEAKER talk 1 1.000 0.250 <NA> <NA> ANY <NA> <NA>\n")


def test_a_channel_2_turn_loads_as_channel_1_and_exports_as_2(store, tmp_path, stereo_speech_left):
    turns = tmp_path / "speech_left.rttm"
    turns.write_text("SPEAKER speech_left 1 0.100 0.400 <NA> <NA> LEFT <NA> <NA>\n"
                     "SPEAKER speech_left 2 0.500 0.300 <NA> <NA> RIGHT <NA> <NA>\n", encoding="utf-8")
    report = load_sources(store, "st", [stereo_speech_left], spans=[turns])
    assert report.failures == [] and report.added == 1
    proposed = get_task(store, report.task_ids[0]).data["audio_spans"]
    # beside a channel-2 turn, channel 1 is the first channel, not the whole file
    assert [(s["label"], s.get("channel", "absent")) for s in proposed] == [("LEFT", 0), ("RIGHT", 1)]
    out = io.StringIO()
    export_rttm(store, "st", out, ExportFilter(include_unanswered=True))
    assert out.getvalue() == turns.read_text(encoding="utf-8")


# -- channel 0 is a channel, in every export that carries channels ----------------------------

REGIONS = [{"id": "l", "start": 0.1, "end": 0.5, "label": "LEFT", "channel": 0},
           {"id": "r", "start": 0.1, "end": 0.5, "label": "RIGHT", "channel": 1},
           {"id": "b", "start": 0.5, "end": 0.7, "label": "BOTH"}]


@pytest.fixture
def stereo_answered(store, stereo_speech_left):
    report = load_sources(store, "st", [stereo_speech_left])
    assert report.failures == [] and report.added == 1
    save_annotation(store, get_task(store, report.task_ids[0]), "accept", "ann",
                    edits={"audio_spans": REGIONS})
    return store


def test_rttm_export_of_channel_0_and_1_regions(stereo_answered):
    data, name = export_archive(stereo_answered, "st", "rttm")
    assert name == "st.rttm"
    assert data.decode("utf-8") == (
        "SPEAKER speech_left 1 0.100 0.400 <NA> <NA> LEFT <NA> <NA>\n"
        "SPEAKER speech_left 2 0.100 0.400 <NA> <NA> RIGHT <NA> <NA>\n"
        "SPEAKER speech_left 1 0.500 0.200 <NA> <NA> BOTH <NA> <NA>\n")


def test_jsonl_export_keeps_channel_0_as_0(stereo_answered):
    out = io.StringIO()
    assert export(stereo_answered, "st", out, "jsonl") == 1
    (record,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert record["audio_spans"] == REGIONS
    channels = [s.get("channel", "absent") for s in record["audio_spans"]]
    assert channels == [0, 1, "absent"] and type(channels[0]) is int


def test_csv_export_writes_channel_0_as_1_and_no_channel_as_empty(stereo_answered):
    """CSV is read by people: its channels count from 1, as the pages and RTTM count them."""
    out = io.StringIO()
    export(stereo_answered, "st", out, "csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["span_id"], r["label"], r["start"], r["end"], r["channel"]) for r in rows] == [
        ("l", "LEFT", "0.1", "0.5", "1"), ("r", "RIGHT", "0.1", "0.5", "2"), ("b", "BOTH", "0.5", "0.7", "")]


def test_the_spans_table_keeps_channel_0(stereo_answered):
    rows = stereo_answered.query("SELECT span_id, channel FROM spans ORDER BY span_id")
    assert rows == [("b", None), ("l", 0), ("r", 1)]


# -- clips hold the samples of their channel --------------------------------------------------

def test_clips_are_cut_from_the_regions_channel(stereo_answered, tmp_path, stereo_speech_left, left):
    out = tmp_path / "clips"
    assert export_clips(stereo_answered, "st", out) == 3
    rows = list(csv.DictReader(open(out / "train" / "metadata.csv", encoding="utf-8", newline="")))
    assert [(r["file_name"], r["label"], r["start"], r["end"], r["channel"], r["source"], r["annotator"])
            for r in rows] == [
        ("speech_left_000001.wav", "LEFT", "0.1", "0.5", "1", rows[0]["source"], "ann"),   # from 1
        ("speech_left_000002.wav", "RIGHT", "0.1", "0.5", "2", rows[0]["source"], "ann"),
        ("speech_left_000003.wav", "BOTH", "0.5", "0.7", "", rows[0]["source"], "ann")]
    assert Path(rows[0]["source"]).read_bytes() == stereo_speech_left.read_bytes()
    first, last = round(0.1 * RATE), round(0.5 * RATE)              # 1,600 and 8,000
    channels, speech = samples(out / "train" / rows[0]["file_name"])
    assert channels == 1 and len(speech) == round(0.4 * RATE) == 6400
    assert dbfs(speech) > -40
    assert np.array_equal(speech[:, 0], left[first:last])           # the left's very samples
    channels, silence = samples(out / "train" / rows[1]["file_name"])
    assert channels == 1 and len(silence) == 6400
    assert dbfs(silence) < -60 and not silence.any()                # the silent right, not the left's speech
    channels, both = samples(out / "train" / rows[2]["file_name"])
    assert channels == 2 and len(both) == round(0.2 * RATE) == 3200
    assert np.array_equal(both[:, 0], left[8000:11200]) and not both[:, 1].any()


def test_a_clip_archive_holds_the_same_clips(stereo_answered, tmp_path, left):
    import zipfile
    data, name = export_archive(stereo_answered, "st", "clips")
    assert name == "st-clips.zip"
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == ["st/train/metadata.csv", "st/train/speech_left_000001.wav",
                                          "st/train/speech_left_000002.wav", "st/train/speech_left_000003.wav"]
    metadata = list(csv.reader(io.StringIO(archive.read("st/train/metadata.csv").decode("utf-8"))))
    assert metadata[0] == ["file_name", "label", "text", "start", "end", "channel", "source", "annotator"]
    assert [row[:6] for row in metadata[1:]] == [["speech_left_000001.wav", "LEFT", "", "0.1", "0.5", "1"],
                                                 ["speech_left_000002.wav", "RIGHT", "", "0.1", "0.5", "2"],
                                                 ["speech_left_000003.wav", "BOTH", "", "0.5", "0.7", ""]]
    _, speech = samples(archive.read("st/train/speech_left_000001.wav"))
    _, silence = samples(archive.read("st/train/speech_left_000002.wav"))
    assert np.array_equal(speech[:, 0], left[1600:8000]) and silence.shape == (6400, 1) and not silence.any()


@pytest.mark.parametrize("as_flac", [False, True], ids=["wav", "ffmpeg"])
def test_the_players_window_of_a_channel_holds_that_channel(stereo_speech_left, left, tmp_path, as_flac):
    """What the browser plays for a `--split-channels` task (earmark.audio.clips), from WAV
    bytes directly and through ffmpeg for other formats."""
    source = stereo_speech_left
    if as_flac:
        import subprocess

        from programs import require
        source = tmp_path / "speech_left.flac"
        subprocess.run([require("ffmpeg"), "-nostdin", "-v", "error", "-i", str(stereo_speech_left), str(source)],
                       check=True)
    media, _ = inspect_file(source)
    assert media.channels == 2 and media.format == ("flac" if as_flac else "wav")
    channels, speech = samples(clip_wav(media, 0.1, 0.5, channel=0))
    assert channels == 1 and len(speech) == 6400 and np.array_equal(speech[:, 0], left[1600:8000])
    channels, silence = samples(clip_wav(media, 0.1, 0.5, channel=1))
    assert channels == 1 and len(silence) == 6400 and dbfs(silence) < -60
    channels, both = samples(clip_wav(media, 0.1, 0.5))
    assert channels == 2 and np.array_equal(both[:, 0], left[1600:8000]) and not both[:, 1].any()


@pytest.mark.parametrize("as_flac", [False, True], ids=["wav", "ffmpeg"])
@pytest.mark.parametrize("start,end", [(0.071, 0.571), (0.009, 0.018), (1.001, 1.19)])
def test_the_players_window_starts_and_ends_at_the_nearest_frame(corpus, tmp_path, start, end, as_flac):
    """At 48 kHz, 0.071 s is frame 3,408; as a float 0.071 * 48000 is 3407.9999...: cut
    by truncation the window would start a frame early and hold one frame of the past."""
    source = corpus / "praat" / "bobby.wav"
    with wave.open(str(source), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (48000, 1, 2)
        every = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    first, last = round(start * 48000), round(end * 48000)
    if as_flac:   # lossless: ffmpeg's window must hold the very same samples
        import subprocess

        from programs import require
        flac = tmp_path / "bobby.flac"
        subprocess.run([require("ffmpeg"), "-nostdin", "-v", "error", "-i", str(source), str(flac)], check=True)
        source = flac
    media, _ = inspect_file(source)
    with wave.open(io.BytesIO(clip_wav(media, start, end)), "rb") as w:
        got = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert len(got) == round((end - start) * 48000) == last - first
    assert np.array_equal(got, every[first:last])


def test_split_channels_give_channel_0_its_own_task_and_its_own_regions(store, tmp_path, stereo_speech_left):
    from earmark.loading.longform import LongformOptions
    pre = tmp_path / "speech_left.jsonl"
    pre.write_text(json.dumps({"file": "speech_left.wav", "audio_spans": REGIONS}) + "\n", encoding="utf-8")
    split = LongformOptions(split_channels=True)
    report = load_sources(store, "sp", [stereo_speech_left], spans=[pre], longform=split)
    assert report.failures == [] and report.added == 2
    tasks = [get_task(store, i).data for i in report.task_ids]
    assert [t["meta"]["channel"] for t in tasks] == [0, 1]
    # each channel's task: its channel's regions and those on all channels
    assert [[s["id"] for s in t["audio_spans"]] for t in tasks] == [["l", "b"], ["r", "b"]]
    whole = load_sources(store, "sp", [stereo_speech_left], spans=[pre])       # the file, unsplit
    assert whole.added == 1 and get_task(store, whole.task_ids[0]).data.get("meta", {}).get("channel", "absent") == "absent"
    assert load_sources(store, "sp", [stereo_speech_left], spans=[pre], longform=split).added == 0   # duplicates
    hashes = store.query("SELECT input_hash FROM tasks WHERE dataset = 'sp'")
    assert len({h for (h,) in hashes}) == 3
    for task_id in report.task_ids:
        save_annotation(store, get_task(store, task_id), "accept", "ann")
    out = io.StringIO()
    export(store, "sp", out, "jsonl")
    assert [json.loads(line)["meta"]["channel"] for line in out.getvalue().splitlines()] == [0, 1]
