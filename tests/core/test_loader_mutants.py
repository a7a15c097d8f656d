"""What a load keeps, refuses and names, each answer worked out by hand on small
WAV files built in the test: base64 and uploaded audio kept once in the media
folder, the options a load passes on, tasks filled in from the file's header,
hashes and span ids, moved files, pre-annotations refused by their line,
failures named by their origin, and files whose peaks fail taken out again."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from pathlib import Path

import pytest

from earmark import loader
from earmark.datasets import get_dataset
from earmark.loader import LoadReport, load_candidates, load_sources, load_uploads
from earmark.media import MediaInfo
from earmark.sources import Candidate, Failure
from earmark.store import Store

from tests.core.crafted import wav_bytes


def blake53(payload: str) -> int:
    return int.from_bytes(hashlib.blake2b(payload.encode("utf-8"), digest_size=8).digest(), "big") >> 11


def blake128(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def stored(store: Store, dataset: str) -> list[dict]:
    return [json.loads(t) for (t,) in store.query(
        "SELECT task FROM tasks WHERE dataset = ? ORDER BY id", [dataset])]


def write_wav(path: Path, **kw) -> bytes:
    data = wav_bytes(**kw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def data_uri(data: bytes) -> str:
    return "data:audio/wav;base64," + base64.b64encode(data).decode()


# --- load_sources: base64 audio kept in the media folder, options passed on ---------------

def test_base64_audio_in_a_jsonl_source_is_kept_once_in_the_media_folder(store, tmp_path):
    data = wav_bytes(frames=800, seed=3)        # 800 frames at 16 kHz: 0.05 s
    source = tmp_path / "t.jsonl"
    source.write_text(json.dumps({"audio": data_uri(data), "text": "b64"}) + "\n", encoding="utf-8")
    report = load_sources(store, "d", [source], view="audio_manual", peaks=False)
    assert report.failures == [] and report.added == 1
    kept = tmp_path / "media" / f"{blake128(data)}.wav"
    assert kept.read_bytes() == data
    (task,) = stored(store, "d")
    assert "audio" not in task
    assert task["path"] == str(kept) and task["file"] == kept.name
    assert task["meta"] == {"file": kept.name, "duration": 0.05, "channels": 1, "sample_rate": 16000}
    # peaks=False reached the load: no peaks were computed; the view reached the dataset
    assert store.query("SELECT count(*) FROM peaks") == [(0,)]
    assert get_dataset(store, "d").view == "audio_manual"


def test_load_sources_passes_its_options_to_the_load(store, tmp_path):
    wav = tmp_path / "a" / "one.wav"
    write_wav(wav, frames=1600)
    report = load_sources(store, "d", [wav], view="audio_manual", labels=["X"], peaks=True)
    assert report.failures == [] and report.added == 1
    assert get_dataset(store, "d").labels == ["X"]
    assert store.query("SELECT count(*) FROM peaks") == [(1,)]


def test_spans_files_are_matched_and_their_unmatched_stems_named(store, tmp_path):
    wav = tmp_path / "a" / "talk.wav"
    write_wav(wav, frames=16000)                 # 1 s
    rttm = tmp_path / "talk.rttm"
    rttm.write_text("SPEAKER talk 1 0.100 0.200 <NA> <NA> Ann <NA> <NA>\n"
                    "SPEAKER other 1 0.100 0.200 <NA> <NA> Bob <NA> <NA>\n", encoding="utf-8")
    report = load_sources(store, "d", [wav], spans=[rttm], view="audio_manual", peaks=False)
    assert report.added == 1
    assert report.failures == [Failure(str(rttm), "no audio file matches 'other' (by stem)")]
    (task,) = stored(store, "d")
    assert [(s["start"], s["end"], s["label"]) for s in task["audio_spans"]] == [(0.1, 0.3, "Ann")]
    # a spans file given as a generator is read once, all of it
    again = load_sources(store, "e", [wav], spans=iter([rttm]), view="audio_manual", peaks=False)
    assert [s["label"] for s in stored(store, "e")[0]["audio_spans"]] == ["Ann"]
    assert again.failures == [Failure(str(rttm), "no audio file matches 'other' (by stem)")]


# --- load_uploads --------------------------------------------------------------------------

def test_uploads_of_audio_and_tasks_each_load_under_their_own_names(store, tmp_path):
    one, two = wav_bytes(frames=1600, seed=1), wav_bytes(frames=3200, seed=2)
    jsonl = (json.dumps({"audio": data_uri(wav_bytes(frames=800, seed=4)), "text": "from tasks"}) + "\n"
             + "{broken\n").encode()
    other = (json.dumps({"audio": "https://example.org/x.mp3", "text": "second file"}) + "\n").encode()
    report = load_uploads(store, "d", [("C:\\rec\\One.WAV", one), ("Tasks.JSONL", jsonl),
                                       ("../two.wav", two), ("Tasks.JSONL", other)],
                          view="audio_manual", peaks=False)
    assert report.failures == [Failure("Tasks.JSONL:2", "invalid JSON: Expecting property name "
                                                         "enclosed in double quotes at column 2")]
    assert report.added == 4
    tasks = stored(store, "d")
    assert [t.get("file") for t in tasks[:1]] == ["One.WAV"]
    assert tasks[0]["path"] == "One.WAV" and tasks[0]["meta"]["file"] == "One.WAV"
    assert tasks[1]["text"] == "from tasks"
    assert tasks[2]["file"] == "two.wav" and tasks[2]["meta"]["duration"] == 0.2
    assert (tasks[3]["audio"], tasks[3]["text"]) == ("https://example.org/x.mp3", "second file")
    media = dict(store.query("SELECT id, path FROM media"))
    assert set(media) == {blake128(one), blake128(two), blake128(wav_bytes(frames=800, seed=4))}
    assert media[blake128(one)] == str(tmp_path / "media" / f"{blake128(one)}.wav")
    assert (tmp_path / "media" / f"{blake128(two)}.wav").read_bytes() == two
    assert get_dataset(store, "d").view == "audio_manual"
    assert store.query("SELECT count(*) FROM peaks") == [(0,)]


# --- load_candidates: defaults, datasets, failures named by origin -----------------------

def test_by_default_base64_audio_is_dropped_and_peaks_are_computed(store, tmp_path):
    data = wav_bytes(frames=1600, seed=5)
    media = tmp_path / "media" / f"{blake128(data)}.wav"
    media.parent.mkdir()
    media.write_bytes(data)
    item = Candidate("t.jsonl:1", {"audio": data_uri(data), "text": "x"}, media)
    report = load_candidates(store, "d", [item], view="audio_manual")
    assert report.failures == [] and report.added == 1
    (task,) = stored(store, "d")
    assert "audio" not in task and task["path"] == str(media)
    assert store.query("SELECT media_id FROM peaks") == [(blake128(data),)]


def test_an_existing_empty_dataset_stays_when_a_load_adds_nothing(store, tmp_path):
    from earmark.datasets import ensure_dataset
    ensure_dataset(store, "kept", view="audio_manual", labels=["A"])
    report = load_candidates(store, "kept", [Failure("x.wav", "not audio")], peaks=False)
    assert report.failures == [Failure("x.wav", "not audio")]
    assert get_dataset(store, "kept").labels == ["A"]
    # a new dataset a load put nothing into is not left behind
    load_candidates(store, "fresh", [Failure("x.wav", "not audio")], view="audio_manual", peaks=False)
    assert get_dataset(store, "fresh") is None
    # nor is it dropped when everything was a duplicate of a task already there
    item = Candidate("t.jsonl:1", {"audio": "https://example.org/a.mp3"}, None)
    assert load_candidates(store, "kept", [item], peaks=False).added == 1
    again = load_candidates(store, "kept", [item], peaks=False)
    assert (again.added, again.skipped) == (0, 1)
    assert get_dataset(store, "kept") is not None


def test_a_file_that_does_not_probe_is_named_by_its_item_and_the_rest_loads(store, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav at all")
    good = tmp_path / "good.wav"
    write_wav(good, frames=1600)
    items = [Candidate("t.jsonl:1", {"audio": str(bad)}, bad), Candidate("t.jsonl:2", {"audio": str(good)}, good),
             Failure("t.jsonl:3", "invalid JSON"), Candidate("t.jsonl:4", {"audio": "https://e.org/u.mp3"}, None)]
    report = load_candidates(store, "d", items, view="audio_manual", peaks=False)
    assert report.failures == [
        Failure("t.jsonl:1", "named .wav but is not a WAV file (no RIFF/WAVE header)"),
        Failure("t.jsonl:3", "invalid JSON")]
    assert report.added == 2
    assert [t.get("audio") for t in stored(store, "d")] == [str(good), "https://e.org/u.mp3"]
    assert store.query("SELECT path FROM media") == [(str(good),)]


@pytest.mark.parametrize("error, reason", [
    (PermissionError(13, "Permission denied"), "cannot read: Permission denied"),
    (OSError("device gone"), "cannot read: device gone"),
    (ValueError("odd chunk"), "cannot read the header: ValueError: odd chunk"),
])
def test_a_file_that_cannot_be_read_is_named_with_the_reason(store, tmp_path, monkeypatch, error, reason):
    wav = tmp_path / "a.wav"
    write_wav(wav)

    def inspect_file(path):
        raise error
    monkeypatch.setattr(loader, "inspect_file", inspect_file)
    report = load_candidates(store, "d", [Candidate("t.jsonl:7", {"audio": str(wav)}, wav)],
                             view="audio_manual", peaks=False)
    assert report.failures == [Failure("t.jsonl:7", reason)]
    assert report.added == 0


def test_inspect_gives_the_media_row_and_header_of_the_items_file(tmp_path):
    wav = tmp_path / "x.wav"
    data = write_wav(wav, frames=3200, channels=2)
    media, header = loader._inspect(tmp_path / "media", Candidate("o", {}, wav))
    assert media == MediaInfo(blake128(data), str(wav), "wav", 0.2, 16000, 2, len(data))
    assert (header.channels, header.sample_rate) == (2, 16000)
    assert loader._inspect(tmp_path / "media", Candidate("o", {}, None)) is None
    failure = Failure("o", "r")
    assert loader._inspect(tmp_path / "media", failure) is failure


# --- _expand: long files split, failures to split named -----------------------------------

def test_split_channels_makes_a_task_per_channel(store, tmp_path):
    from earmark.longform import LongformOptions
    wav = tmp_path / "st.wav"
    write_wav(wav, channels=2, frames=1600)
    report = load_candidates(store, "d", [Candidate("t:1", {"audio": str(wav)}, wav)], view="audio_manual",
                             peaks=False, longform=LongformOptions(split_channels=True))
    assert report.failures == [] and report.added == 2
    assert [t["meta"]["channel"] for t in stored(store, "d")] == [0, 1]
    assert all(t["path"] == str(wav) and t["meta"]["duration"] == 0.1 for t in stored(store, "d"))


def test_inactive_longform_options_leave_the_task_whole(store, tmp_path, monkeypatch):
    from earmark.longform import LongformOptions

    def expand_task(*args):
        raise AssertionError("not to be split")
    monkeypatch.setattr(loader, "expand_task", expand_task)
    wav = tmp_path / "st.wav"
    write_wav(wav, channels=2, frames=1600)
    report = load_candidates(store, "d", [Candidate("t:1", {"audio": str(wav)}, wav)], view="audio_manual",
                             peaks=False, longform=LongformOptions())
    assert report.failures == [] and report.added == 1
    assert "channel" not in stored(store, "d")[0]["meta"]


@pytest.mark.parametrize("error, model, reason", [
    (ValueError("window too short"), None, "window too short"),
    (OSError("disk gone"), None, "disk gone"),
    (RuntimeError("boom"), None, "could not be split: RuntimeError: boom"),
    (KeyError("k"), object(), "--model vad.py failed: KeyError: 'k'"),
])
def test_a_file_that_cannot_be_split_is_named_and_the_others_load(store, tmp_path, monkeypatch,
                                                                    error, model, reason):
    from earmark.longform import LongformOptions
    bad, good = tmp_path / "bad.wav", tmp_path / "good.wav"
    write_wav(bad, seed=1)
    write_wav(good, seed=2)
    seen = []

    def expand_task(task, media, options):
        seen.append((task["file"], media.path, options))
        if media.path == str(bad):
            raise error
        return [task]
    monkeypatch.setattr(loader, "expand_task", expand_task)
    options = LongformOptions(split_channels=True, model=model, model_name="vad.py")
    report = load_candidates(store, "d", [Candidate("t:1", {"audio": str(bad)}, bad),
                                          Candidate("t:2", {"audio": str(good)}, good)],
                             view="audio_manual", peaks=False, longform=options)
    assert report.failures == [Failure("t:1", reason)]
    assert report.added == 1 and [t["file"] for t in stored(store, "d")] == ["good.wav"]
    assert seen == [("bad.wav", str(bad), options), ("good.wav", str(good), options)]
    assert store.query("SELECT path FROM media") == [(str(good),)]
