"""What a load stores and reports, each answer written out by hand: the task's
filled-in facts, duplicates, moved files, uploads' names, pre-annotation ids and
labels, a file whose peaks fail, and the progress a page shows."""

from __future__ import annotations

import base64
import json
import os
import shutil
import uuid
import wave
from pathlib import Path

import pytest

from earmark.loading import loader
from earmark.datasets import get_dataset
from earmark.loading.loader import load_candidates, load_sources, load_uploads
from earmark.audio.peaks import PeaksError
from earmark.loading.sources import Candidate, Failure
from earmark.db.store import Store


def wav_facts(path: Path) -> tuple[float, int, int]:
    """(duration rounded to ms, channels, sample rate) from the WAV header, by the standard library."""
    with wave.open(str(path)) as w:
        return round(w.getnframes() / w.getframerate(), 3), w.getnchannels(), w.getframerate()


def tasks(store: Store, dataset: str) -> list[dict]:
    return [json.loads(t) for (t,) in store.query("SELECT task FROM tasks WHERE dataset = ? ORDER BY id",
                                                  [dataset])]


@pytest.fixture
def bobby(corpus, tmp_path) -> Path:
    copy = tmp_path / "audio" / "bobby.wav"
    copy.parent.mkdir()
    shutil.copy(corpus / "praat" / "bobby.wav", copy)
    return copy


def test_batches_keep_every_item_in_order():
    assert list(loader._batches(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert list(loader._batches(iter("abc"), 3)) == [["a", "b", "c"]]
    assert list(loader._batches([], 4)) == []


def test_a_loaded_file_gets_its_path_name_and_header_facts(store, bobby):
    duration, channels, rate = wav_facts(bobby)
    report = load_sources(store, "d", [bobby], view="audio_manual")
    assert (report.added, report.skipped, report.failures) == (1, 0, [])
    (task,) = tasks(store, "d")
    assert task["path"] == str(bobby.resolve())
    assert task["file"] == "bobby.wav"
    assert task["meta"] == {"file": "bobby.wav", "duration": duration, "channels": channels,
                            "sample_rate": rate}
    assert isinstance(task["_input_hash"], int) and isinstance(task["_task_hash"], int)
    assert report.task_ids == [i for (i,) in store.query("SELECT id FROM tasks")]


def test_a_task_keeps_the_facts_it_gives_and_gets_the_rest(store, bobby):
    duration, channels, rate = wav_facts(bobby)
    given = Candidate("tasks.jsonl:1", {"audio": str(bobby), "meta": {"duration": 9.5, "speaker": "Bo"}},
                      bobby)
    report = load_candidates(store, "d", [given], view="audio_manual")
    assert report.failures == [] and report.added == 1
    (task,) = tasks(store, "d")
    assert task["path"] == str(bobby)          # the task's own audio path, not the resolved one
    assert task["file"] == "bobby.wav"
    assert task["meta"] == {"duration": 9.5, "speaker": "Bo", "file": "bobby.wav", "channels": channels,
                            "sample_rate": rate}


def test_base64_audio_is_dropped_from_the_stored_task_unless_kept(store, bobby):
    data = "data:audio/wav;base64," + base64.b64encode(bobby.read_bytes()).decode()
    for dataset, keep in (("dropped", False), ("kept", True)):
        item = Candidate("tasks.jsonl:1", {"audio": data, "text": dataset}, bobby)
        assert load_candidates(store, dataset, [item], view="audio_manual", keep_base64=keep).added == 1
    (dropped,), (kept,) = tasks(store, "dropped"), tasks(store, "kept")
    assert "audio" not in dropped
    assert dropped["path"] == str(bobby.resolve()) and dropped["file"] == "bobby.wav"
    assert kept["audio"] == data
    assert kept["path"] == str(bobby.resolve()) and kept["file"] == "bobby.wav"


def test_progress_names_each_item_with_its_running_count(store, bobby):
    seen = []
    items = [Failure("nope.wav", "not audio"), Candidate("a.jsonl:1", {"text": "hi"}, None),
             Candidate(str(bobby), {}, bobby)]
    report = load_candidates(store, "d", items, view="audio_manual", progress=lambda n, o: seen.append((n, o)))
    assert seen == [(1, "nope.wav"), (2, "a.jsonl:1"), (3, str(bobby))]
    assert report.failures == [Failure("nope.wav", "not audio")]
    assert report.failed == 1 and report.added == 2


def test_a_second_load_skips_what_is_there_and_adds_only_the_new(store, bobby, corpus, tmp_path):
    first = load_sources(store, "d", [bobby], view="audio_manual")
    other = tmp_path / "audio" / "bobby_16k.wav"
    shutil.copy(corpus / "formats" / "bobby_16bit_16khz_2ch.wav", other)
    second = load_sources(store, "d", [bobby.parent], view="audio_manual")
    assert (second.added, second.skipped, second.failed) == (1, 1, 0)
    assert [t["file"] for t in tasks(store, "d")] == ["bobby.wav", "bobby_16k.wav"]
    assert second.task_ids != first.task_ids and len(set(second.task_ids + first.task_ids)) == 2
    # The same file in another dataset is no duplicate there.
    assert load_sources(store, "e", [bobby], view="audio_manual").added == 1


def test_a_moved_recording_is_followed_and_a_copy_is_not(store, bobby, tmp_path):
    load_sources(store, "d", [bobby], view="audio_manual")
    moved = tmp_path / "elsewhere" / "renamed.wav"
    moved.parent.mkdir()
    shutil.copy(bobby, tmp_path / "copy.wav")
    # a copy while the original is still there: the registered path stays
    assert load_sources(store, "d", [tmp_path / "copy.wav"], view="audio_manual").skipped == 1
    assert store.query("SELECT path FROM media") == [(str(bobby.resolve()),)]
    # the original moved away: the media row follows the file
    bobby.rename(moved)
    report = load_sources(store, "d", [moved], view="audio_manual")
    assert (report.added, report.skipped) == (0, 1)
    assert store.query("SELECT path FROM media") == [(str(moved.resolve()),)]


def test_a_dataset_nothing_got_into_is_not_left_behind(store, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF but not audio")
    report = load_sources(store, "fresh", [bad], view="audio_manual")
    assert report.added == 0 and [f.origin for f in report.failures] == [str(bad)]
    assert get_dataset(store, "fresh") is None
    # a dataset that existed before stays, even when this load added nothing
    load_candidates(store, "old", [Candidate("t.jsonl:1", {"text": "x"}, None)], view="audio_manual")
    load_sources(store, "old", [bad], view="audio_manual")
    assert get_dataset(store, "old") is not None


def test_pre_annotated_spans_get_stable_ids_and_their_labels_join_the_dataset(store, bobby, tmp_path):
    spans = [{"start": 0.1, "end": 0.4, "label": "B"}, {"start": 0.1, "end": 0.4, "label": "B"},
             {"start": 0.5, "end": 0.9, "label": "A"}, {"start": 0.2, "end": 0.3, "label": ""},
             {"start": 0.3, "end": 0.6}, {"start": 0.6, "end": 0.7, "label": "S", "id": "given"}]

    def load(db: Store) -> tuple[list[str], list[str]]:
        item = Candidate("t.jsonl:1", {"audio": str(bobby), "audio_spans": [dict(s) for s in spans]}, bobby)
        report = load_candidates(db, "d", [item], view="audio_manual", labels=["S"])
        assert report.failures == []
        return report.labels_added, [s["id"] for s in tasks(db, "d")[0]["audio_spans"]]

    added, ids = load(store)
    assert added == ["A", "B"]                    # sorted; no empty or missing label; S was there
    assert get_dataset(store, "d").labels == ["S", "A", "B"]
    assert ids[5] == "given"
    assert len(set(ids)) == 6                     # two equal spans still get two ids
    for i in range(5):
        assert str(uuid.UUID(ids[i], version=5)) == ids[i]
    # Another database loading the same task names the spans the same.
    other = Store(tmp_path / "other.duckdb")
    try:
        assert load(other)[1] == ids
    finally:
        other.close()


def test_a_span_outside_the_file_is_refused_by_its_line_and_the_rest_loads(store, bobby, tmp_path):
    duration = wav_facts(bobby)[0]
    rttm = tmp_path / "bobby.rttm"
    rttm.write_text("SPEAKER bobby 1 0.100 0.500 <NA> <NA> Ann <NA> <NA>\n"
                    "SPEAKER bobby 1 5.000 1.000 <NA> <NA> Bob <NA> <NA>\n", encoding="utf-8")
    report = load_sources(store, "d", [bobby], spans=[rttm], view="audio_manual")
    assert report.added == 1
    assert report.failures == [Failure(f"{rttm}:2", f"Bob 5.000-6.000 s lies outside bobby.wav "
                                                    f"({duration:.3f} s); refused")]
    (task,) = tasks(store, "d")
    assert [(s["start"], s["end"], s["label"]) for s in task["audio_spans"]] == [(0.1, 0.6, "Ann")]
    assert report.labels_added == ["Ann"]


def test_uploaded_task_files_are_named_by_the_upload_not_the_temporary_folder(store, bobby):
    lines = (json.dumps({"audio": str(bobby), "text": "one"}) + "\n" + "{not json\n").encode()
    report = load_uploads(store, "d", [("../../team/tasks.jsonl", lines), ("notes.txt", b"hello")],
                          view="audio_manual")
    assert report.added == 1
    origins = [f.origin for f in report.failures]
    assert origins == ["tasks.jsonl:2", "notes.txt"]
    assert tasks(store, "d")[0]["text"] == "one"
    assert loader._renamed(Failure("/tmp/x/0/a.jsonl:3", "r"), "/tmp/x/0/a.jsonl", "a.jsonl") == \
        Failure("a.jsonl:3", "r")
    assert loader._renamed(Failure("elsewhere:3", "r"), "/tmp/x/0/a.jsonl", "a.jsonl") == \
        Failure("elsewhere:3", "r")


def test_a_file_whose_peaks_fail_is_reported_for_every_item_and_its_tasks_taken_out(store, bobby, corpus,
                                                                                      tmp_path, monkeypatch):
    good = tmp_path / "audio" / "good.wav"
    shutil.copy(corpus / "formats" / "bobby_16bit_16khz_2ch.wav", good)
    real = loader.compute_peaks

    def compute(path, header):
        if Path(path).name == "bobby.wav":
            raise PeaksError("truncated data")
        return real(path, header)

    monkeypatch.setattr(loader, "compute_peaks", compute)
    items = [Candidate("t.jsonl:1", {"audio": str(bobby), "text": "a"}, bobby),
             Candidate("t.jsonl:2", {"audio": str(bobby), "text": "b"}, bobby),
             Candidate("t.jsonl:3", {"audio": str(bobby), "text": "a"}, bobby),   # a duplicate of line 1
             Candidate("t.jsonl:4", {"audio": str(good)}, good)]
    report = load_candidates(store, "d", items, view="audio_manual")
    reason = "could not decode: truncated data"
    assert report.failures == [Failure(f"t.jsonl:{n}", reason) for n in (1, 2, 3)]
    assert (report.added, report.skipped) == (1, 0)
    assert [t["file"] for t in tasks(store, "d")] == ["good.wav"]
    assert report.task_ids == [i for (i,) in store.query("SELECT id FROM tasks")]

    def boom(path, header):
        raise RuntimeError("decoder crashed")
    monkeypatch.setattr(loader, "compute_peaks", boom)
    again = load_sources(store, "e", [bobby], view="audio_manual")
    assert again.failures == [Failure(str(bobby.resolve()), "could not decode: RuntimeError: decoder crashed")]
    assert again.added == 0


def test_a_file_name_that_is_not_utf8_is_stored_as_a_link_named_by_its_content(store, bobby, tmp_path):
    folder = tmp_path / "latin1"
    folder.mkdir()
    raw = os.path.join(os.fsencode(folder), b"caf\xe9.WAV")
    shutil.copy(bobby, raw)
    report = load_sources(store, "d", [folder], view="audio_manual")
    assert report.failures == [] and report.added == 1
    ((media_id, path),) = store.query("SELECT id, path FROM media")
    link = tmp_path / "media" / f"{media_id}.wav"
    assert path == str(link)
    assert link.is_symlink() and os.readlink(link) == os.fsdecode(os.path.realpath(raw))
    assert link.read_bytes() == bobby.read_bytes()
    assert [n for n in os.listdir(link.parent) if n.endswith(".link")] == []
    # Loading it again reuses the link.
    assert load_sources(store, "d", [folder], view="audio_manual").skipped == 1
    assert sorted(os.listdir(link.parent)) == [link.name]
