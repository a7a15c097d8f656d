"""The export's rules, each pinned by a known answer written out by hand: every CSV
column and its quoting, one JSONL record per line, which records a filter and the id
windows give (the latest version only), each per-file format's names and files, every
clip's samples (its channel, its window), and the archive's members byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
import wave
import zipfile

import numpy as np
import pytest

from earmark.db.queries import export as export_queries
from earmark.annotations import get_task, save_annotation
from earmark.formats.jsonl_csv import (ExportError, ExportFilter, cap_memory_for_export, csv_rows, export, iter_records,
                            to_json_line, write_csv, write_jsonl)
from earmark.formats import export as formats_export
from earmark.formats.export import (cues, export_archive, export_clips, export_files, export_rttm, render,
                                    transcript_text)
from earmark.loading.loader import load_sources
from tests.core.crafted import load_tasks as load

HEADER = ("_input_hash,_task_hash,_session_id,_view_id,_timestamp,answer,audio,path,file,"
          "segment_start,segment_end,transcript,span_id,start,end,label,channel,text,color,words\r\n")


def answer(store, task_id: int, ans: str = "accept", session: str = "ann", **edits) -> int:
    return save_annotation(store, get_task(store, task_id), ans, session, edits=edits, timestamp=1000.0)


def region(start: float, end: float, label: str, **more) -> dict:
    return {"id": f"{label}-{start}", "start": start, "end": end, "label": label, **more}


def url(name: str) -> dict:
    return {"audio": f"https://example.org/{name}", "file": name}


def labels(records) -> list[tuple]:
    return [(r["file"], r.get("answer"), r.get("_session_id")) for r in records]


# -- CSV ------------------------------------------------------------------------------------------

def csv_text(*records: dict) -> tuple[int, str]:
    out = io.StringIO()
    count = write_csv(iter(records), out)
    return count, out.getvalue()


def test_csv_header_and_every_column_of_a_row_with_quoting():
    record = {"_input_hash": -12, "_task_hash": 34, "_session_id": "ann, the first", "_view_id": "audio_manual",
              "_timestamp": 1700000000, "answer": "accept", "audio": "https://x.org/a.wav?s=1",
              "path": "/data/a,b.wav", "file": "a,b.wav", "segment": {"start": 1.5, "end": 3.25},
              "transcript": 'she said "hi"\nthen left', "ignored extra": "never a column",
              "audio_spans": [{"id": "r1", "start": 1.5, "end": 2.0, "label": "SPK,1", "channel": 1,
                               "text": 'a "quote"', "color": "#ff0000", "extra": 1},
                              {"id": "r2", "start": 2.125, "end": 3.0, "label": "B", "channel": 0}]}
    count, text = csv_text(record)
    assert count == 1
    assert text == HEADER + (
        '-12,34,"ann, the first",audio_manual,1700000000,accept,https://x.org/a.wav?s=1,"/data/a,b.wav",'
        '"a,b.wav",1.5,3.25,"she said ""hi""\nthen left",r1,1.5,2.0,"SPK,1",2,"a ""quote""",#ff0000,\r\n'
        '-12,34,"ann, the first",audio_manual,1700000000,accept,https://x.org/a.wav?s=1,"/data/a,b.wav",'
        '"a,b.wav",1.5,3.25,"she said ""hi""\nthen left",r2,2.125,3.0,B,1,,,\r\n')   # channels from 1


def test_a_record_without_regions_is_one_row_and_the_count_is_of_records():
    bare = {"_input_hash": 1, "_task_hash": 2, "answer": "reject", "audio": "data:audio/wav;base64,UklGRg==",
            "file": "f.wav"}
    empty_spans = {"_input_hash": 3, "_task_hash": 4, "answer": "ignore", "audio": None, "audio_spans": [],
                   "segment": None}
    two = {"_input_hash": 5, "_task_hash": 6, "audio": "/local/x.wav",
           "audio_spans": [{"id": "a", "start": 0, "end": 1}, {"id": "b", "start": 1, "end": 2}]}
    count, text = csv_text(bare, empty_spans, two)
    assert count == 3
    assert text == HEADER + ("1,2,,,,reject,,,f.wav,,,,,,,,,,,\r\n"      # inline audio: never in a cell
                             "3,4,,,,ignore,,,,,,,,,,,,,,\r\n"
                             "5,6,,,,,/local/x.wav,,,,,,a,0,1,,,,,\r\n"
                             "5,6,,,,,/local/x.wav,,,,,,b,1,2,,,,,\r\n")
    assert csv_text() == (0, HEADER)
    (row,) = csv_rows(bare)
    assert row == {"_input_hash": 1, "_task_hash": 2, "_session_id": None, "_view_id": None, "_timestamp": None,
                   "answer": "reject", "audio": None, "path": None, "file": "f.wav", "segment_start": None,
                   "segment_end": None, "transcript": None, "words": None}


def test_csv_through_the_store_keeps_the_latest_version_with_its_numbers(store, tmp_path):
    (task_id,) = load(store, tmp_path, [{**url("t.wav"), "segment": {"start": 0.0, "end": 2.5}}])
    first = answer(store, task_id, "accept", audio_spans=[region(0.1, 0.2, "OLD")])
    save_annotation(store, get_task(store, task_id), "reject", "ann", supersedes=first, timestamp=1001.9,
                    view="v", edits={"audio_spans": [region(0.333, 1.0, "=NEW", channel=1, text="-x")],
                                     "transcript": "+t"})
    (record,) = iter_records(store, "d")
    out = io.StringIO()
    assert export(store, "d", out, "csv") == 1
    assert out.getvalue() == HEADER + (
        f"{record['_input_hash']},{record['_task_hash']},ann,v,1001,reject,https://example.org/t.wav,,t.wav,"
        f"0.0,2.5,'+t,'=NEW-0.333,0.333,1.0,'=NEW,2,'-x,,\r\n")


# -- JSONL ------------------------------------------------------------------------------------

def test_a_jsonl_record_is_one_line_with_its_text_unescaped():
    record = {"text": "é\x85a\u2028b\u2029c\nd", "n": 1}
    assert to_json_line(record) == '{"text": "é\\u0085a\\u2028b\\u2029c\\nd", "n": 1}'
    out = io.StringIO()
    assert write_jsonl(iter([record, {"k": "日本"}]), out) == 2
    assert out.getvalue() == '{"text": "é\\u0085a\\u2028b\\u2029c\\nd", "n": 1}\n{"k": "日本"}\n'
    assert json.loads(out.getvalue().splitlines()[0]) == record
    empty = io.StringIO()
    assert write_jsonl(iter([]), empty) == 0 and empty.getvalue() == ""


def test_export_writes_jsonl_by_default_and_passes_the_filter(store, tmp_path):
    a, b = load(store, tmp_path, [url("a.wav"), url("b.wav")])
    answer(store, a, "accept")
    answer(store, b, "reject")
    out = io.StringIO()
    assert export(store, "d", out) == 2
    assert [json.loads(line)["file"] for line in out.getvalue().splitlines()] == ["a.wav", "b.wav"]
    out = io.StringIO()
    assert export(store, "d", out, "jsonl", ExportFilter(answers=["reject"])) == 1
    assert [json.loads(line)["file"] for line in out.getvalue().splitlines()] == ["b.wav"]
    out = io.StringIO()
    assert export(store, "d", out, "csv", ExportFilter(answers=["reject"])) == 1
    assert [r["file"] for r in csv.DictReader(io.StringIO(out.getvalue()))] == ["b.wav"]
    with pytest.raises(ExportError) as caught:
        export(store, "d", io.StringIO(), "JSONL")
    assert str(caught.value) == "unknown export format 'JSONL'; choose one of jsonl, csv"


def test_the_memory_cap_is_set_for_an_export_only_process(store):
    cap_memory_for_export(store)
    if hasattr(store, "url"):   # PostgreSQL: the server's memory is its own; nothing set here
        assert store.query_one("SELECT current_setting('work_mem')") == ("4MB",)
    else:
        assert store.query_one("SELECT current_setting('memory_limit')") == ("30.5 MiB",)   # 32 MB


# -- which records ----------------------------------------------------------------------------

def test_filters_of_answers_sessions_and_sql_and_the_unanswered_tasks(store, tmp_path):
    ids = load(store, tmp_path, [url(f"f{i}.wav") for i in range(6)])
    load(store, tmp_path, [url("other.wav")], dataset="e", name="e")
    answer(store, ids[0], "accept", "ann")
    answer(store, ids[1], "reject", "bob")
    answer(store, ids[2], "ignore", "cat")
    answer(store, ids[3], "accept", "bob")
    first = answer(store, ids[4], "accept", "ann")
    save_annotation(store, get_task(store, ids[4]), "reject", "ann", supersedes=first)
    assert labels(iter_records(store, "d")) == [("f0.wav", "accept", "ann"), ("f1.wav", "reject", "bob"),
                                                ("f2.wav", "ignore", "cat"), ("f3.wav", "accept", "bob"),
                                                ("f4.wav", "reject", "ann")]
    assert labels(iter_records(store, "d", ExportFilter(answers=["accept"]))) == [
        ("f0.wav", "accept", "ann"), ("f3.wav", "accept", "bob")]     # f4's accept was corrected
    assert labels(iter_records(store, "d", ExportFilter(answers=["reject", "ignore"]))) == [
        ("f1.wav", "reject", "bob"), ("f2.wav", "ignore", "cat"), ("f4.wav", "reject", "ann")]
    assert labels(iter_records(store, "d", ExportFilter(sessions=["bob"]))) == [
        ("f1.wav", "reject", "bob"), ("f3.wav", "accept", "bob")]
    assert labels(iter_records(store, "d", ExportFilter(sessions=["cat", "ann"], answers=["accept", "ignore"]))) == [
        ("f0.wav", "accept", "ann"), ("f2.wav", "ignore", "cat")]
    assert labels(iter_records(store, "d", ExportFilter(where=("a.session = ? OR a.answer = ?", ["cat", "reject"])))) == [
        ("f1.wav", "reject", "bob"), ("f2.wav", "ignore", "cat"), ("f4.wav", "reject", "ann")]
    assert labels(iter_records(store, "d", ExportFilter(answers=["accept"], where=("a.session = ?", ["bob"])))) == [
        ("f3.wav", "accept", "bob")]
    assert labels(iter_records(store, "d", ExportFilter(include_unanswered=True))) == [
        ("f0.wav", "accept", "ann"), ("f1.wav", "reject", "bob"), ("f2.wav", "ignore", "cat"),
        ("f3.wav", "accept", "bob"), ("f4.wav", "reject", "ann"), ("f5.wav", None, None)]
    assert labels(iter_records(store, "d", ExportFilter(answers=["ignore"], include_unanswered=True))) == [
        ("f2.wav", "ignore", "cat"), ("f5.wav", None, None)]
    assert labels(iter_records(store, "e", ExportFilter(include_unanswered=True))) == [("other.wav", None, None)]
    assert list(iter_records(store, "e")) == [] and list(iter_records(store, "nope", ExportFilter(include_unanswered=True))) == []


def test_undo_and_answer_again_twice_leaves_the_last_answer_only(store, tmp_path):
    (task_id,) = load(store, tmp_path, [url("t.wav")])
    one = answer(store, task_id, "accept", audio_spans=[region(0, 1, "ONE")])
    two = save_annotation(store, get_task(store, task_id), "reject", "ann", supersedes=one,
                          edits={"audio_spans": [region(0, 1, "TWO")]})
    save_annotation(store, get_task(store, task_id), "ignore", "ann", supersedes=two,
                    edits={"audio_spans": [region(0, 1, "THREE")]})
    (record,) = iter_records(store, "d")
    assert (record["answer"], record["audio_spans"][0]["label"]) == ("ignore", "THREE")
    assert list(iter_records(store, "d", ExportFilter(answers=["accept", "reject"]))) == []
    assert list(iter_records(store, "d", ExportFilter(include_unanswered=True)))[0]["answer"] == "ignore"
    assert len(list(iter_records(store, "d", ExportFilter(include_unanswered=True)))) == 1


def test_inline_audio_of_annotations_and_of_unanswered_tasks_is_dropped_unless_kept(store, tmp_path):
    import base64

    from tests.core.crafted import wav_bytes
    uris = ["data:audio/wav;base64," + base64.b64encode(wav_bytes(frames=80, seed=n)).decode() for n in (1, 2)]
    source = tmp_path / "inline.jsonl"
    source.write_text("".join(json.dumps({"audio": u, "file": f}) + "\n" for u, f in zip(uris, ["a.wav", "b.wav"])))
    report = load_sources(store, "d", [source], keep_base64=True)
    assert report.added == 2, report.failures
    save_annotation(store, get_task(store, report.task_ids[0]), "accept", "ann", keep_base64=True)
    dropped = list(iter_records(store, "d", ExportFilter(include_unanswered=True)))
    kept = list(iter_records(store, "d", ExportFilter(include_unanswered=True, keep_base64=True)))
    assert [(r["file"], r.get("answer"), "audio" in r) for r in dropped] == [("a.wav", "accept", False),
                                                                             ("b.wav", None, False)]
    assert [(r["file"], r.get("audio")) for r in kept] == [("a.wav", uris[0]), ("b.wav", uris[1])]


@pytest.mark.parametrize("window,expected_queries", [(1, 6), (2, 3), (3, 2), (5, 2), (6, 1), (7, 1)])
def test_id_windows_give_every_id_once_up_to_the_last(store, tmp_path, window, expected_queries):
    ids = load(store, tmp_path, [url(f"f{i}.wav") for i in range(6)])
    assert ids == list(range(ids[0], ids[0] + 6))
    seen = []
    real = store.query

    def query(sql, params=None):
        seen.append(params)
        return real(sql, params)
    store.query = query
    try:
        files = [json.loads(doc)["file"] for doc in export_queries._in_id_windows(
            store, "tasks", "SELECT task FROM tasks WHERE dataset = ?", ["d"], window=window)]
    finally:
        del store.query
    assert files == [f"f{i}.wav" for i in range(6)]
    low = ids[0]
    assert seen[0] == ["d"]                                   # the dataset's lowest and highest id
    assert seen[1:] == [["d", start, start + window] for start in range(low, low + 6, window)]
    assert len(seen[1:]) == expected_queries
    assert list(export_queries._in_id_windows(store, "tasks", "SELECT task FROM tasks WHERE dataset = ?",
                                             ["none"])) == []


def test_the_id_range_is_the_datasets_own(store, tmp_path):
    load(store, tmp_path, [url("e0.wav"), url("e1.wav")], dataset="e", name="e")
    load(store, tmp_path, [url("d0.wav")], name="d")
    load(store, tmp_path, [url("e2.wav")], dataset="e", name="e2")
    got = list(export_queries._in_id_windows(store, "tasks", "SELECT task FROM tasks WHERE dataset = ?", ["d"], window=1))
    assert [json.loads(doc)["file"] for doc in got] == ["d0.wav"]
    got = list(export_queries._in_id_windows(store, "tasks", "SELECT task FROM tasks WHERE dataset = ?", ["e"], window=1))
    assert [json.loads(doc)["file"] for doc in got] == ["e0.wav", "e1.wav", "e2.wav"]


# -- names of files: from the task's file, path or audio --------------------------------------------

@pytest.mark.parametrize("record,stem", [
    ({"file": "C:\\calls\\rec9.wav", "path": "/p/other.wav"}, "rec9"),
    ({"path": "/data/x/rec.flac", "audio": "https://h/a.wav"}, "rec"),
    ({"audio": "https://h/calls/r1.wav?sig=a?b.c"}, "r1"),
    ({"audio": "/local/what?.wav"}, "what?"),                 # a local name keeps its `?`
    ({"audio": "relative/take?2.mp3"}, "take?2"),
    ({"audio": "data:audio/wav;base64,UklGRg==", "_input_hash": 7}, "task-7"),
    ({"audio": "", "_input_hash": 8}, "task-8"),
    ({"audio": 12345, "_input_hash": 9}, "task-9"),
    ({"_input_hash": -3}, "task--3"),
])
def test_a_records_stem_comes_from_its_file_path_or_audio(record, stem):
    assert formats_export._stem(record) == stem


@pytest.mark.parametrize("record,source", [
    ({"path": "/p/a.wav", "file": "b.wav"}, "/p/a.wav"),
    ({"file": "b.wav", "audio": "https://h/c.wav"}, "b.wav"),
    ({"audio": "https://h/c.wav?x=1?y=2"}, "https://h/c.wav"),
    ({"audio": "s3://bucket/c.wav?v=2"}, "s3://bucket/c.wav"),
    ({"audio": "/local/c?.wav"}, "/local/c?.wav"),
    ({"audio": "data:audio/wav;base64,AAAA", "_input_hash": 5}, "task-5"),
    ({"audio": None, "_input_hash": 6}, "task-6"),
])
def test_a_records_audio_file_is_its_path_file_or_url_without_query(record, source):
    assert formats_export._source(record) == source


def test_signed_urls_of_one_recording_are_one_file(store, tmp_path):
    ids = load(store, tmp_path, [{"audio": "https://h/rec.wav?s=1?t=1"}, {"audio": "https://h/rec.wav?s=2?t=1"},
                                 {"audio": "https://h/rec.wav"}, {"audio": "https://h/other/rec.wav?s=1"}])
    for n, task_id in enumerate(ids):
        answer(store, task_id, audio_spans=[region(n, n + 0.5, f"L{n}")])
    folder = tmp_path / "aud"
    written = export_files(store, "d", "audacity", folder)
    assert [p.name for p in written] == ["rec.txt", "rec-2.txt"]
    assert (folder / "rec.txt").read_text() == ("0.000000\t0.500000\tL0\n1.000000\t1.500000\tL1\n"
                                                "2.000000\t2.500000\tL2\n")
    assert (folder / "rec-2.txt").read_text() == "3.000000\t3.500000\tL3\n"


def test_file_names_carry_the_annotator_only_when_several_annotated_the_file(store, tmp_path):
    a, b, c = load(store, tmp_path, [url("two.wav"), url("one.wav"), {**url("%%%.wav")}])
    answer(store, a, "accept", "ann", audio_spans=[region(0, 1, "A")])
    answer(store, a, "reject", "bob", audio_spans=[region(1, 2, "B")])
    answer(store, b, "accept", "bob", audio_spans=[region(2, 3, "C")])
    answer(store, c, "accept", "ann", audio_spans=[region(3, 4, "D")])
    hash_c = get_task(store, c).data["_input_hash"]
    unanswered = load(store, tmp_path, [url("one.wav") | {"text": "again"}], name="more")
    folder = tmp_path / "out"
    written = export_files(store, "d", "audacity", folder, ExportFilter(include_unanswered=True))
    assert [p.name for p in written] == ["two.ann.txt", "two.bob.txt", "one.bob.txt", f"task-{hash_c}.txt", "one.txt"]
    assert [p.parent for p in written] == [folder] * 5
    assert [p.read_text() for p in written] == ["0.000000\t1.000000\tA\n", "1.000000\t2.000000\tB\n",
                                                "2.000000\t3.000000\tC\n", "3.000000\t4.000000\tD\n", ""]
    assert unanswered


def test_per_file_formats_skip_ignored_answers_only_in_subtitles_and_transcripts(store, tmp_path):
    a, b = load(store, tmp_path, [{**url("t.wav"), "segment": {"start": 0.0, "end": 1.0}},
                                  {**url("t.wav"), "segment": {"start": 1.0, "end": 2.0}}])
    answer(store, a, "ignore", audio_spans=[region(0.0, 1.0, "A", text="ignored")], transcript="ignored")
    answer(store, b, "accept", audio_spans=[region(1.0, 2.0, "A", text="kept")], transcript="kept")
    got = {}
    for fmt in ("audacity", "vtt", "srt", "transcript"):
        folder = tmp_path / "x" / fmt            # a folder not made yet, under one not made either
        (path,) = export_files(store, "d", fmt, folder)
        got[fmt] = path.read_text(encoding="utf-8")
        assert export_files(store, "d", fmt, folder) == [path]        # into the folder now there
    assert got == {"audacity": "0.000000\t1.000000\tA\n1.000000\t2.000000\tA\n",
                   "vtt": "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>kept\n",
                   "srt": "1\n00:00:01,000 --> 00:00:02,000\nkept\n",
                   "transcript": "[00:00:01.000 --> 00:00:02.000] kept\n"}
    (only_ignored,) = export_files(store, "d", "audacity", tmp_path / "i", ExportFilter(answers=["ignore"]))
    assert only_ignored.read_text() == "0.000000\t1.000000\tA\n"
    with pytest.raises(ExportError) as caught:
        export_files(store, "d", "rttm", tmp_path / "r")
    assert str(caught.value) == ("'rttm' is not a one-file-per-audio-file format "
                                 "(textgrid, eaf, vtt, srt, audacity, transcript)")


def test_rttm_is_one_stream_of_every_file_and_annotator(store, tmp_path):
    a, b = load(store, tmp_path, [url("x.wav"), url("y.wav")])
    answer(store, a, "accept", "ann", audio_spans=[region(0.5, 1.0, "A")])
    answer(store, a, "reject", "bob", audio_spans=[region(1.0, 1.25, "B")])
    answer(store, b, "accept", "ann", audio_spans=[region(2.0, 3.0, "C"), region(3.0, 3.5, "D")])
    answer(store, b, "ignore", "cat", audio_spans=[region(4.0, 4.5, "E")])     # an ignored answer is still one
    out = io.StringIO()
    assert export_rttm(store, "d", out) == 4                               # groups: one per file and annotator
    assert out.getvalue() == ("SPEAKER x 1 0.500 0.500 <NA> <NA> A <NA> <NA>\n"
                              "SPEAKER x 1 1.000 0.250 <NA> <NA> B <NA> <NA>\n"
                              "SPEAKER y 1 2.000 1.000 <NA> <NA> C <NA> <NA>\n"
                              "SPEAKER y 1 3.000 0.500 <NA> <NA> D <NA> <NA>\n"
                              "SPEAKER y 1 4.000 0.500 <NA> <NA> E <NA> <NA>\n")
    out = io.StringIO()
    assert export_rttm(store, "d", out, ExportFilter(sessions=["bob"])) == 1
    assert out.getvalue() == "SPEAKER x 1 1.000 0.250 <NA> <NA> B <NA> <NA>\n"
    empty = io.StringIO()
    assert export_rttm(store, "nothing", empty) == 0 and empty.getvalue() == ""


# -- transcripts and cues -------------------------------------------------------------------------

def test_a_transcript_is_in_segment_order_without_ignored_or_empty_segments():
    records = [
        {"answer": "ignore", "transcript": "ignored", "segment": {"start": 0.25, "end": 0.5}},
        {"answer": "accept", "transcript": "   ", "segment": {"start": 0.3, "end": 0.4}},
        {"answer": "accept", "transcript": "late", "segment": {"start": 2.0, "end": 3.5}},
        {"answer": "reject", "transcript": "no\tsegment\nhere"},
        {"answer": "accept", "transcript": "half", "segment": {"start": 0.5, "end": 1.0}},
        {"answer": "accept", "transcript": 42, "segment": {"start": 0.6, "end": 0.7}},
        {"answer": "accept", "transcript": "zero", "segment": {"start": 0.0, "end": 0.2}},
    ]
    assert transcript_text(records) == ("no segment here\n"
                                        "[00:00:00.000 --> 00:00:00.200] zero\n"
                                        "[00:00:00.500 --> 00:00:01.000] half\n"
                                        "[00:00:02.000 --> 00:00:03.500] late\n")
    assert transcript_text([records[0], records[1]]) == ""


def test_the_cues_of_regions_transcripts_and_placeholders():
    text_regions = {"audio_spans": [region(0.5, 1.0, "SPK", text="hello"),
                                    {"id": "segment-4", "start": 1.0, "end": 2.0, "label": "TRANSCRIPT", "text": "typed"},
                                    {"id": "mine", "start": 2.0, "end": 2.5, "label": "TRANSCRIPT", "text": "a label"},
                                    region(3.0, 3.5, "SILENT"), "not a region", {"id": "n", "start": 9.0, "end": 9.5}],
                    "transcript": "ignored: the regions have text"}
    assert cues([text_regions]) == [
        {"start": 0.5, "end": 1.0, "text": "hello", "label": "SPK"},
        {"start": 1.0, "end": 2.0, "text": "typed", "label": ""},
        {"start": 2.0, "end": 2.5, "text": "a label", "label": "TRANSCRIPT"},
        {"start": 3.0, "end": 3.5, "text": "", "label": "SILENT"},
        {"start": 9.0, "end": 9.5, "text": "", "label": ""}]
    over_segment = {"segment": {"start": 4.0, "end": 6.0}, "transcript": "one voice",
                    "audio_spans": [region(4.5, 5.0, "A"), region(5.0, 5.5, "A"), region(5.5, 5.6, ""),
                                    {"id": "segment-9", "start": 4.0, "end": 6.0, "label": "TRANSCRIPT"}]}
    over_regions = {"transcript": "two voices", "audio_spans": [region(1.5, 2.0, "A"), region(0.25, 1.0, "B")]}
    whole_file = {"transcript": "all of it", "meta": {"duration": 3.0}}
    short_file = {"transcript": "short", "meta": {"duration": 0.5}}
    no_length = {"transcript": "nowhere", "meta": {"duration": 0}}
    bad_meta = {"transcript": "nowhere either", "meta": "3.0"}
    blank = {"transcript": " \n", "audio_spans": [region(0.0, 1.0, "B")], "segment": {"start": 0.0, "end": 9.0}}
    not_text = {"transcript": ["x"], "audio_spans": [region(7.0, 8.0, "N")]}
    assert cues([over_segment, over_regions, whole_file, short_file, no_length, bad_meta, blank, not_text]) == [
        {"start": 4.0, "end": 6.0, "text": "one voice", "label": "A"},
        {"start": 0.25, "end": 2.0, "text": "two voices", "label": ""},
        {"start": 0.0, "end": 3.0, "text": "all of it", "label": ""},
        {"start": 0.0, "end": 0.5, "text": "short", "label": ""},
        {"start": 0.0, "end": 1.0, "text": "", "label": "B"},
        {"start": 7.0, "end": 8.0, "text": "", "label": "N"}]


def test_render_reads_the_textgrids_length_tiers_and_layout_from_meta():
    spans = [region(0.5, 1.0, "B", text="b"), region(1.5, 1.5, "P", text="p")]
    grid = render("textgrid", [{"meta": {"duration": 2.0, "textgrid_format": "short_textgrid",
                                         "tiers": [{"name": "A", "type": "interval"}, {"name": "B", "type": "interval"}]},
                                "audio_spans": spans}, {"meta": {"duration": 9.0}}])
    assert grid.splitlines()[:8] == ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "0", "2",
                                     "<exists>", "3", '"IntervalTier"']
    assert grid.splitlines()[8:9] == ['"A"']
    assert '"B"' in grid.splitlines() and '"TextTier"' in grid.splitlines() and '"P"' in grid.splitlines()
    long = render("textgrid", [{"meta": "not a dict", "audio_spans": [region(0.5, 0.75, "B", text="b")]}])
    assert long.splitlines()[3:6] == ["xmin = 0 ", "xmax = 0.75 ", "tiers? <exists> "]    # no duration: to the end
    assert render("audacity", [{"audio_spans": spans}, {"audio_spans": [region(3, 4, "C")]}]) == (
        "0.500000\t1.000000\tB\n1.500000\t1.500000\tP\n3.000000\t4.000000\tC\n")
    assert render("srt", [{"audio_spans": [region(1, 2, "A", text="t")]}]) == "1\n00:00:01,000 --> 00:00:02,000\nt\n"
    assert render("vtt", [{"audio_spans": [region(1, 2, "A", text="t")]}]) == (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>t\n")
    assert render("transcript", [{"transcript": "x"}]) == "x\n"
    with pytest.raises(ExportError) as caught:
        render("rttm", [{}])
    assert str(caught.value) == "unknown format 'rttm'; choose one of rttm, textgrid, eaf, vtt, srt, audacity, nemo, transcript, clips"


# -- clips ------------------------------------------------------------------------------------------

RATE = 8000


def stereo_wav(path, seconds: float = 2.0):
    """Left channel: frame n holds n; right: -n - 1. Every frame and channel is told apart."""
    n = np.arange(int(RATE * seconds))
    frames = np.stack([n, -n - 1], axis=1).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames.tobytes())
    return path


def samples(data: bytes) -> tuple[int, np.ndarray]:
    with wave.open(io.BytesIO(data), "rb") as clip:
        assert (clip.getframerate(), clip.getsampwidth()) == (RATE, 2)
        channels = clip.getnchannels()
        # a plain PCM WAV: the 44-byte header, then the samples, nothing else
        assert len(data) == 44 + clip.getnframes() * channels * 2 and data[36:40] == b"data"
        return channels, np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2").reshape(-1, channels)


def left(start: float, end: float) -> list:
    return list(range(int(start * RATE), int(end * RATE)))


def test_clips_hold_their_regions_channel_and_window(store, tmp_path):
    audio = stereo_wav(tmp_path / "stereo.wav")
    (task_id,) = load_sources(store, "c", [audio]).task_ids
    answer(store, task_id, audio_spans=[
        region(1.0, 1.25, "L", channel=0),
        region(0.5, 0.625, "R", channel=1, text="x, \"y\"\nz"),
        region(0.25, 0.375, "BOTH"),
        region(0.1, 0.2, "OUT", channel=2),              # no such channel: left out
        region(1.5, 1.5, "MARK", channel=0),             # no duration: left out
        region(1.2, 1.1, "BACK", channel=0),             # ends before it starts: left out
        region(1.75, 2.0, "LAST", channel=1)])
    folder = tmp_path / "not" / "yet" / "clips"
    assert export_clips(store, "c", folder) == 4
    names = sorted(p.name for p in (folder / "train").iterdir())
    assert names == ["metadata.csv", "stereo_000001.wav", "stereo_000002.wav", "stereo_000003.wav",
                     "stereo_000004.wav"]
    assert (folder / "train" / "metadata.csv").read_bytes() == (
        "file_name,label,text,start,end,channel,source,annotator\r\n"
        f"stereo_000001.wav,L,,1.0,1.25,1,{audio},ann\r\n"      # channels from 1
        f'stereo_000002.wav,R,"x, ""y""\nz",0.5,0.625,2,{audio},ann\r\n'
        f"stereo_000003.wav,BOTH,,0.25,0.375,,{audio},ann\r\n"
        f"stereo_000004.wav,LAST,,1.75,2.0,2,{audio},ann\r\n").encode("utf-8")
    one = samples((folder / "train" / "stereo_000001.wav").read_bytes())
    assert one[0] == 1 and one[1][:, 0].tolist() == left(1.0, 1.25)
    two = samples((folder / "train" / "stereo_000002.wav").read_bytes())
    assert two[0] == 1 and two[1][:, 0].tolist() == [-n - 1 for n in left(0.5, 0.625)]
    both = samples((folder / "train" / "stereo_000003.wav").read_bytes())
    assert both[0] == 2 and both[1].tolist() == [[n, -n - 1] for n in left(0.25, 0.375)]
    last = samples((folder / "train" / "stereo_000004.wav").read_bytes())
    assert last[0] == 1 and last[1][:, 0].tolist() == [-n - 1 for n in left(1.75, 2.0)]
    assert export_clips(store, "c", folder) == 4          # again, into the folder that is there now


def test_a_mono_files_clips_and_a_channel_past_its_one(store, tmp_path):
    n = np.arange(RATE, dtype="<i2")
    mono = tmp_path / "mono.wav"
    with wave.open(str(mono), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(n.tobytes())
    (task_id,) = load_sources(store, "c", [mono]).task_ids
    answer(store, task_id, audio_spans=[region(0.5, 0.75, "ONE", channel=1), region(0.25, 0.5, "ZERO", channel=0),
                                        region(0.0, 0.125, "ANY")])
    folder = tmp_path / "clips"
    assert export_clips(store, "c", folder) == 2
    assert samples((folder / "train" / "mono_000001.wav").read_bytes())[1][:, 0].tolist() == left(0.25, 0.5)
    assert samples((folder / "train" / "mono_000002.wav").read_bytes())[1][:, 0].tolist() == left(0.0, 0.125)


def test_clips_skip_what_has_nothing_to_cut_and_name_a_nameless_file_by_its_task(store, tmp_path):
    (url_task,) = load(store, tmp_path, [url("remote.wav")], dataset="c")
    first = stereo_wav(tmp_path / "first.wav", 0.5)
    second = stereo_wav(tmp_path / "second.wav", 0.625)   # another length: another file
    report = load_sources(store, "c", [first, second])
    answer(store, url_task, audio_spans=[region(0.0, 0.25, "URL")])          # no file here to cut
    answer(store, report.task_ids[0], audio_spans=[region(0.1, 0.1, "MARK")])  # nothing with a duration
    answer(store, report.task_ids[1], file="%%%.wav", audio_spans=[region(0.25, 0.375, "S", channel=0)])
    answer(store, report.task_ids[1], "accept", "bob", audio_spans=[region(0.0, 0.125, "T", channel=1)])
    hash_2 = get_task(store, report.task_ids[1]).data["_input_hash"]
    folder = tmp_path / "clips"
    assert export_clips(store, "c", folder) == 2
    assert sorted(p.name for p in (folder / "train").iterdir()) == ["metadata.csv", "second_000002.wav", f"task-{hash_2}_000001.wav"]
    assert (folder / "train" / "metadata.csv").read_bytes().decode("utf-8") == (
        "file_name,label,text,start,end,channel,source,annotator\n"
        f"task-{hash_2}_000001.wav,S,,0.25,0.375,1,{second},ann\n"
        f"second_000002.wav,T,,0.0,0.125,2,{second},bob\n").replace("\n", "\r\n")
    assert samples((folder / "train" / f"task-{hash_2}_000001.wav").read_bytes())[1][:, 0].tolist() == left(0.25, 0.375)
    only_bob = tmp_path / "bob"
    assert export_clips(store, "c", only_bob, ExportFilter(sessions=["bob"], answers=["reject"])) == 1
    assert sorted(p.name for p in (only_bob / "train").iterdir()) == ["metadata.csv", "second_000001.wav"]


@pytest.mark.parametrize("error,reason", [
    (OSError("Decoding failed\n\nOutput from ffmpeg:\nline three\nthe last line  \n"), "the last line"),
    (OSError(), "OSError"),
    (OSError("  \n "), "OSError"),
    ("couldnt", "CouldntDecodeError"),
])
def test_a_clip_source_that_fails_to_decode_names_why_in_one_line(store, tmp_path, monkeypatch, error, reason):
    from pydub.exceptions import CouldntDecodeError
    audio = stereo_wav(tmp_path / "s.wav", 0.25)
    (task_id,) = load_sources(store, "c", [audio]).task_ids
    answer(store, task_id, audio_spans=[region(0.0, 0.125, "A")])

    def fail(*args, **kwargs):
        raise CouldntDecodeError("") if error == "couldnt" else error
    monkeypatch.setattr("earmark.formats.export.read", fail)
    with pytest.raises(ExportError) as caught:
        export_clips(store, "c", tmp_path / "clips")
    assert str(caught.value) == f"cannot cut clips from {audio}: {reason}"


# -- the archive ------------------------------------------------------------------------------------

def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in z.infolist())
        return {info.filename: z.read(info) for info in z.infolist()}


def test_the_archive_holds_each_file_under_the_datasets_folder_in_name_order(store, tmp_path):
    b, a = load(store, tmp_path, [url("b.wav"), url("a.wav")])
    answer(store, b, "accept", audio_spans=[region(0.5, 1.0, "B", text="bee")])
    answer(store, a, "reject", audio_spans=[region(1.0, 2.0, "A", text="ay")])
    data, name = export_archive(store, "d", "audacity")
    assert name == "d-audacity.zip"
    assert list(members(data).items()) == [("d/a.txt", b"1.000000\t2.000000\tA\n"),
                                           ("d/b.txt", b"0.500000\t1.000000\tB\n")]
    data, name = export_archive(store, "d", "srt", ExportFilter(answers=["reject"]))
    assert (name, members(data)) == ("d-srt.zip", {"d/a.srt": b"1\n00:00:01,000 --> 00:00:02,000\nay\n"})
    data, name = export_archive(store, "d", "rttm", ExportFilter(answers=["accept"]))
    assert (name, data) == ("d.rttm", b"SPEAKER b 1 0.500 0.500 <NA> <NA> B <NA> <NA>\n")
    data, name = export_archive(store, "d", "transcript")
    assert (name, members(data)) == ("d-transcript.zip", {"d/a.transcript.txt": b"", "d/b.transcript.txt": b""})
    with pytest.raises(ExportError) as caught:
        export_archive(store, "d", "jsonl")
    assert str(caught.value) == "unknown format 'jsonl'; choose one of rttm, textgrid, eaf, vtt, srt, audacity, nemo, transcript, clips"


def test_the_archive_of_clips_holds_the_metadata_and_the_wavs(store, tmp_path):
    audio = stereo_wav(tmp_path / "s.wav", 0.5)
    (task_id,) = load_sources(store, "c", [audio]).task_ids
    answer(store, task_id, "accept", "ann", audio_spans=[region(0.25, 0.375, "A", channel=1, text="é")])
    answer(store, task_id, "accept", "bob", audio_spans=[region(0.0, 0.125, "B", channel=0)])
    data, name = export_archive(store, "c", "clips", ExportFilter(sessions=["bob"]))
    assert name == "c-clips.zip"
    got = members(data)
    assert list(got) == ["c/train/metadata.csv", "c/train/s_000001.wav"]
    assert got["c/train/metadata.csv"] == (f"file_name,label,text,start,end,channel,source,annotator\r\n"
                                     f"s_000001.wav,B,,0.0,0.125,1,{audio},bob\r\n").encode("utf-8")
    assert samples(got["c/train/s_000001.wav"])[1][:, 0].tolist() == left(0.0, 0.125)
    got = members(export_archive(store, "c", "clips")[0])
    assert list(got) == ["c/train/metadata.csv", "c/train/s_000001.wav", "c/train/s_000002.wav"]
    assert got["c/train/metadata.csv"].decode("utf-8").splitlines()[1] == f"s_000001.wav,A,é,0.25,0.375,2,{audio},ann"
    assert samples(got["c/train/s_000001.wav"])[1][:, 0].tolist() == [-n - 1 for n in left(0.25, 0.375)]
    nothing = members(export_archive(store, "c", "clips", ExportFilter(sessions=["nobody"]))[0])
    assert nothing == {"c/train/metadata.csv": b"file_name,label,text,start,end,channel,source,annotator\r\n"}


def test_a_dataset_whose_name_is_nothing_safe_downloads_as_export(store, tmp_path):
    (task_id,) = load(store, tmp_path, [url("t.wav")])
    answer(store, task_id, audio_spans=[region(0.0, 1.0, "A")])

    def rename(cur):
        cur.execute("UPDATE datasets SET name = '...' WHERE name = 'd'")
        for table in ("tasks", "annotations", "spans"):
            cur.execute(f"UPDATE {table} SET dataset = '...' WHERE dataset = 'd'")
    store.write(rename)
    assert export_archive(store, "...", "rttm") == (b"SPEAKER t 1 0.000 1.000 <NA> <NA> A <NA> <NA>\n", "export.rttm")
    data, name = export_archive(store, "...", "audacity")
    assert (name, members(data)) == ("export-audacity.zip", {"export/t.txt": b"0.000000\t1.000000\tA\n"})
