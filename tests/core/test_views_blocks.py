"""Views as blocks (earmark.views): each view's blocks, what an answer carries, and a view
made in a test from existing blocks, loaded, annotated on the Annotate page and shown
on Review."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from earmark.annotations import Task
from earmark.answers import PendingAnswer, View, answer_edits
from earmark.db.store import open_store
from earmark.loading.loader import load_sources
from earmark.views import (BLOCKS, VIEWS, card_fields, card_parts, editable, register_view, review_blocks,
                           unregister_view, view_blocks, view_names)

PRE = {"id": "pre", "start": 1.0, "end": 2.0, "label": "A"}
MOVED = {"id": "pre", "start": 5.0, "end": 6.0, "label": "B"}     # what a card could send instead
SPAN = {"start": 5, "end": 13, "token_start": 1, "token_end": 3, "label": "B", "audio_span_id": "pre"}


def names(blocks) -> list[str]:
    return [b.name for b in blocks]


def sent(**fields) -> PendingAnswer:
    return PendingAnswer(**{"client": "c1", "seq": 1, "dataset": "d", "session": "ann", "task_id": 1,
                            "answer": "accept", **fields})


def test_each_view_of_design_md_is_its_blocks():
    assert {v: names(view_blocks([v])) for v in ("audio", "audio_manual", "transcript", "alignment")} == {
        "audio": ["waveform"], "audio_manual": ["regions"], "transcript": ["waveform", "transcript"],
        "alignment": ["regions", "text_spans"]}
    assert {v: editable(view_blocks([v])) for v in VIEWS} == {
        "audio": False, "audio_manual": True, "transcript": False, "alignment": True}
    # the card's component draws the text field for "transcript", the text panel for "alignment"
    assert {v: card_parts(view_blocks([v])) for v in VIEWS} == {
        "audio": [], "audio_manual": [], "transcript": ["transcript"], "alignment": ["alignment"]}
    # a `blocks` setting combines views (or names blocks), each block once, in BLOCKS' order
    combined = view_blocks(["transcript", "audio_manual", "regions", "no_such_view"])
    assert names(combined) == ["waveform", "regions", "transcript"] and editable(combined)
    assert list(BLOCKS) == ["waveform", "regions", "transcript", "text_spans"]


def test_an_answer_carries_exactly_what_its_blocks_add():
    task = Task(1, "d", None, {"audio": "1.wav", "audio_spans": [PRE], "transcript": "pre-filled",
                               "text": "the task's text"})
    answer = sent(regions=[MOVED], transcript="well I do not know", spans=[SPAN])
    edits = {v: answer_edits(task, answer, [v], View()) for v in VIEWS}
    # the audio view: regions read-only, so the answer keeps the task's, not what was sent
    assert edits["audio"] == {"audio_spans": [PRE]}
    assert edits["audio_manual"] == {"audio_spans": [MOVED]}
    assert edits["transcript"] == {"audio_spans": [PRE], "transcript": "well I do not know"}
    assert edits["alignment"]["audio_spans"] == [MOVED] and edits["alignment"]["spans"] == [SPAN]
    for view, carried in edits.items():
        assert set(carried) == {key for b in view_blocks([view]) for key in b.adds}, view
    # nothing sent: each block's own part of the task
    quiet = answer_edits(task, sent(), ["alignment", "transcript"], View())
    assert (quiet["transcript"], quiet["text"], quiet["spans"]) == ("pre-filled", "the task's text", [])


def test_the_card_shows_what_its_blocks_show():
    source = {"transcript": "", "text": "the text", "spans": [SPAN]}
    assert card_fields(view_blocks(["audio_manual"]), source) == {"transcript": None, "text": None, "spans": []}
    assert card_fields(view_blocks(["transcript"]), source) == {"transcript": "", "text": None, "spans": []}
    assert card_fields(view_blocks(["alignment"]), source) == {"transcript": "the text", "text": "the text",
                                                               "spans": [SPAN]}


def test_a_view_needs_known_blocks_and_a_free_name():
    with pytest.raises(ValueError, match="give blocks among waveform, regions, transcript, text_spans"):
        register_view("video", ["waveform", "frames"])
    with pytest.raises(ValueError, match="exists already"):
        register_view("audio", ["regions"])
    assert "video" not in view_names()


@pytest.fixture
def tagging(tmp_path, monkeypatch, corpus):
    """A view made here of existing blocks: read-only regions with text spans; a dataset of it."""
    register_view("tagging", ["waveform", "text_spans"])
    db = tmp_path / "views.duckdb"
    monkeypatch.setenv("EARMARK_DB", str(db))
    monkeypatch.setenv("EARMARK_CONFIG", str(tmp_path / "earmark.json"))
    store = open_store(db)
    report = load_sources(store, "tags", [corpus / "diarization" / "empty.wav"], view="tagging",
                          labels=["B"], peaks=False)
    yield store, report.task_ids
    unregister_view("tagging")


def page(root, name: str, **query) -> AppTest:
    at = AppTest.from_file(str(root / "pages" / f"{name}.py"), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at


def test_a_view_made_of_existing_blocks_is_loaded_annotated_stored_and_reviewed(tagging, root):
    store, [task_id] = tagging
    assert store.query_one("SELECT view FROM datasets WHERE name = 'tags'")[0] == "tagging"
    at = page(root, "annotate", dataset="tags", session="ann")
    at.run()
    assert not at.exception, at.exception
    [card] = at.get("component_instance")
    args = json.loads(card.proto.json_args)
    assert (args["blocks"], args["editable"]) == (["alignment"], False)
    entry = {"client": "c1", "seq": 1, "dataset": "tags", "session": "ann", "task_id": str(task_id),
             "answer": "accept", "regions": [{**MOVED, "start": 0.25, "end": 0.5}],
             "transcript": "well I do not know", "spans": [SPAN], "ts": 1_700_000_000.0}
    at.session_state["annotate_card"] = {"client": "c1", "pending": [entry],
                                         "event": {"type": "answer", "id": "c1-1", "time": 0}}
    at.run()
    assert not at.exception, at.exception
    annotation_id, doc = store.query_one("SELECT id, annotation FROM annotations")
    saved = json.loads(doc)
    assert saved["_view_id"] == "tagging"
    assert "audio_spans" not in saved or saved["audio_spans"] == []     # regions were not its to change
    assert (saved["text"][5:13], saved["spans"]) == ("I do not", [SPAN])
    assert names(review_blocks(saved)) == ["waveform", "regions", "transcript", "text_spans"]
    # Review shows the view's edits from its blocks: the transcript field, the text spans
    review = page(root, "review")
    review.session_state["review_selected"] = annotation_id
    review.run()
    assert not review.exception, review.exception
    assert review.text_area(key=f"review-transcript-{annotation_id}").value == "well I do not know"
    assert any("Text spans:** 1" in m.value for m in review.markdown)
    [table] = [t for t in review.table if "label" in t.value.columns]
    assert table.value.to_dict("records") == [{"label": "B", "text": "I do not", "region": "pre"}]
    # a correction keeps what the blocks added and takes the corrected transcript
    review.text_area(key=f"review-transcript-{annotation_id}").set_value("well I do know")
    review.button(key=f"review-save-{annotation_id}").click().run()
    assert not review.exception, review.exception
    corrected = json.loads(store.query_one("SELECT annotation FROM annotations ORDER BY id DESC LIMIT 1")[0])
    assert (corrected["transcript"], corrected["spans"]) == ("well I do know", [SPAN])


def test_review_shows_the_blocks_of_the_view_an_annotation_was_made_in_and_any_it_carries():
    # made in the transcript view: its text field, even when the annotation holds no transcript
    assert names(review_blocks({"_view_id": "transcript", "audio_spans": []})) == [
        "waveform", "regions", "transcript"]
    # a transcript carried by an annotation of another view (imported, or the task's) is shown too
    assert names(review_blocks({"_view_id": "audio", "audio_spans": [], "transcript": "t"})) == [
        "waveform", "regions", "transcript"]
    assert names(review_blocks({"_view_id": "audio_manual+alignment"})) == ["regions", "text_spans"]
