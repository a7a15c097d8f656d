"""The Annotate page, with the component's values simulated through session_state."""

from __future__ import annotations

import json

from earmark.annotations import CURRENT_ANNOTATIONS
from earmark.datasets import ensure_dataset
from shown import shown

REGION = {"id": "r1", "start": 1.25, "end": 3.5, "label": "SPK1", "channel": None}


def header(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_asks_for_a_name_then_keeps_it_in_the_url(talks, page):
    at = page("annotate", dataset="talks")
    at.run()
    assert not at.exception
    at.text_input(key="annotator_pick").input("maria").run()
    assert at.query_params["session"] == "maria"
    # the first task in file order (empty.wav sorts before the trn* files), with its duration
    assert shown(header(at)) == "**empty.wav · 1.0 s**"
    assert at.session_state["ann_current"] == talks[1][0]


def test_draw_accept_by_button_and_by_forwarded_key(talks, page, component_value):
    store, ids = talks
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    assert not at.exception, at.exception
    first = at.session_state["ann_current"]
    assert first == ids[0]
    at.session_state["annotate_waveform"] = component_value(first, [REGION])
    at.run()
    at.button(key="btn_accept").click().run()
    saved = store.query(f"SELECT task_id, answer, session, annotation FROM ({CURRENT_ANNOTATIONS}) a")
    assert [(t, a, s) for t, a, s, _ in saved] == [(first, "accept", "ann")]
    assert json.loads(saved[0][3])["audio_spans"] == [REGION]
    second = at.session_state["ann_current"]
    assert second == ids[1]
    # the stale value of the first task must not leak into the second
    at.run()
    at.session_state["annotate_waveform"] = component_value(
        second, [dict(REGION, id="r2", label="SPK2")], "key", "reject", event_id="e2")
    at.run()
    rows = store.query("SELECT task_id, answer FROM annotations ORDER BY id")
    assert rows == [(first, "accept"), (second, "reject")]
    assert at.session_state["ann_current"] == ids[2]
    # the same event seen again on a later rerun is not applied twice
    at.run()
    assert store.query_one("SELECT count(*) FROM annotations")[0] == 2


def test_undo_reopens_with_edits_and_a_new_answer_replaces_the_old(talks, page, component_value):
    store, ids = talks
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    at.session_state["annotate_waveform"] = component_value(ids[0], [REGION])
    at.run()
    at.button(key="btn_accept").click().run()
    at.button(key="btn_undo").click().run()
    assert at.session_state["ann_current"] == ids[0]
    assert "reopened" in header(at)
    assert at.session_state["ann_draft"].regions == [REGION]
    moved = dict(REGION, start=2.0)
    at.session_state["annotate_waveform"] = component_value(ids[0], [moved], "updated", event_id="e9",
                                                            revision=at.session_state["ann_revision"])
    at.run()
    at.button(key="btn_reject").click().run()
    current = store.query(f"SELECT task_id, answer, annotation FROM ({CURRENT_ANNOTATIONS}) a")
    assert [(t, a) for t, a, _ in current] == [(ids[0], "reject")]
    assert json.loads(current[0][2])["audio_spans"][0]["start"] == 2.0
    assert store.query_one("SELECT count(*) FROM annotations")[0] == 2  # history kept
    assert at.session_state["ann_current"] == ids[1]


def test_transcript_view_saves_the_text(talks, page):
    store, ids = talks
    ensure_dataset(store, "talks", view="transcript")
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    area = at.text_area(key=f"transcript-{ids[0]}-0")
    area.input("hello there").run()
    at.button(key="btn_accept").click().run()
    saved = json.loads(store.query_one("SELECT annotation FROM annotations")[0])
    assert saved["transcript"] == "hello there" and saved["_view_id"] == "transcript"


def test_alignment_links_a_text_span_to_a_region(talks, page, component_value):
    store, ids = talks
    ensure_dataset(store, "talks", view="alignment")
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    at.session_state["annotate_waveform"] = component_value(ids[0], [REGION])
    at.run()
    at.text_area(key=f"transcript-{ids[0]}-0").input("well I do not know").run()
    at.select_slider(key=f"align-range-{ids[0]}-0").set_value((1, 3)).run()
    at.selectbox(key=f"align-label-{ids[0]}-0").set_value("SPK2").run()
    at.selectbox(key=f"align-link-{ids[0]}-0").set_value("r1").run()
    at.button(key=f"align-add-{ids[0]}-0").click().run()
    assert any("↔" in c.value and "SPK1 1.25–3.50 s" in c.value for c in at.caption)
    at.button(key="btn_accept").click().run()
    saved = json.loads(store.query_one("SELECT annotation FROM annotations")[0])
    assert saved["spans"] == [{"start": 5, "end": 13, "token_start": 1, "token_end": 3,
                               "label": "SPK2", "audio_span_id": "r1"}]
    assert saved["text"][5:13] == "I do not"
    assert [t["text"] for t in saved["tokens"]] == ["well", "I", "do", "not", "know"]


def test_skip_records_the_reason(talks, page):
    store, ids = talks
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    at.button(key=f"skip-{ids[0]}").click().run()
    answer, doc = store.query_one("SELECT answer, annotation FROM annotations")
    assert answer == "ignore" and json.loads(doc)["_skip_reason"] == "audio failed to load"


def test_allowed_annotators_and_remapped_answer_keys(talks, page, tmp_path):
    (tmp_path / "earmark.json").write_text(json.dumps({
        "allowed_sessions": ["ann", "bob"], "keymap": {"accept": "k", "undo": "ctrl+z"}}))
    at = page("annotate", dataset="talks", session="mallory")
    at.run()
    assert any("not on the list" in e.value for e in at.error)
    assert at.selectbox(key="annotator_pick").options == ["ann", "bob"]
    from earmark.web.annotate import answer_keys, shortcut
    assert shortcut("ctrl+shift+z") == "Ctrl+Shift+Z" and shortcut("enter") == "Enter"
    assert answer_keys({"keymap": {"accept": "k"}})["accept"] == "K"


def test_shared_queue_keeps_two_annotators_apart(talks, page):
    store, ids = talks
    a = page("annotate", dataset="talks", session="ann")
    b = page("annotate", dataset="talks", session="bob")
    a.run()
    b.run()
    assert a.session_state["ann_current"] != b.session_state["ann_current"]


def test_segment_and_channel_tasks_work_in_clip_time_and_store_file_time(tmp_path, monkeypatch, corpus,
                                                                        page, component_value):
    from earmark.loader import load_sources
    from earmark.longform import LongformOptions
    from earmark.segment import parse_segment_spec
    from earmark.store import open_store
    db = tmp_path / "seg.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "none.json"))
    store = open_store(db)
    load_sources(store, "seg", [corpus / "diarization" / "trn01.wav"], labels=["SPEECH"],
                 longform=LongformOptions(segment=parse_segment_spec("window:10")))
    load_sources(store, "ch", [corpus / "formats" / "bobby_16bit_16khz_2ch.wav"], labels=["SPEECH"],
                 longform=LongformOptions(split_channels=True))
    at = page("annotate", dataset="seg", session="ann")
    at.run()
    first = at.session_state["ann_current"]
    at.button(key="btn_accept").click().run()            # segment 0-10 s
    second = at.session_state["ann_current"]
    assert "segment 10.00–20.00 s" in header(at)
    # the component works in the clip's time: 9-21 s of the file (1 s of context)
    at.session_state["annotate_waveform"] = component_value(second, [{"id": "r", "start": 2.0, "end": 3.5,
                                                                      "label": "SPEECH", "channel": None}])
    at.run()
    at.button(key="btn_accept").click().run()
    stored = json.loads(store.query_one("SELECT annotation FROM annotations WHERE task_id = ?", [second])[0])
    assert stored["audio_spans"] == [{"id": "r", "start": 11.0, "end": 12.5, "label": "SPEECH", "channel": None}]
    assert first != second

    at = page("annotate", dataset="ch", session="ann")
    at.run()
    at.button(key="btn_accept").click().run()            # channel 1 of 2
    assert "channel 2" in header(at)
    task_id = at.session_state["ann_current"]
    at.session_state["annotate_waveform"] = component_value(task_id, [{"id": "c", "start": 0.1, "end": 0.4,
                                                                       "label": "SPEECH", "channel": None}])
    at.run()
    at.button(key="btn_accept").click().run()
    stored = json.loads(store.query_one("SELECT annotation FROM annotations WHERE task_id = ?", [task_id])[0])
    assert stored["audio_spans"][0]["channel"] == 1 and stored["audio_spans"][0]["start"] == 0.1


def test_channel_0_is_stored_as_0_from_a_split_channel_task_and_from_lane_0(tmp_path, monkeypatch, corpus,
                                                                           page, component_value):
    """Channel 0 (falsy) is the first channel everywhere, never "all channels": on the
    split-channel task of channel 0, and for a region drawn on lane 0 of a stereo file."""
    from earmark.loader import load_sources
    from earmark.longform import LongformOptions
    from earmark.store import open_store
    db = tmp_path / "ch0.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "none.json"))
    store = open_store(db)
    stereo = corpus / "formats" / "bobby_16bit_16khz_2ch.wav"
    [left, _] = load_sources(store, "ch", [stereo], labels=["SPEECH"],
                             longform=LongformOptions(split_channels=True)).task_ids
    [whole] = load_sources(store, "both", [stereo], labels=["SPEECH"]).task_ids

    at = page("annotate", dataset="ch", session="ann")
    at.run()
    assert at.session_state["ann_current"] == left and "channel 1" in shown(header(at))
    at.session_state["annotate_waveform"] = component_value(left, [{"id": "l", "start": 0.1, "end": 0.4,
                                                                    "label": "SPEECH", "channel": None}])
    at.run()
    at.button(key="btn_accept").click().run()

    at = page("annotate", dataset="both", session="ann")
    at.run()
    assert at.session_state["ann_current"] == whole
    regions = [{"id": "w0", "start": 0.2, "end": 0.5, "label": "SPEECH", "channel": 0},
               {"id": "w1", "start": 0.3, "end": 0.6, "label": "SPEECH", "channel": 1}]
    at.session_state["annotate_waveform"] = component_value(whole, regions)
    at.run()
    at.button(key="btn_accept").click().run()

    stored = {t: json.loads(a)["audio_spans"] for t, a in store.query("SELECT task_id, annotation FROM annotations")}
    assert stored == {left: [{"id": "l", "start": 0.1, "end": 0.4, "label": "SPEECH", "channel": 0}],
                      whole: regions}
    assert store.query("SELECT span_id, channel FROM spans ORDER BY span_id") == [("l", 0), ("w0", 0), ("w1", 1)]
