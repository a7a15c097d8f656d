"""Import each reference annotation file of the corpus, export it again: the same."""

from __future__ import annotations

import subprocess
import sys

import pytest
from praatio import textgrid


@pytest.fixture
def cli(tmp_path, root):
    db = tmp_path / "formats.duckdb"

    def run(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "earmark", *args, "--db", str(db)],
                              capture_output=True, text=True, cwd=root)
        return done
    return run


def rttm_turns(text: str) -> list[tuple]:
    turns = []
    for line in text.splitlines():
        f = line.split()
        if f and f[0] == "SPEAKER":
            turns.append((f[1], f[2], round(float(f[3]), 3), round(float(f[4]), 3), f[7]))
    return sorted(turns)


def test_rttm_with_overlapping_turns_round_trips(cli, corpus):
    reference = corpus / "diarization" / "reference.rttm"
    done = cli("load", "dia", str(corpus / "diarization"), "--spans", str(reference))
    assert done.returncode == 0 and "failed 0" in done.stdout, done.stderr
    out = cli("export", "dia", "--all", "--format", "rttm")
    assert out.returncode == 0, out.stderr
    expected = rttm_turns(reference.read_text(encoding="utf-8"))
    assert rttm_turns(out.stdout) == expected
    # line for line, every field as the reference writes it; each file's turns in time order
    lines = out.stdout.splitlines()
    assert sorted(lines) == sorted(reference.read_text(encoding="utf-8").splitlines())
    for stem in {line.split()[1] for line in lines}:
        mine = [line.split() for line in lines if line.split()[1] == stem]
        assert mine == sorted(mine, key=lambda f: (float(f[3]), float(f[3]) + float(f[4]))), stem
    # the reference does contain overlapping turns, and they survived
    by_file: dict[str, list] = {}
    for stem, _, start, dur, _ in expected:
        by_file.setdefault(stem, []).append((start, start + dur))
    assert any(b[0] < a[1] for turns in by_file.values()
               for a, b in zip(sorted(turns), sorted(turns)[1:]))


def grid_entries(path) -> dict:
    grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    out = {}
    for name in grid.tierNames:
        tier = grid.getTier(name)
        kind = type(tier).__name__
        out[name] = (kind, [(*(round(v, 3) for v in e[:-1]), e[-1]) for e in tier.entries])
    return grid.tierNames, out


@pytest.mark.parametrize("name", ["bobby_words", "bobby_phones", "bobby_words_with_newlines"])
def test_textgrid_round_trips_tiers_intervals_texts_and_points(cli, corpus, tmp_path, name):
    source = corpus / "praat" / f"{name}.TextGrid"
    done = cli("load", name, str(corpus / "praat" / "bobby.wav"), "--spans", str(source))
    assert done.returncode == 0 and "failed 0" in done.stdout, done.stderr
    out_dir = tmp_path / "out"
    assert cli("export", name, "--all", "--format", "textgrid", "--out", str(out_dir)).returncode == 0
    (written,) = out_dir.iterdir()
    assert written.name == "bobby.TextGrid"
    names_in, tiers_in = grid_entries(source)
    names_out, tiers_out = grid_entries(written)
    assert names_out == names_in
    assert tiers_out == tiers_in
    if name.endswith("newlines"):
        assert tiers_in[""][0] == "PointTier" and len(tiers_in[""][1]) == 4


def test_audacity_vtt_srt_round_trip(cli, corpus, tmp_path):
    audio = corpus / "diarization" / "trn01.wav"
    labels = tmp_path / "trn01.txt"
    labels.write_text("1.250000\t3.500000\tSPEECH\n4.000000\t4.000000\tclick\n"
                      "\\\t100.0\t2000.0\n6.125\t9.75\tNOISE\n")
    assert "failed 0" in cli("load", "aud", str(audio), "--spans", str(labels)).stdout
    out_dir = tmp_path / "aud"
    cli("export", "aud", "--all", "--format", "audacity", "--out", str(out_dir))
    assert (out_dir / "trn01.txt").read_text() == (
        "1.250000\t3.500000\tSPEECH\n4.000000\t4.000000\tclick\n6.125000\t9.750000\tNOISE\n")

    vtt = tmp_path / "trn01.vtt"
    vtt.write_text("WEBVTT\n\n00:00:01.250 --> 00:00:03.500\n<v Ann>Hello there\n\n"
                   "00:00:04.000 --> 00:00:06.010\nNo speaker here\n")
    assert "failed 0" in cli("load", "sub", str(audio), "--spans", str(vtt)).stdout
    cli("export", "sub", "--all", "--format", "vtt", "--out", str(tmp_path / "v"))
    assert (tmp_path / "v" / "trn01.vtt").read_text() == (
        "WEBVTT\n\n00:00:01.250 --> 00:00:03.500\n<v Ann>Hello there\n\n"
        "00:00:04.000 --> 00:00:06.010\nNo speaker here\n")
    cli("export", "sub", "--all", "--format", "srt", "--out", str(tmp_path / "s"))
    assert (tmp_path / "s" / "trn01.srt").read_text() == (
        "1\n00:00:01,250 --> 00:00:03,500\nHello there\n\n2\n00:00:04,000 --> 00:00:06,010\nNo speaker here\n")


def test_malformed_lines_and_impossible_spans_are_named(cli, corpus, tmp_path):
    bad_rttm = tmp_path / "bad.rttm"
    bad_rttm.write_text("SPEAKER trn01 1 1.0 0.5 <NA> <NA> A <NA> <NA>\n"
                        "SPEAKER trn01 1 x 0.5 <NA> <NA> A <NA> <NA>\n"
                        "SPEAKER trn01 1 2.0\n"
                        "SPEAKER trn01 1 29.5 5.0 <NA> <NA> B <NA> <NA>\n"
                        "SPEAKER nosuchfile 1 1.0 1.0 <NA> <NA> C <NA> <NA>\n")
    labels = tmp_path / "trn02.txt"
    labels.write_text("1.0\t0.5\tbackwards\nnot a label line\n2.0\t3.0\tok\n")
    vtt = tmp_path / "trn03.vtt"
    vtt.write_text("WEBVTT\n\n00:00:01.000 --> 00:0x:02.000\nbroken\n\n00:00:03.000 --> 00:00:04.000\nfine\n")
    grid = tmp_path / "empty.TextGrid"
    grid.write_text("this is not a TextGrid")
    done = cli("load", "bad", str(corpus / "diarization"), "--spans", str(bad_rttm),
               "--spans", str(labels), "--spans", str(vtt), "--spans", str(grid))
    assert done.returncode == 0
    err = done.stderr
    assert f"{bad_rttm}:2: onset 'x'" in err
    assert f"{bad_rttm}:3: an RTTM SPEAKER line has 10 fields" in err
    assert "B 29.500-34.500 s lies outside trn01.wav (30.000 s); refused" in err
    assert "no audio file matches 'nosuchfile'" in err
    assert f"{labels}:1: end 0.5 before start 1.0" in err
    assert f"{labels}:2: an Audacity label line" in err
    assert f"{vtt}:3: cannot read the cue timing" in err
    assert f"{grid}: not a readable TextGrid" in err
    assert "added 5" in done.stdout
    rttm_out = cli("export", "bad", "--all", "--format", "rttm").stdout
    assert rttm_out == ("SPEAKER trn01 1 1.000 0.500 <NA> <NA> A <NA> <NA>\n"
                        "SPEAKER trn02 1 2.000 1.000 <NA> <NA> ok <NA> <NA>\n"
                        "SPEAKER trn03 1 3.000 1.000 <NA> <NA> SPEECH <NA> <NA>\n")


def test_clips_in_audiofolder_layout(cli, stereo_speech_left, tmp_path):
    """A clip holds its region's samples: of its channel, or of both for a region on all.
    The fixture's channels differ (speech left, silence right), so the wrong channel shows."""
    import csv
    import wave

    import numpy as np

    from earmark.annotations import get_task, save_annotation
    from earmark.db.store import Store
    assert "added 1" in cli("load", "c", str(stereo_speech_left)).stdout
    store = Store(tmp_path / "formats.duckdb")
    (task_id,) = [i for (i,) in store.query("SELECT id FROM tasks")]
    save_annotation(store, get_task(store, task_id), "accept", "ann", edits={"audio_spans": [
        {"id": "a", "start": 0.1, "end": 0.5, "label": "W", "text": "bobby"},
        {"id": "b", "start": 0.5, "end": 0.7, "label": "W", "channel": 1},
        {"id": "c", "start": 0.7, "end": 0.9, "label": "W", "channel": 0}]})
    store.close()
    out = tmp_path / "clips"
    assert cli("export", "c", "--format", "clips", "--out", str(out)).returncode == 0
    rows = list(csv.DictReader(open(out / "train" / "metadata.csv", encoding="utf-8", newline="")))
    assert [(r["file_name"], r["label"], r["text"], r["start"], r["end"], r["channel"]) for r in rows] == [
        ("speech_left_000001.wav", "W", "bobby", "0.1", "0.5", ""),
        ("speech_left_000002.wav", "W", "", "0.5", "0.7", "2"),     # metadata.csv counts channels from 1
        ("speech_left_000003.wav", "W", "", "0.7", "0.9", "1")]

    def frames(path) -> np.ndarray:
        with wave.open(str(path), "rb") as w:
            assert w.getframerate() == 16000 and w.getsampwidth() == 2
            return np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, w.getnchannels())
    left = frames(stereo_speech_left)[:, 0]
    both, right, speech = (frames(out / "train" / r["file_name"]) for r in rows)
    # round(duration * rate) frames each, cut at round(start * rate)
    assert both.shape == (6400, 2) and np.array_equal(both[:, 0], left[1600:8000]) and not both[:, 1].any()
    assert right.shape == (3200, 1) and not right.any()
    assert speech.shape == (3200, 1) and np.array_equal(speech[:, 0], left[11200:14400])
