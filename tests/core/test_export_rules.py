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

from earmark import export as export_module
from earmark.annotations import get_task, save_annotation
from earmark.export import (ExportError, ExportFilter, cap_memory_for_export, csv_rows, export, iter_records,
                            to_json_line, write_csv, write_jsonl)
from earmark.formats import export as formats_export
from earmark.formats.export import (cues, export_archive, export_clips, export_files, export_rttm, render,
                                    transcript_text)
from earmark.loader import load_sources

HEADER = ("_input_hash,_task_hash,_session_id,_view_id,_timestamp,answer,audio,path,file,"
          "segment_start,segment_end,transcript,span_id,start,end,label,channel,text,color\r\n")


def load(store, tmp_path, tasks: list[dict], dataset: str = "d", name: str = "in") -> list[int]:
    source = tmp_path / f"{name}.jsonl"
    source.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    report = load_sources(store, dataset, [source])
    assert report.failures == [] and report.added == len(tasks), (report.failures, report.added)
    return report.task_ids


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
        '"a,b.wav",1.5,3.25,"she said ""hi""\nthen left",r1,1.5,2.0,"SPK,1",1,"a ""quote""",#ff0000\r\n'
        '-12,34,"ann, the first",audio_manual,1700000000,accept,https://x.org/a.wav?s=1,"/data/a,b.wav",'
        '"a,b.wav",1.5,3.25,"she said ""hi""\nthen left",r2,2.125,3.0,B,0,,\r\n')


def test_a_record_without_regions_is_one_row_and_the_count_is_of_records():
    bare = {"_input_hash": 1, "_task_hash": 2, "answer": "reject", "audio": "data:audio/wav;base64,UklGRg==",
            "file": "f.wav"}
    empty_spans = {"_input_hash": 3, "_task_hash": 4, "answer": "ignore", "audio": None, "audio_spans": [],
                   "segment": None}
    two = {"_input_hash": 5, "_task_hash": 6, "audio": "/local/x.wav",
           "audio_spans": [{"id": "a", "start": 0, "end": 1}, {"id": "b", "start": 1, "end": 2}]}
    count, text = csv_text(bare, empty_spans, two)
    assert count == 3
    assert text == HEADER + ("1,2,,,,reject,,,f.wav,,,,,,,,,,\r\n"      # inline audio: never in a cell
                             "3,4,,,,ignore,,,,,,,,,,,,,\r\n"
                             "5,6,,,,,/local/x.wav,,,,,,a,0,1,,,,\r\n"
                             "5,6,,,,,/local/x.wav,,,,,,b,1,2,,,,\r\n")
    assert csv_text() == (0, HEADER)
    (row,) = csv_rows(bare)
    assert row == {"_input_hash": 1, "_task_hash": 2, "_session_id": None, "_view_id": None, "_timestamp": None,
                   "answer": "reject", "audio": None, "path": None, "file": "f.wav", "segment_start": None,
                   "segment_end": None, "transcript": None}


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
        f"0.0,2.5,'+t,'=NEW-0.333,0.333,1.0,'=NEW,1,'-x,\r\n")


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
        files = [json.loads(doc)["file"] for doc in export_module._in_id_windows(
            store, "tasks", "SELECT task FROM tasks WHERE dataset = ?", ["d"], window=window)]
    finally:
        del store.query
    assert files == [f"f{i}.wav" for i in range(6)]
    low = ids[0]
    assert seen[0] == ["d"]                                   # the dataset's lowest and highest id
    assert seen[1:] == [["d", start, start + window] for start in range(low, low + 6, window)]
    assert len(seen[1:]) == expected_queries
    assert list(export_module._in_id_windows(store, "tasks", "SELECT task FROM tasks WHERE dataset = ?",
                                             ["none"])) == []


def test_the_id_range_is_the_datasets_own(store, tmp_path):
    load(store, tmp_path, [url("e0.wav"), url("e1.wav")], dataset="e", name="e")
    load(store, tmp_path, [url("d0.wav")], name="d")
    load(store, tmp_path, [url("e2.wav")], dataset="e", name="e2")
    got = list(export_module._in_id_windows(store, "tasks", "SELECT task FROM tasks WHERE dataset = ?", ["d"], window=1))
    assert [json.loads(doc)["file"] for doc in got] == ["d0.wav"]
    got = list(export_module._in_id_windows(store, "tasks", "SELECT task FROM tasks WHERE dataset = ?", ["e"], window=1))
    assert [json.loads(doc)["file"] for doc in got] == ["e0.wav", "e1.wav", "e2.wav"]
