"""JSONL in, JSONL out: every key survives, span times keep their milliseconds."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from earmark.annotations import get_task, save_annotation
from earmark.formats.jsonl_csv import ExportFilter, csv_rows, export
from earmark.loading.loader import load_sources
from earmark.db.store import Store

# keys of the task format, whose values a load checks (earmark.loading.validate): the free
# keys drawn below are the rest, which must come back exactly as given
RESERVED = {"audio", "path", "file", "meta", "audio_spans", "answer", "_input_hash",
            "_task_hash", "_session_id", "_view_id", "_timestamp", "segment", "text",
            "transcript", "tokens", "spans", "words"}

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**53, 2**53),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=10)
keys = st.text(min_size=1, max_size=12).filter(lambda k: k not in RESERVED)
millis = st.integers(min_value=0, max_value=36_000_000)


@st.composite
def spans(draw):
    start = draw(millis)
    end = start + draw(st.integers(min_value=0, max_value=600_000))
    span = {"start": start / 1000, "end": end / 1000, "label": draw(st.text(min_size=1, max_size=10)),
            "id": draw(st.uuids()).hex}
    if draw(st.booleans()):
        span["channel"] = draw(st.integers(0, 1))
    if draw(st.booleans()):
        span["text"] = draw(st.text(max_size=30))
    return span


@st.composite
def tasks(draw):
    n = draw(st.integers(1, 6))
    out = []
    for i in range(n):
        task = draw(st.dictionaries(keys, json_values, max_size=5))
        task["audio"] = f"https://example.org/clip{i}.mp3"
        task["meta"] = draw(st.dictionaries(st.text(max_size=8), json_scalars, max_size=3))
        task["audio_spans"] = draw(st.lists(spans(), max_size=5))
        out.append(task)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tasks(), st.sampled_from(["accept", "reject", "ignore"]))
def test_every_key_and_span_time_survives(tasks_in, answer):
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "t.duckdb")
        source = Path(tmp) / "in.jsonl"
        source.write_text("".join(json.dumps(t) + "\n" for t in tasks_in), encoding="utf-8")
        report = load_sources(store, "rt", [source])
        assert report.failures == [] and report.added == len(tasks_in)
        for task_id in report.task_ids:
            save_annotation(store, get_task(store, task_id), answer, "alice", view="audio_manual")
        out = io.StringIO()
        export(store, "rt", out, "jsonl")
        store.close()
    exported = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(exported) == len(tasks_in)
    for original, result in zip(tasks_in, exported):
        for key, value in original.items():
            if key == "audio_spans":
                continue
            assert result[key] == value, key
        assert len(result["audio_spans"]) == len(original["audio_spans"])
        for a, b in zip(original["audio_spans"], result["audio_spans"]):
            assert round(b["start"] * 1000) == round(a["start"] * 1000)
            assert round(b["end"] * 1000) == round(a["end"] * 1000)
            assert {k: v for k, v in b.items() if k not in ("start", "end")} == \
                   {k: v for k, v in a.items() if k not in ("start", "end")}
        assert result["answer"] == answer and result["_session_id"] == "alice"
        assert result["_view_id"] == "audio_manual" and isinstance(result["_timestamp"], int)


def test_export_filters_and_all(store, corpus):
    report = load_sources(store, "d", [corpus / "formats"])
    ids = report.task_ids
    save_annotation(store, get_task(store, ids[0]), "accept", "alice",
                    edits={"audio_spans": [{"id": "r1", "start": 0.1, "end": 0.5, "label": "A"}]})
    save_annotation(store, get_task(store, ids[1]), "reject", "bob")
    def run(**kw) -> list[dict]:
        out = io.StringIO()
        export(store, "d", out, "jsonl", ExportFilter(**kw))
        return [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["answer"] for r in run()] == ["accept", "reject"]
    assert [r["_session_id"] for r in run(answers=["reject"])] == ["bob"]
    assert [r["answer"] for r in run(sessions=["alice"])] == ["accept"]
    everything = run(include_unanswered=True)
    assert len(everything) == len(ids)
    assert all("answer" not in r for r in everything[2:])
    # the answered first, then the others in the order they were loaded, each once
    files = [get_task(store, i).data["file"] for i in ids]
    assert sorted(files) == ["bobby_16bit_16khz.wav", "bobby_16bit_16khz_2ch.wav", "bobby_16bit_48khz.wav",
                             "bobby_32bit_16khz.wav", "bobby_32bit_48khz.wav"]
    assert [(r["file"], r.get("answer"), r.get("_session_id")) for r in everything] == [
        (files[0], "accept", "alice"), (files[1], "reject", "bob"), *((f, None, None) for f in files[2:])]
    assert everything[0]["audio_spans"] == [{"id": "r1", "start": 0.1, "end": 0.5, "label": "A"}]


def test_csv_has_one_row_per_region_and_one_for_none(store, corpus):
    report = load_sources(store, "d", [corpus / "formats" / "bobby_16bit_16khz.wav",
                                       corpus / "formats" / "bobby_16bit_48khz.wav"])
    a, b = report.task_ids
    spans_ = [{"id": "r1", "start": 0.1, "end": 0.5, "label": "A", "channel": 0},
              {"id": "r2", "start": 0.6, "end": 0.9, "label": "B", "text": "hi, \"you\""}]
    save_annotation(store, get_task(store, a), "accept", "alice", edits={"audio_spans": spans_})
    save_annotation(store, get_task(store, b), "accept", "alice")
    out = io.StringIO()
    export(store, "d", out, "csv")
    import csv
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 3
    assert [r["span_id"] for r in rows] == ["r1", "r2", ""]
    assert rows[1]["text"] == 'hi, "you"' and rows[0]["channel"] == "1"
    assert rows[0]["file"] == "bobby_16bit_16khz.wav" and rows[2]["start"] == ""
    assert list(csv_rows({"answer": "accept"}))[0]["answer"] == "accept"
