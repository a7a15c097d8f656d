"""What a load keeps, refuses and names, each answer worked out by hand on small
WAV files built in the test: base64 and uploaded audio kept once in the media
folder, the options a load passes on, tasks filled in from the file's header,
hashes and span ids, moved files, pre-annotations refused by their line,
failures named by their origin, and files whose peaks fail taken out again."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from pathlib import Path

import pytest

from earmark.loading import loader
from earmark.datasets import get_dataset
from earmark.loading.loader import load_candidates, load_sources, load_uploads
from earmark.db.media import MediaInfo
from earmark.loading.sources import Candidate, Failure
from earmark.db.store import Store

from .crafted import wav_bytes


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
    from earmark.loading.longform import LongformOptions
    wav = tmp_path / "st.wav"
    write_wav(wav, channels=2, frames=1600)
    report = load_candidates(store, "d", [Candidate("t:1", {"audio": str(wav)}, wav)], view="audio_manual",
                             peaks=False, longform=LongformOptions(split_channels=True))
    assert report.failures == [] and report.added == 2
    assert [t["meta"]["channel"] for t in stored(store, "d")] == [0, 1]
    assert all(t["path"] == str(wav) and t["meta"]["duration"] == 0.1 for t in stored(store, "d"))


def test_inactive_longform_options_leave_the_task_whole(store, tmp_path, monkeypatch):
    from earmark.loading.longform import LongformOptions

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
    from earmark.loading.longform import LongformOptions
    bad, good = tmp_path / "bad.wav", tmp_path / "good.wav"
    write_wav(bad, seed=1)
    write_wav(good, seed=2)
    seen = []

    def expand_task(task, media, options, *progress):
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


# --- _fill_task: path, file name and header facts -----------------------------------------

MEDIA = MediaInfo("m" * 32, "/srv/media/abc.wav", "wav", 1.23456, 22050, 2, 1000)


def test_a_task_with_a_local_audio_path_keeps_it_as_its_path():
    task = loader._fill_task(Candidate("o", {"audio": "rec/Talk.WAV", "text": "t"}, None), MEDIA, False)
    assert task == {"audio": "rec/Talk.WAV", "text": "t", "path": "rec/Talk.WAV", "file": "Talk.WAV",
                    "meta": {"file": "Talk.WAV", "duration": 1.235, "channels": 2, "sample_rate": 22050}}


def test_a_task_without_audio_gets_the_media_path():
    task = loader._fill_task(Candidate("o", {"text": "t"}, None), MEDIA, False)
    assert task == {"text": "t", "path": "/srv/media/abc.wav", "file": "abc.wav",
                    "meta": {"file": "abc.wav", "duration": 1.235, "channels": 2, "sample_rate": 22050}}
    task = loader._fill_task(Candidate("o", {"audio": 7}, None), MEDIA, False)
    assert (task["audio"], task["path"]) == (7, "/srv/media/abc.wav")


def test_base64_audio_is_dropped_or_kept_and_the_path_is_the_media_files():
    uri = "data:audio/wav;base64,AAAA"
    dropped = loader._fill_task(Candidate("o", {"audio": uri}, None), MEDIA, False)
    assert dropped == {"path": "/srv/media/abc.wav", "file": "abc.wav",
                       "meta": {"file": "abc.wav", "duration": 1.235, "channels": 2, "sample_rate": 22050}}
    kept = loader._fill_task(Candidate("o", {"audio": uri}, None), MEDIA, True)
    assert kept == {"audio": uri, **dropped}
    # only a "data:" URI is base64 audio: a file named so is a path
    named = loader._fill_task(Candidate("o", {"audio": "DATA:x.wav"}, None), MEDIA, False)
    assert (named["audio"], named["path"], named["file"]) == ("DATA:x.wav", "DATA:x.wav", "DATA:x.wav")


def test_given_path_file_and_meta_are_kept_and_the_rest_filled_in():
    given = {"audio": "a.wav", "path": "/x/b.wav", "file": "shown.wav",
             "meta": {"duration": 9.0, "speaker": "Bo", "file": "m.wav"}}
    item = Candidate("o", given, None)
    task = loader._fill_task(item, MEDIA, False)
    assert task == {"audio": "a.wav", "path": "/x/b.wav", "file": "shown.wav",
                    "meta": {"duration": 9.0, "speaker": "Bo", "file": "m.wav", "channels": 2,
                             "sample_rate": 22050}}
    assert item.task["meta"] == {"duration": 9.0, "speaker": "Bo", "file": "m.wav"}   # the item's own is untouched
    task = loader._fill_task(Candidate("o", {"path": "/x/c.wav", "meta": None}, None), MEDIA, False)
    assert task["file"] == "c.wav" and task["meta"]["file"] == "c.wav"


def test_an_unknown_duration_is_filled_in_as_zero_and_no_media_leaves_the_task_as_it_is():
    media = MediaInfo("m", "/a/b.mp3", "mp3", None, None, None, 5)
    task = loader._fill_task(Candidate("o", {"audio": "https://e.org/b.mp3"}, None), media, False)
    assert task["meta"] == {"file": "b.mp3", "duration": 0.0, "channels": None, "sample_rate": None}
    given = {"audio": "https://e.org/b.mp3", "text": "t"}
    assert loader._fill_task(Candidate("o", given, None), None, False) == given


# --- _hash_task and _with_id: the task's identity and its spans' ids ----------------------

def span_id(ih: int, index: int, start, end, label) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ih}:{index}:{start}:{end}:{label}"))


def test_hash_task_sets_both_hashes_from_the_media_and_names_the_spans():
    task = {"audio": "a.wav", "text": "hi", "audio_spans": [{"start": 0.5, "end": 1.0, "label": "A"},
                                                            {"start": 1, "end": 2, "id": "given"}]}
    ih = loader._hash_task(task, MEDIA)
    expected = blake53('{"audio":"' + "m" * 32 + '","text":"hi"}')
    assert ih == expected == task["_input_hash"]
    spans = [{"start": 0.5, "end": 1.0, "label": "A", "id": span_id(expected, 0, 0.5, 1.0, "A")},
             {"start": 1, "end": 2, "id": "given"}]
    assert task["audio_spans"] == spans
    proposal = json.dumps({"audio_spans": [{"end": 1.0, "label": "A", "start": 0.5},
                                           {"end": 2, "id": "given", "start": 1}], "input": expected},
                          sort_keys=True, separators=(",", ":"))
    assert task["_task_hash"] == blake53(proposal)
    # without media the task's own audio is its identity
    bare = {"audio": "https://e.org/x.mp3"}
    assert loader._hash_task(bare, None) == blake53('{"audio":"https://e.org/x.mp3"}')
    assert bare == {"audio": "https://e.org/x.mp3", "_input_hash": blake53('{"audio":"https://e.org/x.mp3"}'),
                    "_task_hash": blake53('{"input":%d}' % blake53('{"audio":"https://e.org/x.mp3"}'))}


def test_hashes_a_task_gives_are_kept_and_others_are_replaced():
    task = {"audio": "https://e.org/x.mp3", "_input_hash": 11, "_task_hash": 22}
    assert loader._hash_task(task, MEDIA) == 11
    assert (task["_input_hash"], task["_task_hash"]) == (11, 22)
    task = {"audio": "https://e.org/x.mp3", "_input_hash": 11, "_task_hash": "22"}
    loader._hash_task(task, None)
    assert task["_task_hash"] == blake53('{"input":11}')
    task = {"audio": "https://e.org/x.mp3", "_input_hash": "11"}
    assert loader._hash_task(task, None) == blake53('{"audio":"https://e.org/x.mp3"}') == task["_input_hash"]


def test_span_ids_are_uuid5_of_the_input_index_and_span():
    assert loader._with_id({"start": 0.1, "end": 0.2, "label": "B"}, 99, 3) == \
        {"start": 0.1, "end": 0.2, "label": "B", "id": span_id(99, 3, 0.1, 0.2, "B")}
    assert loader._with_id({"start": 0.1, "end": 0.2, "id": ""}, 99, 0) == \
        {"start": 0.1, "end": 0.2, "id": span_id(99, 0, 0.1, 0.2, None)}
    given = {"start": 0, "end": 1, "id": "x"}
    assert loader._with_id(given, 99, 0) is given


# --- _attach_pre_annotations: spans matched by the file's stem, misfits refused by line -----

def pre_for(stem: str, spans: list[dict], *, source: str | None = "talk.rttm", where: dict | None = None,
            tiers: list | None = None):
    from earmark.formats.matching import PreAnnotations
    pre = PreAnnotations(spans={stem: [dict(s) for s in spans]}, where=dict(where or {}))
    if source is not None:
        pre.sources[stem] = source
    if tiers is not None:
        pre.tiers[stem] = tiers
        pre.grid_format[stem] = "long"
    return pre


ONE_S = MediaInfo("m", "/m/media.wav", "wav", 1.0, 16000, 2, 100)


def test_spans_are_matched_by_the_tasks_file_then_path_then_media_path():
    span = {"start": 0.1, "end": 0.2, "label": "A"}
    for task, stem in (({"file": "talk.wav", "path": "/x/other.wav"}, "talk"),
                       ({"path": "/x/talk.wav"}, "talk"), ({}, "media")):
        item = Candidate("o", dict(task), None)
        assert loader._attach_pre_annotations(item, ONE_S, pre_for(stem, [span])) == []
        assert item.task == {**task, "audio_spans": [span]}
    # the file name wins over the path: spans for the path's stem are not taken
    item = Candidate("o", {"file": "talk.wav", "path": "/x/other.wav"}, None)
    assert loader._attach_pre_annotations(item, ONE_S, pre_for("other", [span])) == []
    assert item.task == {"file": "talk.wav", "path": "/x/other.wav"}
    # nothing to match by: the task is left as it is
    item = Candidate("o", {"audio": "https://e.org/a.mp3"}, None)
    assert loader._attach_pre_annotations(item, None, pre_for("a", [span])) == []
    assert item.task == {"audio": "https://e.org/a.mp3"}


def test_without_the_file_spans_are_not_checked_against_its_length_or_channels():
    spans = [{"start": 0.5, "end": 50.0, "label": "A", "channel": 5}]
    item = Candidate("o", {"file": "talk.wav"}, None)
    assert loader._attach_pre_annotations(item, None, pre_for("talk", spans)) == []
    assert item.task["audio_spans"] == spans


def test_spans_that_do_not_fit_the_file_are_each_refused_by_their_line_and_the_rest_kept():
    spans = [{"id": "s1", "start": 0.5, "end": 5.0, "label": "Bob"},
             {"id": "s2", "start": 0.1, "end": 0.3, "label": "Ann"},
             {"id": "s3", "start": 0.2, "end": 0.4, "label": "Cy", "channel": 3},
             {"id": "s4", "start": 0.6, "end": 0.5, "label": "Di"},
             {"id": "s5", "start": 0.4, "end": 0.9}]
    item = Candidate("t.jsonl:1", {"file": "talk.wav", "audio_spans": [{"start": 0, "end": 0.1, "label": "Own"}],
                                   "meta": {"speaker": "x"}}, None)
    pre = pre_for("talk", spans, where={"s1": "talk.rttm:1", "s3": "talk.rttm:3"}, tiers=[{"name": "words"}])
    failures = loader._attach_pre_annotations(item, ONE_S, pre)
    assert failures == [
        Failure("talk.rttm:1", "Bob 0.500-5.000 s lies outside talk.wav (1.000 s); refused"),
        Failure("talk.rttm:3", "the span's channel 3 does not exist: that is channel 4 counted from 1, "
                               "and the file has 2 channels (for talk.wav); refused"),
        Failure("talk.rttm", "the span has end 0.5 before start 0.6 or a negative time (for talk.wav); refused"),
    ]
    assert item.task["audio_spans"] == [{"start": 0, "end": 0.1, "label": "Own"}, spans[1], spans[4]]
    assert item.task["meta"] == {"speaker": "x", "tiers": [{"name": "words"}], "textgrid_format": "long"}


def test_a_refused_span_of_unknown_source_is_named_by_the_item_and_a_missing_label_shown_as_none():
    item = Candidate("t.jsonl:4", {"path": "/a/talk.wav"}, None)
    failures = loader._attach_pre_annotations(item, ONE_S, pre_for("talk", [{"start": 1.5, "end": 2.25}],
                                                                   source=None))
    assert failures == [Failure("t.jsonl:4", "None 1.500-2.250 s lies outside talk.wav (1.000 s); refused")]
    assert item.task["audio_spans"] == []
    assert "meta" not in item.task


def test_tasks_that_do_not_fit_their_file_are_refused_by_origin_and_their_files_not_registered(store, tmp_path):
    long_, mono, good = tmp_path / "long.wav", tmp_path / "mono.wav", tmp_path / "talk.wav"
    for n, path in enumerate((long_, mono, good)):
        write_wav(path, frames=1600, seed=n)          # 0.1 s, one channel each, distinct bytes
    pre = pre_for("talk", [{"id": "s1", "start": 0.0, "end": 0.05, "label": "Ann"},
                           {"id": "s2", "start": 0.0, "end": 3.0, "label": "Bob"}], where={"s2": "talk.rttm:2"})
    items = [Failure("t:1", "invalid JSON"),
             Candidate("t:2", {"audio": str(long_), "segment": {"start": 0, "end": 5}}, long_),
             Candidate("t:3", {"audio": str(mono), "meta": {"channel": 4}}, mono),
             Candidate("t:4", {"audio": str(good)}, good)]
    report = load_candidates(store, "d", items, view="transcript", peaks=False, pre_annotations=pre)
    assert report.failures == [
        Failure("t:1", "invalid JSON"),
        Failure("t:2", "segment ends at 5 s, after the end of the file (0.100 s)"),
        Failure("t:3", "meta.channel 4 does not exist: that is channel 5 counted from 1, and the file has 1 channel"),
        Failure("talk.rttm:2", "Bob 0.000-3.000 s lies outside talk.wav (0.100 s); refused"),
    ]
    assert report.added == 1
    (task,) = stored(store, "d")
    assert task["file"] == "talk.wav" and [s["label"] for s in task["audio_spans"]] == ["Ann"]
    assert store.query("SELECT path FROM media") == [(str(good),)]
    assert get_dataset(store, "d").view == "transcript"
    assert report.labels_added == ["Ann"] and get_dataset(store, "d").labels == ["Ann"]


# --- _insert and _follow_moved_files ---------------------------------------------------------

def test_a_stored_task_keeps_its_text_as_written_and_its_id_in_input_order(store):
    items = [Candidate(f"t:{n}", {"audio": f"https://e.org/{n}.mp3", "text": text}, None)
             for n, text in enumerate(["Grüße", "日本語", "plain"])]
    report = load_candidates(store, "d", items, view="audio_manual", peaks=False)
    rows = store.query("SELECT id, dataset, input_hash, task_hash, media_id, task FROM tasks ORDER BY id")
    assert report.task_ids == [r[0] for r in rows]
    assert [json.loads(r[5])["text"] for r in rows] == ["Grüße", "日本語", "plain"]
    assert "Grüße" in rows[0][5] and "日本語" in rows[1][5]        # stored as UTF-8 text, not \\u escapes
    for row in rows:
        task = json.loads(row[5])
        assert (row[1], row[2], row[3], row[4]) == ("d", task["_input_hash"], task["_task_hash"], None)
        assert row[2] == blake53('{"audio":"%s","text":"%s"}' % (task["audio"], task["text"]))


def test_moved_recordings_are_followed_and_new_tasks_on_them_get_their_media(store, tmp_path):
    first, second = tmp_path / "a" / "one.wav", tmp_path / "a" / "two.wav"
    one, two = write_wav(first, seed=1), write_wav(second, seed=2)
    assert load_sources(store, "d", [first.parent], view="audio_manual", peaks=False).added == 2
    moved = tmp_path / "b"
    moved.mkdir()
    first.rename(moved / "one.wav")
    second.rename(moved / "two.wav")
    # only duplicates: the media rows still follow both files
    again = load_sources(store, "d", [moved], view="audio_manual", peaks=False)
    assert (again.added, again.skipped) == (0, 2)
    assert sorted(store.query("SELECT id, path FROM media")) == sorted(
        [(blake128(one), str(moved / "one.wav")), (blake128(two), str(moved / "two.wav"))])
    # new tasks on moved files: the rows follow too, and each task names its media
    (moved / "one.wav").rename(tmp_path / "one.wav")
    (moved / "two.wav").rename(tmp_path / "two.wav")
    items = [Candidate(f"t:{n}", {"audio": str(tmp_path / name), "text": "new"}, tmp_path / name)
             for n, name in enumerate(["one.wav", "two.wav"])]
    report = load_candidates(store, "d", items, peaks=False)
    assert report.added == 2
    assert sorted(store.query("SELECT id, path FROM media")) == sorted(
        [(blake128(one), str(tmp_path / "one.wav")), (blake128(two), str(tmp_path / "two.wav"))])
    assert store.query("SELECT media_id FROM tasks WHERE id IN (SELECT unnest(?)) ORDER BY id",
                       [report.task_ids]) == [(blake128(one),), (blake128(two),)]


def test_follow_moved_files_leaves_a_registered_path_that_still_exists(store, tmp_path):
    here = tmp_path / "here.wav"
    write_wav(here)
    load_sources(store, "d", [here], view="audio_manual", peaks=False)
    (media_id,) = store.query_one("SELECT id FROM media")
    elsewhere = MediaInfo(media_id, str(tmp_path / "copy.wav"), "wav", 0.1, 16000, 1, 1)
    store.write(lambda cur: loader._follow_moved_files(cur, [elsewhere]))
    assert store.query("SELECT path FROM media") == [(str(here),)]
    here.unlink()
    store.write(lambda cur: loader._follow_moved_files(cur, [elsewhere]))
    assert store.query("SELECT path FROM media") == [(str(tmp_path / "copy.wav"),)]
    store.write(lambda cur: loader._follow_moved_files(cur, []))      # nothing to follow
    assert store.query("SELECT path FROM media") == [(str(tmp_path / "copy.wav"),)]


# --- _compute_peaks ----------------------------------------------------------------------------

def test_peaks_are_computed_once_per_file_from_the_header_read_at_registering(store, tmp_path, monkeypatch):
    wav = tmp_path / "p.wav"
    data = write_wav(wav, frames=1600, channels=2)
    real, calls = loader.compute_peaks, []

    def compute(path, header):
        calls.append((path, header.channels, header.sample_rate, header.format))
        return real(path, header)
    monkeypatch.setattr(loader, "compute_peaks", compute)
    report = load_sources(store, "d", [wav], view="audio_manual")
    assert report.failures == [] and report.added == 1
    assert calls == [(str(wav), 2, 16000, "wav")]
    assert store.query("SELECT media_id, channels FROM peaks") == [(blake128(data), 2)]
    # another dataset on the same file: its peaks are there already
    monkeypatch.setattr(loader, "compute_peaks", lambda path, header: 1 / 0)
    again = load_sources(store, "e", [wav], view="audio_manual")
    assert again.failures == [] and again.added == 1


def test_a_file_whose_peaks_fail_loses_only_this_datasets_tasks(store, tmp_path, monkeypatch):
    wav = tmp_path / "p.wav"
    write_wav(wav)
    kept = load_sources(store, "d", [wav], view="audio_manual", peaks=False)

    def compute(path, header):
        raise OSError("disk gone")
    monkeypatch.setattr(loader, "compute_peaks", compute)
    items = [Candidate("t:1", {"audio": str(wav), "text": "a"}, wav),
             Candidate("t:2", {"audio": "https://e.org/x.mp3"}, None)]
    report = load_candidates(store, "e", items, view="audio_manual")
    assert report.failures == [Failure("t:1", "could not decode: disk gone")]
    assert report.added == 1 and report.skipped == 0
    assert [t["audio"] for t in stored(store, "e")] == ["https://e.org/x.mp3"]
    assert report.task_ids == [i for (i,) in store.query("SELECT id FROM tasks WHERE dataset = 'e'")]
    assert [i for (i,) in store.query("SELECT id FROM tasks WHERE dataset = 'd'")] == kept.task_ids


def test_two_failing_files_are_both_named_and_both_taken_out(store, tmp_path, monkeypatch):
    a, b, c = tmp_path / "a.wav", tmp_path / "b.wav", tmp_path / "c.wav"
    for n, path in enumerate((a, b, c)):
        write_wav(path, seed=n)
    real = loader.compute_peaks

    def compute(path, header):
        if Path(path).name != "b.wav":
            raise ValueError(f"bad {Path(path).name}")
        return real(path, header)
    monkeypatch.setattr(loader, "compute_peaks", compute)
    items = [Candidate(f"t:{p.stem}", {"audio": str(p)}, p) for p in (a, b, c)]
    report = load_candidates(store, "d", items, view="audio_manual")
    assert report.failures == [Failure("t:a", "could not decode: ValueError: bad a.wav"),
                               Failure("t:c", "could not decode: ValueError: bad c.wav")]
    assert report.added == 1 and [t["file"] for t in stored(store, "d")] == ["b.wav"]
    assert report.task_ids == [i for (i,) in store.query("SELECT id FROM tasks")]


# --- _alias: names that are not UTF-8 -------------------------------------------------------

def latin1_file(folder: Path, raw_name: bytes, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    raw = os.path.join(os.fsencode(folder), raw_name)
    with open(raw, "wb") as fh:
        fh.write(data)
    return Path(os.fsdecode(raw))


def test_alias_links_are_named_by_content_and_a_clean_suffix(tmp_path):
    media_folder = tmp_path / "media"
    odd = latin1_file(tmp_path / "src", b"caf\xe9.W\xe9V", b"abc")
    link = loader._alias(media_folder, MediaInfo("id1", str(odd), "wav", 1.0, 1, 1, 3), odd)
    assert link == media_folder / "id1.wv"
    assert os.readlink(link) == str(odd.resolve()) and link.read_bytes() == b"abc"
    bare = latin1_file(tmp_path / "src", b"caf\xe9", b"xyz")
    link = loader._alias(media_folder, MediaInfo("id2", str(bare), "wav", 1.0, 1, 1, 3), bare)
    assert link == media_folder / "id2.bin" and link.read_bytes() == b"xyz"
    assert sorted(os.listdir(media_folder)) == ["id1.wv", "id2.bin"]


def test_an_alias_follows_the_file_to_its_new_place_and_an_uploaded_copy_serves(tmp_path):
    media_folder = tmp_path / "media"
    old = latin1_file(tmp_path / "old", b"\xe9t\xe9.wav", b"same")
    new = latin1_file(tmp_path / "new", b"\xe9t\xe9.wav", b"same")
    info = MediaInfo("id", str(old), "wav", 1.0, 1, 1, 4)
    link = loader._alias(media_folder, info, old)
    assert os.readlink(link) == str(old.resolve())
    assert loader._alias(media_folder, info, old) == link and os.readlink(link) == str(old.resolve())
    os.unlink(os.fsencode(old))
    assert loader._alias(media_folder, info, new) == link
    assert os.readlink(link) == str(new.resolve()) and link.read_bytes() == b"same"
    assert [n for n in os.listdir(media_folder) if n.endswith(".link")] == []
    # bytes kept by an upload under the same name: that copy is used, not replaced by a link
    (media_folder / "up.wav").write_bytes(b"kept")
    assert loader._alias(media_folder, MediaInfo("up", str(new), "wav", 1.0, 1, 1, 4), new) == media_folder / "up.wav"
    assert not (media_folder / "up.wav").is_symlink() and (media_folder / "up.wav").read_bytes() == b"kept"


def test_two_files_whose_names_are_not_utf8_load_in_one_go(store, tmp_path):
    one = latin1_file(tmp_path / "src", b"\xe91.wav", wav_bytes(seed=1))
    two = latin1_file(tmp_path / "src", b"\xe92.wav", wav_bytes(seed=2))
    report = load_sources(store, "d", [tmp_path / "src"], view="audio_manual", peaks=False)
    assert report.failures == [] and report.added == 2
    paths = sorted(p for (p,) in store.query("SELECT path FROM media"))
    assert paths == sorted(str(tmp_path / "media" / f"{blake128(wav_bytes(seed=n))}.wav") for n in (1, 2))
    assert sorted(os.readlink(p) for p in paths) == sorted([str(one), str(two)])


def test_every_task_an_item_becomes_is_checked_deduplicated_and_stored_across_batches(store, tmp_path,
                                                                                       monkeypatch):
    from earmark.loading.longform import LongformOptions
    wav = tmp_path / "w.wav"
    data = write_wav(wav, frames=16000)        # 1 s

    def expand_task(task, media, options, *progress):
        if media is None:
            return [task]
        part = lambda start, end: {**task, "segment": {"start": start, "end": end}}   # noqa: E731
        return [part(0.5, 9.0), part(0.0, 0.5), part(0.0, 0.5), part(0.5, 1.0), part(0.5, 1.0), part(0.2, 0.4)]
    monkeypatch.setattr(loader, "expand_task", expand_task)
    monkeypatch.setattr(loader, "BATCH", 2)
    items = [Candidate("t:1", {"audio": "https://e.org/u.mp3", "text": "url"}, None),
             Candidate("t:2", {"audio": str(wav)}, wav),
             Candidate("t:3", {"audio": "https://e.org/v.mp3"}, None)]
    report = load_candidates(store, "d", items, view="audio_manual", peaks=False,
                             longform=LongformOptions(split_channels=True))
    assert report.failures == [Failure("t:2", "segment ends at 9.0 s, after the end of the file (1.000 s)")]
    assert (report.added, report.skipped) == (5, 2)
    tasks = stored(store, "d")
    assert [(t.get("audio"), t.get("segment")) for t in tasks] == [
        ("https://e.org/u.mp3", None),
        (str(wav), {"start": 0.0, "end": 0.5}), (str(wav), {"start": 0.5, "end": 1.0}),
        (str(wav), {"start": 0.2, "end": 0.4}),
        ("https://e.org/v.mp3", None)]
    assert report.task_ids == [i for (i,) in store.query("SELECT id FROM tasks ORDER BY id")]
    assert store.query("SELECT media_id FROM tasks ORDER BY id") == [
        (None,), (blake128(data),), (blake128(data),), (blake128(data),), (None,)]
