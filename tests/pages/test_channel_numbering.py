"""One channel numbering: people count channels from 1 (the pages, CSV, RTTM), the
task format from 0 (JSONL's `channel` and `meta.channel`). The same annotation of
a two-channel file, a region on channel index 1, is "channel 2" on the card, in
Review, in CSV and in RTTM, channel 1 in JSONL, and reads back from RTTM as index 1.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from earmark.annotations import get_task, save_annotation
from earmark.db.store import open_store
from earmark.formats.export import export_rttm
from earmark.formats.jsonl_csv import export
from earmark.loading.loader import load_sources
from earmark.loading.longform import LongformOptions

STEREO = "bobby_16bit_16khz_2ch"
REGION = {"id": "c", "start": 0.1, "end": 0.4, "label": "SPEECH"}


@pytest.fixture
def split_store(tmp_path, monkeypatch):
    db = tmp_path / "channels.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "none.json"))
    return open_store(db)


def test_a_region_on_channel_index_1_is_channel_2_for_people_and_1_in_jsonl(split_store, corpus, page, card,
                                                                               tmp_path):
    store = split_store
    stereo = corpus / "formats" / f"{STEREO}.wav"
    left, right = load_sources(store, "ch", [stereo], labels=["SPEECH"],
                               longform=LongformOptions(split_channels=True)).task_ids
    assert get_task(store, right).data["meta"]["channel"] == 1

    # the card: the task of the right channel says "channel 2"
    at = page("annotate", dataset="ch", session="ann")
    at.run()
    assert at.session_state["ann_queue"] == [left, right]
    details = [item["details"] for item in at.session_state["ann_queue_items"]]
    assert "channel 1" in details[0] and "channel 2" in details[1]
    c = card(dataset="ch")
    c.entry(left, "reject")
    c.send(at, c.answer(right, "accept", regions=[{**REGION, "channel": None}]))   # the clip is its channel
    stored = json.loads(store.query_one("SELECT annotation FROM annotations WHERE task_id = ?", [right])[0])
    assert stored["audio_spans"] == [{**REGION, "channel": 1}]

    # Review: the table's channel column and the opened annotation say 2
    at = page("review")
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value.set_index("answer")
    assert table.loc["accept", "channel"] == "2" and table.loc["reject", "channel"] == ""
    at.session_state["review_selected"] = int(table.loc["accept", "id"])
    at.run()
    assert not at.exception, at.exception
    assert [s.value.replace("\\_", "_") for s in at.subheader] == [f"{STEREO}.wav · channel 2 · ann · accept"]

    # CSV and RTTM count from 1; JSONL keeps the task format's 0-based channel
    out = io.StringIO()
    export(store, "ch", out, "csv")
    rows = [r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["span_id"]]
    assert [(r["span_id"], r["channel"]) for r in rows] == [("c", "2")]
    out = io.StringIO()
    export(store, "ch", out, "jsonl")
    (record,) = [json.loads(line) for line in out.getvalue().splitlines() if '"accept"' in line]
    assert record["meta"]["channel"] == 1 and record["audio_spans"] == [{**REGION, "channel": 1}]
    out = io.StringIO()
    export_rttm(store, "ch", out)
    assert out.getvalue() == f"SPEAKER {STEREO} 2 0.100 0.300 <NA> <NA> SPEECH <NA> <NA>\n"

    # and the RTTM reads back onto channel index 1
    turns = tmp_path / f"{STEREO}.rttm"
    turns.write_text(out.getvalue(), encoding="utf-8")
    report = load_sources(store, "back", [stereo], spans=[turns])
    assert report.failures == [] and report.added == 1
    assert get_task(store, report.task_ids[0]).data["audio_spans"][0]["channel"] == 1


def test_the_export_page_says_each_formats_channel_rule(split_store, corpus, page):
    load_sources(split_store, "ch", [corpus / "formats" / f"{STEREO}.wav"], labels=["SPEECH"])
    at = page("export")
    at.run()
    for fmt, rule in (("csv", "column counted from 1"), ("jsonl", "0-based"), ("rttm", "counted from 1")):
        at.selectbox(key="export_format").set_value(fmt).run()
        assert not at.exception, at.exception
        shown = [c.value.replace("\\", "") for c in at.caption]          # the Markdown's escapes dropped
        assert any("Channels: " in c and rule in c for c in shown), (fmt, shown)


def test_reviews_changes_name_the_channels_from_1(split_store, corpus, page, tmp_path):
    """A whole two-channel task: its regions on lane index 0, 1 and on both."""
    store = split_store
    stereo = corpus / "formats" / f"{STEREO}.wav"
    pre = tmp_path / f"{STEREO}.jsonl"
    proposed = [{"id": "l", "start": 0.1, "end": 0.3, "label": "A", "channel": 0},
                {"id": "b", "start": 0.5, "end": 0.6, "label": "B"}]
    pre.write_text(json.dumps({"file": f"{STEREO}.wav", "audio_spans": proposed}) + "\n", encoding="utf-8")
    (task_id,) = load_sources(store, "whole", [stereo], spans=[pre], labels=["A", "B"]).task_ids
    final = [{**proposed[0], "start": 0.2}, {"id": "r", "start": 0.3, "end": 0.4, "label": "A", "channel": 1}]
    annotation_id = save_annotation(store, get_task(store, task_id), "accept", "ann", edits={"audio_spans": final})
    at = page("review")
    at.run()
    assert not at.exception, at.exception
    assert at.dataframe[0].value["channel"].tolist() == ["1, 2"]
    at.session_state["review_selected"] = annotation_id
    at.run()
    assert not at.exception, at.exception
    assert [s.value.replace("\\_", "_") for s in at.subheader] == [f"{STEREO}.wav · ann · accept"]   # the whole file: no channel
    (changes,) = at.table
    assert changes.value[["change", "label", "channel"]].values.tolist() == [
        ["added", "A", "2"], ["removed", "B", "all"], ["moved", "A", "1"]]
