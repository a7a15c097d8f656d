"""The typed records of the task format: real tasks and annotations read and written back unchanged."""

from __future__ import annotations

import json

import pytest

from earmark.annotations import AnnotationRecord, get_task, save_annotation
from earmark.db.queries import export as export_queries
from earmark.demo import DEMO_DIR
from earmark.formats.jsonl_csv import to_json_line
from earmark.loading.loader import load_sources
from earmark.records import Annotation, RecordError, Region, StoredTask, Task, ms


def stored_tasks(store, dataset):
    ids = [i for (i,) in store.query("SELECT id FROM tasks WHERE dataset = ? ORDER BY id", [dataset])]
    return [get_task(store, i) for i in ids]


def assert_round_trip(data: dict, kind=Task):
    record = kind.from_json(data)
    back = record.to_json()
    assert back == data
    assert list(back) == list(data)                            # the same keys in the same order
    assert to_json_line(back) == to_json_line(data)            # so the same bytes
    return record


def test_the_demo_tasks_read_and_write_back_unchanged(store):
    report = load_sources(store, "demo", [DEMO_DIR], view="audio_manual", labels=["SPEECH"], peaks=False)
    assert report.added == 5
    for task in stored_tasks(store, "demo"):
        record = assert_round_trip(task.data)
        assert record.file == task.data["file"] and record.input_hash == task.data["_input_hash"]
        assert record.meta["duration"] == task.data["meta"]["duration"]


def test_tasks_with_the_corpus_references_read_and_write_back_unchanged(store, corpus):
    diarization = corpus / "diarization"
    report = load_sources(store, "rttm", [diarization], spans=[diarization / "reference.rttm"], peaks=False)
    praat = corpus / "praat"
    report2 = load_sources(store, "grid", [praat / "bobby.wav"], spans=[praat / "bobby_words.TextGrid"],
                           peaks=False)
    assert report.added >= 4 and report2.added == 1
    regions = 0
    for task in stored_tasks(store, "rttm") + stored_tasks(store, "grid"):
        record = assert_round_trip(task.data)
        regions += len(record.regions or [])
        for region, raw in zip(record.regions or [], task.data.get("audio_spans") or []):
            assert (region.id, region.start, region.end, region.label) == (raw["id"], raw["start"], raw["end"],
                                                                           raw.get("label"))
            assert region.start == ms(region.start)            # the references' times, at ms precision
    assert regions > 20                                        # the speakers' turns and the words came in


def test_annotations_saved_from_real_tasks_read_and_write_back_unchanged(store, corpus):
    [task_id] = load_sources(store, "d", [corpus / "praat" / "bobby.wav"],
                             spans=[corpus / "praat" / "bobby_words.TextGrid"], peaks=False).task_ids
    task = get_task(store, task_id)
    edits = {"audio_spans": [*task.data["audio_spans"][:2],
                             {"id": "new", "start": 0.25, "end": 0.5, "label": "W", "channel": 0, "text": "hi",
                              "color": "#ff0000", "score": 0.75}],
             "transcript": "bobby"}
    save_annotation(store, task, "accept", "ann", edits=edits, view="audio_manual", timestamp=12.5)
    [document] = list(export_queries.annotation_documents(store, "d"))
    stored = json.loads(document)
    record = assert_round_trip(stored, Annotation)
    assert (record.answer, record.session_id, record.view_id, record.timestamp) == ("accept", "ann",
                                                                                    "audio_manual", 12)
    assert record.transcript == "bobby" and record.skip_reason is None
    new = record.regions[-1]
    assert (new.channel, new.text, new.color, new.score) == (0, "hi", "#ff0000", 0.75)


def test_keys_the_format_does_not_name_are_kept_in_their_place():
    data = {"audio": "a.wav", "prodigy_key": {"x": [1, 2]}, "audio_spans": [
        {"start": 0, "end": 1.5, "id": "r", "label": "A", "token_start": 3, "channel": None}],
        "_input_hash": 7, "_view_id": "audio", "answer": "accept", "other": None}
    record = assert_round_trip(data, Annotation)
    assert record.extra == {"prodigy_key": {"x": [1, 2]}, "other": None}
    region = record.regions[0]
    assert region.extra == {"token_start": 3}
    assert region.start == 0 and isinstance(region.start, int)  # a time as given stays as given
    assert region.channel is None and list(region.to_json()) == ["start", "end", "id", "label", "token_start",
                                                                   "channel"]
    assert_round_trip({"audio": "b.wav"})                        # no audio_spans key: none is added
    assert Task.from_json({"audio": "b.wav"}).regions is None
    assert Task.from_json({"audio_spans": []}).to_json() == {"audio_spans": []}


def test_optional_region_keys_are_written_only_when_set():
    assert Region(id="r", start=1.0, end=2.0, label="A").to_json() == {"id": "r", "label": "A", "start": 1.0,
                                                                       "end": 2.0}
    full = Region(id="r", start=1.0, end=2.0, label="A", color="#fff", channel=1, text="t", score=0.5)
    assert list(full.to_json()) == ["id", "label", "color", "text", "start", "end", "channel", "score"]
    assert Region.from_json(full.to_json()) == full
    assert ms(1.23456) == 1.235 and ms(2) == 2.0


@pytest.mark.parametrize("spans, message", [
    ([{"id": "a", "start": 0, "end": 1}, {"id": "b", "start": "x", "end": 2}],
     "audio_spans[1]: start is not a number ('x')"),
    ([{"id": "a", "start": 0, "end": float("nan")}], "audio_spans[0]: end is not a number (nan)"),
    ([{"id": "a", "start": 0}], "audio_spans[0]: end is not a number (None)"),
    ([{"id": "a", "start": True, "end": 1}], "audio_spans[0]: start is not a number (True)"),
    ([{"start": 0, "end": 1}, "r2"], "audio_spans[1] is not an object"),
    ([{"id": "c", "start": 0, "end": 1, "channel": "left"}],
     "audio_spans[0] ('c'): channel must be a whole number, not str"),
    ([{"id": "c", "start": 0, "end": 1, "label": 3}], "audio_spans[0] ('c'): label must be a string, not int"),
    ([{"id": "c", "start": 0, "end": 1, "score": "high"}], "audio_spans[0] ('c'): score must be a number, not str"),
    ("not a list", "audio_spans is not a list"),
])
def test_a_bad_region_is_named(spans, message):
    with pytest.raises(RecordError) as caught:
        Task.from_json({"audio": "a.wav", "audio_spans": spans})
    assert str(caught.value) == message


@pytest.mark.parametrize("data, message", [
    ([1, 2], "a task is a JSON object, not list"),
    ({"segment": {"start": 1}}, "segment must be an object with a start and an end"),
    ({"meta": "x"}, "meta must be an object, not str"),
    ({"_input_hash": "12"}, "_input_hash must be a whole number"),
    ({"transcript": 5}, "transcript: transcript must be a string, not int"),
])
def test_a_bad_task_is_named(data, message):
    with pytest.raises(RecordError) as caught:
        Task.from_json(data)
    assert str(caught.value) == message


def test_a_stored_task_gives_its_record_and_an_annotation_record_its_own(store):
    stored = StoredTask(1, "d", None, {"audio": "a.wav", "audio_spans": [{"id": "r", "start": 0.5, "end": 1.0,
                                                                          "label": "A"}]})
    assert stored.record.regions == [Region(id="r", start=0.5, end=1.0, label="A")]
    built = AnnotationRecord.build(StoredTask(1, "d", None, {"audio": "a.wav", "_input_hash": 1, "_task_hash": 2}),
                                   "reject", "ann", edits={"audio_spans": [{"id": "x", "start": 1, "end": 2}]},
                                   timestamp=3.0)
    assert built.annotation.answer == "reject" and built.annotation.regions[0].end == 2
    assert built.regions() == [Region(id="x", start=1.0, end=2.0)]
